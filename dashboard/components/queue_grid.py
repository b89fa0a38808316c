"""The reviewer queue's grid: column definitions, grid options, and how one queue row
reads on screen. No queries: callers hand in rows they already read."""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence
from zoneinfo import ZoneInfo

import dash_ag_grid as dag

from dashboard import sla
from dashboard.components.format import (
    OUTCOME_LABELS,
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
TAB_LABELS = {"escalated": "Escalated", "appealed": "Appealed", "open": "Open", "mine": "Mine",
              "closed": "Closed", "all": "All"}
TAB_HINTS = {
    "escalated": "Under review by the platform, first instance — including appealed merchant denials.",
    "appealed": "Appealed platform decisions awaiting a final review by a different reviewer.",
    "open": "Waiting on the customer or the merchant. For monitoring; escalated cases are marked.",
    "mine": "Cases assigned to you that are not closed.",
    "closed": "Closed cases, the most recently closed first. Open one to read its decision and timeline.",
    "all": "Every case, open and closed, the newest first.",
}
# The grid's own overlay is the empty state: it sits where the rows would be.
EMPTY_TEXT = {"noRowsToShow": "Nothing here right now. Try another tab, or \u201cAnyone\u201d under Assigned to.",
              "noMatchingRows": "No cases match these filters. Clear a filter to see more."}
STAGE_LABELS = {"under_review": "Under review", "final_review": "Final review"}

# What the enum-like columns' text filters match, besides the stored value.
FILTER_LABELS = {
    "provider": dict(PROVIDER_LABELS),
    "reason": {str(k.value): v for k, v in REASON_LABELS.items()},
    "status": dict(STATUS_LABELS),
}


def _deadline_rule(*states: str) -> str:
    tests = " || ".join(f"params.data.deadline_state === '{s}'" for s in states)
    return f"params.data != null && ({tests})"


_TEXT_FILTER = {"filter": "agTextColumnFilter", "floatingFilter": True,
                "filterParams": {"filterOptions": ["contains", "notContains", "equals", "startsWith"],
                                 "debounceMs": 400, "maxNumConditions": 1, "buttons": ["reset"]}}

# Long values wrap onto a second line of the row instead of being cut off (38 px holds two).
_WRAP = {"wrapText": True, "cellClass": "rc-wrap"}

# At 1280 px the grid shows about 1194 px: the widths below (with the 44 px tick box) add up
# to that, so every column shows without scrolling sideways. Who holds a case sits next to
# its id; the id is 21 monospace characters at 12 px.
COLUMN_DEFS = [
    {"field": "id", "headerName": "Case", "pinned": "left", "width": 178, "flex": 0, **_TEXT_FILTER,
     "cellClass": ["font-monospace", "text-primary", "text-decoration-underline"],
     "cellStyle": {"cursor": "pointer", "fontSize": "12px"}, "headerTooltip": "Click a case to open it"},
    {"field": "assignee", "headerName": "Assignee", "width": 104, "flex": 0, "tooltipField": "assignee", **_WRAP,
     "cellClassRules": {"text-muted": "params.data != null && params.data.assignee_id == null",
                        "fw-semibold": "params.data != null && params.data.assigned_to_me === true"}},
    {"field": "company", "headerName": "Company", "minWidth": 84, "tooltipField": "company", **_WRAP, **_TEXT_FILTER},
    {"field": "customer", "headerName": "Customer", "minWidth": 84, "tooltipField": "customer_email", **_WRAP,
     **_TEXT_FILTER},
    {"field": "amount", "headerName": "Amount", "type": "rightAligned", "width": 84, "flex": 0},
    {"field": "provider", "headerName": "Provider", "width": 76, "flex": 0, **_TEXT_FILTER},
    {"field": "reason", "headerName": "Reason", "width": 118, "flex": 0, "tooltipField": "reason", **_WRAP,
     **_TEXT_FILTER},
    {"field": "status", "headerName": "Status", "width": 136, "flex": 0, **_WRAP, **_TEXT_FILTER,
     "cellClassRules": {"text-primary-emphasis": "params.data != null && params.data.escalated_open === true"}},
    {"field": "waiting", "headerName": "Waiting", "width": 68, "flex": 0, "tooltipField": "waiting_since",
     "headerTooltip": "Since the case came to whoever it now waits on"},
    {"field": "deadline", "headerName": "Deadline", "width": 144, "flex": 0, "tooltipField": "deadline_full", **_WRAP,
     "headerTooltip": "A party's deadline, or when the platform should decide (\u201cDecide by\u201d). "
                      "Red: missed. Amber: due soon.",
     "cellClassRules": {
         "bg-danger-subtle": _deadline_rule("overdue"),
         "text-danger-emphasis": _deadline_rule("overdue"),
         "bg-warning-subtle": _deadline_rule("soon"),
         "text-warning-emphasis": _deadline_rule("soon"),
         "text-muted": _deadline_rule("none"),
     }},
    {"field": "created", "headerName": "Opened", "width": 72, "flex": 0, "tooltipField": "created_full"},
]


# The phone card (components/phone.py QUEUE_COLUMN_DEFS shows it below 576 px).
def card_text(row: dict) -> str:
    """The phone card of one grid row: id; company and amount; status; deadline (a party's
    "Due …", the platform's "Decide by …", or when it closed) and assignee."""
    deadline = row["deadline"]
    if deadline != "—" and not deadline.startswith(("Decide by", "Closed")):
        deadline = f"Due {deadline}"
    return "\n".join([
        row["id"],
        f"{row['company']} · {row['amount']} · {row['reason']}",
        row["status"],
        f"{deadline} · {row['assignee']}" if deadline != "—" else row["assignee"],
    ])


def column_defs(sort: Sequence[Sequence[str]] = ()) -> list[dict]:
    """The columns, with a view's sort on them (`[(column id, "asc"|"desc"), ...]`), so the
    grid's first request already carries it."""
    order = {col: (i, direction) for i, (col, direction) in enumerate(sort)}
    out = []
    for col in COLUMN_DEFS:
        col = dict(col)
        if col["field"] in order:
            col["sortIndex"], col["sort"] = order[col["field"]]
        out.append(col)
    return out


def queue_grid(grid_id: str, *, sort: Sequence[Sequence[str]] = (), filter_model: Optional[dict] = None
               ) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs(sort),
        filterModel=filter_model or {},
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
            "rowSelection": {"mode": "multiRow", "checkboxes": True, "enableClickSelection": False},
            "selectionColumnDef": {"pinned": "left", "width": 44, "maxWidth": 44, "suppressHeaderMenuButton": True},
            "theme": {"function": "themeQuartz.withParams({fontSize: 13, headerFontSize: 13, spacing: 6})"},
            "tooltipShowDelay": 400,
            "rowHeight": 38,
            "animateRows": False,
            "localeText": EMPTY_TEXT,
        },
        style={"height": "calc(100vh - 330px)", "minHeight": "420px"},
    )


def status_text(*, stage: str, status: str, escalated: bool) -> str:
    label = STAGE_LABELS.get(stage) or STATUS_LABELS.get(status, status)
    if escalated and status in ("awaiting_merchant", "awaiting_customer"):
        return f"{label} · Escalated"
    return label


def _coarse(delta: dt.timedelta) -> str:
    """'2d 5h', '14h', '35m': precise enough to act on, short enough for a cell."""
    text = duration(delta)
    return text.split(" ")[0] if text.endswith("m") and "h" in text else text


def deadline_text(due: Optional[dt.datetime], now: dt.datetime, zone: ZoneInfo) -> str:
    """'26 Nov 12:52 (in 14h)' / '25 Nov 09:00 (2h late)' in the viewer's zone."""
    if due is None:
        return "—"
    left = due - now
    when = due.astimezone(zone).strftime("%d %b %H:%M")
    if left.total_seconds() <= 0:
        return f"{when} ({_coarse(-left)} late)"
    return f"{when} (in {_coarse(left)})"


def deadline_full(due: Optional[dt.datetime], now: dt.datetime, zone: ZoneInfo) -> str:
    if due is None:
        return "No deadline: the platform has the case."
    left = due - now
    relative = f"overdue by {duration(-left)}" if left.total_seconds() <= 0 else f"{duration(left)} left"
    return f"Due {local_time(due, zone=zone)} — {relative}"


# The colour rules read deadline_state: the SLA's states map onto the deadline's colours.
_SLA_COLOUR = {sla.OK: "ok", sla.SOON: "soon", sla.MISSED: "overdue"}


def decide_by_text(target: sla.Target, now: dt.datetime, zone: ZoneInfo) -> str:
    """'Decide by 26 Nov 12:52 (in 14h)' / '… (2h late)' in the viewer's zone."""
    return f"Decide by {deadline_text(target.decide_by, now, zone)}"


def decide_by_full(target: sla.Target, now: dt.datetime, zone: ZoneInfo, final: bool) -> str:
    left = target.decide_by - now
    relative = f"missed by {duration(-left)}" if left.total_seconds() <= 0 else f"{duration(left)} left"
    which = "final review" if final else "review"
    return (f"Platform target: decide by {local_time(target.decide_by, zone=zone)} — {relative} "
            f"({target.hours} h {which} target from {local_time(target.started_at, zone=zone)})")


def opened_text(created: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    """'22 Nov' this year, 'Nov 2025' before (the tooltip has the full moment)."""
    local = created.astimezone(zone)
    return local.strftime("%d %b") if local.year == now.astimezone(zone).year else local.strftime("%b %Y")


def _deadline_cells(row, *, now: dt.datetime, zone: ZoneInfo, settings) -> dict:
    if row.status == "closed":
        when = row.closed_at
        return {"deadline": f"Closed {when.astimezone(zone).strftime('%d %b %Y')}" if when else "Closed",
                "deadline_full": f"Closed {local_time(when, zone=zone)}" if when else "Closed",
                "deadline_state": "none"}
    target = sla.target(row, settings) if settings is not None else None
    if target is not None:
        return {"deadline": decide_by_text(target, now, zone),
                "deadline_full": decide_by_full(target, now, zone, row.stage == "final_review"),
                "deadline_state": _SLA_COLOUR[target.state(now, settings.sla_warning_hours)]}
    return {"deadline": deadline_text(row.response_due_at, now, zone),
            "deadline_full": deadline_full(row.response_due_at, now, zone),
            "deadline_state": deadline_state(row.response_due_at, now)}


def grid_row(row, *, now: dt.datetime, zone: ZoneInfo, viewer_id: str, settings=None) -> dict:
    """One `data.read.queue.QueueRow` as the grid's row data (display strings + flags).
    `settings` carries the platform's SLA targets: with them, a case the platform is
    deciding shows "Decide by …" (dashboard.sla) where a party's deadline would be."""
    mine = row.assignee_id is not None and row.assignee_id == viewer_id
    closed = row.status == "closed"
    status = status_text(stage=row.stage, status=row.status, escalated=row.escalated)
    if closed and row.outcome:
        status = f"{status} · {OUTCOME_LABELS.get(row.outcome, row.outcome)}"
    data = {
        "id": row.id,
        "company": row.company_name,
        "customer": row.customer_name,
        "customer_email": row.customer_email,
        "amount": money(row.amount_minor, row.currency),
        "provider": PROVIDER_LABELS.get(row.provider, row.provider),
        "reason": reason_label(row.reason),
        "status": status,
        "escalated_open": bool(row.escalated and row.status in ("awaiting_merchant", "awaiting_customer")),
        # A closed case waits on nobody.
        "waiting": "—" if closed else duration(max(now - row.waiting_since, dt.timedelta(0))),
        "waiting_since": "Closed: waiting on nobody" if closed else "Since " + local_time(row.waiting_since, zone=zone),
        **_deadline_cells(row, now=now, zone=zone, settings=settings),
        "created": opened_text(row.created_at, now, zone),
        "created_full": "Opened " + local_time(row.created_at, zone=zone),
        "assignee_id": row.assignee_id,
        "assignee": ("You" if mine else row.assignee_name) if row.assignee_id else "Unassigned",
        "assigned_to_me": mine,
    }
    data["card"] = card_text(data)
    return data


def tab_label(tab: str, count: Optional[int]) -> str:
    return TAB_LABELS[tab] if count is None else f"{TAB_LABELS[tab]} ({count:,})"
