"""Callbacks of `/company` (creators). Every query is limited to the signed-in creator's
company through `case_visibility(user)`, with the user re-read from the database; nothing
the browser sends decides what is shown."""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from callbacks._session import acting_user
from data.read import keyset, parties
from dashboard.cases.available import available_actions
from dashboard.components import case_table as ct
from dashboard.components import palette, phone
from dashboard.components.format import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    deadline_state,
    duration,
    local_time,
    money,
    reason_label,
)
from dashboard.components.ids import CompanyIds
from dashboard.components.shell import empty_state
from dashboard.enums import Action, Role
from dashboard.errors import DomainError
from dashboard.permissions import case_visibility

HIDDEN = {"display": "none"}
NOT_FOR_YOU = dbc.Alert([html.I(className="bi bi-lock me-2"),
                         "This page is for creators. It shows the cases of the company you sell through."],
                        color="secondary", className="mt-2")
EMPTY_GRID = {"rowData": [], "rowCount": 0}
OUTCOME_COLORS = palette.OUTCOME_COLORS  # the metrics charts and the outcome badges use the same set


def is_creator(user) -> bool:
    return user.role == Role.CREATOR and bool(user.company_id)


def _error(exc: DomainError) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), exc.message], color="danger")


def _customer(case) -> html.Div:
    return html.Div([html.Div(case.customer.name), html.Div(case.customer.email, className="text-muted small")])


def _what_is_asked(case, actions: list[str]) -> str:
    if case.escalated and Action.REPLY in actions:
        return "The platform asked you for information"
    if Action.REQUEST_INFO in actions:
        return "Accept, deny or ask for information"
    if Action.DENY in actions:
        return "Accept or deny (no requests for information left)"
    return "Add evidence"


def _decision_text(case) -> str:
    if case.decision == "refund":
        return f"Refund of {money(case.decision_amount_minor, case.currency)} to the customer"
    if case.decision == "credit":
        return f"{money(case.decision_amount_minor, case.currency)} in platform credit to the customer"
    return OUTCOME_LABELS.get(case.outcome or "", "Decided")


@callback(
    Output(CompanyIds.SUBTITLE, "children"),
    Output(CompanyIds.ALERT, "children"),
    Output(CompanyIds.BODY, "style"),
    Output(CompanyIds.NEEDS, "children"),
    Output(CompanyIds.NEEDS_COUNT, "children"),
    Output(CompanyIds.APPEALS, "children"),
    Output(CompanyIds.APPEALS_COUNT, "children"),
    Input(CompanyIds.LOAD, "data"),
)
def load_worklists(_load):
    """What needs the merchant's answer (most urgent first) and what they may still appeal."""
    try:
        with acting_user() as (ctx, user):
            if not is_creator(user):
                return "", NOT_FOR_YOU, HIDDEN, None, "", None, ""
            visible = case_visibility(user)
            needs = [(c, available_actions(ctx, c, user)) for c in parties.cases_awaiting_merchant(ctx.session, visible)]
            needs = [(c, acts) for c, acts in needs if acts]
            appeals = [c for c in parties.cases_in_merchant_appeal_window(ctx.session, visible, now=ctx.now)
                       if Action.APPEAL in available_actions(ctx, c, user)]
            now = ctx.now
            needs_table = ct.case_table(
                ["Case", "Customer", "Amount", "Reason", "What is asked", "Respond by", ""],
                [[ct.case_link(c.id), _customer(c), money(c.amount_minor, c.currency), reason_label(c.reason),
                  _what_is_asked(c, acts), ct.deadline(c.response_due_at, now),
                  dcc.Link("Respond", href=f"/cases/{c.id}", className="btn btn-sm btn-outline-primary")]
                 for c, acts in needs],
                table_id=CompanyIds.NEEDS_TABLE, row_ids=[c.id for c, _ in needs],
                empty=empty_state("Nothing is waiting on you.", icon="check2-circle",
                                  hint="New cases and requests from the platform show up here."),
            )
            appeals_table = ct.case_table(
                ["Case", "Customer", "Decision", "Appeal by"],
                [[ct.case_link(c.id), _customer(c), _decision_text(c), ct.deadline(c.appeal_due_at, now)]
                 for c in appeals],
                table_id=CompanyIds.APPEALS_TABLE, row_ids=[c.id for c in appeals],
                empty=empty_state("No decision is open to appeal.", icon="shield-check"),
            )
            subtitle = [html.I(className="bi bi-building me-1"), user.company.name if user.company else ""]
            return (subtitle, None, {}, needs_table, str(len(needs)), appeals_table, str(len(appeals)))
    except DomainError as exc:
        return "", _error(exc), HIDDEN, None, "", None, ""


def _kpi(title: str, value, detail=None, *, icon: str, kpi_id: str) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div([html.I(className=f"bi bi-{icon} me-1"), title], className="text-muted small"),
        html.Div(value, className="fs-4 fw-semibold", id=kpi_id),
        html.Div(detail, className="text-muted small") if detail else None,
    ]), className="h-100 shadow-sm"), md=6, xl=True)


def _outcome_donut(outcomes: dict[str, int]):
    if not outcomes:
        return html.Div("No closed cases yet.", className="text-muted small py-4")
    keys = [k for k in ("customer_won", "merchant_won", "withdrawn") if outcomes.get(k)] + \
        [k for k in outcomes if k not in OUTCOME_COLORS]
    fig = go.Figure(go.Pie(
        labels=[OUTCOME_LABELS.get(k, k) for k in keys], values=[outcomes[k] for k in keys], hole=0.6,
        marker={"colors": [OUTCOME_COLORS.get(k, "#6c757d") for k in keys]}, textinfo="value", sort=False,
        hovertemplate="%{label}: %{value} (%{percent})<extra></extra>",
    ))
    fig.update_layout(height=110, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=True,
                      legend={"font": {"size": 11}, "x": 1.0, "y": 0.5}, paper_bgcolor="rgba(0,0,0,0)")
    return dcc.Graph(figure=fig, config={"displayModeBar": False}, id=CompanyIds.OUTCOME_DONUT,
                     style={"height": "110px"})


def kpi_cards(k: parties.CompanyKpis, response_days: int):
    median = duration(k.median_first_response) if k.median_first_response is not None else "—"
    rate = f"{k.response_rate:.0%}" if k.response_rate is not None else "—"
    escal = f"{k.escalated / k.total:.0%} of {k.total} cases" if k.total else "No cases yet"
    refunded = " · ".join(money(v, cur) for cur, v in k.refunded.items()) or money(0, "USD")
    return dbc.Row([
        _kpi("Median first response", median, f"over {k.responded} answered cases" if k.responded else None,
             icon="stopwatch", kpi_id=CompanyIds.KPI_MEDIAN),
        _kpi(f"Answered within {response_days} days", rate,
             f"{k.responded_in_window} of {k.response_window_cases}" if k.response_window_cases else None,
             icon="check2-square", kpi_id=CompanyIds.KPI_RATE),
        _kpi("Escalated to the platform", str(k.escalated), escal, icon="arrow-up-right-circle",
             kpi_id=CompanyIds.KPI_ESCALATED),
        _kpi("Refunded to customers", refunded, f"{k.open} open of {k.total} cases", icon="cash-coin",
             kpi_id=CompanyIds.KPI_REFUNDED),
        dbc.Col(dbc.Card(dbc.CardBody([
            html.Div([html.I(className="bi bi-pie-chart me-1"), "Outcomes"], className="text-muted small"),
            _outcome_donut(k.outcomes),
        ], className="py-2"), className="h-100 shadow-sm"), md=12, xl=3),
    ], className="g-3")


@callback(Output(CompanyIds.KPIS, "children"), Input(CompanyIds.LOAD, "data"))
def load_kpis(_load):
    """The merchant's own response times, escalations, outcomes and refunds."""
    try:
        with acting_user() as (ctx, user):
            if not is_creator(user):
                return None
            k = parties.company_kpis(ctx.session, user.company_id, now=ctx.now,
                                     response_window=ctx.days(ctx.settings.response_days))
            return kpi_cards(k, ctx.settings.response_days)
    except DomainError as exc:
        return _error(exc)


def grid_row(r: parties.CaseGridRow, now) -> dict:
    status = STATUS_LABELS.get(r.status, r.status)
    if r.escalated and r.status != "closed":
        status += " · platform"
    due: Optional[str] = None
    if r.response_due_at is not None:
        due = f"{local_time(r.response_due_at, fmt='%d %b, %H:%M')} · {ct.time_left(r.response_due_at, now)}"
    row = {
        "id": r.id, "case": f"[{r.id}](/cases/{r.id})", "customer": r.customer_name,
        "amount": money(r.amount_minor, r.currency), "reason": reason_label(r.reason), "status": status,
        "outcome": OUTCOME_LABELS.get(r.outcome or "", "") if r.status == "closed" else "", "deadline": due or "—",
        "deadline_state": deadline_state(r.response_due_at, now), "updated": local_time(r.updated_at, fmt="%d %b %Y, %H:%M"),
    }
    row["card"] = _phone_card(row)
    return row


def _phone_card(row: dict) -> str:
    """The phone card of one grid row (markdown, one fact a line). Names people typed are
    escaped so they stay text."""
    def text(value: str) -> str:
        return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~" else c for c in value)

    lines = [row["case"], f"{text(row['customer'])} · {row['amount']} · {row['reason']}",
             row["status"] + (f" · {row['outcome']}" if row["outcome"] else "")]
    if row["deadline"] != "—":
        lines.append(f"Reply by {row['deadline']}")
    return "  \n".join(lines)


@callback(Output(CompanyIds.GRID, "getRowsResponse"), Output(CompanyIds.GRID_CURSORS, "data"),
          Input(CompanyIds.GRID, "getRowsRequest"), State(CompanyIds.GRID_CURSORS, "data"),
          prevent_initial_call=True)
def grid_rows(request, book=None):
    """One block of the company's cases, sorted, filtered and paged in SQL: the next page
    seeks past the last row of the one before (its cursor kept in the Store); a jump to a
    page whose predecessor was never shown is OFFSET."""
    request = request or {}
    start = request.get("startRow") or 0
    view = keyset.view_of("company", request.get("sortModel"), request.get("filterModel"))
    after, known_total = keyset.recall(book, view, start)
    try:
        with acting_user() as (ctx, user):
            if not is_creator(user):
                return EMPTY_GRID, None
            page = parties.company_cases_page(
                ctx.session, case_visibility(user), start=start,
                end=request.get("endRow") or 20, sort_model=request.get("sortModel"),
                filter_model=request.get("filterModel"), after=after, known_total=known_total)
            response = {"rowData": [grid_row(r, ctx.now) for r in page.rows], "rowCount": page.total}
            return response, keyset.remember(book, view, page, start=start)
    except DomainError:
        return EMPTY_GRID, None


# On a phone the "All cases" grid becomes a list of cards (components/phone.py), decided in
# the browser from its width at load; the server pages the rows either way.
clientside_callback(
    phone.cards_below_phone_width(phone.COMPANY_COLUMN_DEFS, phone.COMPANY_ROW_HEIGHT),
    Output(CompanyIds.GRID, "columnDefs"), Output(CompanyIds.GRID, "dashGridOptions"),
    Input(CompanyIds.LOAD, "data"), State(CompanyIds.GRID, "dashGridOptions"),
)
