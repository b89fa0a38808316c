"""The loop every deadline job shares: find the due cases, then act on each in its
own transaction, so one bad case cannot hold back the others."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy.orm import Session

from data.models import Case
from dashboard.cases.system import due_case_ids
from dashboard.context import Ctx
from dashboard.enums import Action
from dashboard.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Ctx, str], Optional[Case]]
MAX_ROUNDS = 50  # a safety stop; each round only starts if the previous one made progress


def for_each_due(session: Session, now: dt.datetime, *, settings: Settings, action: Action, handler: Handler,
                 limit: int = 500) -> tuple[int, int, int]:
    """Run `handler` on every case due for `action` as of `now`; returns (due, acted, errors).

    `handler` is a `dashboard.cases.system` function: it locks the case, re-checks and
    returns None when another worker (or an earlier run) already did the work.
    """
    due = acted = errors = 0
    failed: set[str] = set()
    for _ in range(MAX_ROUNDS):
        ids = due_case_ids(Ctx(session, now, settings), action, limit=limit)
        # End the read at once: on SQLite every transaction holds the write lock.
        session.commit()
        fresh = [case_id for case_id in ids if case_id not in failed]
        acted_this_round = 0
        for case_id in fresh:
            due += 1
            try:
                if handler(Ctx(session, now, settings), case_id) is not None:
                    acted_this_round += 1
                session.commit()
            except Exception:  # noqa: BLE001 - one case must not stop the others
                session.rollback()
                failed.add(case_id)
                errors += 1
                log.exception("%s failed on case %s", action.value, case_id)
        acted += acted_this_round
        # A full batch may hide more due cases; look again only if this one moved forward.
        if len(ids) < limit or acted_this_round == 0:
            break
    return due, acted, errors
