"""Send the email outbox (SPEC §7). The leases, sending and recording live in
`dashboard.notifications.outbox`; this is its scheduled entry point."""
from __future__ import annotations

import datetime as dt
import time
from typing import Optional

from sqlalchemy.orm import Session

from dashboard.notifications.mail import Transport, transport_for
from dashboard.notifications.outbox import BATCH_SIZE, deliver_outbox
from dashboard.settings import Settings

DRAIN_SECONDS = 60.0  # one run at most this long, so the other jobs get their turn


def drain_outbox(session: Session, now: dt.datetime, *, settings: Settings, transport: Optional[Transport] = None,
                 limit: int = BATCH_SIZE, max_seconds: float = DRAIN_SECONDS) -> dict[str, int]:
    """Batches of `deliver_outbox` until nothing is due, or a batch met a server in
    trouble (the rest waits for its backoff rather than being tried in vain), or
    `max_seconds` have passed. Each batch gets its own connection."""
    if transport is None:
        transport_for(settings)  # a bad SMTP_URL fails before anything is claimed
    total = {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    while True:
        counts = deliver_outbox(session, now, settings=settings, transport=transport, limit=limit)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if counts["claimed"] < limit or counts["retrying"] or counts.get("released"):
            return total
        if time.monotonic() - started > max_seconds:
            return total
