"""Move the money recorded with outcomes, retrying failures with backoff (SPEC §6).
All the care (idempotency keys, leases, never holding a transaction over a provider
call) lives in `dashboard.money.executor`; this is its scheduled entry point."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dashboard.money.executor import BATCH_SIZE, settle_due
from dashboard.money.gateways import GatewayRegistry
from dashboard.settings import Settings
from jobs._drain import drain

DRAIN_SECONDS = 60.0  # one run at most this long, so the other jobs get their turn


def retry_money(session: Session, now: dt.datetime, *, settings: Settings, gateways: GatewayRegistry,
                limit: int = BATCH_SIZE, max_seconds: float = DRAIN_SECONDS) -> dict[str, int]:
    """Pays what is due, in batches of `limit` until nothing is due, a batch pays
    nothing (the provider is down: the rest waits for its backoff) or `max_seconds`
    have passed. Returns {"claimed", "succeeded", "failed"} (failed = this attempt failed)."""
    return drain(lambda: settle_due(session, gateways, now, settings=settings, limit=limit),
                 {"claimed": 0, "succeeded": 0, "failed": 0}, limit=limit, max_seconds=max_seconds,
                 stop=lambda counts: not counts["succeeded"])  # the provider is down: wait for the backoff
