"""The loop the money and outbox jobs share: one leased batch after another
(`dashboard.leases`) until the queue is empty, the batch says to stop, or the run has
taken `max_seconds` — so a backlog goes out in one run, yet a run never starves the
other jobs of their turn."""
from __future__ import annotations

import time
from typing import Callable

Counts = dict[str, int]


def drain(batch: Callable[[], Counts], totals: Counts, *, limit: int, max_seconds: float,
          stop: Callable[[Counts], bool]) -> Counts:
    """Call `batch()` (one lease, work, record) and add its counts to `totals`, again while
    it claimed a full `limit`, `stop(counts)` is false and time is left."""
    started = time.monotonic()
    while True:
        counts = batch()
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if counts.get("claimed", 0) < limit or stop(counts) or time.monotonic() - started > max_seconds:
            return totals
