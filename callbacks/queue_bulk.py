"""What can be done to the queue's selected cases (`components/queue_toolbar.py`): claim,
add one internal note to each, and for managers assign.

Every callback re-reads the user from the session; case ids from the browser are only
handed to the domain (`dashboard.cases.bulk`), which runs each case in its own
transaction through the single-case action and answers one outcome per case. The
answer is a summary naming every case that was not changed, with why; afterwards the
grid reloads (REFRESH) and the selection is cleared, so Claim is not left offered on
rows that are now yours."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from callbacks._session import acting_user, runtime
from data.models import User
from data.read.workload import StaffLoad, Workload, staff_workload
from dashboard.cases import bulk
from dashboard.cases.bulk import MAX_CASES, CaseOutcome, Result
from dashboard.components.format import local_time, viewer_zone
from dashboard.components.ids import QueueIds
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.permissions import is_staff

CASE_ID = re.compile(r"^reso_[A-Za-z0-9]{1,40}$")
UNASSIGN = "__unassign__"
HIDDEN = {"display": "none"}
# What a bulk callback answers besides its summary: refresh the grid, clear the selection.
_ACTED = (Output(QueueIds.FEEDBACK, "children", allow_duplicate=True),
          Output(QueueIds.REFRESH, "data", allow_duplicate=True),
          Output(QueueIds.GRID, "deselectAll", allow_duplicate=True))


def _alert(message: str, color: str = "warning", icon: str = "exclamation-triangle", *, details=()) -> dbc.Alert:
    """`message` on the first line after the icon; `details` (components) below it. A
    summary that names refused cases stays until dismissed; a plain success fades."""
    head = [html.I(className=f"bi bi-{icon} me-2", **{"aria-hidden": "true"}), message]
    children = [html.Div(head, className="fw-semibold"), *details] if details else head
    return dbc.Alert(children, color=color, dismissable=True, className="py-2 small",
                     duration=8000 if color == "success" else None)


# ------------------------------------------------------------------ the assign menu
def load_text(load: Workload) -> str:
    """'7 open (3 escalated, 1 appeal)' / 'no open cases'."""
    if not load.open:
        return "no open cases"
    parts = [f"{load.escalated} escalated"] if load.escalated else []
    if load.appeals:
        parts.append(f"{load.appeals} appeal" + ("s" if load.appeals != 1 else ""))
    return f"{load.open} open" + (f" ({', '.join(parts)})" if parts else "")


def staff_option(person: StaffLoad, viewer_id: str, default_capacity: int) -> dict:
    who = person.name + (" (you)" if person.user_id == viewer_id else "")
    if person.role == Role.MANAGER:
        who += ", manager"
    duty = " · on duty" if person.on_duty else ""
    # A manager handing out cases should see who is already past what they can take.
    capacity = person.capacity if person.capacity is not None else default_capacity
    if person.load.open > capacity:
        duty += f" · over capacity ({capacity})"
    return {"label": f"{who} — {load_text(person.load)}{duty}", "value": person.user_id}


@callback(
    Output(QueueIds.ASSIGN_CONTROLS, "style"), Output(QueueIds.ASSIGN_REVIEWER, "options"),
    Input(QueueIds.LOAD, "data"), Input(QueueIds.REFRESH, "data"),
)
def assign_menu(_load, _bump=None):
    """Managers get the assign menu, each person with their open cases (re-read after every
    bulk action); everyone else none (the server refuses them anyway)."""
    with acting_user() as (ctx, user):
        if user is None or user.role != Role.MANAGER:
            return HIDDEN, []
        options = [staff_option(p, user.id, ctx.settings.auto_assign_capacity) for p in staff_workload(ctx.session)]
    options.append({"label": "Nobody (back to the queue)", "value": UNASSIGN})
    return {"display": "flex"}, options


# ------------------------------------------------------------------ the selection
def selected_ids(selected) -> list[str] | None:
    """The case ids of the grid's selected rows, or None when there are none or any of
    them is not a case id (the grid never sends such rows: nothing is done then)."""
    if not isinstance(selected, list) or not selected:
        return None
    ids = [row.get("id") if isinstance(row, dict) else None for row in selected]
    if not all(isinstance(i, str) and CASE_ID.match(i) for i in ids):
        return None
    return ids


NO_SELECTION = "Select cases in the list first (tick the box at the start of each row)."


def _too_many(ids: list[str]) -> str | None:
    n = len(set(ids))
    if n > MAX_CASES:
        return (f"You selected {n} cases; at most {MAX_CASES} can be changed at once. "
                f"Unselect {n - MAX_CASES} and try again.")
    return None


# ------------------------------------------------------------------ the summary
def _when(at: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> str:
    same_day = at.astimezone(zone).date() == now.astimezone(zone).date()
    return local_time(at, fmt="%H:%M" if same_day else "%d %b, %H:%M", zone=zone)


def why_not(o: CaseOutcome, *, now: dt.datetime, zone: ZoneInfo) -> str:
    if o.holder:
        since = f" since {_when(o.holder_since, now, zone)}" if o.holder_since else ""
        return f"already assigned to {o.holder}{since}; a manager can reassign it with Assign."
    return o.reason or "it could not be changed."


def summary(headline: str, outcomes: list[CaseOutcome], *, unchanged: str | None = None,
            not_done: str = "Not changed") -> dbc.Alert:
    """One alert: what happened, then every case not changed by id and why, each a link."""
    grouped = bulk.by_result(outcomes)
    now, zone = runtime().now(), viewer_zone()
    body: list = []
    if grouped[Result.UNCHANGED] and unchanged:
        body.append(html.Div(unchanged.format(n=len(grouped[Result.UNCHANGED]),
                                              were="was" if len(grouped[Result.UNCHANGED]) == 1 else "were")))
    refused = grouped[Result.REFUSED]
    if refused:
        body += [html.Div(f"{not_done} ({len(refused)}):", className="mt-1"),
                 html.Ul([html.Li([dcc.Link(o.case_id, href=f"/cases/{o.case_id}", className="font-monospace"),
                                   ": ", why_not(o, now=now, zone=zone)]) for o in refused], className="mb-0 ps-3")]
    skipped = grouped[Result.NOT_TRIED]
    if skipped:
        body.append(html.Div(f"Not tried ({len(skipped)}), for the same reason: "
                             + ", ".join(o.case_id for o in skipped) + ". Nothing was done to them.", className="mt-1"))
    if refused or skipped:
        return _alert(headline, details=body)
    return _alert(headline, "success", "check-circle", details=body)


def _stopped_at_once(outcomes: list[CaseOutcome]) -> str | None:
    """The batch stopped on its first case for a reason about the request (the person,
    the reviewer chosen, the note): one sentence says it; no case was changed."""
    first = outcomes[0]
    if first.result == Result.REFUSED and first.code in bulk.STOPS_THE_BATCH:
        return first.reason
    return None


def _of(done: int, total: int) -> str:
    if done == 0:
        return f"none of the {total}"
    return f"all {total}" if done == total else f"{done} of {total}"


def _single(outcomes: list[CaseOutcome], *, done: str, unchanged: str, refused: str) -> str | None:
    """The headline for a selection of one case (None for more)."""
    if len(outcomes) != 1:
        return None
    o = outcomes[0]
    text = {Result.DONE: done, Result.UNCHANGED: unchanged}.get(o.result, refused)
    return text.format(id=o.case_id)


def _bump(bump) -> int:
    return (bump if isinstance(bump, int) else 0) + 1


# ------------------------------------------------------------------ claim
@callback(
    *_ACTED,
    Input(QueueIds.CLAIM, "n_clicks"), State(QueueIds.GRID, "selectedRows"), State(QueueIds.REFRESH, "data"),
    prevent_initial_call=True,
)
def claim_selected(_clicks, selected, bump):
    ids = selected_ids(selected)
    if ids is None:
        return _alert(NO_SELECTION, "info", "info-circle"), no_update, no_update
    if too_many := _too_many(ids):
        return _alert(too_many), no_update, no_update
    with acting_user() as (_ctx, user):
        if not is_staff(user):
            return _alert("Only the platform's reviewers and managers can claim cases."), no_update, no_update
    outcomes = bulk.claim_each(acting_user, ids)
    if stopped := _stopped_at_once(outcomes):
        return _alert(stopped), no_update, no_update
    done, total = sum(o.done for o in outcomes), len(outcomes)
    headline = _single(outcomes, done="{id} is yours now; you will find it under Mine.",
                       unchanged="{id} was already yours; nothing changed.", refused="Could not claim {id}.") or (
        f"Claimed {_of(done, total)}." + (" You will find them under Mine." if done else ""))
    unchanged = None if total == 1 else "{n} {were} already yours."
    # Refresh whatever happened: a refusal usually means the list was out of date.
    return summary(headline, outcomes, unchanged=unchanged, not_done="Not claimed"), _bump(bump), True


# ------------------------------------------------------------------ assign
@callback(
    *_ACTED,
    Input(QueueIds.ASSIGN, "n_clicks"), State(QueueIds.GRID, "selectedRows"), State(QueueIds.ASSIGN_REVIEWER, "value"),
    State(QueueIds.REFRESH, "data"),
    prevent_initial_call=True,
)
def assign_selected(_clicks, selected, reviewer_id, bump):
    ids = selected_ids(selected)
    if ids is None:
        return _alert(NO_SELECTION, "info", "info-circle"), no_update, no_update
    if not reviewer_id or not isinstance(reviewer_id, str):
        return _alert("Choose whom to assign them to, in the menu beside Assign.", "info", "info-circle"), \
            no_update, no_update
    if too_many := _too_many(ids):
        return _alert(too_many), no_update, no_update
    target = None if reviewer_id == UNASSIGN else reviewer_id
    with acting_user() as (ctx, user):
        if user.role != Role.MANAGER:
            return _alert("Only managers can assign cases to other reviewers."), no_update, no_update
        person = ctx.session.get(User, target) if target else None
        name = person.name if person is not None else None
    outcomes = bulk.assign_each(acting_user, ids, reviewer_id=target)
    if stopped := _stopped_at_once(outcomes):
        return _alert(stopped), no_update, no_update
    done, total = sum(o.done for o in outcomes), len(outcomes)
    if target is None:
        headline = _single(outcomes, done="{id} is back in the queue, unassigned.",
                           unchanged="{id} was already unassigned; nothing changed.",
                           refused="Could not return {id} to the queue.") or (
            f"Returned {_of(done, total)} to the queue, unassigned.")
        unchanged = None if total == 1 else "{n} {were} already unassigned."
    else:
        headline = _single(outcomes, done="{id} is now assigned to " + f"{name}.",
                           unchanged="{id} was already " + f"{name}'s; nothing changed.",
                           refused="Could not assign {id}.") or f"Assigned {_of(done, total)} to {name}."
        unchanged = None if total == 1 else "{n} {were} already " + f"{name}'s."
    return summary(headline, outcomes, unchanged=unchanged, not_done="Not assigned"), _bump(bump), True


# ------------------------------------------------------------------ note
@callback(
    *_ACTED,
    Output(QueueIds.NOTE_DIALOG, "is_open", allow_duplicate=True), Output(QueueIds.NOTE_TEXT, "value"),
    Output(QueueIds.NOTE_ERROR, "children"), Output(QueueIds.NOTE_TEXT, "invalid"),
    Input(QueueIds.NOTE_SUBMIT, "n_clicks"), State(QueueIds.GRID, "selectedRows"), State(QueueIds.NOTE_TEXT, "value"),
    State(QueueIds.REFRESH, "data"),
    prevent_initial_call=True,
)
def note_selected(_clicks, selected, text, bump):
    """The dialog stays open, the text kept, when the note itself is refused (said under
    it); it closes, emptied, once the note is on the cases."""

    def field_error(message: str):
        return no_update, no_update, no_update, no_update, no_update, message, True

    def refused(alert):  # nothing done: the dialog closes, the note is kept for another try
        return alert, no_update, no_update, False, no_update, "", False

    ids = selected_ids(selected)
    if ids is None:
        return refused(_alert(NO_SELECTION, "info", "info-circle"))
    if too_many := _too_many(ids):
        return refused(_alert(too_many))
    if not isinstance(text, str) or not text.strip():
        return field_error("Write the note first; it is required.")
    with acting_user() as (_ctx, user):
        if not is_staff(user):
            return refused(_alert("Only the platform's reviewers and managers can add internal notes."))
    outcomes = bulk.note_each(acting_user, ids, message=text)
    if stopped := _stopped_at_once(outcomes):
        return field_error(stopped)
    done, total = sum(o.done for o in outcomes), len(outcomes)
    headline = _single(outcomes, done="Added the note to {id}.", unchanged="", refused="Could not add the note to {id}.") \
        or f"Added the note to {_of(done, total)} selected cases."
    return summary(headline, outcomes, not_done="No note on"), _bump(bump), True, False, "", "", False


# ------------------------------------------------------------------ in the browser
# What the selection allows: nothing selected or more than MAX_CASES disables everything
# (and says so); Claim also when every selected row is already yours.
clientside_callback(
    """
    function(selected) {
        const rows = (selected || []).filter(function (r) { return r && r.id; });
        const n = rows.length;
        const over = n > @MAX@;
        const allMine = n > 0 && rows.every(function (r) { return r.assigned_to_me === true; });
        const none = n === 0 || over;
        let text = "";
        if (over) {
            text = n + " selected: at most @MAX@ at once, unselect " + (n - @MAX@);
        } else if (n === 1) {
            text = "Selected: " + rows[0].id + (allMine ? ", already yours" : "");
        } else if (n > 1) {
            text = n + " selected" + (allMine ? ", all yours" : "");
        }
        const title = n === 1 ? "Add an internal note to " + rows[0].id
                              : "Add an internal note to " + n + " cases";
        return [none || allMine, none, none, text, title];
    }
    """.replace("@MAX@", str(MAX_CASES)),
    Output(QueueIds.CLAIM, "disabled"), Output(QueueIds.ASSIGN, "disabled"), Output(QueueIds.NOTE_OPEN, "disabled"),
    Output(QueueIds.SELECTED, "children"), Output(QueueIds.NOTE_TITLE, "children"),
    Input(QueueIds.GRID, "selectedRows"),
)

# The note dialog opens from the toolbar and closes on Cancel (and, once the note is
# added, from note_selected).
clientside_callback(
    """
    function(opened, cancelled) {
        const trigger = (dash_clientside.callback_context.triggered_id || "");
        return trigger === "@OPEN@";
    }
    """.replace("@OPEN@", QueueIds.NOTE_OPEN),
    Output(QueueIds.NOTE_DIALOG, "is_open", allow_duplicate=True),
    Input(QueueIds.NOTE_OPEN, "n_clicks"), Input(QueueIds.NOTE_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
