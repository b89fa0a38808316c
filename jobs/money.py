"""Move the money recorded with outcomes, retrying failures with backoff (SPEC §6).
All the care (idempotency keys, leases, never holding a transaction over a provider
call) lives in `dashboard.money.executor`; this is its scheduled entry point."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dashboard.money.executor import settle_due
from dashboard.money.gateways import GatewayRegistry
from dashboard.settings import Settings


def retry_money(session: Session, now: dt.datetime, *, settings: Settings, gateways: GatewayRegistry,
                limit: int = 100) -> dict[str, int]:
    """Returns {"claimed", "succeeded", "failed"} (failed = this attempt failed)."""
    return settle_due(session, gateways, now, settings=settings, limit=limit)
