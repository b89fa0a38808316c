"""Send the email outbox (SPEC §7). The leases, sending and recording live in
`dashboard.notifications.outbox`; this is its scheduled entry point."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy.orm import Session

from dashboard.notifications.mail import Transport, transport_for
from dashboard.notifications.outbox import BATCH_SIZE, deliver_outbox
from dashboard.settings import Settings
from jobs._drain import drain

DRAIN_SECONDS = 60.0  # one run at most this long, so the other jobs get their turn


def drain_outbox(session: Session, now: dt.datetime, *, settings: Settings, transport: Optional[Transport] = None,
                 limit: int = BATCH_SIZE, max_seconds: float = DRAIN_SECONDS) -> dict[str, int]:
    """Batches of `deliver_outbox` until nothing is due, or a batch met a server in
    trouble (the rest waits for its backoff rather than being tried in vain), or
    `max_seconds` have passed. Each batch gets its own connection."""
    if transport is None:
        transport_for(settings)  # a bad SMTP_URL fails before anything is claimed
    return drain(lambda: deliver_outbox(session, now, settings=settings, transport=transport, limit=limit),
                 {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}, limit=limit, max_seconds=max_seconds,
                 stop=lambda counts: bool(counts["retrying"] or counts.get("released")))
