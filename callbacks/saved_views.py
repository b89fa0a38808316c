"""Saved views on the queue (`pages/queue.py` saved_views_bar, `dashboard.saved_views`).

Every callback re-reads the user from the session: staff only, and only their own views
(another person's view id is "not found", as a missing one is). What is saved is the view
the URL holds (QueueIds.VIEW_STATE), cleaned again by the domain; opening a view sets the
URL, and `callbacks/queue.follow_url` applies it, as Back and Forward do.
"""
from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx as dash_ctx, html, no_update

from callbacks._session import acting_user
from dashboard import saved_views
from dashboard.components.ids import QueueIds
from dashboard.errors import DomainError
from dashboard.permissions import is_staff

FOR_STAFF = "Saved views are for the platform's reviewers and managers."


def _alert(text: str, color: str = "success", icon: str = "check-circle") -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2", **{"aria-hidden": "true"}), text], color=color,
                     dismissable=True, className="py-2 small", duration=6000 if color == "success" else None)


def _options(ctx, user) -> list[dict]:
    return [{"label": v.name, "value": v.id} for v in saved_views.list_views(ctx, user)]


def _state_of(view: Any) -> dict:
    """The view the URL holds, from the page's store (cleaned: only known keys survive)."""
    return saved_views.clean_state(view.get("state") if isinstance(view, dict) else None)


@callback(Output(QueueIds.VIEWS, "options"), Input(QueueIds.LOAD, "data"))
def list_views(_load):
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return []
        return _options(ctx, user)


@callback(
    Output(QueueIds.URL, "search", allow_duplicate=True),
    Output(QueueIds.VIEW_RENAME, "disabled"), Output(QueueIds.VIEW_DELETE, "disabled"),
    Output(QueueIds.VIEW_FEEDBACK, "children"),
    Input(QueueIds.VIEWS, "value"), State(QueueIds.VIEW_FEEDBACK, "children"),
    prevent_initial_call=True,
)
def open_view(view_id, feedback=None):
    """Choosing a saved view shows it: its tab, "assigned to", filters and sort. Saving
    selects the view it saved, which fires this too: a confirmation showing stays up (it
    goes by itself), a warning left from before is cleared."""
    if view_id is None:
        return no_update, True, True, None
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return no_update, True, True, _alert(FOR_STAFF, "secondary", "lock")
        try:
            view = saved_views.get_view(ctx, user, view_id)
        except DomainError:
            return no_update, True, True, _alert(
                "That saved view is no longer there (deleted in another window?). Pick another one.",
                "warning", "exclamation-triangle")
        return saved_views.to_query(view.state), False, False, no_update if _confirms(feedback) else None


def _confirms(feedback: Any) -> bool:
    """Whether the feedback area holds a confirmation (a success alert, as Dash sends it back)."""
    if isinstance(feedback, list) and len(feedback) == 1:
        feedback = feedback[0]
    props = feedback.get("props") if isinstance(feedback, dict) else None
    return isinstance(props, dict) and props.get("color") == "success"


@callback(
    Output(QueueIds.VIEW_DIALOG, "is_open"), Output(QueueIds.VIEW_DIALOG_TITLE, "children"),
    Output(QueueIds.VIEW_NAME, "value"), Output(QueueIds.VIEW_MODE, "data"),
    Output(QueueIds.VIEW_NAME, "invalid"), Output(QueueIds.VIEW_NAME_ERROR, "children"),
    Output(QueueIds.VIEW_SUBMIT, "children"),
    Input(QueueIds.VIEW_SAVE, "n_clicks"), Input(QueueIds.VIEW_RENAME, "n_clicks"),
    Input(QueueIds.VIEW_CANCEL, "n_clicks"),
    State(QueueIds.VIEWS, "value"),
    prevent_initial_call=True,
)
def open_dialog(_save, _rename, _cancel, view_id):
    """Save: the name of the view opened, if any (saving keeps it up to date); Rename: the
    opened view's name to edit. Cancel closes, nothing changed."""
    trigger = dash_ctx.triggered_id
    closed = (False, no_update, no_update, None, False, None, no_update)
    if trigger == QueueIds.VIEW_CANCEL:
        return closed
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return closed
        name = ""
        if view_id is not None:
            try:
                name = saved_views.get_view(ctx, user, view_id).name
            except DomainError:
                name = ""
        if trigger == QueueIds.VIEW_RENAME:
            if not name:
                return closed
            return True, f"Rename \u201c{name}\u201d", name, "rename", False, None, "Rename"
        return True, "Save this view", name, "save", False, None, "Save"


@callback(
    Output(QueueIds.VIEW_DIALOG, "is_open", allow_duplicate=True),
    Output(QueueIds.VIEW_NAME, "invalid", allow_duplicate=True),
    Output(QueueIds.VIEW_NAME_ERROR, "children", allow_duplicate=True),
    Output(QueueIds.VIEW_FEEDBACK, "children", allow_duplicate=True),
    Output(QueueIds.VIEWS, "options", allow_duplicate=True),
    Output(QueueIds.VIEWS, "value", allow_duplicate=True),
    Input(QueueIds.VIEW_SUBMIT, "n_clicks"), Input(QueueIds.VIEW_NAME, "n_submit"),
    State(QueueIds.VIEW_NAME, "value"), State(QueueIds.VIEW_MODE, "data"), State(QueueIds.VIEWS, "value"),
    State(QueueIds.VIEW_STATE, "data"),
    prevent_initial_call=True,
)
def submit_view(_clicks, _enter, name, mode, view_id, view):
    """Save the current view under the name (over the person's view of that name), or
    rename the opened one. A bad name is shown under the field and nothing is saved."""
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return False, False, None, _alert(FOR_STAFF, "secondary", "lock"), [], None
        try:
            if mode == "rename":
                saved = saved_views.rename_view(ctx, user, view_id, name)
                said = f"Renamed to \u201c{saved.name}\u201d."
            else:
                saved, created = saved_views.save_view(ctx, user, name, _state_of(view))
                said = (f"Saved \u201c{saved.name}\u201d. Choose it under Saved views to come back to this "
                        "tab, its filters and its sort." if created else
                        f"Updated \u201c{saved.name}\u201d with this tab, its filters and its sort.")
        except DomainError as exc:  # raised before anything was written
            if exc.code in ("invalid_view_name", "view_name_taken", "too_many_views"):
                return no_update, True, exc.message, no_update, no_update, no_update  # under the field
            return (False, False, None, _alert("That saved view is no longer there. Nothing was changed.",
                                               "warning", "exclamation-triangle"), _options(ctx, user), None)
        saved_id = saved.id
        options = _options(ctx, user)
    return False, False, None, _alert(said), options, saved_id


@callback(
    Output(QueueIds.VIEW_FEEDBACK, "children", allow_duplicate=True),
    Output(QueueIds.VIEWS, "options", allow_duplicate=True),
    Output(QueueIds.VIEWS, "value", allow_duplicate=True),
    Input(QueueIds.VIEW_DELETE, "n_clicks"), State(QueueIds.VIEWS, "value"),
    prevent_initial_call=True,
)
def delete_view(_clicks, view_id):
    """Delete the opened view; the queue keeps showing what it shows."""
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return _alert(FOR_STAFF, "secondary", "lock"), [], None
        try:
            name = saved_views.delete_view(ctx, user, view_id)
        except DomainError:
            return (_alert("That saved view is no longer there. Nothing was deleted.", "warning",
                           "exclamation-triangle"), _options(ctx, user), None)
        options = _options(ctx, user)
    return (_alert(f"Deleted \u201c{name}\u201d. The queue still shows this view; save it again to keep it."),
            options, None)
