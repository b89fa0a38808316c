"""Read model for the case page (SPEC §9): what surrounds one case on screen.

Every function takes a session and plain values; lists of cases also take the
viewer's visibility clause (`dashboard.permissions.case_visibility(user)`), so a
creator never sees another company's case here. Counts and rates are computed in
SQL; nothing returns more rows than the page shows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import Case, CaseEvent, Company, EvidenceFile, MoneyMovement, OutboxEmail, Payment, User

DISPUTE_RATE_DAYS = 90


@dataclass(frozen=True)
class FileRow:
    id: str
    filename: str
    content_type: Optional[str]
    size: Optional[int]
    party: Optional[str]

    @property
    def is_image(self) -> bool:
        return (self.content_type or "").startswith("image/")


@dataclass(frozen=True)
class TimelineEntry:
    id: str
    action: str
    reporter_type: str
    actor_name: Optional[str]
    actor_role: Optional[str]
    created_at: dt.datetime
    details: Optional[str]
    staff_only: bool
    data: Optional[dict[str, Any]]
    files: tuple[FileRow, ...]


def timeline_entries(session: Session, events: Sequence[CaseEvent]) -> list[TimelineEntry]:
    """Events already filtered for the viewer (`dashboard.timeline.events_for`), with their
    actors and files fetched in two queries instead of two per event."""
    if not events:
        return []
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = {}
    if actor_ids:
        actors = {row.id: (row.name, row.role) for row in
                  session.execute(select(User.id, User.name, User.role).where(User.id.in_(actor_ids)))}
    files: dict[int, list[FileRow]] = {}
    stmt = (select(EvidenceFile.event_seq, EvidenceFile.id, EvidenceFile.filename, EvidenceFile.content_type,
                   EvidenceFile.size, EvidenceFile.party)
            .where(EvidenceFile.event_seq.in_([e.seq for e in events]), EvidenceFile.status == "ready")
            .order_by(EvidenceFile.created_at, EvidenceFile.id))
    for row in session.execute(stmt):
        files.setdefault(row.event_seq, []).append(
            FileRow(row.id, row.filename, row.content_type, row.size, row.party))
    out = []
    for e in events:
        name, role = actors.get(e.actor_id, (None, None))
        out.append(TimelineEntry(
            id=e.id, action=e.action, reporter_type=e.reporter_type, actor_name=name, actor_role=role,
            created_at=e.created_at, details=e.details,
            staff_only=not (e.viewable_by_customer or e.viewable_by_merchant),
            data=e.data, files=tuple(files.get(e.seq, ())),
        ))
    return out


@dataclass(frozen=True)
class OtherCase:
    id: str
    status: str
    outcome: Optional[str]
    reason: str
    amount_minor: int
    currency: str
    company_name: str
    created_at: dt.datetime


def other_cases(session: Session, visibility: ColumnElement[bool], *, customer_id: str, exclude_case_id: str,
                limit: int = 8) -> tuple[list[OtherCase], int]:
    """The customer's other cases that this viewer may see (newest first), and how many there are."""
    where = (Case.customer_id == customer_id, Case.id != exclude_case_id, visibility)
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    rows = session.execute(
        select(Case.id, Case.status, Case.outcome, Case.reason, Case.amount_minor, Case.currency,
               Company.name.label("company_name"), Case.created_at)
        .join(Company, Company.id == Case.company_id)
        .where(*where)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return [OtherCase(**row._mapping) for row in rows], total


@dataclass(frozen=True)
class DisputeRate:
    cases: int
    payments: int
    days: int

    @property
    def percent(self) -> Optional[Decimal]:
        if not self.payments:
            return None
        return (Decimal(self.cases) * 100 / Decimal(self.payments)).quantize(Decimal("0.1"))


def dispute_rate(session: Session, *, company_id: str, now: dt.datetime, days: int = DISPUTE_RATE_DAYS) -> DisputeRate:
    """Cases opened against the company / payments it took, over the last `days` days."""
    since = now - dt.timedelta(days=days)
    cases = session.scalar(select(func.count()).select_from(Case)
                           .where(Case.company_id == company_id, Case.created_at >= since, Case.created_at <= now))
    payments = session.scalar(select(func.count()).select_from(Payment)
                              .where(Payment.company_id == company_id, Payment.paid_at >= since,
                                     Payment.paid_at <= now))
    return DisputeRate(cases=cases or 0, payments=payments or 0, days=days)


@dataclass(frozen=True)
class MovementRow:
    kind: str
    amount_minor: int
    currency: str
    provider: str
    status: str
    attempts: int
    next_attempt_at: Optional[dt.datetime]
    provider_reference: Optional[str]
    last_error: Optional[str]
    created_at: dt.datetime
    completed_at: Optional[dt.datetime]


def movements(session: Session, *, case_id: str, settled_only: bool) -> list[MovementRow]:
    """Money movements of one case, oldest first. Parties see only what has happened
    (`settled_only`); staff also see pending and failing ones with their attempts."""
    stmt = (select(MoneyMovement.kind, MoneyMovement.amount_minor, MoneyMovement.currency, MoneyMovement.provider,
                   MoneyMovement.status, MoneyMovement.attempts, MoneyMovement.next_attempt_at,
                   MoneyMovement.provider_reference, MoneyMovement.last_error, MoneyMovement.created_at,
                   MoneyMovement.completed_at)
            .where(MoneyMovement.case_id == case_id)
            .order_by(MoneyMovement.created_at, MoneyMovement.id))
    if settled_only:
        stmt = stmt.where(MoneyMovement.status == "succeeded")
    return [MovementRow(**row._mapping) for row in session.execute(stmt)]


@dataclass(frozen=True)
class EmailRow:
    recipient: str
    subject: str
    template: str
    status: str
    attempts: int
    last_error: Optional[str]
    created_at: dt.datetime
    sent_at: Optional[dt.datetime]


def outbox_for_case(session: Session, *, case_id: str, limit: int = 50) -> tuple[list[EmailRow], int]:
    """Emails about one case, newest first, with delivery state (staff only: the caller checks)."""
    total = session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.case_id == case_id)) or 0
    rows = session.execute(
        select(OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.template, OutboxEmail.status,
               OutboxEmail.attempts, OutboxEmail.last_error, OutboxEmail.created_at, OutboxEmail.sent_at)
        .where(OutboxEmail.case_id == case_id)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(limit)
    )
    return [EmailRow(**row._mapping) for row in rows], total


def staff_choices(session: Session, roles: Iterable[str] = ("reviewer", "manager")) -> list[tuple[str, str, str]]:
    """(id, name, role) of active staff a manager can assign a case to."""
    rows = session.execute(select(User.id, User.name, User.role)
                           .where(User.role.in_(list(roles)), User.is_active.is_(True))
                           .order_by(User.name, User.id))
    return [(r.id, r.name, r.role) for r in rows]
