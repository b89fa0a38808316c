"""Callbacks of `/deliveries` (reviewers and managers).

The user is re-read from the database on every call; anyone who is not staff gets the
"not for you" state and no rows, whatever the browser sends. The status filter and
page number from the browser only choose among what staff may see anyway.
"""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx as dash_ctx, html, no_update

from callbacks._session import acting_user
from data.read import deliveries
from data.read import webhooks as webhooks_read
from dashboard.components import case_table as ct
from dashboard.components.case_panels import MOVEMENT_LABELS
from dashboard.components.format import PROVIDER_LABELS, local_time, money
from dashboard.components import webhooks_panel
from dashboard.components.ids import DeliveriesIds, WebhookIds
from dashboard.components.shell import empty_state
from dashboard.errors import DomainError
from dashboard.deliveries import retry_failed_email, retry_failed_movement
from dashboard.money.executor import FAILING_AFTER_ATTEMPTS
from dashboard.permissions import is_staff
from dashboard.webhooks import console

PAGE_SIZE = 25
HIDDEN = {"display": "none"}
FORBIDDEN = dbc.Alert([html.I(className="bi bi-lock me-2"),
                       "Deliveries are for the platform's reviewers and managers."], color="secondary", className="mt-2")
EMAIL_COLORS = {"sent": "success", "pending": "warning", "failed": "danger"}
FILTERS = ("failed", "pending", "sent", "all")


def _error(exc: DomainError) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), exc.message], color="danger")


def _denied(alert) -> tuple:
    return alert, HIDDEN, None, 1, "", None, ""


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


def email_status(e: deliveries.EmailDelivery) -> html.Div:
    badge = dbc.Badge(e.status, color=EMAIL_COLORS.get(e.status, "secondary"),
                      text_color="dark" if e.status == "pending" else None)
    if e.status == "sent":
        when = f"sent {local_time(e.sent_at, fmt='%d %b, %H:%M')}" if e.sent_at else ""
    elif e.status == "pending" and e.next_attempt_at:
        when = f"next try {local_time(e.next_attempt_at, fmt='%d %b, %H:%M')}"
    else:
        when = "given up: will not be retried" if e.status == "failed" else ""
    return html.Div([badge, html.Div(when, className="text-muted small")])


def retry_button(kind: str, row_id: int, status: str):
    if status != "failed":
        return ""
    return dbc.Button([html.I(className="bi bi-arrow-repeat me-1"), "Retry"], size="sm", color="danger",
                      outline=True, id=DeliveriesIds.retry_button(kind, row_id), n_clicks=0)


def email_rows(rows: list[deliveries.EmailDelivery]) -> html.Div:
    return ct.case_table(
        ["Case", "To", "Subject", "Status", "Attempts", "Last error", "Queued", ""],
        [[ct.case_link(e.case_id) if e.case_id else "—", e.recipient, e.subject.split("] ", 1)[-1], email_status(e),
          _attempts(e.attempts), html.Span(e.last_error or "", className="text-danger small text-break"),
          local_time(e.created_at, fmt="%d %b, %H:%M"), retry_button("email", e.id, e.status)] for e in rows],
        table_id=DeliveriesIds.EMAIL_TABLE, row_ids=[str(e.id) for e in rows],
        empty=empty_state("No emails with this status.", icon="envelope-check"))


def movement_status(m: deliveries.MovementDelivery) -> dbc.Badge:
    if m.status == "failed":
        return dbc.Badge("Failed — needs staff", color="danger")
    if m.attempts >= FAILING_AFTER_ATTEMPTS:
        return dbc.Badge("Failing — retrying", color="danger")
    return dbc.Badge("Pending", color="warning", text_color="dark")


def movement_rows(rows: list[deliveries.MovementDelivery]) -> html.Div:
    return ct.case_table(
        ["Case", "Movement", "Amount", "Provider", "Status", "Attempts", "Last error", "Next try", ""],
        [[ct.case_link(m.case_id), MOVEMENT_LABELS.get(m.kind, m.kind), money(m.amount_minor, m.currency),
          PROVIDER_LABELS.get(m.provider, m.provider.capitalize()), movement_status(m), _attempts(m.attempts),
          html.Span(m.last_error or "", className="text-danger small text-break"),
          local_time(m.next_attempt_at, fmt="%d %b, %H:%M") if m.status == "pending" and m.next_attempt_at else "—",
          retry_button("movement", m.id, m.status)]
         for m in rows],
        table_id=DeliveriesIds.MONEY_TABLE, row_ids=[str(m.id) for m in rows],
        empty=empty_state("Every refund and reimbursement has gone through.", icon="check2-circle"))


@callback(
    Output(DeliveriesIds.ALERT, "children"),
    Output(DeliveriesIds.BODY, "style"),
    Output(DeliveriesIds.EMAILS, "children"),
    Output(DeliveriesIds.PAGER, "max_value"),
    Output(DeliveriesIds.PAGER_TEXT, "children"),
    Output(DeliveriesIds.MONEY, "children"),
    Output(DeliveriesIds.MONEY_COUNT, "children"),
    Input(DeliveriesIds.STATUS, "value"),
    Input(DeliveriesIds.PAGER, "active_page"),
    Input(DeliveriesIds.REFRESH, "n_clicks"),
    Input(DeliveriesIds.CHANGED, "data"),
)
def load_deliveries(status, page, _refresh, _changed):
    """Emails with the chosen status (a page of them) and the money not moved yet."""
    try:
        with acting_user() as (ctx, user):
            if not is_staff(user):
                return _denied(FORBIDDEN)
            status = status if status in FILTERS else "failed"
            counts = deliveries.email_counts(ctx.session)
            total = sum(counts.values()) if status == "all" else counts[status]
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(1, page if isinstance(page, int) else 1), pages)
            rows, total = deliveries.emails(ctx.session, status=None if status == "all" else status,
                                            offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            movements, unsettled = deliveries.unsettled_movements(ctx.session)
            summary = " · ".join(f"{counts[s]:,} {s}" for s in deliveries.EMAIL_STATUSES)
            shown = f"{(page - 1) * PAGE_SIZE + 1}–{(page - 1) * PAGE_SIZE + len(rows)} of {total:,}" if rows else ""
            return (None, {}, email_rows(rows), pages, " — ".join(x for x in (shown, f"all emails: {summary}") if x),
                    movement_rows(movements), str(unsettled))
    except DomainError as exc:
        return _denied(_error(exc))


@callback(
    Output(DeliveriesIds.ACTION_ALERT, "children"),
    Output(DeliveriesIds.CHANGED, "data"),
    Input(DeliveriesIds.retry_button(ALL, ALL), "n_clicks"),
    prevent_initial_call=True,
)
def retry_delivery(clicks):
    """Put a failed email or money movement back in the scheduler's hands (staff only:
    the domain checks the role; the id from the browser only picks the row)."""
    trigger = dash_ctx.triggered_id
    if not trigger or not any(clicks or []):
        return no_update, no_update
    try:
        with acting_user() as (ctx, user):
            if trigger.get("kind") == "movement":
                retry_failed_movement(ctx, actor=user, movement_id=int(trigger["id"]))
                done = "The money movement is queued again; the scheduler retries it within a minute."
            elif trigger.get("kind") == "webhook":
                console.retry_event(ctx, actor=user, event_id=str(trigger["id"]))
                done = ("The webhook delivery is queued again with the same webhook-id; the scheduler sends it "
                        "within seconds.")
            else:
                retry_failed_email(ctx, actor=user, email_id=int(trigger["id"]))
                done = "The email is back in the outbox; the scheduler sends it within seconds."
    except DomainError as exc:
        return _error(exc), no_update
    except (TypeError, ValueError, KeyError):
        return no_update, no_update
    return dbc.Alert([html.I(className="bi bi-check2-circle me-2"), done], color="success", duration=6000), \
        f"{trigger.get('kind')}:{trigger.get('id')}:{sum(c or 0 for c in clicks)}"


WEBHOOK_COLORS = {"delivered": "success", "pending": "warning", "failed": "danger"}
WEBHOOK_FILTERS = ("failed", "pending", "delivered", "all")


def webhook_event_rows(rows: list[webhooks_read.EventRow]) -> html.Div:
    def status(e):
        badge = dbc.Badge(e.status, color=WEBHOOK_COLORS.get(e.status, "secondary"),
                          text_color="dark" if e.status == "pending" else None)
        answer = (f"{e.last_status_code or 'no answer'}"
                  + (f" in {e.last_response_ms} ms" if e.last_response_ms is not None else "")) if e.attempts else ""
        return html.Div([badge, html.Div(answer, className="text-muted small")])
    return ct.case_table(
        ["Case", "Webhook", "Event", "Status", "Attempts", "Last error", "Queued", ""],
        [[ct.case_link(e.case_id) if e.case_id else "test", html.Div([
            html.Code(e.url, className="small text-break"),
            html.Div(e.company_name or "Platform", className="text-muted small")]),
          webhooks_panel.EVENT_LABELS.get(e.event_type, e.event_type), status(e), _attempts(e.attempts),
          html.Span(e.last_error or "", className="text-danger small text-break"),
          local_time(e.created_at, fmt="%d %b, %H:%M"), retry_button("webhook", e.id, e.status)] for e in rows],
        table_id=f"{WebhookIds.STAFF_EVENTS}-table", row_ids=[e.id for e in rows],
        empty=empty_state("No webhook deliveries with this status.", icon="broadcast"))


@callback(
    Output(WebhookIds.STAFF_EVENTS, "children"), Output(WebhookIds.STAFF_LIST, "children"),
    Input(WebhookIds.STAFF_STATUS, "value"), Input(DeliveriesIds.REFRESH, "n_clicks"),
    Input(DeliveriesIds.CHANGED, "data"),
)
def load_webhook_deliveries(status, _refresh, _changed):
    """Staff: the newest webhook deliveries with the chosen status, and every webhook."""
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return FORBIDDEN, None
        status = status if status in WEBHOOK_FILTERS else "failed"
        rows = webhooks_read.events(ctx.session, status=None if status == "all" else status, limit=PAGE_SIZE)
        counts = webhooks_read.event_counts(ctx.session)
        hooks = webhooks_read.webhooks(ctx.session, every=True)
        attempts = webhooks_read.last_attempts(ctx.session, [h.id for h in hooks], per_webhook=3)
        summary = html.Div(" · ".join(f"{counts[s]:,} {s}" for s in webhooks_read.EVENT_STATUSES),
                           className="text-muted small mb-1")
        return (html.Div([summary, webhook_event_rows(rows)]),
                webhooks_panel.webhook_list(hooks, attempts, show_company=True, controls=False))
