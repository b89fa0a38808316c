"""jobs.escalation: silence past the deadline escalates, exactly once (SPEC §3.6)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from dashboard.cases import party, system
from jobs.escalation import escalate_overdue
from tests.factories import T0, days

SECOND = dt.timedelta(seconds=1)


def run(runtime, now):
    with runtime.Session() as s:
        return escalate_overdue(s, now, settings=runtime.settings)


def test_merchant_silence_escalates_at_the_deadline_and_only_once(runtime, act):
    case_id = act.open(T0)
    due = T0 + days(7)

    assert run(runtime, due - SECOND) == {"due": 0, "escalated": 0, "errors": 0}
    assert act.case(case_id).status == "awaiting_merchant"

    assert run(runtime, due) == {"due": 1, "escalated": 1, "errors": 0}
    case = act.case(case_id)
    assert (case.status, case.stage, case.escalated, case.response_due_at) == ("under_review", "under_review", True, None)
    [event] = act.events(case_id, "escalated")
    assert event.reporter_type == "system" and event.created_at == due
    assert event.data["did_not_respond"] == "merchant"
    assert "merchant did not respond" in event.details

    assert run(runtime, due + SECOND) == {"due": 0, "escalated": 0, "errors": 0}
    assert len(act.events(case_id, "escalated")) == 1


def test_customer_silence_after_a_merchant_question_escalates(runtime, act, w):
    case_id = act.open(T0)
    act(T0 + days(1), party.merchant_request_info, actor=w.creator, case_id=case_id, message="Which email?")

    assert run(runtime, T0 + days(7) + SECOND)["escalated"] == 0  # the question reset the clock
    assert run(runtime, T0 + days(8))["escalated"] == 1
    [event] = act.events(case_id, "escalated")
    assert event.data["did_not_respond"] == "customer"


def test_downtime_loses_nothing(runtime, act, w):
    """Deadlines passed while nothing ran: the next run catches every one up."""
    first = act.open(T0)
    second = act.open(T0 + days(2), payment=act.new_payment(T0 + days(2)))
    answered = act.open(T0 + days(3), payment=act.new_payment(T0 + days(3)))
    act(T0 + days(4), party.deny, actor=w.creator, case_id=answered, message="Delivered, see logs.")

    assert run(runtime, T0 + days(30)) == {"due": 2, "escalated": 2, "errors": 0}
    assert act.case(first).escalated and act.case(second).escalated
    assert act.case(answered).status == "closed" and not act.case(answered).escalated


def test_one_failing_case_does_not_stop_the_others(runtime, act, monkeypatch):
    bad = act.open(T0)
    good = act.open(T0 + SECOND, payment=act.new_payment(T0))
    real = system.escalate_locked

    def flaky(ctx, case):
        result = real(ctx, case)  # writes, then fails: the rollback must undo it
        if case.id == bad:
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(system, "escalate_locked", flaky)
    assert run(runtime, T0 + days(8)) == {"due": 2, "escalated": 1, "errors": 1}
    assert act.case(good).escalated
    assert act.case(bad).status == "awaiting_merchant" and act.events(bad, "escalated") == []

    monkeypatch.setattr(system, "escalate_locked", real)
    assert run(runtime, T0 + days(8)) == {"due": 1, "escalated": 1, "errors": 0}


@pytest.mark.postgres
def test_two_workers_at_once_escalate_once(runtime, act):
    """Two scheduler processes on one PostgreSQL: the row lock makes one of them the one."""
    case_ids = [act.open(T0)] + [act.open(T0, payment=act.new_payment(T0)) for _ in range(4)]
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        results.append(run(runtime, T0 + days(8)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r["escalated"] for r in results) == 5
    assert all(r["errors"] == 0 for r in results)
    for case_id in case_ids:
        assert len(act.events(case_id, "escalated")) == 1
