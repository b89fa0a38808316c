"""Read model for the deliveries view (staff): the email outbox with its delivery
state, and the money movements that have not gone through yet. The caller checks
that the viewer is staff; nothing here filters by viewer. Counts come from SQL and
lists are paged on the server."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from data.models import MoneyMovement, OutboxEmail

EMAIL_STATUSES = ("pending", "sent", "failed")


@dataclass(frozen=True)
class EmailDelivery:
    id: int
    case_id: Optional[str]
    recipient: str
    subject: str
    template: str
    status: str
    attempts: int
    next_attempt_at: Optional[dt.datetime]
    last_error: Optional[str]
    created_at: dt.datetime
    sent_at: Optional[dt.datetime]


def email_counts(session: Session) -> dict[str, int]:
    """{status: count} with every status present."""
    counts = dict(session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all())
    return {status: counts.get(status, 0) for status in EMAIL_STATUSES}


def emails(session: Session, *, status: Optional[str], offset: int = 0, limit: int = 25) -> tuple[list[EmailDelivery], int]:
    """One page of outbox emails (all statuses when `status` is None) and their total.
    Pending ones come in the order they will be tried; the others newest first."""
    where = [OutboxEmail.status == status] if status else []
    total = session.scalar(select(func.count()).select_from(OutboxEmail).where(*where)) or 0
    order = ((OutboxEmail.next_attempt_at, OutboxEmail.id) if status == "pending"
             else (OutboxEmail.id.desc(),))
    stmt = (select(OutboxEmail.id, OutboxEmail.case_id, OutboxEmail.recipient, OutboxEmail.subject,
                   OutboxEmail.template, OutboxEmail.status, OutboxEmail.attempts, OutboxEmail.next_attempt_at,
                   OutboxEmail.last_error, OutboxEmail.created_at, OutboxEmail.sent_at)
            .where(*where).order_by(*order).offset(max(0, offset)).limit(limit))
    return [EmailDelivery(**row._mapping) for row in session.execute(stmt)], total


@dataclass(frozen=True)
class MovementDelivery:
    id: int
    case_id: str
    kind: str
    amount_minor: int
    currency: str
    provider: str
    status: str
    attempts: int
    next_attempt_at: Optional[dt.datetime]
    last_error: Optional[str]
    created_at: dt.datetime


def unsettled_movements(session: Session, *, limit: int = 100) -> tuple[list[MovementDelivery], int]:
    """Money movements not completed (pending, retrying or failed), failed first, then
    those tried most often; and how many there are in all."""
    where = MoneyMovement.status != "succeeded"
    total = session.scalar(select(func.count()).select_from(MoneyMovement).where(where)) or 0
    stmt = (select(MoneyMovement.id, MoneyMovement.case_id, MoneyMovement.kind, MoneyMovement.amount_minor,
                   MoneyMovement.currency, MoneyMovement.provider, MoneyMovement.status, MoneyMovement.attempts,
                   MoneyMovement.next_attempt_at, MoneyMovement.last_error, MoneyMovement.created_at)
            .where(where)
            .order_by(case((MoneyMovement.status == "failed", 0), else_=1), MoneyMovement.attempts.desc(),
                      MoneyMovement.created_at, MoneyMovement.id)
            .limit(limit))
    return [MovementDelivery(**row._mapping) for row in session.execute(stmt)], total
