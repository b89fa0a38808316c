"""Leasing due work rows and backing off after a failure: the part the email outbox
(`dashboard.notifications.outbox`) and the money executor (`dashboard.money.executor`)
share.

Both keep a queue table with `id`, `case_id`, `status`, `attempts` and
`next_attempt_at`; a row is due when it is pending and `next_attempt_at <= now`.
A worker leases a batch in one statement,

    UPDATE t SET attempts = attempts + 1, next_attempt_at = :now + :lease
    WHERE id IN (SELECT id FROM t WHERE status = 'pending' AND next_attempt_at <= :now
                 ORDER BY next_attempt_at, id LIMIT :n FOR UPDATE SKIP LOCKED)
    RETURNING ...

so on PostgreSQL several workers take disjoint batches without waiting on each other,
and a worker that dies leaves its rows due again once the lease runs out. What a
worker then does with a row (send it, pay it) and how it records the answer stays
with its owner; only the lease and the retry schedule are here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from sqlalchemy import ColumnElement, Row, and_, exists, select, update
from sqlalchemy.orm import Session

PENDING = "pending"


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `base` after the first failed attempt, doubling each time,
    never more than `cap`."""

    base: dt.timedelta
    cap: dt.timedelta

    def after(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt."""
        return min(self.cap, self.base * (2 ** max(0, attempts - 1)))


def due(model: Any, now: dt.datetime) -> ColumnElement[bool]:
    """The condition of a due row; the claim and the scheduler's probe use the same one,
    so both read the same partial index."""
    return and_(model.status == PENDING, model.next_attempt_at <= now)


def due_exists(model: Any, now: dt.datetime):
    """EXISTS of a due row (the scheduler's probe, jobs.probe)."""
    return exists(select(model.id).where(due(model, now)))


def lease_due(session: Session, model: Any, now: dt.datetime, *, lease: dt.timedelta, limit: int,
              returning: Sequence[str], case_id: Optional[str] = None) -> list[Row]:
    """Lease the next `limit` due rows of `model` in one statement (no commit): count the
    attempt and push `next_attempt_at` to `now + lease`, so no other worker claims them
    while this one works. Returns the `returning` columns of the leased rows, in the
    database's order (callers sort). Oldest due first; `case_id` keeps to one case."""
    pick = (select(model.id)
            .where(due(model, now))
            .order_by(model.next_attempt_at, model.id)
            .limit(limit)
            .with_for_update(skip_locked=True))
    if case_id is not None:
        pick = pick.where(model.case_id == case_id)
    t = model.__table__
    stmt = (update(t).where(t.c.id.in_(pick.scalar_subquery()))
            .values(attempts=t.c.attempts + 1, next_attempt_at=now + lease)
            .returning(*(t.c[name] for name in returning)))
    return list(session.execute(stmt).all())
