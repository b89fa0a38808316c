"""One person's staff notifications, as the navbar's bell and /notifications read them.

Every read is bounded and walks an index of (user_id, …), whatever the table holds:
- the unread count reads at most CAP + 1 entries of ix_staff_notifications_unread (a
  partial index of the unread rows) and the bell says "99+" beyond CAP;
- the latest rows and each page read ix_staff_notifications_user_created backwards from
  a keyset cursor (created_at, id) — no OFFSET, so page 1,000 costs what page 1 does.

A cursor is opaque to the browser (base64url of JSON [created_at, id]); one that does not
decode is ignored (the first page), never trusted: the query is always the viewer's own rows.

Each listed item also shows its case as it is NOW (`case_states`: one batched read of at
most a page's case ids, by primary key), so a notification about a case decided since says
so ("Done: decided by …") instead of still asking for a decision.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from data.models import Case, StaffNotification, User

CAP = 99


@dataclass(frozen=True)
class Row:
    id: int
    case_id: Optional[str]
    kind: str
    title: str
    body: str
    created_at: dt.datetime
    read: bool


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: Optional[str]


def unread_count(session: Session, user_id: str, *, cap: int = CAP) -> int:
    """How many unread, up to cap + 1 (more than `cap` is shown as "99+")."""
    ids = (select(StaffNotification.id)
           .where(StaffNotification.user_id == user_id, StaffNotification.read_at.is_(None))
           .limit(cap + 1).subquery())
    return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def badge_text(count: int, *, cap: int = CAP) -> str:
    return f"{cap}+" if count > cap else str(count)


def _row(n) -> Row:
    return Row(n.id, n.case_id, n.kind, n.title, n.body, n.created_at, n.read_at is not None)


def encode_cursor(created_at: dt.datetime, row_id: int) -> str:
    raw = json.dumps([created_at.astimezone(dt.timezone.utc).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: object) -> Optional[tuple[dt.datetime, int]]:
    if not isinstance(cursor, str) or not cursor or len(cursor) > 200:
        return None
    try:
        created, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = dt.datetime.fromisoformat(created)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if at.tzinfo is None or isinstance(row_id, bool) or not isinstance(row_id, int):
        return None
    return at, row_id


def page(session: Session, user_id: str, *, after: object = None, size: int = 25) -> Page:
    """Newest first, `size` rows after the cursor `after` (None: the first page)."""
    n = StaffNotification
    stmt = (select(n.id, n.case_id, n.kind, n.title, n.body, n.created_at, n.read_at).where(n.user_id == user_id)
            .order_by(n.created_at.desc(), n.id.desc()).limit(size + 1))
    key = decode_cursor(after)
    if key is not None:
        at, row_id = key
        stmt = stmt.where(or_(n.created_at < at, and_(n.created_at == at, n.id < row_id)))
    rows = [_row(r) for r in session.execute(stmt)]
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None)


def latest(session: Session, user_id: str, *, size: int = 10) -> list[Row]:
    return page(session, user_id, size=size).rows


# Kinds that ask the reader to decide: done once the case has been decided since.
ASKS_FOR_A_DECISION = ("escalated", "appealed", "answered")


@dataclass(frozen=True)
class CaseNow:
    """A listed notification's case as it is now."""

    status: str
    outcome: Optional[str]
    decided_at: Optional[dt.datetime]
    decided_by: Optional[str]
    final_decided_at: Optional[dt.datetime]
    final_decided_by: Optional[str]


def case_states(session: Session, case_ids: list[Optional[str]]) -> dict[str, CaseNow]:
    """The current state of the listed notifications' cases: one read by primary key (the
    callers pass at most a page, 10 or 25 ids), the deciders' names by primary key too."""
    ids = sorted({c for c in case_ids if c})
    if not ids:
        return {}
    decider, final_decider = aliased(User), aliased(User)
    stmt = (select(Case.id, Case.status, Case.outcome, Case.decided_at, decider.name, Case.final_decided_at,
                   final_decider.name)
            .outerjoin(decider, decider.id == Case.decided_by_id)
            .outerjoin(final_decider, final_decider.id == Case.final_decided_by_id)
            .where(Case.id.in_(ids)))
    return {r[0]: CaseNow(r[1], r[2], _aware(r[3]), r[4], _aware(r[5]), r[6]) for r in session.execute(stmt)}


def _aware(at: Optional[dt.datetime]) -> Optional[dt.datetime]:
    return at.replace(tzinfo=dt.timezone.utc) if at is not None and at.tzinfo is None else at


def done(row: Row, case: Optional[CaseNow]) -> Optional[str]:
    """How what this notification asked for was settled, when its case has been decided or
    closed since it was written: "decided by <name>", "closed" (withdrawn, say). None while
    it still needs doing, and for kinds that ask for nothing."""
    if case is None or row.kind not in ASKS_FOR_A_DECISION:
        return None
    created = _aware(row.created_at)
    if case.final_decided_at is not None and case.final_decided_at >= created:
        return f"decided by {case.final_decided_by or 'a reviewer'}"
    if case.decided_at is not None and case.decided_at >= created:
        return f"decided by {case.decided_by or 'a reviewer'}"
    if case.status == "closed":
        return "closed"
    return None
