"""Callbacks of the navbar's bell and of `/notifications` (reviewers and managers).

The user is re-read from the database on every call (`acting_user`); anyone who is not
staff gets nothing (the bell) or an error (the page), whatever the browser sends. Every
read and every mark is of the signed-in person's own rows: a notification id from the
browser is looked up with its owner, and another person's id is refused (404), nothing
changed.
"""
from __future__ import annotations

from typing import Any, Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx as dash_ctx, html, no_update

from callbacks._session import acting_user
from data.read import staff_notifications as reads
from dashboard.components.format import OUTCOME_LABELS, STATUS_LABELS, local_time, viewer_zone
from dashboard.components.ids import NotificationIds as N, ShellIds
from dashboard.components.shell import empty_state
from dashboard.errors import DomainError
from dashboard.notifications import staff
from dashboard.permissions import is_staff

LATEST = 10
PAGE_SIZE = 25
HIDDEN = {"display": "none"}
SHOWN: dict[str, str] = {}
FORBIDDEN = "Notifications are for the platform's reviewers and managers."
_ICONS = {"escalated": "exclamation-diamond", "appealed": "arrow-repeat", "answered": "chat-left-text",
          "case_changed": "pencil-square", "assigned": "person-check"}


def _when(row: reads.Row) -> str:
    return local_time(row.created_at, fmt="%d %b %Y, %H:%M", zone=viewer_zone())  # it appends the zone


def case_now(case: Optional[reads.CaseNow]) -> str:
    """The case as it is now, e.g. "now: Closed · Customer won" ('' without a case)."""
    if case is None:
        return ""
    said = STATUS_LABELS.get(case.status, case.status)
    if case.status == "closed" and case.outcome:
        said += f" · {OUTCOME_LABELS.get(case.outcome, case.outcome)}"
    return f"now: {said}"


def _about(r: reads.Row, states: dict[str, reads.CaseNow]) -> tuple[Optional[str], str]:
    """(how it was settled, or None; the case's state now) for one listed notification."""
    case = states.get(r.case_id) if r.case_id else None
    return reads.done(r, case), case_now(case)


def bell_items(rows: list[reads.Row], states: Optional[dict[str, reads.CaseNow]] = None) -> Any:
    if not rows:
        return html.Div("Nothing yet. Work that arrives for you (escalations, appeals, answers to your "
                        "requests, changes on your cases) shows here.", className="text-muted small")
    states = states or {}
    items = []
    for r in rows:
        settled, now_text = _about(r, states)
        unread = not r.read and settled is None
        when = _when(r) + (f" · {now_text}" if now_text else "")
        items.append(html.Button([
            html.Div([html.I(className=f"bi bi-{_ICONS.get(r.kind, 'bell')} me-1", **{"aria-hidden": "true"}),
                      html.Span(r.title, className="fw-semibold" if unread else None)]),
            html.Div(f"Done: {settled}", className="small") if settled else None,
            html.Div(when, className="text-muted small"),
        ], type="button", id=N.bell_item(r.id), n_clicks=0,
            className="list-group-item list-group-item-action text-start"
                      + (" rc-unread" if unread else "") + (" text-muted rc-done" if settled else ""),
            **{"aria-label": f"{'Unread: ' if unread else ''}{'Done: ' + settled + '. ' if settled else ''}"
                             f"{r.title}, {when}. Opens the case."}))
    return html.Div(items, className="list-group list-group-flush rc-bell-items")


@callback(
    Output(N.bell("badge", ALL), "children"),
    Output(N.bell("badge", ALL), "style"),
    Output(N.bell("list", ALL), "children"),
    Input(N.bell("poll", ALL), "n_intervals"),
    Input(N.bell("reload", ALL), "data"),
    Input(ShellIds.URL, "pathname"),
)
def refresh_bell(_ticks: Any, _reload: Any, _path: Any):
    """The unread count (capped: "99+") and the latest ten. Runs on page load, on every
    move to another page, every poll, and after marking all read. (Wildcard ids, one bell
    per page: each output is a list of one.)"""
    bells = len(dash_ctx.outputs_list[0])
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user):
                return [""] * bells, [HIDDEN] * bells, [None] * bells
            count = reads.unread_count(ctx.session, user.id)
            rows = reads.latest(ctx.session, user.id, size=LATEST)
            states = reads.case_states(ctx.session, [r.case_id for r in rows])
    except DomainError:
        return [""] * bells, [HIDDEN] * bells, [None] * bells
    text = reads.badge_text(count)
    label = [text, html.Span(f" unread notification{'s' if count != 1 else ''}", className="visually-hidden")]
    return ([label if count else ""] * bells, [SHOWN if count else HIDDEN] * bells,
            [bell_items(rows, states)] * bells)


def _open(notification_id: Any):
    """Mark one of the viewer's notifications read; its case's path, or None if refused."""
    try:
        with acting_user() as (ctx, user):
            note = staff.mark_read(ctx, user, notification_id)
            return f"/cases/{note.case_id}" if note.case_id else "/notifications"
    except DomainError:
        return None


@callback(
    Output(ShellIds.URL, "href", allow_duplicate=True),
    Output(N.bell("popover", ALL), "is_open"),
    Input(N.bell_item(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_from_bell(clicks: Any):
    """A click on one of the latest: mark it read, close the list and open its case (the
    move to the case's page refreshes the bell)."""
    popovers = len(dash_ctx.outputs_list[1])  # a wildcard output: one value per popover, in a list
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(c, int) and c > 0 for c in (clicks or [])):
        return no_update, [no_update] * popovers
    path = _open(trigger.get("id"))
    if path is None:
        return no_update, [no_update] * popovers
    return path, [False] * popovers


@callback(
    Output(N.bell("reload", ALL), "data"),
    Input(N.bell("mark_all", ALL), "n_clicks"),
    State(N.bell("reload", ALL), "data"),
    prevent_initial_call=True,
)
def mark_all_from_bell(clicks: Any, reloads: Any):
    bells = len(dash_ctx.outputs_list)
    if not isinstance(clicks, list) or not any(isinstance(c, int) and not isinstance(c, bool) and c > 0
                                               for c in clicks):
        return [no_update] * bells
    try:
        with acting_user() as (ctx, user):
            staff.mark_all_read(ctx, user)
    except DomainError:
        return [no_update] * bells
    last = reloads[0] if isinstance(reloads, list) and reloads else 0
    bump = (last + 1) if isinstance(last, int) and not isinstance(last, bool) else 1
    return [bump] * bells


# ---------------------------------------------------------------- /notifications
def page_rows(rows: list[reads.Row], states: Optional[dict[str, reads.CaseNow]] = None) -> Any:
    if not rows:
        return empty_state("No notifications yet.", icon="bell",
                           hint="Escalations, appeals for final review, answers to your requests and changes "
                                "on the cases assigned to you show here.")
    states = states or {}
    items = []
    for r in rows:
        settled, now_text = _about(r, states)
        unread = not r.read and settled is None
        items.append(html.Div([
            html.Div([
                html.Div([html.I(className=f"bi bi-{_ICONS.get(r.kind, 'bell')} me-2", **{"aria-hidden": "true"}),
                          html.Span(r.title, className="fw-semibold"),
                          dbc.Badge("Unread", color="primary", className="ms-2") if unread else None,
                          dbc.Badge(f"Done: {settled}", color="secondary", className="ms-2") if settled else None]),
                # The body's "Claim it and decide by …" was true when written; once settled it is not.
                html.Div(r.body, className="small" + (" text-decoration-line-through" if settled else "")),
                html.Div(_when(r) + (f" · {now_text}" if now_text else ""), className="text-muted small"),
            ], className="flex-grow-1"),
            html.Button("Open case" if r.case_id else "Open", id=N.page_item(r.id), n_clicks=0, type="button",
                        className="btn btn-outline-primary btn-sm flex-shrink-0 align-self-start",
                        **{"aria-label": f"Open case {r.case_id}" if r.case_id else "Open"}),
        ], className="list-group-item d-flex gap-3 flex-wrap flex-sm-nowrap" + (" rc-unread" if unread else "")
                     + (" text-muted rc-done" if settled else "")))
    return html.Div(items, className="list-group")


@callback(
    Output(N.ALERT, "children"),
    Output(N.LIST, "children"),
    Output(N.NEXT_CURSOR, "data"),
    Output(N.NEXT, "style"),
    Output(N.FIRST, "style"),
    Output(N.MODE, "value"),
    Input(N.AFTER, "data"),
    Input(N.RELOAD, "data"),
)
def show_page(after: Any, _reload: Any):
    """One page of the viewer's notifications, newest first, and their email preference."""
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user):
                return (dbc.Alert([html.I(className="bi bi-lock me-2"), FORBIDDEN], color="secondary"), None, None,
                        HIDDEN, HIDDEN, None)
            page = reads.page(ctx.session, user.id, after=after, size=PAGE_SIZE)
            states = reads.case_states(ctx.session, [r.case_id for r in page.rows])
            mode = user.notify_mode or "immediate"
    except DomainError as exc:
        return dbc.Alert(exc.message, color="danger"), None, None, HIDDEN, HIDDEN, None
    return (None, page_rows(page.rows, states), page.next_cursor, SHOWN if page.next_cursor else HIDDEN,
            SHOWN if after else HIDDEN, mode)


@callback(
    Output(N.AFTER, "data"),
    Input(N.NEXT, "n_clicks"),
    Input(N.FIRST, "n_clicks"),
    State(N.NEXT_CURSOR, "data"),
    prevent_initial_call=True,
)
def turn_page(_next: Any, _first: Any, next_cursor: Any):
    """Navigation only: the page callback reads as the signed-in user."""
    if dash_ctx.triggered_id == N.FIRST:
        return None
    return next_cursor if isinstance(next_cursor, str) and next_cursor else no_update


@callback(
    Output(ShellIds.URL, "href", allow_duplicate=True),
    Output(N.ALERT, "children", allow_duplicate=True),
    Input(N.page_item(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def open_from_page(clicks: Any):
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(c, int) and c > 0 for c in (clicks or [])):
        return no_update, no_update
    path = _open(trigger.get("id"))
    if path is None:
        return no_update, dbc.Alert("This notification does not exist or is not yours.", color="danger")
    return path, no_update


@callback(
    Output(N.RELOAD, "data"),
    Output(N.ALERT, "children", allow_duplicate=True),
    Input(N.MARK_ALL, "n_clicks"),
    State(N.RELOAD, "data"),
    prevent_initial_call=True,
)
def mark_all_on_page(clicks: Any, reload: Any):
    if not clicks:
        return no_update, no_update
    try:
        with acting_user() as (ctx, user):
            done = staff.mark_all_read(ctx, user)
    except DomainError as exc:
        return no_update, dbc.Alert(exc.message, color="danger")
    said = f"Marked {done} notification{'s' if done != 1 else ''} read." if done else "Nothing was unread."
    return ((reload + 1) if isinstance(reload, int) and not isinstance(reload, bool) else 1,
            dbc.Alert(said, color="success", duration=4000))


@callback(
    Output(N.MODE_FEEDBACK, "children"),
    Input(N.MODE_SAVE, "n_clicks"),
    State(N.MODE, "value"),
    prevent_initial_call=True,
)
def save_mode(clicks: Any, mode: Any):
    """Save how the viewer is emailed (immediate / daily digest / off), on the server."""
    if not clicks:
        return no_update
    try:
        with acting_user() as (ctx, user):
            saved = staff.set_mode(ctx, user, mode)
    except DomainError as exc:
        return dbc.Alert(exc.message, color="danger")
    words = {"immediate": "You will get an email for each notification as it arrives.",
             "digest": "You will get one email a day, at about 08:00 in your time zone, listing what is unread.",
             "off": "You will get no email; notifications stay here and under the bell."}[saved]
    return dbc.Alert(f"Saved. {words}", color="success")
