"""Staff daily digests (dashboard.notifications.digest): one short transaction per person
whose digest is due; the emails go out with the outbox job, which runs after this one."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dashboard.context import Ctx
from dashboard.notifications import digest
from dashboard.settings import Settings


def send_digests(session: Session, now: dt.datetime, *, settings: Settings) -> dict[str, int]:
    """Every digest due as of `now`. Returns {"sent": digests written}. People whose 08:00
    has not come yet where they are, or whom another scheduler is serving, are looked at
    and left (not counted: a count would mark an idle pass busy, jobs.runner)."""
    ctx = Ctx(session, now, settings)
    sent = 0
    after = None
    while True:
        with session.begin():
            ids = digest.candidates(ctx, after=after)
        if not ids:
            break
        for user_id in ids:
            with session.begin():
                sent += digest.send_for(ctx, user_id)
        after = ids[-1]
    return {"sent": sent}
