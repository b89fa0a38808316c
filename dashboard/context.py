"""What every domain call needs: the open session, the moment it acts as of, and settings.

Domain functions never read the clock or open transactions themselves: the caller
(API route, callback, job) owns both, so tests can act "as of" any moment.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from sqlalchemy.orm import Session

from dashboard.settings import Settings


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Ctx:
    session: Session
    now: dt.datetime
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Ctx.now must be timezone-aware")
        self.now = self.now.astimezone(dt.timezone.utc)

    def days(self, n: int) -> dt.timedelta:
        return dt.timedelta(days=n)
