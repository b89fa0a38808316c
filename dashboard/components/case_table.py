"""A compact list of cases (or payments) as a small Bootstrap table, and the cells such
lists share: a link to the case, status and outcome badges, a deadline with the time
left coloured as it nears. No queries: callers hand in values they already read."""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import palette
from dashboard.components.format import (
    OUTCOME_LABELS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_TEXT,
    deadline_state,
    duration,
    local_time,
    viewer_zone,
)

DEADLINE_CLASSES = {"overdue": "text-danger fw-semibold", "soon": "text-warning-emphasis fw-semibold",
                    "ok": "text-body", "none": "text-muted"}
DEADLINE_ICONS = {"overdue": "bi-exclamation-octagon-fill", "soon": "bi-hourglass-split", "ok": "bi-clock"}
OUTCOME_COLORS = palette.OUTCOME_COLORS  # the metrics charts and the company page use the same set


def case_link(case_id: str, label: Optional[str] = None) -> dcc.Link:
    return dcc.Link(label or case_id, href=f"/cases/{case_id}", className="font-monospace small")


def status_badge(status: str, escalated: bool = False) -> html.Span:
    color = STATUS_COLORS.get(status, "secondary")
    parts = [dbc.Badge(STATUS_LABELS.get(status, status), color=color, text_color=STATUS_TEXT.get(color, "white"),
                       className="me-1")]
    if escalated and status != "closed":
        parts.append(dbc.Badge([html.I(className="bi bi-arrow-up-right me-1"), "Platform"], color="light",
                               text_color="dark", className="border", title="The platform is involved"))
    return html.Span(parts)


def outcome_badge(outcome: Optional[str]) -> html.Span:
    if not outcome:
        return html.Span("—", className="text-muted")
    return dbc.Badge(OUTCOME_LABELS.get(outcome, outcome), color=OUTCOME_COLORS.get(outcome, "#5c636a"),
                     text_color="white", pill=True)


def state_badges(status: str, outcome: Optional[str], escalated: bool = False) -> html.Span:
    """The status, and the outcome only once the case is closed: an open case's outcome
    column can hold an earlier result still under appeal (a denial the customer appealed
    reads merchant_won while the platform reviews it), which is no result yet."""
    return html.Span([status_badge(status, escalated),
                      outcome_badge(outcome) if status == "closed" and outcome else None])


def time_left(due: Optional[dt.datetime], now: dt.datetime) -> str:
    if due is None:
        return ""
    left = due - now
    if left.total_seconds() <= 0:
        return f"overdue by {duration(-left)}"
    return f"{duration(left)} left"


def local_date(value: Optional[dt.datetime], zone=None) -> str:
    """'12 Mar 2026' in the viewer's zone (a date needs no zone name)."""
    if value is None:
        return "—"
    return value.astimezone(zone or viewer_zone()).strftime("%d %b %Y")


def deadline(due: Optional[dt.datetime], now: dt.datetime, *, prefix: str = "", zone=None,
             fmt: str = "%d %b, %H:%M") -> html.Span:
    """'Reply by 12 Mar, 09:00 UTC' over '2d 3h left', coloured overdue / soon / ok."""
    state = deadline_state(due, now)
    if due is None:
        return html.Span("—", className=DEADLINE_CLASSES["none"])
    return html.Span([
        html.Span([html.I(className=f"bi {DEADLINE_ICONS[state]} me-1"), f"{prefix}{local_time(due, fmt=fmt, zone=zone)}"],
                  className="text-nowrap"),
        html.Div(time_left(due, now), className="small"),
    ], className=DEADLINE_CLASSES[state], title=local_time(due, zone=zone), **{"data-deadline": state})


def case_table(headers: Sequence[str], rows: Iterable[Sequence], *, table_id: str, empty=None,
               row_ids: Optional[Sequence[str]] = None, label: Optional[str] = None) -> html.Div:
    """A small striped table; `rows` are sequences of cells (strings or components).

    `empty` (a component, e.g. `shell.empty_state(...)`) shows instead when there are no rows.
    `label` names the table's scrolling region for screen readers (default: its first columns)."""
    rows = list(rows)
    if not rows and empty is not None:
        return html.Div(empty, id=table_id)
    body = []
    for i, row in enumerate(rows):
        attrs = {"data-row": row_ids[i]} if row_ids else {}
        # data-label: the column's name, shown above each value where the table reads as cards (phones).
        body.append(html.Tr([html.Td(cell, className="align-middle", **({"data-label": h} if h else {}))
                             for h, cell in zip(list(headers) + [""] * (len(row) - len(headers)), row)], **attrs))
    return html.Div(scroll_region(dbc.Table([
        html.Thead(html.Tr([html.Th(h, className="text-muted small fw-semibold") for h in headers])),
        html.Tbody(body),
    ], size="sm", hover=True, className="mb-0 rc-card-table"), label=label or "Table of " + ", ".join(headers[:3])),
        id=table_id)


def scroll_region(table, label: str = "Table") -> html.Div:
    """Bootstrap's `.table-responsive` box, reachable by keyboard (a box that may scroll
    sideways must take focus, or keyboard users cannot scroll it: axe scrollable-region-focusable)."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": label})


def pager_text(offset: int, shown: int, total: int, noun: str = "items") -> str:
    if not total:
        return ""
    return f"{offset + 1}–{offset + shown} of {total} {noun}"


__all__ = ["local_date", "case_link", "status_badge", "outcome_badge", "state_badges", "time_left", "deadline", "case_table", "pager_text",
           "scroll_region"]
