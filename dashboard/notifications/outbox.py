"""Deliver the email outbox (SPEC §7).

Like the money executor, in three short steps per batch that never hold a transaction
open while talking to a mail server: (1) lease up to BATCH_SIZE due rows in one
statement (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
RETURNING ...`), pushing `next_attempt_at` past the lease so other workers skip them;
(2) build and send them over one connection; (3) record the whole batch in one
transaction: `sent` (with staff-only `email_sent` timeline events, one multi-row
INSERT) or a retry with exponential backoff, giving up (`failed`) after MAX_ATTEMPTS
or on a permanent 5xx answer. A crash between (2) and (3) resends once the lease runs
out: delivery is at least once, and the resent mail has the same Message-ID (and the
same .eml file name). Nothing else can send a row twice: a batch that is still
sending when half its lease has gone stops and hands its unsent rows back, so no
other worker can claim a row while it is being sent (the row's `dedupe_key` is
unique, so neither can a cause that is written twice). Recording only touches rows
still pending, so a row recorded by someone else is never recorded twice.

`deliver_outbox` is one batch; the scheduler's job (`jobs.outbox.drain_outbox`) repeats
it until nothing is due, so a backlog goes out in one run. The lease and the backoff
schedule are the ones money uses (`dashboard.leases`).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Optional

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from data.models import Case, CaseEvent, OutboxEmail
from dashboard import leases, timeline
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.notifications.mail import DeliveryError, Outgoing, Transport, build_message, transport_for
from dashboard.settings import Settings

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BACKOFF = leases.Backoff(base=dt.timedelta(minutes=1), cap=dt.timedelta(hours=1))
MAX_ATTEMPTS = 12  # 1, 2, 4 ... 32 minutes, then hourly: about six hours of trying
# A batch hands back what it has not sent yet once this much of its lease is gone.
SEND_WITHIN = LEASE / 2
BATCH_SIZE = 200  # emails per lease, connection and recording transaction


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt."""
    return BACKOFF.after(attempts)


def claim_due(session: Session, now: dt.datetime, *, limit: int = BATCH_SIZE,
              case_id: Optional[str] = None) -> list[Outgoing]:
    """Lease the next `limit` due rows in one statement and commit: `UPDATE ... WHERE id
    IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING ...`, which counts the
    attempt and pushes `next_attempt_at` past the lease so no other worker claims them.
    Oldest due first."""
    rows = leases.lease_due(session, OutboxEmail, now, lease=LEASE, limit=limit, case_id=case_id,
                            returning=("id", "case_id", "dedupe_key", "template", "recipient", "subject",
                                       "body_text", "body_html", "created_at", "attempts"))
    claimed = sorted((Outgoing(*row) for row in rows), key=lambda m: m.id)
    session.commit()
    return claimed


def outgoing(e: OutboxEmail) -> Outgoing:
    return Outgoing(e.id, e.case_id, e.dedupe_key, e.template, e.recipient, e.subject, e.body_text, e.body_html,
                    e.created_at, e.attempts)


def _staff_event(ctx: Ctx, case_id: Optional[str], *, action: str, details: str, data: dict) -> None:
    case = ctx.session.get(Case, case_id) if case_id else None
    if case is not None:
        timeline.record(ctx, case, action=action, party=Party.SYSTEM, actor=None, details=details, data=data,
                        staff_only=True)


def _sent_details(subject: str, recipient: str) -> str:
    return f"Email “{subject}” sent to {recipient}."


def mark_sent(ctx: Ctx, e: OutboxEmail) -> None:
    """Record one delivered email and its staff-only timeline event (no commit)."""
    e.status, e.sent_at, e.next_attempt_at, e.last_error = "sent", ctx.now, None, None
    _staff_event(ctx, e.case_id, action="email_sent", details=_sent_details(e.subject, e.recipient),
                 data={"outbox_id": e.id, "recipient": e.recipient, "template": e.template, "attempts": e.attempts})


def record_sent(ctx: Ctx, mails: list[Outgoing]) -> int:
    """Record a batch as delivered (no commit): one `UPDATE ... RETURNING` that only
    touches rows still pending (a row someone else recorded is left alone), then the
    staff-only `email_sent` events of those rows in one multi-row INSERT. Returns how
    many were recorded."""
    if not mails:
        return 0
    t = OutboxEmail.__table__
    recorded = set(ctx.session.scalars(
        update(t).where(t.c.id.in_([m.id for m in mails]), t.c.status == "pending")
        .values(status="sent", sent_at=ctx.now, next_attempt_at=None, last_error=None)
        .returning(t.c.id)))
    events = [dict(case_id=m.case_id, action="email_sent", reporter_type=Party.SYSTEM.value, actor_id=None,
                   details=_sent_details(m.subject, m.recipient),
                   data={"outbox_id": m.id, "recipient": m.recipient, "template": m.template,
                         "attempts": m.attempts},
                   viewable_by_customer=False, viewable_by_merchant=False, created_at=ctx.now)
              for m in mails if m.id in recorded and m.case_id]
    if events:
        # The same row timeline.record writes (staff-only, reported by the system), for
        # the whole batch in one statement; no case row changes.
        ctx.session.execute(insert(CaseEvent), events)
    return len(recorded)


def record_failures(ctx: Ctx, failures: list[tuple[Outgoing, DeliveryError]], *,
                    max_attempts: int = MAX_ATTEMPTS) -> dict[str, int]:
    """Record failed attempts (no commit): a retry after `backoff` for each, in one
    executemany UPDATE; a permanent refusal or the last attempt fails the row for good
    with a staff-only `email_failed` event (rare: one statement each). Rows someone else
    recorded meanwhile are left alone. Returns {"retrying", "failed"}."""
    counts = {"retrying": 0, "failed": 0}
    t = OutboxEmail.__table__
    retries = [dict(b_id=m.id, b_next=ctx.now + backoff(m.attempts), b_error=str(error)[:2000])
               for m, error in failures if not (error.permanent or m.attempts >= max_attempts)]
    if retries:
        done = ctx.session.execute(
            update(t).where(t.c.id == bindparam("b_id"), t.c.status == "pending")
            .values(next_attempt_at=bindparam("b_next"), last_error=bindparam("b_error")), retries)
        counts["retrying"] = done.rowcount if done.rowcount is not None and done.rowcount >= 0 else len(retries)
    for m, error in failures:
        if not (error.permanent or m.attempts >= max_attempts):
            continue
        given_up = ctx.session.scalar(
            update(t).where(t.c.id == m.id, t.c.status == "pending")
            .values(status="failed", next_attempt_at=None, last_error=str(error)[:2000]).returning(t.c.id))
        if given_up is None:
            continue  # someone else recorded it
        why = "was refused permanently" if error.permanent else f"failed {m.attempts} times"
        _staff_event(ctx, m.case_id, action="email_failed",
                     details=f"Email “{m.subject}” to {m.recipient} {why} and will not be retried: {error}",
                     data={"outbox_id": m.id, "recipient": m.recipient, "attempts": m.attempts})
        counts["failed"] += 1
    return counts


def release(session: Session, now: dt.datetime, mails: list[Outgoing]) -> None:
    """Hand claimed rows back unsent (no commit): due again at once, the claim not
    counted as an attempt."""
    if mails:
        session.execute(update(OutboxEmail)
                        .where(OutboxEmail.id.in_([m.id for m in mails]), OutboxEmail.status == "pending")
                        .values(next_attempt_at=now, attempts=OutboxEmail.attempts - 1))


def deliver_outbox(session: Session, now: dt.datetime, *, settings: Settings, transport: Optional[Transport] = None,
                   limit: int = BATCH_SIZE, case_id: Optional[str] = None, max_attempts: int = MAX_ATTEMPTS,
                   send_within: dt.timedelta = SEND_WITHIN) -> dict[str, int]:
    """Send one batch of what is due as of `now`: lease it (one statement, committed),
    send it over one connection, record the results (one transaction). Returns
    {"claimed", "sent", "retrying", "failed"} ("released" too when the batch ran out of time)."""
    counts = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}
    transport = transport or transport_for(settings)  # a bad SMTP_URL fails here, before anything is claimed
    claimed = claim_due(session, now, limit=limit, case_id=case_id)
    if not claimed:
        return counts
    counts["claimed"] = len(claimed)
    sent: list[Outgoing] = []
    failures: list[tuple[Outgoing, DeliveryError]] = []
    rest: list[Outgoing] = []
    deadline = time.monotonic() + send_within.total_seconds()
    try:
        with transport as t:
            for n, mail in enumerate(claimed):
                if time.monotonic() > deadline:
                    # A slow server: stop before the lease runs out and another worker claims these.
                    rest = claimed[n:]
                    log.warning("outbox batch too slow; handing %s unsent emails back", len(rest))
                    break
                try:
                    t.send(build_message(mail, settings), mail)
                except DeliveryError as exc:
                    log.warning("email %s to %s not delivered (attempt %s): %s", mail.id, mail.recipient,
                                mail.attempts, exc)
                    failures.append((mail, exc))
                    continue
                except Exception as exc:  # noqa: BLE001 - an unexpected bug still gets a retry, not a lost mail
                    log.exception("email %s: unexpected delivery error", mail.id)
                    failures.append((mail, DeliveryError(repr(exc))))
                    continue
                sent.append(mail)
    finally:
        # Whatever happened while sending, what was sent is recorded (else it would be
        # sent again when the lease runs out) and the rest goes back.
        ctx = Ctx(session, now, settings)
        counts["sent"] = record_sent(ctx, sent)
        for key, value in record_failures(ctx, failures, max_attempts=max_attempts).items():
            counts[key] += value
        done = {m.id for m in sent} | {m.id for m, _ in failures}
        rest = [m for m in claimed if m.id not in done]
        release(session, now, rest)
        session.commit()
    if rest:
        counts["released"] = len(rest)
    return counts
