"""The loop every deadline job shares: claim the next batch of due cases, act on each
through its `dashboard.cases.system` function, commit the batch, repeat until nothing
is due. A backlog of any size (the scheduler was down for days) is cleared in one
sweep, oldest deadline first, and one bad case cannot hold back the others.

Each batch is one transaction that starts by locking up to `batch_size` due cases in
one statement (`system.claim_due`: `FOR UPDATE SKIP LOCKED ... LIMIT n`), so on
PostgreSQL several schedulers take disjoint batches, never waiting on one another and
never both working on one case; each handler then re-checks its case under that lock
through the lifecycle table. A process killed mid-batch leaves an open transaction
that PostgreSQL rolls back: its cases are simply still due. SQLite has no row locks;
there a single scheduler holds the file (`jobs.lock`), and each batch holds the write
lock for its length (a batch of 200 is a fraction of a second).

Failures: the batch runs without savepoints (they cost two statements per case). When
a case fails, the batch is rolled back whole, the failing case is set aside for this
sweep, and the rest of the sweep runs with a savepoint per case, so every other case
of the batch is claimed again and applied — none is lost, none is applied twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Optional

from sqlalchemy.orm import Session

from data.models import Case
from dashboard.cases.system import claim_due
from dashboard.context import Ctx
from dashboard.enums import Action
from dashboard.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # cases per transaction

Handler = Callable[[Ctx, Case], Optional[Case]]


def for_each_due(session: Session, now: dt.datetime, *, settings: Settings, action: Action, handler: Handler,
                 limit: Optional[int] = None, batch_size: int = BATCH_SIZE) -> tuple[int, int, int]:
    """Run `handler` on every case due for `action` as of `now` (at most `limit` cases,
    None = all), `batch_size` cases per transaction; returns (due, acted, errors).

    `handler` is a `dashboard.cases.system.*_locked` function: it re-checks the locked
    case and returns None when another worker (or an earlier run) already did the work.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ctx = Ctx(session, now, settings)
    due = acted = errors = 0
    # Cases looked at that stay due (the handler failed, or declined): not again this sweep.
    passed: set[str] = set()
    done: set[str] = set()
    careful = False  # a savepoint per case, from the first failure on
    while limit is None or due < limit:
        size = batch_size if limit is None else min(batch_size, limit - due)
        failing: Optional[str] = None  # the case in hand while the batch has no savepoints
        try:
            cases = claim_due(ctx, action, limit=size, exclude=passed)
            batch_due = batch_acted = 0
            batch_done: list[str] = []
            for case in cases:
                if case.id in done:  # acted on, yet due again: never loop on it
                    passed.add(case.id)
                    continue
                batch_due += 1
                if careful:
                    try:
                        with session.begin_nested():
                            result = handler(ctx, case)
                    except Exception:  # noqa: BLE001 - one case must not stop the others
                        errors += 1
                        passed.add(case.id)
                        log.exception("%s failed on case %s", action.value, case.id)
                        continue
                else:
                    failing = case.id
                    result = handler(ctx, case)
                    failing = None
                if result is None:
                    passed.add(case.id)
                else:
                    batch_acted += 1
                    batch_done.append(case.id)
            session.commit()
        except Exception:
            session.rollback()
            session.expunge_all()
            if failing is None:
                raise  # the claim or the commit failed: nothing to set aside, the runner reports it
            # The batch is undone: set the failing case aside and claim the others again.
            log.exception("%s failed on case %s", action.value, failing)
            due += 1
            errors += 1
            passed.add(failing)
            careful = True
            continue
        session.expunge_all()  # a long sweep must not keep every case it touched in memory
        due += batch_due
        acted += batch_acted
        done.update(batch_done)
        if len(cases) < size:
            break
    return due, acted, errors
