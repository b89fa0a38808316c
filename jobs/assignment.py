"""Hand the cases nobody holds in front of the platform to the staff on duty (issue 10,
item 6; the rule is `dashboard.duty`).

Batches as the deadline sweeps do (`jobs._per_case`): each batch is one transaction that
locks up to `batch_size` unassigned review cases, oldest first (`duty.claim_unassigned`,
SKIP LOCKED), then the on-duty people (`duty.on_duty_staff`), counts their open cases, and
assigns case by case, counting what it hands out as it goes. The next batch seeks past the
last case looked at, so the cases that stay (parked by a manager, or waiting for room) are
looked at once per run, not in a loop. A run stops as soon as nobody on duty has room:
the rest wait for the next run, a minute later.

Failures: the batch runs without savepoints; when a case fails the batch is rolled back
whole, that case is set aside for this run, and the batch is tried again with a savepoint
per case, so no other case is lost or assigned twice.

Reports {"assigned", "waiting" (looked at, left in the queue for want of room), "errors"};
parked cases are in none of them (they are not the job's).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy.orm import Session

from dashboard import duty
from dashboard.context import Ctx
from dashboard.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # cases per transaction


def assign_waiting(session: Session, now: dt.datetime, *, settings: Settings, batch_size: int = BATCH_SIZE,
                   limit: Optional[int] = None) -> dict[str, int]:
    """Assign every unassigned case under review or in final review that someone on duty
    has room for (at most `limit` cases looked at, None = all)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ctx = Ctx(session, now, settings)
    assigned = waiting = errors = seen = 0
    after: Optional[tuple[dt.datetime, str]] = None
    set_aside: set[str] = set()
    careful = False  # a savepoint per case, from the first failure on
    while limit is None or seen < limit:
        size = batch_size if limit is None else min(batch_size, limit - seen)
        failing: Optional[str] = None
        try:
            cases = duty.claim_unassigned(ctx, limit=size, after=after)
            if not cases:
                session.commit()
                break
            last = (cases[-1].updated_at, cases[-1].id)  # before assigning touches updated_at
            parked = duty.parked(ctx, [c.id for c in cases])
            staff = duty.on_duty_staff(ctx) if len(parked) < len(cases) else []
            batch_assigned = batch_waiting = 0
            for case in cases:
                if case.id in parked or case.id in set_aside:
                    continue
                to = duty.pick(staff, case)
                if to is None:
                    batch_waiting += 1
                    continue
                if careful:
                    try:
                        with session.begin_nested():
                            done = duty.assign_automatically(ctx, case, to)
                    except Exception:  # noqa: BLE001 - one case must not stop the others
                        errors += 1
                        set_aside.add(case.id)
                        log.exception("auto-assignment failed on case %s", case.id)
                        continue
                else:
                    failing = case.id
                    done = duty.assign_automatically(ctx, case, to)
                    failing = None
                batch_assigned += done is not None
            session.commit()
        except Exception:
            session.rollback()
            session.expunge_all()
            if failing is None:
                raise  # the claim or the commit failed: the runner reports it
            log.exception("auto-assignment failed on case %s", failing)
            errors += 1
            set_aside.add(failing)
            careful = True
            continue  # the same batch again (the keyset has not moved), the failing case left out
        session.expunge_all()  # a long run must not keep every case it touched in memory
        assigned += batch_assigned
        waiting += batch_waiting
        seen += len(cases)
        after = last
        if len(cases) < size or (staff and not any(s.has_room for s in staff)):
            break  # the end of the queue, or nobody has room for the rest: they wait for the next run
        if not staff and batch_waiting:
            break  # nobody on duty
    return {"assigned": assigned, "waiting": waiting, "errors": errors}
