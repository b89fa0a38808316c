"""The webhooks card of `/company` (`callbacks/company_webhooks.py` fills it): register
an endpoint, see its secret once, turn it on or off, send a test event, delete it, and
read its last deliveries — status code, response time, when, in the viewer's zone."""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.format import local_date, local_time
from dashboard.components.ids import WebhookIds
from dashboard.webhooks import EVENT_TYPES
from dashboard.webhooks.delivery import DISABLE_AFTER

EVENT_LABELS = {"resolution_center_case.created": "Case opened", "resolution_center_case.updated": "Case changed",
                "resolution_center_case.decided": "Case decided"}
DISABLED_WORDS = {"delivery_failures": "Turned off after three days of failed deliveries"}


def webhooks_card() -> dbc.Card:
    form = html.Div([
        dbc.Label("Endpoint URL", html_for=WebhookIds.URL, className="small fw-semibold mb-1"),
        dbc.Input(id=WebhookIds.URL, type="url", placeholder="https://example.com/hooks/resolution-center",
                  maxLength=2048, size="sm"),
        dbc.FormFeedback(id=WebhookIds.URL_ERROR, type="invalid"),
        dbc.Checklist(id=WebhookIds.EVENTS, inline=True, className="small mt-2", value=list(EVENT_TYPES),
                      options=[{"label": EVENT_LABELS[e], "value": e} for e in EVENT_TYPES]),
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add webhook"], id=WebhookIds.CREATE, size="sm",
                   color="primary", className="mt-2"),
    ], className="mb-3")
    return dbc.Card([
        dbc.CardHeader([html.I(className="bi bi-broadcast me-2"), html.Span("Webhooks", className="fw-semibold"),
                        html.Div("Your systems hear about your cases as they change, signed as Whop signs them "
                                 "(verify with whop-sdk's webhooks.unwrap).", className="text-muted small fw-normal")],
                       className="bg-white"),
        dbc.CardBody([
            dcc.Store(id=WebhookIds.LOAD, data=0),
            dcc.Store(id=WebhookIds.DELETING),
            form,
            html.Div(id=WebhookIds.SECRET),
            html.Div(id=WebhookIds.FEEDBACK, **{"aria-live": "polite"}),
            dcc.Loading(html.Div(id=WebhookIds.LIST), type="dot"),
        ]),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("Delete this webhook?")),
            dbc.ModalBody(id=WebhookIds.CONFIRM_BODY),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=WebhookIds.CONFIRM_CANCEL, color="secondary", outline=True),
                dbc.Button("Delete", id=WebhookIds.CONFIRM_OK, color="danger"),
            ]),
        ], id=WebhookIds.CONFIRM, is_open=False, centered=True),
    ], className="shadow-sm mb-3")


def secret_notice(hook_id: str, url: str, secret: str) -> dbc.Alert:
    return dbc.Alert([
        html.Div([html.I(className="bi bi-key me-2"), html.Strong("Webhook added. Copy its secret now: "),
                  "it is shown this once. Your receiver verifies every delivery with it."]),
        html.Div([html.Code(secret, id=f"{WebhookIds.SECRET}-value", className="me-2 user-select-all"),
                  dcc.Clipboard(target_id=f"{WebhookIds.SECRET}-value", title="Copy the secret",
                                style={"display": "inline-block", "cursor": "pointer"})],
                 className="my-2 text-break"),
        html.Div(f"{hook_id} → {url}", className="small text-muted text-break"),
    ], color="warning", dismissable=True)


def status_badge(hook) -> dbc.Badge:
    if not hook.enabled:
        words = DISABLED_WORDS.get(hook.disabled_reason or "", "Off")
        return dbc.Badge(words, color="danger" if hook.disabled_reason else "secondary", className="text-wrap")
    if hook.consecutive_failures:
        off_at = hook.failing_since + DISABLE_AFTER if hook.failing_since else None
        return html.Span([
            dbc.Badge(f"Failing since {local_time(hook.failing_since)} ({hook.consecutive_failures} in a row)",
                      color="warning", text_color="dark", className="text-wrap me-1"),
            html.Span("Each delivery is retried with growing pauses; if every one keeps failing, the webhook is "
                      f"turned off on {local_time(off_at)} and you are emailed. Fix the endpoint, then send a "
                      "test event.", className="small text-muted d-block"),
        ])
    return dbc.Badge("On", color="success")


def attempts_table(attempts) -> html.Div:
    if not attempts:
        return html.Div("No deliveries yet.", className="text-muted small")
    rows = [html.Tr([
        html.Td(local_time(a.at, fmt="%d %b, %H:%M:%S")),
        html.Td("Test event" if a.test else EVENT_LABELS.get(a.event_type, a.event_type)),
        html.Td(dbc.Badge(str(a.status_code) if a.status_code else "no answer",
                          color="success" if a.ok else "danger")),
        html.Td(f"{a.response_ms} ms" if a.response_ms is not None else "—", className="text-end"),
        html.Td(a.error or "", className="text-muted text-break"),
    ]) for a in attempts]
    return dbc.Table([html.Thead(html.Tr([html.Th("When"), html.Th("Event"), html.Th("Status"),
                                          html.Th("Time", className="text-end"), html.Th("")])),
                      html.Tbody(rows)], size="sm", className="small mb-0", responsive=True)


def webhook_item(hook, attempts, *, show_company: bool = False, controls: bool = True) -> dbc.ListGroupItem:
    top = html.Div([
        html.Div([html.Code(hook.url, className="text-break me-2"), status_badge(hook)]),
        html.Div(" · ".join(filter(None, (
            hook.company_name if show_company else None,
            ", ".join(EVENT_LABELS.get(e, e) for e in hook.events),
            f"added {local_date(hook.created_at)}", hook.id))), className="text-muted small"),
    ])
    buttons: Optional[html.Div] = None
    if controls:
        buttons = html.Div([
            dbc.Button("Turn off" if hook.enabled else "Turn on", id=WebhookIds.row(WebhookIds.TOGGLE, hook.id),
                       size="sm", color="secondary", outline=True, className="me-2"),
            dbc.Button([html.I(className="bi bi-send me-1"), "Send test event"],
                       id=WebhookIds.row(WebhookIds.TEST, hook.id), size="sm", color="primary", outline=True,
                       className="me-2", disabled=not hook.enabled),
            dbc.Button([html.I(className="bi bi-trash me-1"), "Delete"], id=WebhookIds.row(WebhookIds.DELETE, hook.id),
                       size="sm", color="danger", outline=True),
        ], className="d-flex flex-wrap gap-1 my-2")
    return dbc.ListGroupItem([top, buttons, html.Details([html.Summary("Last deliveries", className="small"),
                                                          attempts_table(attempts)], open=bool(attempts))])


def webhook_list(hooks, attempts_by_hook, *, show_company: bool = False, controls: bool = True):
    if not hooks:
        return html.Div("No webhooks yet. Add an https endpoint above to hear about cases as they change.",
                        className="text-muted small")
    return dbc.ListGroup([webhook_item(h, attempts_by_hook.get(h.id, []), show_company=show_company,
                                       controls=controls) for h in hooks], flush=True)
