"""The scheduler's two busiest jobs on a copy of the data set of their own (they write):

- `escalate_overdue` over a backlog of 1,000 overdue cases, as after the scheduler was
  down: each run acts "as of" the deadline of the next 1,000th overdue case, so it
  finds exactly 1,000 due among the 100k (the earlier ones were escalated by the
  previous run). Each case: lock, transition, timeline event, emails to both parties.
- `deliver_outbox` of 1,000 pending emails to .eml files (the embedded default), in
  the scheduler's batches of 100: claim, build the MIME message, write the file,
  mark it sent with a staff-only timeline event.

Each timed run consumes its input, so these run BENCH_JOB_RUNS times (default 5)
after one warm-up run, whose statements are counted.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from data.db import make_session_factory
from data.models import Case, CaseEvent, OutboxEmail
from dashboard.context import Ctx
from dashboard.notifications import render
from jobs.escalation import escalate_overdue
from jobs.outbox import deliver_outbox
from tests.perf._bench import QueryLog, measure

GROUP = "jobs"
BATCH = 1000
RUNS = int(os.environ.get("BENCH_JOB_RUNS", "5"))
OUTBOX_LIMIT = 100  # what the scheduler's outbox job claims per run (jobs/outbox.py default)


@pytest.fixture(scope="module")
def scratch_session(scratch_engine):
    return make_session_factory(scratch_engine)


@pytest.fixture(scope="module")
def settings(scratch_engine, settings_for):
    return settings_for(scratch_engine)


def run_timed(recorder, engine, name: str, fn, before_each, *, batch: int, unit: str):
    """One warm-up run under a QueryLog, then RUNS timed runs; records cases or emails/s."""
    before_each(0)
    with QueryLog(engine) as log:
        fn()
    timing = measure(fn, runs=RUNS, warmup=0, before_each=lambda i: before_each(i + 1))
    per_second = batch / (timing.median_ms / 1000)
    recorder.add(GROUP, name, timing, rows=batch, queries=log.count, per_second=(per_second, unit))
    return timing


def test_escalate_overdue(scratch_engine, scratch_session, settings, recorder):
    with scratch_session() as s:
        dues = s.scalars(sa.select(Case.response_due_at)
                         .where(Case.stage.in_(("awaiting_merchant", "awaiting_customer")),
                                Case.response_due_at.is_not(None))
                         .order_by(Case.response_due_at, Case.id)).all()
    batch = min(BATCH, len(dues) // (RUNS + 1))
    assert batch > 0, "not enough cases awaiting a party in the data set"
    as_of = [dues[batch * (k + 1) - 1] for k in range(RUNS + 1)]
    results: list[dict] = []
    state = {}

    def before_each(i):
        state["now"] = as_of[i]

    def escalate():
        with scratch_session() as s:
            out = escalate_overdue(s, state["now"], settings=settings)
        results.append(out)
        return out

    run_timed(recorder, scratch_engine, f"escalate_overdue, {batch:,} overdue cases", escalate, before_each,
              batch=batch, unit="cases/s")
    assert results == [{"due": batch, "escalated": batch, "errors": 0}] * (RUNS + 1)
    with scratch_session() as s:
        escalated = s.scalar(sa.select(sa.func.count()).select_from(Case)
                             .where(Case.escalated_at.in_(as_of), Case.stage == "under_review"))
        events = s.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.action == "escalated"))
        emails = s.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)
                          .where(OutboxEmail.template == "escalated", OutboxEmail.status == "pending"))
    assert escalated == events == batch * (RUNS + 1)
    assert emails >= 2 * escalated  # the customer and the company's creators


def test_deliver_outbox(scratch_engine, scratch_session, settings, recorder, tmp_path):
    # Real bodies, rendered by the notifications module for 1,000 cases.
    with scratch_session() as s:
        cases = s.scalars(sa.select(Case).options(joinedload(Case.company), joinedload(Case.customer))
                          .order_by(Case.id).limit(BATCH)).unique().all()
        ctx = Ctx(s, max(c.created_at for c in cases), settings)
        event = CaseEvent(action="escalated", details="The merchant did not respond in time, so the case was "
                                                      "escalated to the platform for review.")
        templates = []
        for c in cases:
            subject, text, html = render(ctx, c, event, c.customer)
            templates.append({"case_id": c.id, "template": "escalated", "recipient": c.customer.email,
                              "subject": subject, "body_text": text, "body_html": html})
    batch = len(templates)
    now = ctx.now
    due_since = now - dt.timedelta(days=400)  # before anything else pending: these are claimed first
    state = {}

    def before_each(i):
        with scratch_session.begin() as s:
            s.execute(sa.insert(OutboxEmail), [
                {**t, "dedupe_key": f"bench-outbox:{i}:{n}", "status": "pending", "attempts": 0,
                 "next_attempt_at": due_since, "created_at": due_since} for n, t in enumerate(templates)])
        state["settings"] = dataclasses.replace(settings, mail_dir=tmp_path / f"run{i}")
        state["run"] = i

    def deliver():
        sent = 0
        while sent < batch:
            with scratch_session() as s:
                counts = deliver_outbox(s, now, settings=state["settings"], limit=OUTBOX_LIMIT)
            assert counts["claimed"], counts
            sent += counts["sent"]
        return sent

    run_timed(recorder, scratch_engine, f"deliver_outbox to .eml, {batch:,} emails (batches of {OUTBOX_LIMIT})",
              deliver, before_each, batch=batch, unit="emails/s")
    with scratch_session() as s:
        statuses = dict(s.execute(sa.select(OutboxEmail.status, sa.func.count())
                                  .where(OutboxEmail.dedupe_key.like("bench-outbox:%"))
                                  .group_by(OutboxEmail.status)).all())
    assert statuses == {"sent": batch * (RUNS + 1)}
    for i in range(RUNS + 1):
        assert len(list((tmp_path / f"run{i}").glob("*.eml"))) == batch
