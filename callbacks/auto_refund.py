"""Callbacks of the auto-refund thresholds card (`components/auto_refund_form.py`).

The company is the creator's own on `/company` (the Store holds None) or, for staff, the
one the Store names; either way `dashboard.auto_refund` decides whether this person may
read or change it, re-reading the user from the session."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from callbacks._session import acting_user
from dashboard import auto_refund
from dashboard.components.ids import AutoRefundIds
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.permissions import is_staff

HIDDEN, SHOWN = {"display": "none"}, {}


def _company_id(user, stored) -> str:
    if user.role == Role.CREATOR:
        return user.company_id or ""  # a creator only ever sees their own, whatever the Store says
    return stored if isinstance(stored, str) else ""


def _number(value: Optional[Decimal]):
    return None if value is None else float(value)


def _state_line(company, t: auto_refund.Thresholds, *, staff: bool) -> html.Div:
    def one(limit, family):
        return (f"{family} cases up to {limit.normalize():f} in the payment's currency" if limit is not None
                else f"{family}: off")
    summary = f"{company.name} — " + "; ".join((one(t.card, "Card"), one(t.paypal, "PayPal")))
    if t.locked:
        lock = ("Locked: creators cannot change these." if staff else
                "The platform's staff have locked these thresholds. Ask them if they need to change.")
        return html.Div([html.I(className="bi bi-lock me-1"), summary + ". ", html.Strong(lock)],
                        className="text-warning-emphasis")
    return html.Div(summary + ".", className="text-muted")


@callback(
    Output(AutoRefundIds.CARD, "value"), Output(AutoRefundIds.PAYPAL, "value"), Output(AutoRefundIds.LOCKED, "value"),
    Output(AutoRefundIds.LOCK_ROW, "style"), Output(AutoRefundIds.CARD, "disabled"),
    Output(AutoRefundIds.PAYPAL, "disabled"), Output(AutoRefundIds.SAVE, "disabled"), Output(AutoRefundIds.STATE, "children"),
    Input(AutoRefundIds.COMPANY, "data"),
)
def load_thresholds(stored):
    """The thresholds as they are; a locked card is read-only to creators."""
    try:
        with acting_user() as (ctx, user):
            company = auto_refund.load_company(ctx, user, _company_id(user, stored))
            t, staff = auto_refund.thresholds_of(company), is_staff(user)
    except DomainError as exc:
        return None, None, False, HIDDEN, True, True, True, html.Div(exc.message, className="text-danger")
    read_only = t.locked and not staff
    return (_number(t.card), _number(t.paypal), t.locked, SHOWN if staff else HIDDEN, read_only, read_only,
            read_only, _state_line(company, t, staff=staff))


def _limit(value):
    """What was typed: empty is off; anything else goes to the domain, which refuses what is
    not an amount with a sentence saying so (never read as "off")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value.strip().replace(",", ".") if isinstance(value, str) else value


@callback(
    Output(AutoRefundIds.FEEDBACK, "children"), Output(AutoRefundIds.STATE, "children", allow_duplicate=True),
    Input(AutoRefundIds.SAVE, "n_clicks"),
    State(AutoRefundIds.COMPANY, "data"), State(AutoRefundIds.CARD, "value"), State(AutoRefundIds.PAYPAL, "value"),
    State(AutoRefundIds.LOCKED, "value"),
    prevent_initial_call=True,
)
def save_thresholds(n_clicks, stored, card, paypal, locked):
    if not n_clicks:
        return no_update, no_update
    try:
        with acting_user() as (ctx, user):
            changes = {auto_refund.CARD: _limit(card), auto_refund.PAYPAL: _limit(paypal)}
            if is_staff(user):
                changes["locked"] = bool(locked)
            company = auto_refund.set_thresholds(ctx, actor=user, company_id=_company_id(user, stored),
                                                 changes=changes)
            t, staff = auto_refund.thresholds_of(company), is_staff(user)
    except DomainError as exc:
        return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), exc.message], color="danger",
                         className="py-2 small mb-0"), no_update
    said = ("Saved. From now on, new cases at or under these amounts are accepted and refunded at once; "
            "cases already open are not affected.")
    return dbc.Alert([html.I(className="bi bi-check-circle me-2"), said], color="success", className="py-2 small mb-0",
                     duration=10000), _state_line(company, t, staff=staff)
