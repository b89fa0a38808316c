"""Open cases per staff member (data/read/workload.py), on SQLite and PostgreSQL: what the
assign menu shows and auto-assignment reuses. Read from the counters kept at commit, so
it must agree with counting the cases themselves — and must not touch the cases table."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, select

from data.models import Case, User
from data.read import workload
from data.read.workload import Workload
from dashboard.cases import party, review
from dashboard.context import Ctx
from tests import factories
from tests.factories import T0, days
from tests.queue_cases import H, QueueCases


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def w(Session, settings):  # noqa: N803
    with Session.begin() as s:
        return factories.world(Ctx(s, T0, settings))


@pytest.fixture
def qc(Session, settings, w):  # noqa: N803
    return QueueCases(Session, settings, w)


@pytest.fixture
def held(qc, w):
    """reviewer: 2 escalated (one waiting on the merchant he asked), 1 open, 1 appeal, and a
    closed one that no longer counts; reviewer2: one appeal waiting on the customer;
    nobody: one escalated."""
    t = T0 + days(30)
    escalated = qc.under_review(at=T0)
    qc.claim(escalated, w.reviewer, at=t)
    qc.review_awaiting("merchant", by=w.reviewer, at=T0 + H)
    opened = qc.open(at=T0 + 2 * H)
    qc.claim(opened, w.reviewer, at=t)
    appeal = qc.final_review(at=T0 + 3 * H)      # decided by the manager
    qc.claim(appeal, w.reviewer, at=t)
    closed = qc.under_review(at=T0 + 4 * H)
    qc.do(review.decide, actor=w.reviewer, case_id=closed, outcome="merchant_wins", reason="Logs show access.",
          at=T0 + days(8))
    qc.do(party.accept, actor=w.creator, case_id=qc.open(at=T0 + 5 * H), at=T0 + 6 * H)
    final_waiting = qc.final_review(at=T0 + 6 * H)
    qc.do(review.request_info_from, actor=w.reviewer2, case_id=final_waiting, party="customer",
          message="Which modules did you try?", at=t)
    qc.under_review(at=T0 + 7 * H)               # nobody's
    return dict(closed=closed)


def counted_from_cases(Session) -> Counter:  # noqa: N803
    with Session() as s:
        rows = s.execute(select(Case.assignee_id).where(Case.status != "closed", Case.assignee_id.is_not(None)))
        return Counter(uid for (uid,) in rows)


def test_open_cases_per_assignee_agree_with_the_cases(Session, w, held):  # noqa: N803
    with Session() as s:
        loads = workload.workload_by_assignee(s)
        by_assignee = workload.open_cases_by_assignee(s)
    assert loads[w.reviewer.id] == Workload(open=4, escalated=2, appeals=1)
    assert loads[w.reviewer2.id] == Workload(open=1, escalated=0, appeals=1)
    assert w.manager.id not in loads  # holds nothing open (the decided case closed)
    assert by_assignee == dict(counted_from_cases(Session))
    assert by_assignee == {w.reviewer.id: 4, w.reviewer2.id: 1}


def test_a_closed_case_leaves_its_holders_count(Session, qc, w, held):  # noqa: N803
    with Session() as s:
        before = workload.open_cases_by_assignee(s)[w.reviewer.id]
    opened = qc.open(at=T0 + days(40))
    qc.claim(opened, w.reviewer, at=T0 + days(40) + H)
    with Session() as s:
        assert workload.open_cases_by_assignee(s)[w.reviewer.id] == before + 1
    qc.do(party.accept, actor=w.creator, case_id=opened, at=T0 + days(40) + 2 * H)
    with Session() as s:
        assert workload.open_cases_by_assignee(s)[w.reviewer.id] == before


def test_the_menu_lists_active_staff_with_their_load_and_never_reads_the_cases(Session, engine, settings, w,  # noqa: N803
                                                                                 held):
    with Session.begin() as s:
        gone = factories.user(Ctx(s, T0, settings), "reviewer", name="Aaron Gone")
        gone.is_active = False
        s.get(User, w.reviewer2.id).on_duty = True
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        with Session() as s:
            staff = workload.staff_workload(s)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    ids = [p.user_id for p in staff]
    assert set(ids) == {w.reviewer.id, w.reviewer2.id, w.manager.id}  # no parties, no deactivated reviewer
    assert [p.name for p in staff] == sorted(p.name for p in staff)
    by_id = {p.user_id: p for p in staff}
    assert by_id[w.manager.id].load == Workload()
    assert by_id[w.reviewer.id].load.open == 4 and by_id[w.reviewer2.id].on_duty
    assert statements and not [st for st in statements if " cases" in st.lower().replace("open_case", "")]
