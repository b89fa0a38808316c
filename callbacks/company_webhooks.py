"""Callbacks of the webhooks card on `/company` (`components/webhooks_panel.py`).

Creators see and change their own company's webhooks; what a webhook id from the browser
names is looked up through `dashboard.webhooks.manage`, which answers "not found" for
another company's. Every call re-reads the user from the session."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx as dash_ctx, html, no_update

from callbacks._session import acting_user
from data.read import webhooks as webhooks_read
from dashboard.components import webhooks_panel as panel
from dashboard.components.ids import WebhookIds
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.webhooks import EVENT_TYPES, console, manage

NOT_FOR_YOU = html.Div("Webhooks are managed here by the company's creators.", className="text-muted small")


def _alert(message: str, color: str = "danger", icon: str = "exclamation-triangle") -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2"), message], color=color, dismissable=True,
                     className="py-2 small", duration=8000 if color == "success" else None)


def _creator(user) -> bool:
    return user is not None and user.role == Role.CREATOR and bool(user.company_id)


@callback(Output(WebhookIds.LIST, "children"), Input(WebhookIds.LOAD, "data"))
def load_webhooks(_bump):
    with acting_user() as (ctx, user):
        if not _creator(user):
            return NOT_FOR_YOU
        hooks = webhooks_read.webhooks(ctx.session, company_id=user.company_id)
        attempts = webhooks_read.last_attempts(ctx.session, [h.id for h in hooks])
        return panel.webhook_list(hooks, attempts)


@callback(
    Output(WebhookIds.SECRET, "children"), Output(WebhookIds.URL, "invalid"), Output(WebhookIds.URL_ERROR, "children"),
    Output(WebhookIds.URL, "value"), Output(WebhookIds.LOAD, "data", allow_duplicate=True),
    Input(WebhookIds.CREATE, "n_clicks"), State(WebhookIds.URL, "value"), State(WebhookIds.EVENTS, "value"),
    State(WebhookIds.LOAD, "data"),
    prevent_initial_call=True,
)
def create_webhook(n_clicks, url, events, bump):
    if not n_clicks:
        return no_update, no_update, no_update, no_update, no_update
    chosen = [e for e in (events or []) if e in EVENT_TYPES] if isinstance(events, list) else []
    if not chosen:
        return None, True, "Choose at least one kind of event to hear about.", no_update, no_update
    if not isinstance(url, str) or not url.strip():
        return None, True, "Enter the https address your system receives webhooks at.", no_update, no_update
    try:
        with acting_user() as (ctx, user):
            if not _creator(user):
                return None, True, "Only the company's creators add webhooks here.", no_update, no_update
            hook = manage.create_webhook(ctx, user, url=url, events_=chosen, enabled=True, api_version_date=None,
                                         resource_id=user.company_id, child_resource_events=False)
            notice = panel.secret_notice(hook.id, hook.url, hook.secret)
    except DomainError as exc:
        return None, True, exc.message, no_update, no_update
    return notice, False, None, "", (bump or 0) + 1


def _row_trigger(kind: str):
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != kind or not isinstance(trigger.get("id"), str):
        return None
    clicked = [t for t in dash_ctx.triggered if t.get("value")]
    return trigger["id"] if clicked else None  # buttons drawn anew fire with no clicks


@callback(
    Output(WebhookIds.FEEDBACK, "children"), Output(WebhookIds.LOAD, "data", allow_duplicate=True),
    Input(WebhookIds.row(WebhookIds.TOGGLE, ALL), "n_clicks"), State(WebhookIds.LOAD, "data"),
    prevent_initial_call=True,
)
def toggle_webhook(_clicks, bump):
    hook_id = _row_trigger(WebhookIds.TOGGLE)
    if hook_id is None:
        return no_update, no_update
    try:
        with acting_user() as (ctx, user):
            hook = manage.load_webhook(ctx, user, hook_id)
            hook = manage.update_webhook(ctx, user, hook.id, {"enabled": not hook.enabled})
            on = hook.enabled
    except DomainError as exc:
        return _alert(exc.message), (bump or 0) + 1
    said = ("Turned on: new case changes are delivered from now on." if on else
            "Turned off: nothing more is sent, and deliveries still waiting were dropped.")
    return _alert(said, "success", "check-circle"), (bump or 0) + 1


@callback(
    Output(WebhookIds.FEEDBACK, "children", allow_duplicate=True), Output(WebhookIds.LOAD, "data", allow_duplicate=True),
    Input(WebhookIds.row(WebhookIds.TEST, ALL), "n_clicks"), State(WebhookIds.LOAD, "data"),
    prevent_initial_call=True,
)
def send_test(_clicks, bump):
    hook_id = _row_trigger(WebhookIds.TEST)
    if hook_id is None:
        return no_update, no_update
    try:
        with acting_user() as (ctx, user):
            event = console.send_test_event(ctx, user, hook_id)
            msg_id = event.id
    except DomainError as exc:
        return _alert(exc.message), no_update
    return _alert(f"Test event {msg_id} is on its way; its status code shows under Last deliveries within a few "
                  "seconds (refresh the page).", "success", "send-check"), (bump or 0) + 1


@callback(
    Output(WebhookIds.CONFIRM, "is_open"), Output(WebhookIds.CONFIRM_BODY, "children"),
    Output(WebhookIds.DELETING, "data"),
    Input(WebhookIds.row(WebhookIds.DELETE, ALL), "n_clicks"),
    prevent_initial_call=True,
)
def ask_delete(_clicks):
    hook_id = _row_trigger(WebhookIds.DELETE)
    if hook_id is None:
        return no_update, no_update, no_update
    try:
        with acting_user() as (ctx, user):
            hook = manage.load_webhook(ctx, user, hook_id)
            url = hook.url
    except DomainError as exc:
        return False, None, None
    return True, html.Div([html.P(["Deliveries to ", html.Code(url, className="text-break"),
                                   " stop at once, and its history of deliveries is deleted with it."]),
                           html.P("Your receiver will need a new webhook and secret to hear of cases again.",
                                  className="mb-0 small text-muted")]), hook_id


@callback(
    Output(WebhookIds.CONFIRM, "is_open", allow_duplicate=True),
    Output(WebhookIds.FEEDBACK, "children", allow_duplicate=True), Output(WebhookIds.LOAD, "data", allow_duplicate=True),
    Input(WebhookIds.CONFIRM_OK, "n_clicks"), Input(WebhookIds.CONFIRM_CANCEL, "n_clicks"),
    State(WebhookIds.DELETING, "data"), State(WebhookIds.LOAD, "data"),
    prevent_initial_call=True,
)
def confirm_delete(ok, _cancel, hook_id, bump):
    if dash_ctx.triggered_id != WebhookIds.CONFIRM_OK or not ok or not isinstance(hook_id, str):
        return False, no_update, no_update
    try:
        with acting_user() as (ctx, user):
            manage.delete_webhook(ctx, user, hook_id)
    except DomainError as exc:
        return False, _alert(exc.message), (bump or 0) + 1
    return False, _alert("Webhook deleted. Nothing more is sent to it.", "success", "check-circle"), (bump or 0) + 1
