"""The scheduler on a copy of the data set of its own (the jobs write):

    sweep.idle           one run of every scheduler job (jobs.runner.run_all_once) when
                         nothing is due, after a first run has cleared the data set's own
                         backlog (its overdue cases, due payouts and emails)
    sweep.escalate_10k   escalate_overdue over BATCH overdue cases (per_s = cases/s)
    outbox.deliver_10k   drain_outbox of BATCH pending emails to .eml files (per_s = emails/s)

The backlog for the escalation is made once, untimed: the newest BATCH x (runs + 1) cases
are put back to "opened, the merchant never answered", their deadlines staggered so that
run k acts as of the deadline of case (k + 1) x BATCH; the rollups are then rebuilt so the
counters match. Each timed run consumes its input, so these run BENCH_JOB_RUNS times (3)
after one warm-up run, whose statements are counted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import os

import pytest
import sqlalchemy as sa

from data.db import make_session_factory
from data.models import Case, OutboxEmail
from dashboard.runtime import Runtime
from jobs.escalation import escalate_overdue
from jobs.outbox import drain_outbox
from jobs.runner import run_all_once
from tests.perf._bench import BareSQL, QueryLog, Result, measure

BATCH = 10_000
RUNS = int(os.environ.get("BENCH_JOB_RUNS", "3"))


@pytest.fixture(scope="module")
def scratch_session(scratch_engine):
    return make_session_factory(scratch_engine)


@pytest.fixture(scope="module")
def settings(scratch_engine, settings_for):
    return settings_for(scratch_engine)


@pytest.fixture(scope="module")
def bare(scratch_engine):
    """The baselines of this module run on its own copy, where the jobs ran."""
    b = BareSQL(scratch_engine)
    yield b
    b.close()


@pytest.fixture(scope="module")
def runtime(scratch_engine, settings):
    return Runtime.build(settings, engine=scratch_engine)


def batch_for(world) -> int:
    return min(BATCH, max(100, world.cases // (2 * (RUNS + 1))))


def run_timed(recorder, engine, name: str, fn, before_each, *, batch: int, bare=None, conn=None):
    """One warm-up run under a QueryLog, then RUNS timed runs; records items/s."""
    before_each(0)
    with QueryLog(engine) as log:
        fn()
    timing = measure(fn, runs=RUNS, warmup=0, before_each=lambda i: before_each(i + 1))
    sql_ms = measure(lambda: bare(conn)).p50_ms if bare and conn else None
    recorder.add(Result(name, timing.p50_ms, timing.p95_ms, sql_ms, log.count,
                        per_s=batch / (timing.p50_ms / 1000), extra={"batch": batch}))
    return timing


# What a DBA would ask to know that nothing is due: one EXISTS per job.
IDLE_SQL = """
SELECT EXISTS (SELECT 1 FROM cases WHERE stage IN ('awaiting_merchant', 'awaiting_customer')
               AND response_due_at <= %(now)s),
       EXISTS (SELECT 1 FROM cases WHERE stage IN ('review_awaiting_merchant', 'review_awaiting_customer',
               'final_awaiting_merchant', 'final_awaiting_customer') AND response_due_at <= %(now)s),
       EXISTS (SELECT 1 FROM cases WHERE stage = 'closed' AND NOT final AND appeal_due_at <= %(now)s),
       EXISTS (SELECT 1 FROM money_movements WHERE status = 'pending' AND next_attempt_at <= %(now)s),
       EXISTS (SELECT 1 FROM outbox_emails WHERE status = 'pending' AND next_attempt_at <= %(now)s)
"""


def test_sweep_idle(runtime, scratch_engine, world, recorder, bare):
    with scratch_engine.connect() as c:
        overdue = c.execute(sa.text("SELECT count(*) FROM cases WHERE stage IN ('awaiting_merchant', "
                                    "'awaiting_customer') AND response_due_at <= :now"), {"now": world.now}).scalar()
    first = run_all_once(runtime, world.now)  # the data set's own backlog
    assert not any("error" in counts for counts in first.values()), first
    assert first["escalation"]["escalated"] == overdue
    for _ in range(3):
        if not any(v for counts in run_all_once(runtime, world.now).values() for v in counts.values()):
            break
    ours, _ = recorder.bench("sweep.idle", lambda: run_all_once(runtime, world.now), sql=None,
                             engine=scratch_engine, backlog_escalated=overdue)
    baseline = measure(lambda: bare.run(IDLE_SQL, {"now": world.now}))
    recorder.results[-1].sql_p50_ms = baseline.p50_ms
    assert not any("error" in counts for counts in ours.result.values()), ours.result
    assert baseline.result == [(False, False, False, False, False)], "something is still due"


RESET = """
WITH picked AS (
    SELECT id, row_number() OVER (ORDER BY created_at DESC, id DESC) AS k
    FROM cases ORDER BY created_at DESC, id DESC LIMIT :n)
UPDATE cases c SET stage = 'awaiting_merchant', status = 'awaiting_merchant', escalated = false, final_review = false,
    customer_appealed = false, merchant_appealed = false, outcome = NULL, refund = NULL, final = false,
    appeal_due_at = NULL, closed_at = NULL, escalated_at = NULL, appealed_at = NULL, assignee_id = NULL,
    decided_by_id = NULL, decision = NULL, decision_amount_minor = NULL, decision_reason = NULL,
    final_decision = NULL, final_decided_by_id = NULL, info_requested_by_id = NULL, first_merchant_response_at = NULL,
    response_due_at = :due - (picked.k * interval '1 second')
FROM picked WHERE c.id = picked.id
RETURNING c.response_due_at
"""


def test_escalate_overdue(scratch_engine, scratch_session, settings, world, recorder, bare):
    batch = batch_for(world)
    due0 = world.now - dt.timedelta(days=400)  # before anything else: only these are due
    with scratch_engine.begin() as c:
        dues = sorted(c.execute(sa.text(RESET), {"n": batch * (RUNS + 1), "due": due0}).scalars())
    if importlib.util.find_spec("data.rollups") is not None:  # the raw UPDATE bypassed their upkeep
        importlib.import_module("data.rollups").rebuild(scratch_engine)
    as_of = [dues[batch * (k + 1) - 1] for k in range(RUNS + 1)]
    state, results = {}, []

    def escalate():
        with scratch_session() as s:
            out = escalate_overdue(s, state["now"], settings=settings)
        results.append(out)
        return out

    due_sql = lambda b: b.run("""SELECT id FROM cases WHERE stage IN ('awaiting_merchant', 'awaiting_customer')
                              AND response_due_at <= %(t)s ORDER BY response_due_at, id LIMIT %(n)s""",
                              {"t": as_of[0], "n": batch})  # noqa: E731 - finding the due cases, the floor of any sweep
    run_timed(recorder, scratch_engine, "sweep.escalate_10k", escalate,
              lambda i: state.__setitem__("now", as_of[i]), batch=batch, bare=due_sql, conn=bare)
    assert results == [{"due": batch, "escalated": batch, "errors": 0}] * (RUNS + 1)
    with scratch_session() as s:
        escalated = s.scalar(sa.select(sa.func.count()).select_from(Case)
                             .where(Case.escalated_at.in_(as_of), Case.stage == "under_review"))
    assert escalated == batch * (RUNS + 1)  # each run escalated its own batch, as of its own deadline


COPY_EMAILS = """
INSERT INTO outbox_emails (case_id, dedupe_key, template, recipient, subject, body_text, body_html, status,
                           attempts, next_attempt_at, created_at)
SELECT case_id, 'bench-outbox:' || :run || ':' || id, template, recipient, subject, body_text, body_html, 'pending',
       0, :due, :due
FROM outbox_emails WHERE status = 'sent' ORDER BY id DESC LIMIT :n
"""


def test_deliver_outbox(scratch_engine, scratch_session, settings, world, recorder, tmp_path, bare):
    batch = batch_for(world)
    due = world.now - dt.timedelta(days=800)  # before the escalation benchmark's own emails
    state = {}
    with scratch_engine.begin() as c:  # the escalation benchmark's emails are not this benchmark's work
        c.execute(sa.text("UPDATE outbox_emails SET status = 'sent', sent_at = :now WHERE status = 'pending'"),
                  {"now": world.now})

    def before_each(i):
        with scratch_engine.begin() as c:
            assert c.execute(sa.text(COPY_EMAILS), {"run": i, "due": due, "n": batch}).rowcount == batch
        state["settings"] = dataclasses.replace(settings, mail_dir=tmp_path / f"run{i}")

    def deliver():
        sent = 0
        while sent < batch:
            with scratch_session() as s:
                counts = drain_outbox(s, world.now, settings=state["settings"])
            assert counts["claimed"], counts
            sent += counts["sent"]
        return sent

    due_sql = lambda b: b.run("""SELECT id, recipient, subject, body_text, body_html FROM outbox_emails
                              WHERE status = 'pending' AND next_attempt_at <= %(now)s
                              ORDER BY next_attempt_at, id LIMIT %(n)s""", {"now": world.now, "n": batch})  # noqa: E731
    run_timed(recorder, scratch_engine, "outbox.deliver_10k", deliver, before_each, batch=batch, bare=due_sql,
              conn=bare)
    with scratch_session() as s:
        statuses = dict(s.execute(sa.select(OutboxEmail.status, sa.func.count())
                                  .where(OutboxEmail.dedupe_key.like("bench-outbox:%"))
                                  .group_by(OutboxEmail.status)).all())
    assert statuses == {"sent": batch * (RUNS + 1)}
    for i in range(RUNS + 1):
        assert len(list((tmp_path / f"run{i}").glob("*.eml"))) == batch
