"""Staff on duty, their capacity, and the scheduler's automatic assignment (issue 10, item 6).

Managers put reviewers and managers on duty, each with a capacity of open cases
(`set_duty`; audited as `staff.duty`). The scheduler (`jobs.assignment`) then hands every
case in front of the platform that nobody holds — a new escalation, an appeal — to the
on-duty, active person with the fewest open cases who is under capacity (`pick`): never
the reviewer who made the first decision when it is a final review (§3.9); on a tie,
whoever was assigned least recently, then by id. Nobody on duty, or everyone full: the
case waits in the queue and the next run tries again.

Exactly once, with any number of schedulers: a batch locks its cases (`claim_unassigned`:
`FOR UPDATE SKIP LOCKED`, so two schedulers never hold the same case) and then the
on-duty people's rows (`on_duty_staff`: `FOR NO KEY UPDATE`, so two batches never count
the same free capacity; NO KEY leaves the foreign-key checks of everyone else's inserts
alone), and only then reads how many open cases each holds. Each assignment re-checks its
case under the lock and goes through `lifecycle.apply` with the system as the actor (the
table's `ASSIGN` row for `Party.SYSTEM`): the timeline says "Assigned automatically to
Ana (on duty, 3 of 10 open)" to staff only, the assignee is notified like any assignee,
and the case row's version is bumped, so a stale copy written elsewhere fails.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Collection, Optional

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import joinedload

from data.models import Case, CaseEvent, User
from data.read import team as team_read
from data.read import workload
from dashboard import audit
from dashboard.context import Ctx
from dashboard.enums import REVIEW_STAGES, STAFF_ROLES, Action, Party, Role, Stage
from dashboard.errors import Forbidden, Invalid
from dashboard.lifecycle import Applied, allowed, apply

MIN_CAPACITY, MAX_CAPACITY = 1, 200
KEEP: Any = object()  # `set_duty`: leave this setting as it is
_REVIEW = tuple(s.value for s in (Stage.UNDER_REVIEW, Stage.FINAL_REVIEW))
assert set(_REVIEW) == {s.value for s in REVIEW_STAGES}


# ----------------------------------------------------------------- managers set duty
@dataclass(frozen=True)
class DutyChange:
    member: User
    changed: bool  # False: it was already so (nothing written, nothing audited)


def capacity_of(member: User, settings) -> int:
    """The open cases a person on duty takes at most: their own, else the default."""
    return member.capacity if member.capacity is not None else settings.auto_assign_capacity


def _capacity(value: Any) -> Optional[int]:
    if value is None:
        return None  # the default (AUTO_ASSIGN_CAPACITY)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_CAPACITY <= value <= MAX_CAPACITY:
        raise Invalid("invalid_capacity", f"Capacity is a whole number of open cases from {MIN_CAPACITY} to "
                                          f"{MAX_CAPACITY}; leave it empty for the default.")
    return value


def set_duty(ctx: Ctx, *, actor: User, user_id: str, on_duty: Any = KEEP, capacity: Any = KEEP) -> DutyChange:
    """Put a reviewer or manager on or off duty and/or set their capacity (None: the default).
    Managers only; the person must be an active reviewer or manager to go on duty."""
    if actor.role != Role.MANAGER:
        raise Forbidden("managers_only", "Only managers can put people on duty or change their capacity.")
    member = ctx.session.scalar(select(User).where(User.id == str(user_id)).with_for_update(key_share=True)
                                .execution_options(populate_existing=True))
    if member is None or member.role not in STAFF_ROLES:
        raise Invalid("invalid_reviewer", "Choose a reviewer or manager.")
    if on_duty is not KEEP and not isinstance(on_duty, bool):
        raise Invalid("invalid_on_duty", "On duty is either on or off.")
    new_capacity = member.capacity if capacity is KEEP else _capacity(capacity)
    new_on_duty = bool(member.on_duty) if on_duty is KEEP else on_duty
    if new_on_duty and not member.is_active:
        raise Invalid("invalid_reviewer", f"{member.name}'s account is deactivated, so they cannot go on duty.")
    if (new_on_duty, new_capacity) == (bool(member.on_duty), member.capacity):
        return DutyChange(member, False)
    member.on_duty, member.capacity = new_on_duty, new_capacity
    audit.record(ctx, audit.AuditKind.STAFF_DUTY, actor_id=actor.id,
                 details={"user_id": member.id, "on_duty": new_on_duty, "capacity": new_capacity})
    ctx.session.flush()
    return DutyChange(member, True)


# ------------------------------------------------------------ the automatic assignment
@dataclass
class OnDuty:
    """Someone the batch may assign to, as counted under the batch's lock; `open_now` and
    `last_assigned` move as the batch hands out cases."""

    id: str
    name: str
    capacity: int
    open_now: int
    last_assigned: int  # the seq of their latest assignment event on an open case; -1: none
    # Held for the batch: the session's identity map keeps only what is referenced, and the
    # assignee's notification (lifecycle.apply) reads this row again (one SELECT a case, else).
    user: Optional[User] = field(default=None, repr=False, compare=False)

    @property
    def has_room(self) -> bool:
        return self.open_now < self.capacity


def _unassigned_review():
    return and_(Case.assignee_id.is_(None), Case.stage.in_(_REVIEW))  # ix_cases_unassigned_review's predicate


def _on_duty():
    return and_(User.on_duty.is_(True), User.is_active.is_(True), User.role.in_([r.value for r in STAFF_ROLES]))


def due_exists():
    """An EXISTS of work for the job: a case nobody holds in front of the platform, and
    someone on duty (jobs.probe). Parked cases (below) make it true without work: the run
    then only looks."""
    return and_(exists(select(Case.id).where(_unassigned_review())), exists(select(User.id).where(_on_duty())))


def claim_unassigned(ctx: Ctx, *, limit: int, after: Optional[tuple[dt.datetime, str]] = None) -> list[Case]:
    """Lock and load the next `limit` unassigned review cases, longest untouched first
    (updated_at, id: ix_cases_unassigned_review), after the key `after` (the previous
    batch's last), skipping cases another transaction holds (SKIP LOCKED on PostgreSQL;
    SQLite has one scheduler, `jobs.lock`)."""
    stmt = select(Case).where(_unassigned_review())
    if after is not None:
        stmt = stmt.where(or_(Case.updated_at > after[0], and_(Case.updated_at == after[0], Case.id > after[1])))
    stmt = (stmt.options(joinedload(Case.company), joinedload(Case.customer))
            .order_by(Case.updated_at, Case.id).limit(limit)
            .with_for_update(skip_locked=True, of=Case)
            .execution_options(populate_existing=True))
    return list(ctx.session.scalars(stmt).unique())


def parked(ctx: Ctx, case_ids: Collection[str]) -> set[str]:
    """The cases a manager deliberately sent back to the queue: their latest assignment
    event is a manager's "unassigned" (assignee_id null), and the case has not reached the
    platform again since (no escalation or appeal after it). The auto-assignment leaves
    them for a person to pick; claiming or assigning one ends it."""
    ids = list(case_ids)
    if not ids:
        return set()
    stmt = (select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.action, CaseEvent.data, User.role)
            .outerjoin(User, User.id == CaseEvent.actor_id)
            .where(CaseEvent.case_id.in_(ids), CaseEvent.action.in_(("assigned", "escalated", "appealed"))))
    latest: dict[str, tuple] = {}
    for case_id, seq, action, data, role in ctx.session.execute(stmt):
        if case_id not in latest or seq > latest[case_id][0]:
            latest[case_id] = (seq, action, data, role)
    return {case_id for case_id, (_, action, data, role) in latest.items()
            if action == "assigned" and role == Role.MANAGER.value
            and isinstance(data, dict) and data.get("assignee_id") is None}


def on_duty_staff(ctx: Ctx) -> list[OnDuty]:
    """The on-duty, active reviewers and managers, their rows locked for this transaction
    (a second scheduler's batch waits here until this one commits), with the open cases
    each holds counted after the lock: what every committed batch handed out is in it."""
    members = list(ctx.session.scalars(select(User).where(_on_duty()).order_by(User.id)
                                       .with_for_update(key_share=True)
                                       .execution_options(populate_existing=True)))
    if not members:
        return []
    counts = workload.open_cases_by_assignee(ctx.session)
    latest = team_read.last_assigned(ctx.session, [m.id for m in members])
    return [OnDuty(m.id, m.name, capacity_of(m, ctx.settings), counts.get(m.id, 0), latest.get(m.id, -1), m)
            for m in members]


def pick(staff: list[OnDuty], case: Case) -> Optional[OnDuty]:
    """Who gets `case`: under capacity, not its first decider on a final review (§3.9), the
    fewest open cases, then the least recently assigned, then by id. None: it waits."""
    eligible = [s for s in staff if s.has_room and not (case.final_review and s.id == case.decided_by_id)]
    return min(eligible, key=lambda s: (s.open_now, s.last_assigned, s.id), default=None)


def assign_automatically(ctx: Ctx, case: Case, to: OnDuty) -> Optional[Applied]:
    """Assign a case this transaction holds locked to `to`, through the lifecycle with
    the system as actor. None when the case no longer waits (someone took it first)."""
    if case.assignee_id is not None:
        return None
    t = allowed(ctx, case, Action.ASSIGN, Party.SYSTEM)
    if t is None:
        return None  # no longer in front of the platform
    holding = to.open_now + 1  # with this one
    details = f"Assigned automatically to {to.name} (on duty, {holding} of {to.capacity} open)."
    step = apply(ctx, case, t, actor=None, event_action="assigned", details=details, staff_only=True,
                 data={"assignee_id": to.id, "automatic": True, "open": holding, "capacity": to.capacity},
                 effect=lambda: setattr(case, "assignee_id", to.id))
    to.open_now, to.last_assigned = holding, step.event.seq
    return step
