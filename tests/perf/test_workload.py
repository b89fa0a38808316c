"""The manager's assign menu on the queue (data/read/workload.py): every active reviewer
and manager with their open cases, read on every load of the queue and after every bulk
action — and by auto-assignment (`open_cases_by_assignee`).

    queue.workload              the menu's read: the active staff joined to their open_case_counts rows
    queue.workload.from_cases   the same numbers by counting the cases (what the counters save)

Both are checked against a GROUP BY over the open cases themselves.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from data.models import Case
from data.read import workload

MENU = """
SELECT u.id, u.name, u.role, u.on_duty, u.capacity, o.stage, o.n
FROM users u LEFT JOIN open_case_counts o ON o.assignee_id = u.id AND o.n <> 0 AND o.stage <> 'closed'
WHERE u.role IN ('reviewer', 'manager') AND u.is_active ORDER BY u.name, u.id
"""
FROM_CASES = """
SELECT assignee_id, count(*) FROM cases
WHERE status <> 'closed' AND assignee_id IS NOT NULL GROUP BY assignee_id
"""


def bare_menu(bare):
    return bare.run(MENU)


def test_workload(bench_session, recorder):
    def menu():
        with bench_session() as s:
            return workload.staff_workload(s)

    ours, bare = recorder.bench("queue.workload", menu, sql=bare_menu)
    staff = ours.result
    assert staff and any(p.load.open for p in staff), "the data set assigns cases to its reviewers"
    with bench_session() as s:
        by_cases = {uid: int(n) for uid, n in s.execute(
            select(Case.assignee_id, func.count()).where(Case.status != "closed", Case.assignee_id.is_not(None))
            .group_by(Case.assignee_id))}
        assert workload.open_cases_by_assignee(s) == by_cases
    assert {p.user_id: p.load.open for p in staff if p.load.open} == {
        uid: n for uid, n in by_cases.items() if uid in {p.user_id for p in staff}}
    if bare is not None:
        totals = defaultdict(int)
        for uid, *_person, _stage, n in bare.result:
            totals[uid] += n or 0
        assert list(totals) == [p.user_id for p in staff]
        assert {uid: n for uid, n in totals.items() if n} == {p.user_id: p.load.open for p in staff if p.load.open}


def test_workload_by_counting_the_cases(bench_session, recorder):
    def counted():
        with bench_session() as s:
            return dict(s.execute(select(Case.assignee_id, func.count())
                                  .where(Case.status != "closed", Case.assignee_id.is_not(None))
                                  .group_by(Case.assignee_id)).all())

    ours, bare = recorder.bench("queue.workload.from_cases", counted, sql=lambda b: b.run(FROM_CASES))
    with bench_session() as s:
        assert ours.result == workload.open_cases_by_assignee(s)
    if bare is not None:
        assert dict(bare.result) == ours.result
