"""The auto-refund thresholds card (`callbacks/auto_refund.py` fills and saves it): two
amounts, one per provider family, and for staff the lock. What the thresholds do is said
on the card, in the words a creator would use."""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import AutoRefundIds

EXPLAIN = ("A new case on a payment of at most this amount is accepted for you at once: the customer gets a "
           "full refund from your funds and the case closes, with no review. Amounts are in the payment's own "
           "currency (30 means $30.00 on a USD payment, €30.00 on a EUR one). Leave empty to review every case.")


def _amount(input_id: str, label: str, hint: str) -> dbc.Col:
    return dbc.Col([
        dbc.Label(label, html_for=input_id, className="small fw-semibold mb-1"),
        dbc.InputGroup([
            # Text, not a number input: a browser sends nothing for a number it rejects, which
            # would read as "off" and silently switch an existing threshold off.
            dbc.Input(id=input_id, type="text", placeholder="Off", inputMode="decimal", maxLength=20,
                      autoComplete="off"),
        ], size="sm"),
        dbc.FormText(hint),
    ], xs=12, sm=6, className="mb-2")


def auto_refund_card(company_id: Optional[str] = None) -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader([html.I(className="bi bi-lightning-charge me-2"),
                        html.Span("Automatic refunds", className="fw-semibold"),
                        html.Div(EXPLAIN, className="text-muted small fw-normal")], className="bg-white"),
        dbc.CardBody([
            dcc.Store(id=AutoRefundIds.COMPANY, data=company_id),
            html.Div(id=AutoRefundIds.STATE, className="small mb-2"),
            dbc.Row([
                _amount(AutoRefundIds.CARD, "Card payments (Stripe)", "Cases up to this amount are refunded."),
                _amount(AutoRefundIds.PAYPAL, "PayPal payments", "PayPal has its own limit."),
            ]),
            html.Div(dbc.Switch(id=AutoRefundIds.LOCKED, label="Locked: only the platform's staff may change these",
                                value=False), id=AutoRefundIds.LOCK_ROW, style={"display": "none"}),
            dbc.Button([html.I(className="bi bi-check2 me-1"), "Save thresholds"], id=AutoRefundIds.SAVE,
                       size="sm", color="primary", className="mt-1"),
            html.Div(id=AutoRefundIds.FEEDBACK, className="mt-2", **{"aria-live": "polite"}),
        ]),
    ], className="shadow-sm mb-3")
