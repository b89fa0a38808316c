"""How much open work each staff member holds: the manager's assign menu on the queue
(`callbacks/queue_bulk.py`) and auto-assignment's "fewest open cases under capacity".

Read from `open_case_counts` (`data.rollups.models.OpenCaseCount`), the open cases per
internal stage and assignee that `data.rollups.maintain` keeps at every commit in the
same transaction as the change: a few rows per staff member, whatever the number of
cases. Counting the cases themselves (`GROUP BY assignee_id` over ix_cases_assignee)
would read every case ever assigned, closed ones included — most of a large table.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from data.models import User
from data.rollups.models import OpenCaseCount

# Internal stages (dashboard.enums.Stage, spelled out: data imports nothing of ours).
# Escalated: the platform's first-instance review, including while it waits on a party
# it asked; appeal: the final review of an appealed platform decision, likewise.
ESCALATED_STAGES = frozenset({"under_review", "review_awaiting_merchant", "review_awaiting_customer"})
APPEAL_STAGES = frozenset({"final_review", "final_awaiting_merchant", "final_awaiting_customer"})
CLOSED = "closed"
STAFF_ROLES = ("reviewer", "manager")


@dataclass(frozen=True)
class Workload:
    """One person's open cases: all of them, and of those the escalated and the appeals
    (the rest wait on a party before any escalation)."""

    open: int = 0
    escalated: int = 0
    appeals: int = 0


@dataclass(frozen=True)
class StaffLoad:
    """An active reviewer or manager, as the assign menu lists them."""

    user_id: str
    name: str
    role: str
    on_duty: bool
    capacity: int | None
    load: Workload


def _rows(session: Session):
    # assignee_id '' is nobody (the queue); a zero row is a person who held cases once.
    return session.execute(
        select(OpenCaseCount.assignee_id, OpenCaseCount.stage, OpenCaseCount.n)
        .where(OpenCaseCount.assignee_id != "", OpenCaseCount.n != 0, OpenCaseCount.stage != CLOSED))


def workload_by_assignee(session: Session) -> dict[str, Workload]:
    """Open cases per assignee id (only people who hold at least one)."""
    totals: dict[str, list[int]] = {}
    for assignee_id, stage, n in _rows(session):
        _add(totals.setdefault(assignee_id, [0, 0, 0]), stage, n)
    return {uid: Workload(*map(int, t)) for uid, t in totals.items()}


def open_cases_by_assignee(session: Session) -> dict[str, int]:
    """Open cases per assignee id; someone holding none is absent (read it as 0)."""
    return {uid: w.open for uid, w in workload_by_assignee(session).items()}


def staff_workload(session: Session) -> list[StaffLoad]:
    """Every active reviewer and manager (ix_users_role) with their open cases, by name:
    one statement, the staff joined to their few counter rows."""
    counters = and_(OpenCaseCount.assignee_id == User.id, OpenCaseCount.n != 0, OpenCaseCount.stage != CLOSED)
    stmt = (select(User.id, User.name, User.role, User.on_duty, User.capacity, OpenCaseCount.stage, OpenCaseCount.n)
            .outerjoin(OpenCaseCount, counters)
            .where(User.role.in_(STAFF_ROLES), User.is_active.is_(True))
            .order_by(User.name, User.id))
    people: dict[str, tuple] = {}
    totals: dict[str, list[int]] = {}
    for r in session.execute(stmt):
        people.setdefault(r.id, (r.name, r.role, bool(r.on_duty), r.capacity))
        _add(totals.setdefault(r.id, [0, 0, 0]), r.stage, r.n or 0)
    return [StaffLoad(uid, *person, load=Workload(*totals[uid])) for uid, person in people.items()]


def _add(total: list[int], stage: str | None, n: int) -> None:
    total[0] += n
    if stage in ESCALATED_STAGES:
        total[1] += n
    elif stage in APPEAL_STAGES:
        total[2] += n
