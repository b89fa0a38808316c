"""The staff case page's decision context: precedent (how cases like this one ended) and
risk (is this customer or company unusual), from `data.read.context` (no queries here).

Both cards are for staff alone: `callbacks/case.py` builds them only for staff, so a
party's page never carries them, not even hidden. Rates are shares of closed cases; each
number says what it counts and over which period, so a reviewer can weigh a small sample.
"""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import palette
from dashboard.components.case_panels import card
from dashboard.components.case_table import local_date, outcome_badge
from dashboard.components.format import OUTCOME_LABELS, money, reason_label
from dashboard.components.ids import DecisionIds

OUTCOMES = ("customer_won", "merchant_won", "withdrawn")


def percent(value: Optional[float], *, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def customer_href(customer_id: str) -> str:
    return f"/customers/{customer_id}"


def company_href(company_id: str) -> str:
    return f"/companies/{company_id}"


def outcome_bar(rates, *, label: str, bar_id: Optional[str] = None) -> html.Div:
    """A stacked bar of the outcome shares (outcome colours), with the shares in words
    beside it for those who read rather than look (and for screen readers)."""
    if not rates.closed:
        return html.Div([html.Span(label, className="fw-semibold me-1"),
                         html.Span("no closed cases yet", className="text-muted")], className="mb-2",
                        **({"id": bar_id} if bar_id else {}))
    words = " · ".join(f"{percent(rates.share(o))} {OUTCOME_LABELS[o].lower()}" for o in OUTCOMES)
    # The bar is a picture of the words below it: hidden from screen readers, which read the words.
    bars = [dbc.Progress(value=100 * getattr(rates, o) / rates.closed, color=palette.OUTCOME_COLORS[o], bar=True)
            for o in OUTCOMES if getattr(rates, o)]
    return html.Div([
        html.Div([html.Span(label, className="fw-semibold"),
                  html.Span(f"{rates.closed:,} closed", className="text-muted")],
                 className="d-flex justify-content-between"),
        html.Div(dbc.Progress(bars, style={"height": "0.6rem"}), className="my-1", **{"aria-hidden": "true"}),
        html.Div(words, className="text-muted"),
    ], className="mb-2", **({"id": bar_id} if bar_id else {}))


def _overturn_line(label: str, o) -> html.Div:
    if not o.decided:
        text = "no final decisions"
    else:
        text = f"{o.overturned} of {o.decided} overturned ({percent(o.rate)})"
    return html.Div([html.Span(f"{label}: ", className="fw-semibold"), text])


def _distance(c, amount_minor: int) -> str:
    if not c.distance:
        return "same amount"
    return f"{money(c.distance, c.currency)} {'more' if c.amount_minor > amount_minor else 'less'}"


def _similar_list(similar, *, amount_minor: int, reason: str, company_name: str) -> html.Div:
    if not similar:
        return html.Div(f"No other closed “{reason_label(reason)}” cases at {company_name} in this currency yet.",
                        className="text-muted", id=DecisionIds.SIMILAR)
    return html.Ul([html.Li([
        html.Div([dcc.Link(html.Code(c.id), href=f"/cases/{c.id}"), " ", outcome_badge(c.outcome)],
                 className="d-flex flex-wrap align-items-center gap-1"),
        html.Div(f"{money(c.amount_minor, c.currency)} ({_distance(c, amount_minor)}) · closed {local_date(c.closed_at)}",
                 className="text-muted"),
    ], className="mb-2", **{"data-case": c.id}) for c in similar], className="list-unstyled mb-0",
        id=DecisionIds.SIMILAR)


def precedent_panel(p, similar, *, amount_minor: int, company_name: str, company_id: str):
    """How this company's and every company's cases of the same reason ended, how often an
    appeal overturned the decision, and the closed cases nearest this one in amount."""
    reason = reason_label(p.reason)
    body = html.Div([
        html.Div(f"“{reason}” cases opened in the last {p.days} days, by how they ended", className="mb-2"),
        html.Div([
            outcome_bar(p.company, label=company_name),
            outcome_bar(p.platform, label="All companies"),
        ], id=DecisionIds.OUTCOMES),
        html.Div(f"Appeals decided in the last {p.days} days", className="fw-semibold mt-3 mb-1"),
        html.Div([_overturn_line(company_name, p.company_overturns),
                  _overturn_line("All companies", p.platform_overturns)], id=DecisionIds.OVERTURNS),
        html.Div([html.Span("Most similar closed cases", className="fw-semibold"),
                  html.Span(" same company and reason, nearest amount", className="text-muted")],
                 className="mt-3 mb-1"),
        _similar_list(similar, amount_minor=amount_minor, reason=p.reason, company_name=company_name),
        html.Div(dcc.Link(f"All of {company_name}'s cases", href=company_href(company_id)), className="mt-2"),
    ], className="small")
    return card("Precedent (staff only)", body, icon="journal-check", id=DecisionIds.PRECEDENT)


def flag_badge(reasons: list[str], badge_id: Optional[str] = None) -> html.Div:
    """The amber 'Look closer' badge and, in plain words, why."""
    return html.Div([
        dbc.Badge([html.I(className="bi bi-exclamation-triangle me-1", **{"aria-hidden": "true"}), "Look closer"],
                  color="warning", text_color="dark", className="mb-1"),
        html.Ul([html.Li(r) for r in reasons], className="mb-2 ps-3"),
    ], role="status", **({"id": badge_id} if badge_id else {}))


def customer_reasons(r) -> list[str]:
    if not r.customer_flagged:
        return []
    return [f"This customer opened {r.customer.cases} cases in the last 12 months, across all companies "
            f"(this one included): {r.customer_cases_at_least} or more calls for a closer look at their story."]


def company_reasons(r) -> list[str]:
    if not r.company_flagged:
        return []
    if not r.median.rate:
        return [f"Most companies had no case at all in {_months(r.median)}; this one had {r.company.cases} "
                f"in the last {r.company.days} days."]
    return [f"This company's dispute rate is {r.company_ratio:.1f}× the platform median: "
            f"{r.rate_ratio:g}× or more calls for a closer look at the merchant."]


def _months(m) -> str:
    first, last = m.first_month.strftime("%b %Y"), m.last_month.strftime("%b %Y")
    return first if first == last else f"{m.first_month.strftime('%b')}–{last}"


def _customer_block(r, *, customer_name: str, customer_id: str) -> html.Div:
    c = r.customer
    record = (f"won {c.won} of {c.closed} closed ({percent(c.win_rate)})" if c.closed else "none of them closed yet")
    return html.Div([
        html.Div(dcc.Link(customer_name, href=customer_href(customer_id)), className="fw-semibold"),
        html.Div(f"{c.cases} case{'s' if c.cases != 1 else ''} in the last 12 months across all companies "
                 f"(this one included); {record}."),
    ], id=DecisionIds.RISK_CUSTOMER, className="mb-2")


def _company_block(r, *, company_name: str, company_id: str) -> html.Div:
    rate, m = r.company, r.median
    own = (f"{percent(rate.rate, digits=1)} ({rate.cases:,} cases / {rate.payments:,} payments, last {rate.days} days)"
           if rate.payments else f"no payments in the last {rate.days} days ({rate.cases:,} cases)")
    median = (f"platform median {percent(m.rate, digits=1)} over {m.companies:,} companies ({_months(m)})"
              if m.rate is not None else "no platform median yet (no payments in these months)")
    return html.Div([
        html.Div(dcc.Link(company_name, href=company_href(company_id)), className="fw-semibold"),
        html.Div(f"Dispute rate {own}; {median}."),
    ], id=DecisionIds.RISK_COMPANY)


def risk_panel(r, *, customer_name: str, customer_id: str, company_name: str, company_id: str):
    """The customer's record across companies and the company's dispute rate against the
    platform median; an amber badge says in plain words when either is past its threshold."""
    reasons = customer_reasons(r) + company_reasons(r)
    body = html.Div([
        flag_badge(reasons, DecisionIds.RISK_FLAG) if reasons else None,
        _customer_block(r, customer_name=customer_name, customer_id=customer_id),
        _company_block(r, company_name=company_name, company_id=company_id),
    ], className="small")
    return card("Risk (staff only)", body, icon="shield-exclamation", id=DecisionIds.RISK)


def decision_panels(ctx, *, amount_minor: int, customer_name: str, customer_id: str, company_name: str,
                    company_id: str) -> list:
    """[precedent card, risk card] for a `data.read.context.DecisionContext`."""
    return [precedent_panel(ctx.precedent, ctx.similar, amount_minor=amount_minor, company_name=company_name,
                            company_id=company_id),
            risk_panel(ctx.risk, customer_name=customer_name, customer_id=customer_id, company_name=company_name,
                       company_id=company_id)]
