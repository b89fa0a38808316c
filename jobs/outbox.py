"""Deliver the email outbox (SPEC §7).

Like the money executor, in three short steps that never hold a transaction open
while talking to a mail server: (1) claim due rows, leasing them by pushing
`next_attempt_at` so other workers skip them; (2) send; (3) record `sent` (with a
staff-only `email_sent` timeline event) or schedule a retry with exponential
backoff, giving up (`failed`) after MAX_ATTEMPTS or on a permanent 5xx answer.
A crash between (2) and (3) resends once the lease runs out: delivery is at least
once, and the resent mail has the same Message-ID (and the same .eml file name).
Nothing else can send a row twice: a batch that is still sending when half its lease
has gone stops and hands its unsent rows back, so no other worker can claim a row
while it is being sent (the row's `dedupe_key` is unique, so neither can a cause
that is written twice).

`drain_outbox` (the scheduler's job) repeats batches until nothing is due, so a
backlog goes out in one run; `deliver_outbox` is one batch.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.models import Case, OutboxEmail
from dashboard import timeline
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.settings import Settings
from jobs.mail import DeliveryError, Outgoing, Transport, build_message, transport_for

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)
MAX_ATTEMPTS = 12  # 1, 2, 4 ... 32 minutes, then hourly: about six hours of trying
# A batch hands back what it has not sent yet once this much of its lease is gone.
SEND_WITHIN = LEASE / 2
DRAIN_SECONDS = 60.0  # one drain run at most this long, so the other jobs get their turn


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def claim_due(session: Session, now: dt.datetime, *, limit: int = 100, case_id: Optional[str] = None) -> list[Outgoing]:
    stmt = (
        select(OutboxEmail)
        .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if case_id is not None:
        stmt = stmt.where(OutboxEmail.case_id == case_id)
    claimed = []
    for e in session.scalars(stmt):
        e.attempts += 1
        e.next_attempt_at = now + LEASE
        claimed.append(outgoing(e))
    session.commit()
    return claimed


def outgoing(e: OutboxEmail) -> Outgoing:
    return Outgoing(e.id, e.case_id, e.dedupe_key, e.template, e.recipient, e.subject, e.body_text, e.body_html,
                    e.created_at, e.attempts)


def _lock_pending(session: Session, outbox_id: int) -> Optional[OutboxEmail]:
    e = session.scalar(select(OutboxEmail).where(OutboxEmail.id == outbox_id).with_for_update()
                       .execution_options(populate_existing=True))
    return e if e is not None and e.status == "pending" else None


def _staff_event(ctx: Ctx, case_id: Optional[str], *, action: str, details: str, data: dict) -> None:
    case = ctx.session.get(Case, case_id) if case_id else None
    if case is not None:
        timeline.record(ctx, case, action=action, party=Party.SYSTEM, actor=None, details=details, data=data,
                        staff_only=True)


def mark_sent(ctx: Ctx, e: OutboxEmail) -> None:
    """Record a delivered email and its staff-only timeline event (no commit)."""
    e.status, e.sent_at, e.next_attempt_at, e.last_error = "sent", ctx.now, None, None
    _staff_event(ctx, e.case_id, action="email_sent", details=f"Email “{e.subject}” sent to {e.recipient}.",
                 data={"outbox_id": e.id, "recipient": e.recipient, "template": e.template, "attempts": e.attempts})


def record_sent(ctx: Ctx, mail: Outgoing) -> bool:
    e = _lock_pending(ctx.session, mail.id)
    if e is None:
        ctx.session.commit()
        return False  # another worker recorded it first
    mark_sent(ctx, e)
    ctx.session.commit()
    return True


def record_failure(ctx: Ctx, mail: Outgoing, error: DeliveryError, *, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Returns "failed" (given up) or "retrying"; "" when someone else recorded it."""
    e = _lock_pending(ctx.session, mail.id)
    if e is None:
        ctx.session.commit()
        return ""
    e.last_error = str(error)[:2000]
    if error.permanent or e.attempts >= max_attempts:
        e.status, e.next_attempt_at = "failed", None
        why = "was refused permanently" if error.permanent else f"failed {e.attempts} times"
        _staff_event(ctx, e.case_id, action="email_failed",
                     details=f"Email “{e.subject}” to {e.recipient} {why} and will not be retried: {error}",
                     data={"outbox_id": e.id, "recipient": e.recipient, "attempts": e.attempts})
        outcome = "failed"
    else:
        e.next_attempt_at = ctx.now + backoff(e.attempts)
        outcome = "retrying"
    ctx.session.commit()
    return outcome


def release(session: Session, now: dt.datetime, mails: list[Outgoing]) -> None:
    """Hand claimed rows back unsent: due again at once, the claim not counted as an attempt."""
    if mails:
        session.execute(update(OutboxEmail)
                        .where(OutboxEmail.id.in_([m.id for m in mails]), OutboxEmail.status == "pending")
                        .values(next_attempt_at=now, attempts=OutboxEmail.attempts - 1))
    session.commit()


def deliver_outbox(session: Session, now: dt.datetime, *, settings: Settings, transport: Optional[Transport] = None,
                   limit: int = 100, case_id: Optional[str] = None, max_attempts: int = MAX_ATTEMPTS,
                   send_within: dt.timedelta = SEND_WITHIN) -> dict[str, int]:
    """Send one batch of what is due as of `now`. Commits as it goes; returns
    {"claimed", "sent", "retrying", "failed"} ("released" too when the batch ran out of time)."""
    counts = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}
    transport = transport or transport_for(settings)  # a bad SMTP_URL fails here, before anything is claimed
    claimed = claim_due(session, now, limit=limit, case_id=case_id)
    if not claimed:
        return counts
    counts["claimed"] = len(claimed)
    ctx = Ctx(session, now, settings)
    deadline = time.monotonic() + send_within.total_seconds()
    with transport as t:
        for n, mail in enumerate(claimed):
            if time.monotonic() > deadline:
                # A slow server: stop before the lease runs out and another worker claims these.
                rest = claimed[n:]
                log.warning("outbox batch too slow; handing %s unsent emails back", len(rest))
                release(session, now, rest)
                counts["released"] = len(rest)
                break
            try:
                t.send(build_message(mail, settings), mail)
            except DeliveryError as exc:
                log.warning("email %s to %s not delivered (attempt %s): %s", mail.id, mail.recipient,
                            mail.attempts, exc)
                outcome = record_failure(ctx, mail, exc, max_attempts=max_attempts)
                if outcome:
                    counts[outcome] += 1
                continue
            except Exception as exc:  # noqa: BLE001 - an unexpected bug still gets a retry, not a lost mail
                log.exception("email %s: unexpected delivery error", mail.id)
                outcome = record_failure(ctx, mail, DeliveryError(repr(exc)), max_attempts=max_attempts)
                if outcome:
                    counts[outcome] += 1
                continue
            if record_sent(ctx, mail):
                counts["sent"] += 1
    return counts


def drain_outbox(session: Session, now: dt.datetime, *, settings: Settings, transport: Optional[Transport] = None,
                 limit: int = 100, max_seconds: float = DRAIN_SECONDS) -> dict[str, int]:
    """Batches of `deliver_outbox` until nothing is due, or a batch met a server in
    trouble (the rest waits for its backoff rather than being tried in vain), or
    `max_seconds` have passed. Each batch gets its own connection."""
    if transport is None:
        transport_for(settings)  # a bad SMTP_URL fails before anything is claimed
    total = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    while True:
        counts = deliver_outbox(session, now, settings=settings, transport=transport, limit=limit)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if counts["claimed"] < limit or counts["retrying"] or counts.get("released"):
            return total
        if time.monotonic() - started > max_seconds:
            return total
