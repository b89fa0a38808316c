"""One person's staff notifications, as the navbar's bell and /notifications read them.

Every read is bounded and walks an index of (user_id, …), whatever the table holds:
- the unread count reads at most CAP + 1 entries of ix_staff_notifications_unread (a
  partial index of the unread rows) and the bell says "99+" beyond CAP;
- the latest rows and each page read ix_staff_notifications_user_created backwards from
  a keyset cursor (created_at, id) — no OFFSET, so page 1,000 costs what page 1 does.

A cursor is opaque to the browser (base64url of JSON [created_at, id]); one that does not
decode is ignored (the first page), never trusted: the query is always the viewer's own rows.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.models import StaffNotification

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
