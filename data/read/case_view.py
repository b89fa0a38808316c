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
    actor_id: Optional[str] = None  # so a screen can say "you" to the person who acted


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
    files = _files_of(session, [e.seq for e in events])
    out = []
    for e in events:
        name, role = actors.get(e.actor_id, (None, None))
        out.append(TimelineEntry(
            id=e.id, action=e.action, reporter_type=e.reporter_type, actor_name=name, actor_role=role,
            created_at=e.created_at, details=e.details,
            staff_only=not (e.viewable_by_customer or e.viewable_by_merchant),
            data=e.data, files=tuple(files.get(e.seq, ())), actor_id=e.actor_id,
        ))
    return out


TIMELINE_PAGE = 50  # events per page of the case timeline


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]  # oldest first, as the case unfolded
    earlier: Optional[int]  # `before` for the page of events before these; None: there are none


def timeline_page(session: Session, *, case_id: str, visibility: ColumnElement[bool], before: Optional[int] = None,
                  limit: int = TIMELINE_PAGE) -> TimelinePage:
    """The newest `limit` events the viewer may read (`visibility`, from
    `dashboard.permissions.event_visibility_for`) before event `before`, oldest first.

    A keyset page on (case_id, seq), read backwards over ix_case_events_case_seq: two
    statements (the events with their actors, then the files of these events) whatever
    the number of events; "show earlier" passes `earlier` back as `before`."""
    limit = max(1, min(int(limit), 200))
    stmt = (select(CaseEvent.seq, CaseEvent.id, CaseEvent.action, CaseEvent.reporter_type, CaseEvent.details,
                   CaseEvent.data, CaseEvent.viewable_by_customer, CaseEvent.viewable_by_merchant,
                   CaseEvent.created_at, CaseEvent.actor_id, User.name.label("actor_name"),
                   User.role.label("actor_role"))
            .outerjoin(User, User.id == CaseEvent.actor_id)
            .where(CaseEvent.case_id == case_id, visibility)
            .order_by(CaseEvent.seq.desc()).limit(limit + 1))
    if before is not None:
        stmt = stmt.where(CaseEvent.seq < int(before))
    rows = list(session.execute(stmt))
    more = len(rows) > limit
    rows = rows[:limit][::-1]
    files = _files_of(session, [r.seq for r in rows])
    entries = [TimelineEntry(
        id=r.id, action=r.action, reporter_type=r.reporter_type, actor_name=r.actor_name, actor_role=r.actor_role,
        created_at=r.created_at, details=r.details, staff_only=not (r.viewable_by_customer or r.viewable_by_merchant),
        data=r.data, files=tuple(files.get(r.seq, ())), actor_id=r.actor_id,
    ) for r in rows]
    return TimelinePage(entries, rows[0].seq if more and rows else None)


def _files_of(session: Session, seqs: list[int]) -> dict[int, list[FileRow]]:
    """Ready files of these events, in one statement."""
    files: dict[int, list[FileRow]] = {}
    if not seqs:
        return files
    stmt = (select(EvidenceFile.event_seq, EvidenceFile.id, EvidenceFile.filename, EvidenceFile.content_type,
                   EvidenceFile.size, EvidenceFile.party)
            .where(EvidenceFile.event_seq.in_(seqs), EvidenceFile.status == "ready")
            .order_by(EvidenceFile.created_at, EvidenceFile.id))
    for row in session.execute(stmt):
        files.setdefault(row.event_seq, []).append(FileRow(row.id, row.filename, row.content_type, row.size, row.party))
    return files


@dataclass(frozen=True)
class EventFiles:
    """The files one event attached, and who attached them (for the evidence panel)."""
    reporter_type: str
    files: tuple[FileRow, ...]


def case_evidence(session: Session, *, case_id: str, visibility: ColumnElement[bool]) -> list[EventFiles]:
    """Every ready file attached to the case through an event the viewer may read, grouped
    by event in timeline order: one statement, independent of how far the timeline is paged
    (files are few: three per party, three per action)."""
    stmt = (select(CaseEvent.seq, CaseEvent.reporter_type, EvidenceFile.id, EvidenceFile.filename,
                   EvidenceFile.content_type, EvidenceFile.size, EvidenceFile.party)
            .join(CaseEvent, CaseEvent.seq == EvidenceFile.event_seq)
            .where(EvidenceFile.case_id == case_id, CaseEvent.case_id == case_id, EvidenceFile.status == "ready",
                   visibility)
            .order_by(CaseEvent.seq, EvidenceFile.created_at, EvidenceFile.id))
    groups: dict[int, tuple[str, list[FileRow]]] = {}
    for r in session.execute(stmt):
        groups.setdefault(r.seq, (r.reporter_type, []))[1].append(
            FileRow(r.id, r.filename, r.content_type, r.size, r.party))
    return [EventFiles(kind, tuple(files)) for kind, files in groups.values()]


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
    recipient_role: Optional[str] = None  # the role of the user with that address (None: no such user)
    event_key: str = ""  # the event the email is about (the dedupe key's event part): one group per event


def _event_key(dedupe_key: str) -> str:
    # An event's emails are keyed "<event id>:<address>" (dashboard.notifications); a key
    # of another shape is its own group.
    return dedupe_key.split(":", 1)[0] if ":" in dedupe_key else dedupe_key


def outbox_for_case(session: Session, *, case_id: str, limit: int = 50) -> tuple[list[EmailRow], int]:
    """Emails about one case, newest first, with delivery state and the recipient's role
    (staff only: the caller checks). Two statements: the count, then the rows with the
    recipient's role joined by address."""
    total = session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.case_id == case_id)) or 0
    rows = session.execute(
        select(OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.template, OutboxEmail.status,
               OutboxEmail.attempts, OutboxEmail.last_error, OutboxEmail.created_at, OutboxEmail.sent_at,
               User.role.label("recipient_role"), OutboxEmail.dedupe_key)
        .outerjoin(User, User.email == OutboxEmail.recipient)
        .where(OutboxEmail.case_id == case_id)
        .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        .limit(limit)
    )
    out = []
    for row in rows:
        fields = dict(row._mapping)
        fields["event_key"] = _event_key(fields.pop("dedupe_key"))
        out.append(EmailRow(**fields))
    return out, total


@dataclass(frozen=True)
class EmailGroup:
    """The emails one event sent (one per recipient), newest event first."""
    event_key: str
    template: str
    subject: str
    created_at: dt.datetime
    emails: tuple[EmailRow, ...]

    @property
    def statuses(self) -> set[str]:
        return {e.status for e in self.emails}


def emails_by_event(rows: Sequence[EmailRow]) -> list[EmailGroup]:
    """`rows` (newest first, as `outbox_for_case` reads them) grouped by the event they are
    about, in the same order; the recipients of a group in the order they were written."""
    groups: dict[str, list[EmailRow]] = {}
    for r in rows:
        groups.setdefault(r.event_key, []).append(r)
    return [EmailGroup(key, g[-1].template, g[-1].subject, g[-1].created_at, tuple(reversed(g)))
            for key, g in groups.items()]


def staff_choices(session: Session, roles: Iterable[str] = ("reviewer", "manager")) -> list[tuple[str, str, str]]:
    """(id, name, role) of active staff a manager can assign a case to."""
    rows = session.execute(select(User.id, User.name, User.role)
                           .where(User.role.in_(list(roles)), User.is_active.is_(True))
                           .order_by(User.name, User.id))
    return [(r.id, r.name, r.role) for r in rows]
