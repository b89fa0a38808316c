"""jobs.runner: every job once (`run_all_once`) and the `schedule`-based Scheduler."""
from __future__ import annotations

import time

from jobs import runner
from jobs.runner import JobSpec, Scheduler, run_all_once, start_in_thread
from tests.factories import T0, days


def test_run_all_once_runs_every_job_in_order(runtime, act, w):
    case_id = act.open(T0)
    from dashboard.cases import party

    accepted = act.open(T0, payment=act.new_payment(T0))
    act(T0 + days(1), party.accept, actor=w.creator, case_id=accepted)

    results = run_all_once(runtime, T0 + days(8))
    assert list(results) == ["escalation", "deadlines", "assignment", "money", "digest", "outbox", "webhooks",
                             "housekeeping"]
    assert results["escalation"] == {"due": 1, "escalated": 1, "errors": 0}
    assert results["money"] == {"claimed": 1, "succeeded": 1, "failed": 0}
    # The escalation's emails went out in the same pass.
    assert results["outbox"]["sent"] == results["outbox"]["claimed"] > 0
    assert act.events(case_id, "email_sent")

    again = run_all_once(runtime, T0 + days(8))
    assert again["escalation"]["escalated"] == 0 and again["money"]["claimed"] == 0
    assert again["outbox"]["claimed"] == 0


def test_a_failing_job_is_reported_and_the_others_still_run(runtime, act, monkeypatch):
    act.open(T0)

    def broken(rt, session, now):
        raise RuntimeError("database on fire")

    jobs = tuple(JobSpec(j.name, j.every_seconds, broken) if j.name == "escalation" else j for j in runner.JOBS)
    monkeypatch.setattr(runner, "JOBS", jobs)
    results = run_all_once(runtime, T0 + days(8))
    assert results["escalation"] == {"error": "RuntimeError: database on fire"}
    assert results["outbox"]["sent"] > 0


def test_scheduler_keeps_going_after_a_job_fails_and_stops_on_request(runtime):
    calls = {"ok": 0, "bad": 0}

    def ok(rt, session, now):
        calls["ok"] += 1
        return {"done": 1}

    def bad(rt, session, now):
        calls["bad"] += 1
        raise RuntimeError("boom")

    scheduler = Scheduler(runtime, clock=lambda: T0, jobs=(JobSpec("ok", 1, ok), JobSpec("bad", 1, bad)))
    thread, stop = start_in_thread(runtime, scheduler=scheduler)
    deadline = time.monotonic() + 10
    while (calls["bad"] < 2 or calls["ok"] < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert calls["bad"] >= 2 and calls["ok"] >= 2  # ran at start, then again on schedule
    assert thread.name == "rc-scheduler" and thread.daemon


def test_the_timetable():
    assert {j.name: j.every_seconds for j in runner.JOBS} == {"escalation": 60, "deadlines": 60, "assignment": 60,
                                                              "money": 30,
                                                              "digest": 300, "outbox": 5, "webhooks": 5,
                                                              "housekeeping": 3600}


def test_scheduler_registers_every_job_with_schedule():
    scheduler = Scheduler(runtime=None)
    jobs = scheduler.schedule.get_jobs()
    assert sorted((next(iter(j.tags)), j.interval, j.unit) for j in jobs) == [
        ("assignment", 60, "seconds"), ("deadlines", 60, "seconds"), ("digest", 300, "seconds"),
        ("escalation", 60, "seconds"), ("housekeeping", 3600, "seconds"),
        ("money", 30, "seconds"), ("outbox", 5, "seconds"), ("webhooks", 5, "seconds")]
