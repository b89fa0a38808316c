"""What the screens do to webhooks beyond the API's create/update/delete: send a test
event (the webhook's owner side: its company's creators, or the platform), and put a
failed delivery back in the queue (staff, from the Deliveries screen).

A test event is a real delivery — signed, retried, recorded — of a `.updated` event
whose body carries `"test": true` and, as `data`, the newest case the webhook may hear
of (as it would hear of it), so a receiver sees the exact shape it will get. With no case
yet, `data` is null. One test at a time per webhook: another click while one is on its
way is refused, so a double click does not send two.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, select

from data.models import Case, User, WebhookAttempt, WebhookEvent, new_id
from dashboard.context import Ctx
from dashboard.errors import Conflict, Forbidden, NotFound
from dashboard.permissions import is_staff
from dashboard.webhooks import API_VERSION, CASE_UPDATED, events, manage

TEST_PREFIX = "test:"


def _newest_case(ctx: Ctx, company_id):
    stmt = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(1)
    if company_id is not None:
        stmt = stmt.where(Case.company_id == company_id)
    return ctx.session.scalar(stmt)


def send_test_event(ctx: Ctx, user: User, webhook_id: str) -> WebhookEvent:
    hook = manage.load_webhook(ctx, user, webhook_id, lock=True)
    if not hook.enabled:
        raise Conflict("webhook_disabled", "This webhook is disabled: enable it first, then send a test event.")
    waiting = ctx.session.scalar(select(WebhookEvent.id).where(
        WebhookEvent.webhook_id == hook.id, WebhookEvent.status == "pending",
        WebhookEvent.dedupe_key.startswith(f"{TEST_PREFIX}{hook.id}:")).limit(1))
    if waiting is not None:
        raise Conflict("test_already_pending", "A test event is already on its way to this webhook; its result "
                                               "shows under Last deliveries within a few seconds.")
    msg_id = new_id("msg_")
    case = _newest_case(ctx, hook.company_id)
    if case is not None:
        listener = events.Listener(hook.id, hook.company_id, hook.owner_user_id, hook.owner.role,
                                   frozenset(hook.events or ()))
        body = json.loads(events.envelope(ctx, msg_id, CASE_UPDATED, case, events.viewer_for(listener)))
    else:
        # The envelope's own shape and time format (events.envelope), with no case to carry.
        stamp = ctx.now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
        body = {"id": msg_id, "api_version": API_VERSION, "type": CASE_UPDATED, "timestamp": stamp,
                "company_id": hook.company_id, "data": None}
    body["test"] = True
    row = WebhookEvent(id=msg_id, webhook_id=hook.id, case_id=None, event_type=CASE_UPDATED,
                       body=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                       dedupe_key=f"{TEST_PREFIX}{hook.id}:{msg_id}", seq=0, status="pending", attempts=0,
                       next_attempt_at=ctx.now, created_at=ctx.now)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def is_test(event: WebhookEvent) -> bool:
    return event.dedupe_key.startswith(TEST_PREFIX)


def retry_event(ctx: Ctx, *, actor: User, event_id: str) -> WebhookEvent:
    """A failed delivery back to pending, tried within seconds, with the same webhook-id
    (the receiver's dedupe still works) and a fresh backoff."""
    if not is_staff(actor):
        raise Forbidden("staff_only", "Only the platform's reviewers and managers can retry deliveries.")
    row = ctx.session.get(WebhookEvent, event_id, with_for_update=True) if isinstance(event_id, str) else None
    if row is None:
        raise NotFound("webhook delivery")
    if row.status != "failed":
        raise Conflict("not_failed", "Only a failed delivery can be retried; this one is "
                                     f"{'delivered' if row.status == 'delivered' else 'still being tried'}.")
    hook = manage.load_webhook(ctx, actor, row.webhook_id)
    if not hook.enabled:
        raise Conflict("webhook_disabled", "The webhook is disabled: enable it first (its owner or staff can), "
                                           "then retry.")
    row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, ctx.now, None
    ctx.session.flush()
    return row


# Whop keeps a webhook's deliveries 30 days; so do we (the Deliveries screen and the last
# deliveries of the company page read only recent ones anyway).
KEEP_DELIVERIES = dt.timedelta(days=30)
FORGET_BATCH = 5000


def finished_before(now: dt.datetime):
    return (WebhookEvent.status.in_(("delivered", "failed")), WebhookEvent.created_at < now - KEEP_DELIVERIES)


def forget_old_deliveries(ctx: Ctx) -> int:
    """Delete delivered and failed events older than KEEP_DELIVERIES, with their attempts,
    a batch at a time (ix_webhook_events_status_created); pending ones are never touched."""
    ids = ctx.session.scalars(select(WebhookEvent.id).where(*finished_before(ctx.now))
                              .order_by(WebhookEvent.status, WebhookEvent.created_at).limit(FORGET_BATCH)).all()
    if not ids:
        return 0
    ctx.session.execute(delete(WebhookAttempt).where(WebhookAttempt.event_id.in_(ids))
                        .execution_options(synchronize_session=False))
    ctx.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids))
                        .execution_options(synchronize_session=False))
    return len(ids)
