"""Housekeeping: forget what has stopped mattering — API idempotency records past their
24 hours, sign-in throttle counters with no lockout running and their window over, and
webhook deliveries finished more than 30 days ago (a batch per run).

Both are plain deletes on indexed timestamps, safe to run twice and from several
schedulers at once (a row deleted by one is simply not there for the other).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dashboard import throttle
from dashboard.api import idempotency
from dashboard.context import Ctx
from dashboard.settings import Settings
from dashboard.webhooks import console


def forget_expired(session: Session, now: dt.datetime, *, settings: Settings) -> dict[str, int]:
    with session.begin():
        ctx = Ctx(session, now, settings)
        return {"idempotency_records_deleted": idempotency.delete_expired(ctx),
                "throttle_counters_deleted": throttle.delete_idle(ctx),
                "webhook_deliveries_deleted": console.forget_old_deliveries(ctx)}
