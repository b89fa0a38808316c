"""Delivering webhook events (issue 11), as the email outbox delivers emails: in three
short steps per batch that never hold a transaction open while calling an endpoint.

1. Lease up to BATCH_SIZE claimable events in one statement (`UPDATE … WHERE id IN
   (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`, `dashboard.leases`' pattern),
   pushing `next_attempt_at` past the lease so no other scheduler takes them. Claimable:
   pending, due, its webhook enabled, and no earlier event of the same webhook and case
   still pending — so a case's events reach an endpoint in order, one at a time.
2. POST each, signed (`signing`), to the address its URL resolves to now (`urls`: a
   name that turned private since it was saved is refused here). The `webhook-id` is
   the event's id on every attempt; `webhook-timestamp` is the moment of sending by
   the wall clock, because the receiver checks it against its own (the Standard
   Webhooks libraries refuse one more than five minutes off).
3. Record the batch in one transaction: the attempt (status code, response time,
   error), the event (delivered; or retried after BACKOFF; or failed after
   MAX_ATTEMPTS, about three days), the webhook's failure streak — and a webhook whose
   every delivery failed for DISABLE_AFTER is disabled (`delivery_failures`), its
   pending events dropped and its owner emailed through the email outbox.

Exactly once per event and webhook across schedulers: the lease keeps others off an
event while it is sent, a batch hands back what it has not sent once half its lease is
gone, recording only touches events still pending, and `dedupe_key` keeps a change
from being queued twice. (A crash between sending and recording resends once the lease
runs out, with the same `webhook-id`, which receivers deduplicate on.)
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import time
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.orm import Session, aliased

from data.models import OutboxEmail, User, Webhook, WebhookAttempt, WebhookEvent
from dashboard import leases
from dashboard.context import Ctx
from dashboard.settings import Settings
from dashboard.timezones import local_text, zone_of
from dashboard.webhooks import manage, signing
from dashboard.webhooks.sender import Answer, Send, post
from dashboard.webhooks.urls import UrlRefused, check_url

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
SEND_WITHIN = LEASE / 2  # then the batch hands back what it has not sent
BACKOFF = leases.Backoff(base=dt.timedelta(minutes=1), cap=dt.timedelta(hours=12))
# Waits of 1, 2, 4 … 512 minutes, then 12 hours: the 16th and last attempt comes about
# 77 hours (3.2 days) after the first.
MAX_ATTEMPTS = 16
DISABLE_AFTER = dt.timedelta(days=3)  # every delivery failing this long disables the webhook
DISABLED_REASON = "delivery_failures"
BATCH_SIZE = 50


@dataclass(frozen=True)
class Due:
    id: str
    webhook_id: str
    case_id: Optional[str]
    body: str
    attempts: int
    url: str
    secret: str


def backoff(attempts: int) -> dt.timedelta:
    return BACKOFF.after(attempts)


def claimable(now: dt.datetime):
    """The condition of an event the job may send now (the claim and the probe share it)."""
    e, earlier = WebhookEvent, aliased(WebhookEvent)
    return and_(
        leases.due(e, now),
        exists(select(Webhook.id).where(Webhook.id == e.webhook_id, Webhook.enabled.is_(True))),
        ~exists(select(earlier.id).where(earlier.webhook_id == e.webhook_id, earlier.case_id == e.case_id,
                                         earlier.status == leases.PENDING, earlier.seq < e.seq)),
    )


def claimable_exists(now: dt.datetime):
    return exists(select(WebhookEvent.id).where(claimable(now)))


def claim_due(session: Session, now: dt.datetime, *, limit: int = BATCH_SIZE) -> list[Due]:
    """Lease the next `limit` claimable events in one statement and commit."""
    t = WebhookEvent.__table__
    pick = (select(WebhookEvent.id).where(claimable(now))
            .order_by(WebhookEvent.next_attempt_at, WebhookEvent.id).limit(limit)
            .with_for_update(skip_locked=True, of=WebhookEvent))
    rows = session.execute(
        update(t).where(t.c.id.in_(pick.scalar_subquery()))
        .values(attempts=t.c.attempts + 1, next_attempt_at=now + LEASE)
        .returning(t.c.id, t.c.webhook_id, t.c.case_id, t.c.body, t.c.attempts)).all()
    hooks = {}
    if rows:
        hooks = {h.id: (h.url, h.secret) for h in session.execute(
            select(Webhook.id, Webhook.url, Webhook.secret).where(Webhook.id.in_({r.webhook_id for r in rows})))}
    session.commit()
    return sorted((Due(r.id, r.webhook_id, r.case_id, r.body, r.attempts, *hooks[r.webhook_id])
                   for r in rows if r.webhook_id in hooks), key=lambda d: d.id)


def attempt(due: Due, settings: Settings, send: Send, wall: Callable[[], float]) -> Answer:
    """One signed POST of one event; never raises."""
    try:
        target = check_url(due.url, settings)
    except UrlRefused as refused:
        return Answer(False, None, 0, refused.message)
    headers = signing.headers(due.secret, due.id, int(wall()), due.body)
    try:
        return send(target, due.body, headers)
    except Exception as exc:  # noqa: BLE001 - a bug in sending is a failed attempt, retried, not a lost event
        log.exception("webhook event %s: unexpected error while sending", due.id)
        return Answer(False, None, 0, f"{type(exc).__name__}: {exc}"[:500])


def record(ctx: Ctx, due: Due, answer: Answer) -> str:
    """Record one attempt (no commit): "delivered", "retrying", "failed", or "" when the
    event was recorded by someone else (or dropped by a disable) meanwhile."""
    t = WebhookEvent.__table__
    final = not answer.ok and due.attempts >= MAX_ATTEMPTS
    values = dict(last_status_code=answer.status_code, last_response_ms=answer.response_ms, last_error=answer.error)
    if answer.ok:
        values.update(status="delivered", delivered_at=ctx.now, next_attempt_at=None)
    elif final:
        values.update(status="failed", next_attempt_at=None)
    else:
        values.update(next_attempt_at=ctx.now + backoff(due.attempts))
    # The webhook's row first, then the event's: every recorder (and a disable, which
    # touches the webhook's other events) takes them in that order, so none deadlocks.
    # NO KEY UPDATE: a case change inserting an event for this webhook is not held up.
    hook = ctx.session.get(Webhook, due.webhook_id, with_for_update={"key_share": True})
    if hook is None:  # deleted while this was being sent (its events and attempts with it)
        return ""
    ctx.session.execute(insert(WebhookAttempt).values(
        webhook_id=due.webhook_id, event_id=due.id, attempt=due.attempts, at=ctx.now, ok=answer.ok,
        status_code=answer.status_code, response_ms=answer.response_ms, error=answer.error))
    recorded = ctx.session.scalar(update(t).where(t.c.id == due.id, t.c.status == leases.PENDING)
                                  .values(**values).returning(t.c.id))
    if recorded is None:
        return ""
    if answer.ok:
        hook.consecutive_failures, hook.failing_since = 0, None
        return "delivered"
    if due.attempts == 1:  # Whop counts deliveries whose first attempt failed, not retries
        hook.consecutive_failures = (hook.consecutive_failures or 0) + 1
    hook.failing_since = hook.failing_since or ctx.now
    if final:
        hook.last_failure_at = ctx.now
    if hook.enabled and hook.failing_since <= ctx.now - DISABLE_AFTER:
        disable_failing(ctx, hook, answer)
    return "failed" if final else "retrying"


def disable_failing(ctx: Ctx, hook: Webhook, answer: Answer) -> None:
    """Every delivery failed for DISABLE_AFTER: disable it and tell its owner."""
    dropped = manage.disable(ctx, hook, reason=DISABLED_REASON)
    log.warning("webhook %s disabled after failing since %s (%s pending events dropped)", hook.id,
                hook.failing_since, dropped)
    owner = ctx.session.get(User, hook.owner_user_id)
    if owner is not None and owner.is_active:
        queue_disabled_email(ctx, hook, owner, answer)


def queue_disabled_email(ctx: Ctx, hook: Webhook, owner: User, answer: Answer) -> OutboxEmail:
    zone = zone_of(owner)
    since = local_text(hook.failing_since or ctx.now, zone)
    why = answer.error or (f"HTTP {answer.status_code}" if answer.status_code else "no answer")
    paragraphs = [
        f"We turned off your webhook to {hook.url} on {local_text(ctx.now, zone)}: every delivery to it has "
        f"failed since {since}.",
        f"The last attempt: {why}.",
        "Case events that happened since then will not be sent to it.",
        f"Fix the endpoint so that it answers with a 2xx status, then turn the webhook ({hook.id}) on again — on "
        "your company page, or with PATCH /api/v1/webhooks/{id} and {\"enabled\": true}. Events from then on "
        "will be sent.".replace("{id}", hook.id),
    ]
    text = "\n\n".join([f"Hello {owner.name},", *paragraphs, "— Resolution Center"])
    body_html = "".join(f"<p>{html.escape(p)}</p>" for p in [f"Hello {owner.name},", *paragraphs,
                                                             "— Resolution Center"])
    email = OutboxEmail(case_id=None, dedupe_key=f"webhook_disabled:{hook.id}:{ctx.now.isoformat()}",
                        template="webhook_disabled", recipient=owner.email,
                        subject=f"Your webhook to {hook.url[:120]} was turned off", body_text=text,
                        body_html=body_html, status="pending", attempts=0, next_attempt_at=ctx.now,
                        created_at=ctx.now)
    ctx.session.add(email)
    return email


def release(session: Session, now: dt.datetime, rest: list[Due]) -> None:
    """Hand leased events back unsent: due again at once, the lease not counted."""
    if rest:
        session.execute(update(WebhookEvent)
                        .where(WebhookEvent.id.in_([d.id for d in rest]), WebhookEvent.status == leases.PENDING)
                        .values(next_attempt_at=now, attempts=WebhookEvent.attempts - 1)
                        .execution_options(synchronize_session=False))


def deliver_batch(session: Session, now: dt.datetime, *, settings: Settings, send: Optional[Send] = None,
                  limit: int = BATCH_SIZE, wall: Callable[[], float] = time.time,
                  send_within: dt.timedelta = SEND_WITHIN) -> dict[str, int]:
    """Lease, send and record one batch as of `now`: {"claimed", "delivered", "retrying",
    "failed"} ("released" too when the batch ran out of time)."""
    send = send or post
    counts = {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0}
    claimed = claim_due(session, now, limit=limit)
    if not claimed:
        return counts
    counts["claimed"] = len(claimed)
    answers: list[tuple[Due, Answer]] = []
    deadline = time.monotonic() + send_within.total_seconds()
    try:
        for due in claimed:
            if time.monotonic() > deadline:
                log.warning("webhook batch too slow; handing %s events back", len(claimed) - len(answers))
                break
            answers.append((due, attempt(due, settings, send, wall)))
    finally:
        ctx = Ctx(session, now, settings)
        # By webhook, so concurrent recorders lock the webhooks' rows in one order.
        for due, answer in sorted(answers, key=lambda pair: (pair[0].webhook_id, pair[0].id)):
            outcome = record(ctx, due, answer)
            if outcome:
                counts[outcome] += 1
        rest = claimed[len(answers):]
        release(session, now, rest)
        session.commit()
    if rest:
        counts["released"] = len(rest)
    return counts
