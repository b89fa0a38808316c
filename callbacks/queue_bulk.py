"""What can be done to the queue's selected cases (`components/queue_toolbar.py`): claim,
and for managers assign. Every callback re-reads the user from the session; case ids
from the browser are only handed to the domain, which checks them again."""
from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, html, no_update

from callbacks._session import acting_user
from dashboard.cases import review
from dashboard.components.ids import QueueIds
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.permissions import is_staff
from data.read import queue as queue_read

CASE_ID = re.compile(r"^reso_[A-Za-z0-9]{1,40}$")
UNASSIGN = "__unassign__"
HIDDEN = {"display": "none"}


def _alert(message: str, color: str = "warning", icon: str = "exclamation-triangle") -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2"), message], color=color, dismissable=True,
                     className="py-2 small", duration=8000 if color == "success" else None)


@callback(
    Output(QueueIds.ASSIGN_CONTROLS, "style"), Output(QueueIds.ASSIGN_REVIEWER, "options"),
    Input(QueueIds.LOAD, "data"),
)
def assign_menu(_load):
    """Managers get the assign menu; everyone else none (the server refuses them anyway)."""
    with acting_user() as (ctx, user):
        if user is None or user.role != Role.MANAGER:
            return HIDDEN, []
        options = [{"label": f"{name} ({role})" + (" — you" if uid == user.id else ""), "value": uid}
                   for uid, name, role in queue_read.staff_choices(ctx.session)]
        options.append({"label": "Nobody (back to the queue)", "value": UNASSIGN})
        return {"display": "flex"}, options


def _selected_case_id(selected) -> str | None:
    if isinstance(selected, list) and selected and isinstance(selected[0], dict):
        value = selected[0].get("id")
        if isinstance(value, str) and CASE_ID.match(value):
            return value
    return None


@callback(
    Output(QueueIds.FEEDBACK, "children", allow_duplicate=True), Output(QueueIds.REFRESH, "data", allow_duplicate=True),
    Input(QueueIds.CLAIM, "n_clicks"), State(QueueIds.GRID, "selectedRows"), State(QueueIds.REFRESH, "data"),
    prevent_initial_call=True,
)
def claim_case(_clicks, selected, bump):
    case_id = _selected_case_id(selected)
    if case_id is None:
        return _alert("Select a case in the list first.", "info", "info-circle"), no_update
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user):
                return _alert("Only the platform's reviewers and managers can claim cases."), no_update
            review.claim(ctx, actor=user, case_id=case_id)
    except DomainError as exc:
        # Refresh anyway: the conflict usually means the list is out of date.
        return _alert(f"Could not claim {case_id}: {exc.message}"), (bump or 0) + 1
    return _alert(f"{case_id} is yours now; you will find it under Mine.", "success", "check-circle"), (bump or 0) + 1


@callback(
    Output(QueueIds.FEEDBACK, "children", allow_duplicate=True), Output(QueueIds.REFRESH, "data", allow_duplicate=True),
    Input(QueueIds.ASSIGN, "n_clicks"), State(QueueIds.GRID, "selectedRows"), State(QueueIds.ASSIGN_REVIEWER, "value"),
    State(QueueIds.REFRESH, "data"),
    prevent_initial_call=True,
)
def assign_case(_clicks, selected, reviewer_id, bump):
    case_id = _selected_case_id(selected)
    if case_id is None:
        return _alert("Select a case in the list first.", "info", "info-circle"), no_update
    if not reviewer_id:
        return _alert("Choose whom to assign it to.", "info", "info-circle"), no_update
    try:
        with acting_user() as (ctx, user):
            if user.role != Role.MANAGER:
                return _alert("Only managers can assign cases to other reviewers."), no_update
            case = review.assign(ctx, actor=user, case_id=case_id,
                                 reviewer_id=None if reviewer_id == UNASSIGN else str(reviewer_id)).case
            who = case.assignee.name if case.assignee is not None else None
    except DomainError as exc:
        return _alert(f"Could not assign {case_id}: {exc.message}"), (bump or 0) + 1
    text = f"{case_id} is now assigned to {who}." if who else f"{case_id} is back in the queue, unassigned."
    return _alert(text, "success", "check-circle"), (bump or 0) + 1


clientside_callback(
    """
    function(selected) {
        const row = (selected && selected.length) ? selected[0] : null;
        const none = row === null;
        return [none, none, none ? "" : "Selected: " + row.id];
    }
    """,
    Output(QueueIds.CLAIM, "disabled"), Output(QueueIds.ASSIGN, "disabled"), Output(QueueIds.SELECTED, "children"),
    Input(QueueIds.GRID, "selectedRows"),
)
