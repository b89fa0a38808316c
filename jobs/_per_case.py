"""The loop every deadline job shares: claim the next due case, act on it in its own
transaction, repeat until nothing is due. One bad case cannot hold back the others,
and a backlog of any size (the scheduler was down for days) is cleared in one sweep,
oldest deadline first.

Each transaction starts by claiming one case with `FOR UPDATE SKIP LOCKED`
(`due_case_ids(..., limit=1, skip_locked=True)`), so on PostgreSQL several schedulers
share a backlog case by case, never waiting on one another and never both working on
one case; the handler then re-checks under that lock. A process killed mid-case
leaves an open transaction that PostgreSQL rolls back: the case is simply still due.
"""
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


def for_each_due(session: Session, now: dt.datetime, *, settings: Settings, action: Action, handler: Handler,
                 limit: Optional[int] = None) -> tuple[int, int, int]:
    """Run `handler` on every case due for `action` as of `now` (at most `limit` cases,
    None = all); returns (due, acted, errors).

    `handler` is a `dashboard.cases.system` function: it locks the case, re-checks and
    returns None when another worker (or an earlier run) already did the work.
    """
    ctx = Ctx(session, now, settings)
    due = acted = errors = 0
    # Cases looked at that stay due (the handler failed, or declined): not again this sweep.
    passed: set[str] = set()
    done: set[str] = set()
    while limit is None or due < limit:
        ids = due_case_ids(ctx, action, limit=1, skip_locked=True, exclude=passed)
        if not ids:
            session.commit()
            break
        case_id = ids[0]
        if case_id in done:  # acted on, yet due again: never loop on it
            passed.add(case_id)
            session.commit()
            continue
        due += 1
        try:
            result = handler(ctx, case_id)
            session.commit()
        except Exception:  # noqa: BLE001 - one case must not stop the others
            session.rollback()
            passed.add(case_id)
            errors += 1
            log.exception("%s failed on case %s", action.value, case_id)
            continue
        finally:
            session.expunge_all()  # a long sweep must not keep every case it touched in memory
        if result is None:
            passed.add(case_id)
        else:
            acted += 1
            done.add(case_id)
    return due, acted, errors
