"""Callbacks of `/search` (reviewers and managers).

The user is re-read from the database on every call; anyone who is not staff gets an
error and no rows, whatever the browser sends. The query and the cursor from the
browser only choose among what staff may see anyway (data.read.search binds the text,
and a cursor of another query, or one that does not decode, starts from the top).
"""
from __future__ import annotations

from typing import Any, Optional

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update
from sqlalchemy import true

from callbacks._session import acting_user
from data.read import search
from dashboard.components import case_table as ct
from dashboard.components.case_table import local_date
from dashboard.components.format import money
from dashboard.components.ids import SearchIds, ShellIds
from dashboard.components.shell import empty_state
from dashboard.errors import DomainError
from dashboard.money.amounts import EXPONENTS as CURRENCY_EXPONENTS
from dashboard.permissions import is_staff

PAGE_SIZE = 25
HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
WHAT_TO_TYPE = ("Search by a case id (reso_…) or a payment id (pay_…) to open that case, or by a customer's "
                "email, a customer's or a company's name, or an amount such as 199.00 or 199 EUR.")
FORBIDDEN = dbc.Alert([html.I(className="bi bi-lock me-2"),
                       "Searching all cases is for the platform's reviewers and managers."], color="secondary")


def _alert(text: str, color: str = "danger", icon: str = "exclamation-triangle") -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2"), text], color=color)


def _nothing(alert) -> tuple:
    """No rows, no pager, no navigation."""
    return alert, None, None, HIDDEN, HIDDEN, no_update


def result_rows(rows: list[search.SearchRow]) -> html.Div:
    return ct.case_table(
        ["Case", "Status", "Company", "Customer", "Amount", "Opened"],
        [[ct.case_link(r.id),
          ct.state_badges(r.status, r.outcome),
          r.company_name,
          html.Div([html.Div(r.customer_name), html.Div(r.customer_email, className="text-muted small text-break")]),
          html.Span(money(r.amount_minor, r.currency), className="text-nowrap"),
          html.Span(local_date(r.created_at), className="text-nowrap")] for r in rows],
        table_id=SearchIds.TABLE, row_ids=[r.id for r in rows], label="Cases found")


@callback(
    Output(SearchIds.ALERT, "children"),
    Output(SearchIds.RESULTS, "children"),
    Output(SearchIds.NEXT_CURSOR, "data"),
    Output(SearchIds.NEXT, "style"),
    Output(SearchIds.FIRST, "style"),
    Output(ShellIds.URL, "href"),
    Input(SearchIds.QUERY, "data"),
    Input(SearchIds.AFTER, "data"),
)
def search_cases(query: Any, after: Any):
    """One page of the cases matching the query (`after`: the cursor of the page to show).
    An exact case or payment id opens its case instead."""
    text = query if isinstance(query, str) else ""
    cursor: Optional[str] = after if isinstance(after, str) and after else None
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user):
                return _nothing(FORBIDDEN)
            if not search.normalise(text):
                return _nothing(_alert(WHAT_TO_TYPE, "info", "search"))
            page = search.search(ctx.session, text, visibility=true(), after=cursor, size=PAGE_SIZE,
                                 exponents=CURRENCY_EXPONENTS)
    except search.QueryTooLong:
        return _nothing(_alert(f"That search is too long: type at most {search.MAX_QUERY} characters. "
                               + WHAT_TO_TYPE))
    except DomainError as exc:
        return _nothing(_alert(exc.message))
    if page.exact:
        return (None, empty_state(f"Opening case {page.rows[0].id}…", icon="box-arrow-up-right"), None, HIDDEN,
                HIDDEN, f"/cases/{page.rows[0].id}")
    if not page.rows:
        what = "No case has this id." if page.query.exact else "No cases match this search."
        return _nothing(_alert(f"{what} {WHAT_TO_TYPE}", "secondary", "inbox"))
    return (None, result_rows(page.rows), page.next_cursor, SHOWN if page.next_cursor else HIDDEN,
            SHOWN if cursor else HIDDEN, no_update)


@callback(
    Output(SearchIds.AFTER, "data"),
    Input(SearchIds.NEXT, "n_clicks"),
    Input(SearchIds.FIRST, "n_clicks"),
    State(SearchIds.NEXT_CURSOR, "data"),
    State(SearchIds.AFTER, "data"),
    prevent_initial_call=True,
)
def turn_page(next_clicks: Any, first_clicks: Any, next_cursor: Any, after: Any):
    """Next page: the cursor the search handed back; First page: none. Navigation only:
    the search callback checks who is asking."""
    from dash import ctx as dash_ctx

    if dash_ctx.triggered_id == SearchIds.FIRST:
        return None
    if isinstance(next_cursor, str) and next_cursor:
        return next_cursor
    return no_update
