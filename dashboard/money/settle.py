"""Moving a case's money at once, right after the action that recorded it committed.

The API routes and the case-page callbacks both call `settle_case` once their
transaction is committed, so a refund or payout is attempted before the answer goes
back. A failure here is never the caller's: the action stands, the movement stays due
and the scheduler's money job retries it on its timetable (`executor.settle_due`
without a case). So the error is logged and swallowed, and the answer is the case as
it now is.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy.orm import Session, sessionmaker

from dashboard.money.executor import settle_due
from dashboard.money.gateways import GatewayRegistry
from dashboard.settings import Settings

log = logging.getLogger("dashboard.money")


def settle_case(Session: sessionmaker[Session], gateways: GatewayRegistry, now: dt.datetime, *,
                settings: Settings, case_id: str,
                logger: Optional[logging.Logger] = None) -> Optional[dict[str, int]]:
    """Pay what `case_id` has due now, in a session of its own. Returns settle_due's
    counts, or None when it failed (logged on `logger`, the caller's, so the log says
    which door the action came through; the scheduler retries)."""
    try:
        with Session() as session:
            return settle_due(session, gateways, now, settings=settings, case_id=case_id)
    except Exception:  # noqa: BLE001 - the action already succeeded; money retries in the scheduler
        (logger or log).exception("settling money for case %s failed; the scheduler will retry", case_id)
        return None
