"""jobs.assignment / dashboard.duty: the scheduler hands each unassigned escalation and
appeal to the on-duty reviewer with the fewest open cases under capacity — never the
first decider for a final review, ties to the least recently assigned, then by id —
exactly once across scheduler processes, on the timeline, through the lifecycle."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from data.models import Case, CaseEvent, StaffNotification, User
from dashboard import duty
from dashboard.cases import party, review, system
from jobs.assignment import assign_waiting
from jobs.runner import run_all_once
from tests.factories import T0, days
from tests.jobs import _procs
from tests.jobs._backlog import open_cases

ESCALATED_AT = T0 + days(8)  # the merchant's 7 days passed
RUN_AT = ESCALATED_AT + dt.timedelta(hours=1)


def on_duty(act, w, member, capacity=None, at=T0):
    act(at, duty.set_duty, actor=w.manager, user_id=member.id, on_duty=True, capacity=capacity)


def escalated(act, n=1, at=ESCALATED_AT) -> list[str]:
    """`n` cases the platform took over at `at` (one second apart, oldest first)."""
    ids = []
    for i in range(n):
        case_id = act.open(T0, payment=act.new_payment(T0))
        act(at + dt.timedelta(seconds=i), system.escalate_overdue, case_id=case_id)
        ids.append(case_id)
    return ids


def run(runtime, at=RUN_AT, **kw) -> dict:
    with runtime.Session() as s:
        return assign_waiting(s, at, settings=runtime.settings, **kw)


def assignees(runtime, case_ids) -> list:
    with runtime.Session() as s:
        by_id = dict(s.execute(select(Case.id, Case.assignee_id).where(Case.id.in_(case_ids))).all())
    return [by_id[c] for c in case_ids]


def test_the_one_with_the_fewest_open_cases_gets_it(runtime, act, w):
    held = escalated(act, 2)
    for case_id in held:  # the first reviewer already holds two
        act(ESCALATED_AT + days(0.01), review.claim, actor=w.reviewer, case_id=case_id)
    on_duty(act, w, w.reviewer)
    on_duty(act, w, w.reviewer2)
    new = escalated(act, 3, at=ESCALATED_AT + days(0.02))
    assert run(runtime) == {"assigned": 3, "waiting": 0, "errors": 0}
    # 0 vs 2: the second reviewer twice (0 -> 1 -> 2), then a tie at 2 each: the least recently
    # assigned of the two is the first reviewer (their last case came before the others').
    assert assignees(runtime, new) == [w.reviewer2.id, w.reviewer2.id, w.reviewer.id]
    assert run(runtime) == {"assigned": 0, "waiting": 0, "errors": 0}  # nothing left: assigned once


def test_capacity_is_respected_and_the_rest_wait(runtime, act, w):
    on_duty(act, w, w.reviewer, capacity=2)
    cases = escalated(act, 4)
    assert run(runtime) == {"assigned": 2, "waiting": 2, "errors": 0}
    assert assignees(runtime, cases) == [w.reviewer.id, w.reviewer.id, None, None]  # oldest first
    # The next run finds her still full; once she decides one, the next waiting case is hers.
    assert run(runtime) == {"assigned": 0, "waiting": 2, "errors": 0}
    act(RUN_AT, review.decide, actor=w.reviewer, case_id=cases[0], outcome="merchant_wins", reason="Delivered.")
    assert run(runtime, RUN_AT + days(0.01)) == {"assigned": 1, "waiting": 1, "errors": 0}
    assert assignees(runtime, cases)[2:] == [w.reviewer.id, None]


def test_the_default_capacity_comes_from_settings(runtime, act, w):
    import dataclasses

    runtime.settings = dataclasses.replace(runtime.settings, auto_assign_capacity=1)
    on_duty(act, w, w.reviewer)  # capacity None: the setting
    cases = escalated(act, 2)
    assert run(runtime) == {"assigned": 1, "waiting": 1, "errors": 0}
    assert assignees(runtime, cases) == [w.reviewer.id, None]


def final_review_decided_by(act, w, decider) -> str:
    [case_id] = escalated(act)
    act(ESCALATED_AT + days(0.1), review.decide, actor=decider, case_id=case_id, outcome="merchant_wins",
        reason="Access was granted.")
    act(ESCALATED_AT + days(1), party.appeal, actor=w.customer, case_id=case_id, message="I never got in.")
    return case_id


def test_never_the_first_decider_for_a_final_review(runtime, act, w):
    case_id = final_review_decided_by(act, w, w.reviewer)
    on_duty(act, w, w.reviewer)  # the only one on duty, with room: still not theirs
    at = ESCALATED_AT + days(2)
    assert run(runtime, at) == {"assigned": 0, "waiting": 1, "errors": 0}
    on_duty(act, w, w.reviewer2, at=at)
    [filler] = escalated(act, at=at)  # the second reviewer now holds more than the decider ...
    act(at, review.claim, actor=w.reviewer2, case_id=filler)
    assert run(runtime, at + days(0.1)) == {"assigned": 1, "waiting": 0, "errors": 0}
    assert assignees(runtime, [case_id]) == [w.reviewer2.id]  # ... and gets the final review anyway


def test_ties_go_to_the_least_recently_assigned_then_by_id(runtime, act, w):
    first, second = sorted([w.reviewer, w.reviewer2], key=lambda u: u.id)
    on_duty(act, w, second)
    on_duty(act, w, first)
    cases = escalated(act, 3)
    assert run(runtime) == {"assigned": 3, "waiting": 0, "errors": 0}
    # 0-0: by id; then 1-0; then 1-1: the one assigned least recently (the first).
    assert assignees(runtime, cases) == [first.id, second.id, first.id]
    # Once the first decides their first case it is 1-1 at the start of the next run: the tie
    # is read from the timeline, and the least recently assigned is now the second (case 2
    # came before case 3) — by id it would have been the first.
    act(RUN_AT, review.decide, actor=first, case_id=cases[0], outcome="merchant_wins", reason="Delivered.")
    [more] = escalated(act, at=RUN_AT)
    assert run(runtime, RUN_AT + days(0.01)) == {"assigned": 1, "waiting": 0, "errors": 0}
    assert assignees(runtime, [more]) == [second.id]


def test_a_case_a_manager_sent_back_to_the_queue_is_left_alone(runtime, act, w):
    parked, other = escalated(act, 2)
    act(ESCALATED_AT + days(0.01), review.assign, actor=w.manager, case_id=parked, reviewer_id=w.reviewer2.id)
    act(ESCALATED_AT + days(0.02), review.assign, actor=w.manager, case_id=parked, reviewer_id=None)
    on_duty(act, w, w.reviewer)
    assert run(runtime) == {"assigned": 1, "waiting": 0, "errors": 0}
    assert assignees(runtime, [parked, other]) == [None, w.reviewer.id]
    assert run(runtime) == {"assigned": 0, "waiting": 0, "errors": 0}  # still left alone
    # Once someone takes it and it reaches the platform again (an appeal), it is auto-assigned.
    act(RUN_AT, review.decide, actor=w.manager, case_id=parked, outcome="merchant_wins", reason="Delivered.")
    act(RUN_AT + days(1), party.appeal, actor=w.customer, case_id=parked, message="Please look again.")
    assert run(runtime, RUN_AT + days(2)) == {"assigned": 1, "waiting": 0, "errors": 0}
    assert assignees(runtime, [parked]) == [w.reviewer.id]


def test_nobody_on_duty_the_cases_wait_and_the_probe_says_idle(runtime, act, w):
    cases = escalated(act, 3)
    assert run(runtime) == {"assigned": 0, "waiting": 3, "errors": 0}
    assert run_all_once(runtime, RUN_AT)["assignment"] == {"assigned": 0, "waiting": 0, "errors": 0}  # probe: idle
    # On duty but deactivated, or a creator: still nobody.
    on_duty(act, w, w.reviewer)
    with runtime.Session.begin() as s:
        s.get(User, w.reviewer.id).is_active = False
    assert run(runtime) == {"assigned": 0, "waiting": 3, "errors": 0}
    assert assignees(runtime, cases) == [None, None, None]
    on_duty(act, w, w.reviewer2)
    assert run_all_once(runtime, RUN_AT)["assignment"] == {"assigned": 3, "waiting": 0, "errors": 0}


def test_the_timeline_says_who_and_why_to_staff_only_and_the_assignee_is_told(runtime, act, w):
    on_duty(act, w, w.reviewer, capacity=10)
    [held] = escalated(act)
    act(ESCALATED_AT, review.claim, actor=w.reviewer, case_id=held)
    [case_id] = escalated(act, at=ESCALATED_AT + days(0.01))
    assert run(runtime)["assigned"] == 1
    [event] = act.events(case_id, "assigned")
    assert event.details == f"Assigned automatically to {w.reviewer.name} (on duty, 2 of 10 open)."
    assert (event.reporter_type, event.actor_id) == ("system", None)
    assert (event.viewable_by_customer, event.viewable_by_merchant) == (False, False)
    assert event.data == {"assignee_id": w.reviewer.id, "automatic": True, "open": 2, "capacity": 10}
    assert event.created_at == RUN_AT
    with runtime.Session() as s:
        told = s.scalars(select(StaffNotification.user_id).where(StaffNotification.case_id == case_id,
                                                                 StaffNotification.kind == "assigned")).all()
    assert told == [w.reviewer.id]
    case = act.case(case_id)
    assert case.first_platform_action_at is None  # the system acting is not the platform's first response


def test_a_stale_copy_of_an_auto_assigned_case_cannot_overwrite_it(runtime, act, w):
    on_duty(act, w, w.reviewer)
    [case_id] = escalated(act)
    with runtime.Session() as s:
        copy = s.get(Case, case_id)  # read before the job ...
        s.expunge(copy)
    version = copy.version
    assert run(runtime)["assigned"] == 1
    assert act.case(case_id).version == version + 1
    with runtime.Session() as stale:  # ... and written after it
        stale.add(copy)
        copy.assignee_id = w.reviewer2.id
        with pytest.raises(StaleDataError):
            stale.commit()
    assert assignees(runtime, [case_id]) == [w.reviewer.id]


def test_a_failing_case_is_set_aside_and_the_others_are_assigned(runtime, act, w, monkeypatch):
    on_duty(act, w, w.reviewer)
    cases = escalated(act, 4)
    real = duty.assign_automatically

    def flaky(ctx, case, to):
        if case.id == cases[1]:
            raise RuntimeError("boom")
        return real(ctx, case, to)

    monkeypatch.setattr(duty, "assign_automatically", flaky)
    assert run(runtime, batch_size=2) == {"assigned": 3, "waiting": 0, "errors": 1}
    assert assignees(runtime, cases) == [w.reviewer.id, None, w.reviewer.id, w.reviewer.id]
    with runtime.Session() as s:
        per_case = Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "assigned")))
    assert per_case == Counter({cases[0]: 1, cases[2]: 1, cases[3]: 1})


def test_batches_and_limit(runtime, act, w):
    on_duty(act, w, w.reviewer, capacity=200)
    cases = escalated(act, 5)
    assert run(runtime, batch_size=2, limit=3) == {"assigned": 3, "waiting": 0, "errors": 0}
    assert run(runtime, batch_size=2) == {"assigned": 2, "waiting": 0, "errors": 0}
    assert assignees(runtime, cases) == [w.reviewer.id] * 5


# ---------------------------------------------------------------- real processes
CASES, SCHEDULERS, CAPACITY = 450, 3, 120


@pytest.mark.postgres
def test_three_scheduler_processes_assign_each_case_exactly_once(runtime, w, tmp_path):
    """450 escalated cases, three reviewers on duty with room for 120 each (360 in all), and
    three `python -m jobs --once` processes started together: every case is assigned at
    most once, nobody goes over capacity, exactly 360 are assigned, 90 wait."""
    opened = T0 + days(1)
    backlog = open_cases(runtime, [opened + i * dt.timedelta(seconds=1) for i in range(CASES)])
    with runtime.Session() as s:
        from jobs.escalation import escalate_overdue

        assert escalate_overdue(s, opened + days(8), settings=runtime.settings)["escalated"] == CASES
    staff = [w.reviewer, w.reviewer2, w.manager]
    from dashboard.context import Ctx

    with runtime.Session.begin() as s:
        for member in staff:
            duty.set_duty(Ctx(s, T0, runtime.settings), actor=w.manager, user_id=member.id, on_duty=True,
                          capacity=CAPACITY)
    env = _procs.env_for(runtime.engine.url.render_as_string(hide_password=False), tmp_path,
                         SMTP_URL=f"smtp://127.0.0.1:{_procs.free_port()}")  # mail down: no long outbox drain
    at = (opened + days(9)).isoformat()
    procs = [_procs.jobs(env, "--once", "--as-of", at) for _ in range(SCHEDULERS)]
    reports = []
    for proc in procs:
        rc, report, err = _procs.finish(proc)
        assert rc == 0, err[-3000:]
        reports.append(report["assignment"])
    with runtime.Session() as s:
        per_case = Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "assigned")))
        held = Counter(s.scalars(select(Case.assignee_id).where(Case.id.in_(backlog.case_ids))))
        texts = s.scalars(select(CaseEvent.details).where(CaseEvent.action == "assigned")).all()
    assert set(per_case.values()) == {1} and len(per_case) == SCHEDULERS * CAPACITY
    assert held == {**{m.id: CAPACITY for m in staff}, None: CASES - SCHEDULERS * CAPACITY}
    assert sum(r["assigned"] for r in reports) == SCHEDULERS * CAPACITY
    assert all(r["errors"] == 0 for r in reports)
    # Each count in the texts was right when written: every "k of 120" appears once per person.
    assert Counter(t.split("(on duty, ")[1] for t in texts) == Counter(
        {f"{k} of {CAPACITY} open).": SCHEDULERS for k in range(1, CAPACITY + 1)})
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.assignee_id.is_(None),
                                                                     Case.stage == "under_review")) == 90
