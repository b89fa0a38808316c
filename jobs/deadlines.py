"""Close what a missed deadline closes (SPEC §3.7, §3.11): a party the platform asked
did not answer, or an appeal window passed unused."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy.orm import Session

from dashboard.cases import system
from dashboard.context import Ctx
from dashboard.enums import Action
from dashboard.settings import Settings
from jobs._per_case import BATCH_SIZE, for_each_due

ACTIONS = (Action.EXPIRE_REVIEW_REQUEST, Action.CLOSE_APPEAL_WINDOW)


def close_expired(session: Session, now: dt.datetime, *, settings: Settings,
                  limit: Optional[int] = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Returns {"review_requests_due", "review_requests_expired", "appeal_windows_due",
    "appeal_windows_closed", "errors"}. Nothing due costs one statement (both probes in
    one `EXISTS ... OR EXISTS ...`)."""
    counts = {"review_requests_due": 0, "review_requests_expired": 0, "appeal_windows_due": 0,
              "appeal_windows_closed": 0, "errors": 0}
    due = system.any_due(Ctx(session, now, settings), ACTIONS)
    session.commit()
    if not due:
        return counts
    req_due, expired, req_errors = for_each_due(
        session, now, settings=settings, action=Action.EXPIRE_REVIEW_REQUEST,
        handler=system.expire_review_request_locked, limit=limit, batch_size=batch_size)
    win_due, closed, win_errors = for_each_due(
        session, now, settings=settings, action=Action.CLOSE_APPEAL_WINDOW,
        handler=system.close_appeal_window_locked, limit=limit, batch_size=batch_size)
    counts.update(review_requests_due=req_due, review_requests_expired=expired, appeal_windows_due=win_due,
                  appeal_windows_closed=closed, errors=req_errors + win_errors)
    return counts
