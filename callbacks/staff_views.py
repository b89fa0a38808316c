"""Callbacks of `/customers/<id>` and `/companies/<id>` (reviewers and managers).

The user is re-read from the database on every call; anyone who is not staff gets the
not-found state and no rows, as does an id that is no customer's or no company's (it is
only a key: whatever the browser sends, it reads nothing staff could not see anyway).
A page's cursor comes back from the browser only to continue the same list; one that
does not decode, or belongs to another list, starts from the top (`data.read.keyset`).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, ctx as dash_ctx, dcc, html

from callbacks._session import acting_user
from dashboard.components import case_table as ct
from dashboard.components import decision_context as dc
from dashboard.components.case_table import local_date
from dashboard.components.format import PROVIDER_LABELS, STATUS_LABELS, money, reason_label
from dashboard.components.ids import StaffViewIds as V
from dashboard.components.shell import empty_state, not_found
from dashboard.errors import DomainError
from dashboard.permissions import is_staff
from data.read import context, staff_views

HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
NO_LIST = (None, None, HIDDEN, HIDDEN)


def _kpi(title: str, value, detail=None, *, icon: str) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div([html.I(className=f"bi bi-{icon} me-1", **{"aria-hidden": "true"}), title], className="text-muted small"),
        html.Div(value, className="fs-5 fw-semibold"),
        html.Div(detail, className="text-muted small") if detail else None,
    ]), className="h-100 shadow-sm"), xs=12, md=6, xl=True)


def _title(name: str, lines: list) -> html.Div:
    return html.Div([html.H2(name, className="h5 mb-1 text-break"),
                     html.Div([x for x in lines if x], className="text-muted small text-break")], className="mb-3")


# ---------------------------------------------------------------------- summaries
def customer_summary(p: staff_views.CustomerProfile) -> html.Div:
    won = (f"won {p.won} of {p.closed} closed" if p.closed else "none closed yet")
    return html.Div([
        _title(p.name, [p.email, f" · customer since {local_date(p.since)}"]),
        dbc.Row([
            _kpi("Cases at every company", f"{p.cases:,}", f"{p.open:,} open", icon="folder2-open"),
            _kpi("Win rate", dc.percent(p.win_rate), won + " (withdrawn ones count as closed)", icon="trophy"),
        ], className="g-3 mb-3"),
    ])


def sparkline(monthly: list, graph_id: str) -> html.Div:
    """Cases opened per month, as a line to look at and a sentence to read."""
    counts = [n for _m, n in monthly]
    labels = [m.strftime("%b %Y") for m, _n in monthly]
    peak = max(range(len(counts)), key=lambda i: counts[i]) if counts else None
    words = (f"{sum(counts):,} cases in the last {len(counts)} months; the most, {counts[peak]:,}, in {labels[peak]}."
             if counts and sum(counts) else f"No cases in the last {len(counts)} months.")
    fig = go.Figure(go.Scatter(x=labels, y=counts, mode="lines+markers", line={"width": 2, "color": "#0a4aa8"},
                               marker={"size": 4}, hovertemplate="%{x}: %{y} cases<extra></extra>"))
    fig.update_layout(height=70, margin={"l": 0, "r": 0, "t": 4, "b": 0}, showlegend=False,
                      xaxis={"visible": False}, yaxis={"visible": False, "rangemode": "tozero"},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return html.Div([
        html.Div(dcc.Graph(figure=fig, config={"displayModeBar": False, "staticPlot": False}, id=graph_id,
                           style={"height": "70px"}), **{"aria-hidden": "true"}),
        html.Div(words, className="text-muted small"),
    ])


def company_summary(p: staff_views.CompanyProfile, rate: context.CompanyRate, median: context.PlatformMedian,
                    *, ratio: float) -> html.Div:
    flagged = context.rate_flagged(rate, median, ratio)
    median_words = (f"platform median {dc.percent(median.rate, digits=1)} over {median.companies:,} companies"
                    if median.rate is not None else "no platform median yet")
    reasons = []
    if flagged:
        reasons = [f"Its dispute rate is {context.rate_ratio_of(rate, median):.1f}× the platform median: {ratio:g}× "
                   "or more calls for a closer look." if median.rate else
                   "Most companies had no case at all in these months; this one had some."]
    rates = context.OutcomeRates(p.closed, p.outcomes.get("customer_won", 0), p.outcomes.get("merchant_won", 0),
                                 p.outcomes.get("withdrawn", 0))
    by_status = [dbc.Badge(f"{STATUS_LABELS[s]} {n:,}", color="light", text_color="dark", className="border me-1")
                 for s, n in p.by_status.items()]
    appeals = (f"{dc.percent(p.appeal_rate)} of {p.decisions:,} platform decisions appealed"
               if p.decisions else "no platform decisions yet")
    o = p.overturns
    overturned = (f"{o.overturned} of {o.decided} overturned in the last {staff_views.PRECEDENT_DAYS} days"
                  if o.decided else f"no appeal decided in the last {staff_views.PRECEDENT_DAYS} days")
    return html.Div([
        _title(p.name, [p.support_email or "no support email", f" · on the platform since {local_date(p.since)}"]),
        dc.flag_badge(reasons) if reasons else None,
        dbc.Row([
            _kpi(f"Dispute rate, last {rate.days} days",
                 dc.percent(rate.rate, digits=1) if rate.payments else "—",
                 f"{rate.cases:,} cases / {rate.payments:,} payments; {median_words}", icon="graph-up"),
            _kpi("Open cases", f"{p.open:,} of {p.cases:,}", html.Div(by_status, className="mt-1"), icon="hourglass-split"),
            _kpi("Appeals", appeals, overturned + f"; {p.escalated:,} cases escalated to the platform",
                 icon="arrow-repeat"),
        ], className="g-3 mb-3"),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody([
                html.Div("How its cases ended (all time)", className="text-muted small mb-1"),
                dc.outcome_bar(rates, label=p.name, bar_id=V.COMPANY_OUTCOMES),
            ]), className="h-100 shadow-sm"), xs=12, lg=6),
            dbc.Col(dbc.Card(dbc.CardBody([
                html.Div("Cases opened per month", className="text-muted small mb-1"),
                sparkline(p.monthly, V.COMPANY_SPARKLINE),
            ]), className="h-100 shadow-sm"), xs=12, lg=6),
        ], className="g-3 mb-3"),
    ])


@callback(Output(V.CUSTOMER_SUMMARY, "children"), Output(V.CUSTOMER_BODY, "style"), Input(V.CUSTOMER_ID, "data"))
def load_customer(customer_id: Any):
    """Who the customer is and their numbers; the lists below show once they are found."""
    try:
        with acting_user() as (ctx, user):
            profile = staff_views.customer_profile(ctx.session, customer_id) if is_staff(user) else None
            if profile is None:
                return not_found("customer"), HIDDEN
            return customer_summary(profile), SHOWN
    except DomainError:
        return not_found("customer"), HIDDEN


@callback(Output(V.COMPANY_SUMMARY, "children"), Output(V.COMPANY_BODY, "style"), Input(V.COMPANY_ID, "data"))
def load_company(company_id: Any):
    try:
        with acting_user() as (ctx, user):
            profile = staff_views.company_profile(ctx.session, company_id, now=ctx.now) if is_staff(user) else None
            if profile is None:
                return not_found("company"), HIDDEN
            rate = context.company_dispute_rate(ctx.session, company_id=profile.id, now=ctx.now)
            median = context.platform_median(ctx.session, now=ctx.now)
            return company_summary(profile, rate, median, ratio=ctx.settings.risk_dispute_rate_ratio), SHOWN
    except DomainError:
        return not_found("company"), HIDDEN


# -------------------------------------------------------------------------- lists
def _status(r) -> html.Span:
    return ct.state_badges(r.status, r.outcome, r.escalated)


def case_rows(rows, *, by: str, table_id: str) -> html.Div:
    """`by`: 'company' lists the company of each case (a customer's view), 'customer' the customer."""
    who = "Company" if by == "company" else "Customer"
    return ct.case_table(
        ["Case", "Status", who, "Reason", "Amount", "Opened"],
        [[ct.case_link(r.id), _status(r),
          dcc.Link(r.company_name, href=dc.company_href(r.company_id)) if by == "company"
          else dcc.Link(r.customer_name, href=dc.customer_href(r.customer_id)),
          reason_label(r.reason), html.Span(money(r.amount_minor, r.currency), className="text-nowrap"),
          html.Span(local_date(r.created_at), className="text-nowrap")] for r in rows],
        table_id=table_id, row_ids=[r.id for r in rows], label="Cases",
        empty=empty_state("No cases.", icon="inbox"))


def payment_rows(rows, *, by: str, table_id: str) -> html.Div:
    who = "Company" if by == "company" else "Customer"

    def amount(r):
        refunded = f" · {money(r.refunded_minor, r.currency)} refunded" if r.refunded_minor else ""
        return html.Span(money(r.amount_minor, r.currency) + refunded, className="text-nowrap")

    return ct.case_table(
        ["Paid", who, "Product", "Amount", "Provider", "Case"],
        [[html.Span(local_date(r.paid_at), className="text-nowrap"),
          dcc.Link(r.company_name, href=dc.company_href(r.company_id)) if by == "company"
          else dcc.Link(r.customer_name, href=dc.customer_href(r.customer_id)),
          r.product_title or "—", amount(r), PROVIDER_LABELS.get(r.provider, r.provider),
          html.Span([ct.case_link(r.case_id), " ", ct.status_badge(r.case_status)]) if r.case_id
          else html.Span("no case", className="text-muted")] for r in rows],
        table_id=table_id, row_ids=[r.id for r in rows], label="Payments",
        empty=empty_state("No payments.", icon="credit-card"))


def _cursor(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def list_page(owner_id: Any, page: Any, *, next_button: str, read: Callable, render: Callable, exists: Callable):
    """One page of a list: the first one, or (Next page) the one after the page shown.
    Outputs: the table, the Store ({"at": cursor of this page, "next": of the one after}),
    and the two buttons' styles."""
    page = page if isinstance(page, dict) else {}
    after = _cursor(page.get("next")) if dash_ctx.triggered_id == next_button else None
    oid = staff_views.an_id(owner_id)
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user) or oid is None or not exists(ctx.session, oid):
                return NO_LIST
            found = read(ctx.session, oid, after=after)
            table = render(found.rows)
    except DomainError:
        return NO_LIST
    at = after if found.seeked else None
    return (table, {"at": at, "next": found.next_cursor}, SHOWN if found.next_cursor else HIDDEN,
            SHOWN if at else HIDDEN)


def _list(prefix: str):
    return (Output(getattr(V, prefix), "children"), Output(getattr(V, prefix + "_PAGE"), "data"),
            Output(getattr(V, prefix + "_NEXT"), "style"), Output(getattr(V, prefix + "_FIRST"), "style"))


def _inputs(owner: str, prefix: str):
    return (Input(owner, "data"), Input(getattr(V, prefix + "_NEXT"), "n_clicks"),
            Input(getattr(V, prefix + "_FIRST"), "n_clicks"), State(getattr(V, prefix + "_PAGE"), "data"))


@callback(*_list("CUSTOMER_CASES"), *_inputs(V.CUSTOMER_ID, "CUSTOMER_CASES"))
def customer_cases_page(customer_id, _next, _first, page):
    return list_page(customer_id, page, next_button=V.CUSTOMER_CASES_NEXT, read=staff_views.customer_cases,
                     exists=staff_views.is_customer,
                     render=lambda rows: case_rows(rows, by="company", table_id=V.CUSTOMER_CASES_TABLE))


@callback(*_list("CUSTOMER_PAYMENTS"), *_inputs(V.CUSTOMER_ID, "CUSTOMER_PAYMENTS"))
def customer_payments_page(customer_id, _next, _first, page):
    return list_page(customer_id, page, next_button=V.CUSTOMER_PAYMENTS_NEXT, read=staff_views.customer_payments,
                     exists=staff_views.is_customer,
                     render=lambda rows: payment_rows(rows, by="company", table_id=V.CUSTOMER_PAYMENTS_TABLE))


@callback(*_list("COMPANY_CASES"), *_inputs(V.COMPANY_ID, "COMPANY_CASES"))
def company_cases_page(company_id, _next, _first, page):
    return list_page(company_id, page, next_button=V.COMPANY_CASES_NEXT, read=staff_views.company_cases,
                     exists=staff_views.is_company,
                     render=lambda rows: case_rows(rows, by="customer", table_id=V.COMPANY_CASES_TABLE))


@callback(*_list("COMPANY_PAYMENTS"), *_inputs(V.COMPANY_ID, "COMPANY_PAYMENTS"))
def company_payments_page(company_id, _next, _first, page):
    return list_page(company_id, page, next_button=V.COMPANY_PAYMENTS_NEXT, read=staff_views.company_payments,
                     exists=staff_views.is_company,
                     render=lambda rows: payment_rows(rows, by="customer", table_id=V.COMPANY_PAYMENTS_TABLE))
