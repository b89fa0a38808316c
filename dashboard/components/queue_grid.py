"""The reviewer queue's grid: column definitions, grid options, and how one queue row
reads on screen. No queries: callers hand in rows they already read."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import dash_ag_grid as dag

from dashboard.components.format import (
    PROVIDER_LABELS,
    STATUS_LABELS,
    deadline_state,
    duration,
    local_time,
    money,
    reason_label,
)
from dashboard.enums import REASON_LABELS

BLOCK_SIZE = 50
TAB_LABELS = {"escalated": "Escalated", "appealed": "Appealed", "open": "Open", "mine": "Mine"}
TAB_HINTS = {
    "escalated": "Under review by the platform, first instance — including appealed merchant denials.",
    "appealed": "Appealed platform decisions awaiting a final review by a different reviewer.",
    "open": "Waiting on the customer or the merchant. For monitoring; escalated cases are marked.",
    "mine": "Cases assigned to you that are not closed.",
}
STAGE_LABELS = {"under_review": "Under review", "final_review": "Final review"}

# What the enum-like columns' text filters match, besides the stored value.
FILTER_LABELS = {
    "provider": dict(PROVIDER_LABELS),
    "reason": {str(k.value): v for k, v in REASON_LABELS.items()},
    "status": {k: v for k, v in STATUS_LABELS.items() if k != "closed"},
}


def _deadline_rule(*states: str) -> str:
    tests = " || ".join(f"params.data.deadline_state === '{s}'" for s in states)
    return f"params.data != null && ({tests})"


_TEXT_FILTER = {"filter": "agTextColumnFilter", "floatingFilter": True,
                "filterParams": {"filterOptions": ["contains", "notContains", "equals", "startsWith"],
                                 "debounceMs": 400, "maxNumConditions": 1, "buttons": ["reset"]}}

COLUMN_DEFS = [
    {"field": "id", "headerName": "Case", "pinned": "left", "minWidth": 190, **_TEXT_FILTER,
     "cellClass": ["font-monospace", "text-primary", "text-decoration-underline"],
     "cellStyle": {"cursor": "pointer"}, "headerTooltip": "Click a case to open it"},
    {"field": "company", "headerName": "Company", "minWidth": 150, **_TEXT_FILTER},
    {"field": "customer", "headerName": "Customer", "minWidth": 150, "tooltipField": "customer_email", **_TEXT_FILTER},
    {"field": "amount", "headerName": "Amount", "type": "rightAligned", "minWidth": 110},
    {"field": "provider", "headerName": "Provider", "minWidth": 110, **_TEXT_FILTER},
    {"field": "reason", "headerName": "Reason", "minWidth": 170, **_TEXT_FILTER},
    {"field": "status", "headerName": "Status", "minWidth": 200, **_TEXT_FILTER,
     "cellClassRules": {"fw-semibold": "params.data != null && params.data.escalated_open === true"}},
    {"field": "waiting", "headerName": "Waiting", "minWidth": 100, "tooltipField": "waiting_since",
     "headerTooltip": "Since the case came to whoever it now waits on"},
    {"field": "deadline", "headerName": "Deadline", "minWidth": 240,
     "headerTooltip": "Red: overdue. Amber: due within 24 hours.",
     "cellClassRules": {
         "bg-danger-subtle": _deadline_rule("overdue"),
         "text-danger-emphasis": _deadline_rule("overdue"),
         "bg-warning-subtle": _deadline_rule("soon"),
         "text-warning-emphasis": _deadline_rule("soon"),
         "fw-semibold": _deadline_rule("overdue", "soon"),
         "text-muted": _deadline_rule("none"),
     }},
    {"field": "assignee", "headerName": "Assignee", "minWidth": 140,
     "cellClassRules": {"text-muted": "params.data != null && params.data.assignee_id == null",
                        "fw-semibold": "params.data != null && params.data.assigned_to_me === true"}},
]


def queue_grid(grid_id: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=COLUMN_DEFS,
        defaultColDef={"sortable": True, "resizable": True, "filter": False, "suppressHeaderMenuButton": True,
                       "flex": 1},
        rowModelType="infinite",
        getRowId="params.data.id",
        dashGridOptions={
            "cacheBlockSize": BLOCK_SIZE,
            "maxBlocksInCache": 20,
            # dash-ag-grid answers one request at a time; a second in flight would be lost.
            "maxConcurrentDatasourceRequests": 1,
            "infiniteInitialRowCount": 1,
            "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True},
            "tooltipShowDelay": 400,
            "rowHeight": 38,
            "animateRows": False,
        },
        style={"height": "calc(100vh - 330px)", "minHeight": "420px"},
    )


def status_text(*, stage: str, status: str, escalated: bool) -> str:
    label = STAGE_LABELS.get(stage) or STATUS_LABELS.get(status, status)
    if escalated and status in ("awaiting_merchant", "awaiting_customer"):
        return f"{label} · Escalated"
    return label


def deadline_text(due: Optional[dt.datetime], now: dt.datetime, zone: ZoneInfo) -> str:
    if due is None:
        return "—"
    left = due - now
    when = local_time(due, zone=zone)
    if left.total_seconds() <= 0:
        return f"{when} · overdue {duration(-left)}"
    return f"{when} · in {duration(left)}"


def grid_row(row, *, now: dt.datetime, zone: ZoneInfo, viewer_id: str) -> dict:
    """One `data.read.queue.QueueRow` as the grid's row data (display strings + flags)."""
    mine = row.assignee_id is not None and row.assignee_id == viewer_id
    return {
        "id": row.id,
        "company": row.company_name,
        "customer": row.customer_name,
        "customer_email": row.customer_email,
        "amount": money(row.amount_minor, row.currency),
        "provider": PROVIDER_LABELS.get(row.provider, row.provider),
        "reason": reason_label(row.reason),
        "status": status_text(stage=row.stage, status=row.status, escalated=row.escalated),
        "escalated_open": bool(row.escalated and row.status in ("awaiting_merchant", "awaiting_customer")),
        "waiting": duration(max(now - row.waiting_since, dt.timedelta(0))),
        "waiting_since": "Since " + local_time(row.waiting_since, zone=zone),
        "deadline": deadline_text(row.response_due_at, now, zone),
        "deadline_state": deadline_state(row.response_due_at, now),
        "assignee_id": row.assignee_id,
        "assignee": ("You" if mine else row.assignee_name) if row.assignee_id else "Unassigned",
        "assigned_to_me": mine,
    }


def tab_label(tab: str, count: Optional[int]) -> str:
    return TAB_LABELS[tab] if count is None else f"{TAB_LABELS[tab]} ({count})"
