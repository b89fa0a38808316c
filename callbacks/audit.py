"""Callbacks of `/audit` (managers).

The user is re-read from the database on every call; anyone who is not a manager gets
the "not for you" state and no rows, whatever the browser sends. The filters and page
number from the browser are parsed defensively (`dashboard.audit.parse_filter`):
nonsense means "no filter" or the first page, never an error.
"""
from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from callbacks._session import acting_user
from data.read import audit as audit_read
from dashboard.audit import KIND_LABELS, AuditKind, describe, parse_filter
from dashboard.components import case_table as ct
from dashboard.components.format import local_time
from dashboard.components.ids import AuditIds
from dashboard.components.shell import empty_state
from dashboard.enums import Role
from dashboard.errors import DomainError

PAGE_SIZE = 50
HIDDEN = {"display": "none"}
FORBIDDEN = dbc.Alert([html.I(className="bi bi-lock me-2"), "The audit log is for the platform's managers."],
                      color="secondary", className="mt-2")
KIND_COLORS = {AuditKind.SIGN_IN_FAILURE: "warning", AuditKind.SIGN_IN_THROTTLED: "danger",
               AuditKind.SIGN_IN_SUCCESS: "success"}


def _kind_badge(kind: str) -> dbc.Badge:
    known = AuditKind(kind) if kind in AuditKind._value2member_map_ else None
    color = KIND_COLORS.get(known, "secondary") if known else "secondary"
    return dbc.Badge(KIND_LABELS.get(known, kind) if known else kind, color=color,
                     text_color="dark" if color == "warning" else None)


def audit_rows(rows: list[audit_read.AuditRow]) -> html.Div:
    return ct.case_table(
        ["When", "What", "Who", "Email typed", "Address", "Case", "Details"],
        [[local_time(r.at, fmt="%d %b %Y, %H:%M:%S"), _kind_badge(r.kind), r.actor_name or r.actor_id or "—",
          r.email or "—", r.address or "—", ct.case_link(r.case_id) if r.case_id else "—", describe(r)]
         for r in rows],
        table_id=AuditIds.EVENTS_TABLE, row_ids=[str(r.id) for r in rows],
        empty=empty_state("Nothing was recorded for these filters.", icon="journal-check"))


def export_href(kinds, start, end) -> str:
    f = parse_filter(kinds, start, end)
    query = [("kind", k) for k in f.kinds]
    if f.since:
        query.append(("start", f.since.date().isoformat()))
    if f.until:
        query.append(("end", (f.until - dt.timedelta(days=1)).date().isoformat()))  # `end` is inclusive
    return "/audit/export.csv" + ("?" + urlencode(query) if query else "")


@callback(
    Output(AuditIds.ALERT, "children"),
    Output(AuditIds.BODY, "style"),
    Output(AuditIds.TABLE, "children"),
    Output(AuditIds.PAGER, "max_value"),
    Output(AuditIds.PAGER_TEXT, "children"),
    Output(AuditIds.EXPORT, "href"),
    Input(AuditIds.KINDS, "value"),
    Input(AuditIds.DATES, "start_date"),
    Input(AuditIds.DATES, "end_date"),
    Input(AuditIds.PAGER, "active_page"),
)
def load_audit(kinds, start, end, page):
    """One page of the audit log, newest first, for managers only."""
    try:
        with acting_user() as (ctx, user):
            if user.role != Role.MANAGER:
                return FORBIDDEN, HIDDEN, None, 1, "", "/audit"
            f = parse_filter(kinds, start, end)
            total = audit_read.count(ctx.session, f)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(1, page if isinstance(page, int) and not isinstance(page, bool) else 1), pages)
            rows = audit_read.page(ctx.session, f, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            return (None, {}, audit_rows(rows), pages,
                    ct.pager_text((page - 1) * PAGE_SIZE, len(rows), total, "events"), export_href(kinds, start, end))
    except DomainError as exc:
        return dbc.Alert(exc.message, color="danger"), HIDDEN, None, 1, "", "/audit"
