"""Read model for the audit log (managers): one page of audit events, newest first,
filtered by kind and time, with the actor's name; and keyset batches for the CSV
export. The caller checks that the viewer is a manager; nothing here filters by viewer."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.models import AuditEvent, User


@dataclass(frozen=True)
class AuditFilter:
    kinds: tuple[str, ...] = ()  # empty: every kind
    since: Optional[dt.datetime] = None  # inclusive
    until: Optional[dt.datetime] = None  # exclusive


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    kind: str
    actor_id: Optional[str]
    actor_name: Optional[str]
    email: Optional[str]
    address: Optional[str]
    case_id: Optional[str]
    details: Optional[dict[str, Any]]


def _where(f: AuditFilter) -> list:
    where = []
    if f.kinds:
        where.append(AuditEvent.kind.in_(f.kinds))
    if f.since is not None:
        where.append(AuditEvent.at >= f.since)
    if f.until is not None:
        where.append(AuditEvent.at < f.until)
    return where


def _select():
    return (select(AuditEvent.id, AuditEvent.at, AuditEvent.kind, AuditEvent.actor_id, User.name.label("actor_name"),
                   AuditEvent.email, AuditEvent.address, AuditEvent.case_id, AuditEvent.details)
            .outerjoin(User, User.id == AuditEvent.actor_id))


def count(session: Session, f: AuditFilter) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(*_where(f))) or 0


def page(session: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50) -> list[AuditRow]:
    """Newest first. Offset paging: the screen shows page numbers over a filtered,
    indexed range (ix_audit_events_kind_at / ix_audit_events_at)."""
    stmt = (_select().where(*_where(f)).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .offset(max(0, offset)).limit(limit))
    return [AuditRow(**row._mapping) for row in session.execute(stmt)]


def batch(session: Session, f: AuditFilter, *, after: Optional[tuple[dt.datetime, int]] = None,
          limit: int = 1000) -> list[AuditRow]:
    """Oldest first, keyset on (at, id): for exports of any size in bounded memory."""
    where = _where(f)
    if after is not None:
        at, row_id = after
        where.append(or_(AuditEvent.at > at, and_(AuditEvent.at == at, AuditEvent.id > row_id)))
    stmt = _select().where(*where).order_by(AuditEvent.at, AuditEvent.id).limit(limit)
    return [AuditRow(**row._mapping) for row in session.execute(stmt)]

