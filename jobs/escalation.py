"""Escalate cases nobody answered in time (SPEC §3.6)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy.orm import Session

from dashboard.cases import system
from dashboard.enums import Action
from dashboard.settings import Settings
from jobs._per_case import BATCH_SIZE, for_each_due


def escalate_overdue(session: Session, now: dt.datetime, *, settings: Settings,
                     limit: Optional[int] = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Every case waiting on a party past `response_due_at` goes to the platform, in
    transactions of `batch_size` cases. Returns {"due", "escalated", "errors"}; a second
    run finds nothing due. Nothing due costs one statement (the empty claim)."""
    due, escalated, errors = for_each_due(session, now, settings=settings, action=Action.ESCALATE_OVERDUE,
                                          handler=system.escalate_locked, limit=limit, batch_size=batch_size)
    return {"due": due, "escalated": escalated, "errors": errors}
