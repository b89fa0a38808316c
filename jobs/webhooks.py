"""Deliver the webhook outbox (issue 11). Leasing, signing, sending and recording live in
`dashboard.webhooks.delivery`; this is its scheduled entry point."""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable, Optional

from sqlalchemy.orm import Session

from dashboard.settings import Settings
from dashboard.webhooks.delivery import BATCH_SIZE, deliver_batch
from dashboard.webhooks.sender import Send

DRAIN_SECONDS = 60.0  # one run at most this long, so the other jobs get their turn


def deliver_webhooks(session: Session, now: dt.datetime, *, settings: Settings, send: Optional[Send] = None,
                     limit: int = BATCH_SIZE, max_seconds: float = DRAIN_SECONDS,
                     wall: Callable[[], float] = time.time) -> dict[str, int]:
    """Batches until nothing is claimable or `max_seconds` have passed. Unlike the email
    outbox this goes on after a short batch: a case's next event becomes claimable only
    once the one before it was delivered, so a batch can free the next one up."""
    totals = {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    while True:
        counts = deliver_batch(session, now, settings=settings, send=send, limit=limit, wall=wall)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if not counts["claimed"] or counts.get("released") or time.monotonic() - started > max_seconds:
            return totals
