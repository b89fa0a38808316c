"""The auto-assignment job on a copy of the data set of its own:

    assign.batch_200   jobs.assignment.assign_waiting handing out one batch of 200
                       unassigned escalations (per_s = cases/s) to the data set's
                       reviewers and managers, all on duty with room for 200 each

Each run consumes its input, so its input is made inside a transaction that is rolled
back after the run: the newest 200 closed cases are put back "under review, nobody holds
them" and every staff member on duty (untimed), then the job runs on that connection
(its per-batch commits are savepoints: `join_transaction_mode="create_savepoint"`), and
the rollback leaves the copy as it was for the next run. The warm-up run's statements
are counted. The baseline is the claim itself — the locked SELECT of the next 200 cases
over ix_cases_unassigned_review — on the same prepared data.
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.assignment import assign_waiting
from tests.perf._bench import RUNS, WARMUP, QueryLog, Result, nearest_rank

BATCH = 200

PREPARE = """
WITH picked AS (SELECT id FROM cases WHERE stage = 'closed' ORDER BY created_at DESC, id DESC LIMIT :n)
UPDATE cases c SET stage = 'under_review', status = 'under_review', escalated = true, final_review = false,
    final = false, outcome = NULL, refund = NULL, appeal_due_at = NULL, closed_at = NULL, assignee_id = NULL,
    decided_by_id = NULL, response_due_at = NULL, escalated_at = :at, updated_at = :at
FROM picked WHERE c.id = picked.id
"""
ON_DUTY = "UPDATE users SET on_duty = true, capacity = 200 WHERE role IN ('reviewer', 'manager') AND is_active"
CLAIM_SQL = """SELECT id FROM cases WHERE assignee_id IS NULL AND stage IN ('under_review', 'final_review')
ORDER BY updated_at, id LIMIT 200 FOR UPDATE SKIP LOCKED"""


@pytest.fixture(scope="module")
def settings(scratch_engine, settings_for):
    return settings_for(scratch_engine)


class Prepared:
    """One run's input, in a transaction rolled back afterwards."""

    def __init__(self, engine: sa.Engine, at: dt.datetime):
        self.conn = engine.connect()
        self.trans = self.conn.begin()
        assert self.conn.execute(sa.text(PREPARE), {"n": BATCH, "at": at}).rowcount == BATCH
        assert self.conn.execute(sa.text(ON_DUTY)).rowcount > 0
        self.session = Session(bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    def close(self) -> None:
        self.session.close()
        self.trans.rollback()
        self.conn.close()


def test_assign_batch_200(scratch_engine, settings, world, recorder):
    prepared_at = world.now - dt.timedelta(minutes=5)
    results, samples = [], []

    def one_run(count_statements: bool = False) -> float:
        prepared = Prepared(scratch_engine, prepared_at)
        try:
            log = QueryLog(scratch_engine) if count_statements else None
            if log:
                log.__enter__()
            t0 = time.perf_counter()
            out = assign_waiting(prepared.session, world.now, settings=settings, limit=BATCH)
            elapsed = time.perf_counter() - t0
            if log:
                log.__exit__(None, None, None)
                recorder.explain_slowest("assign.batch_200", scratch_engine, log)
                results.append(("statements", log.count))
            results.append(out)
            return elapsed
        finally:
            prepared.close()

    one_run(count_statements=True)
    for _ in range(max(0, WARMUP - 1)):
        one_run()
    for _ in range(RUNS):
        samples.append(one_run())

    prepared = Prepared(scratch_engine, prepared_at)  # the baseline: the claim alone on the same input
    try:
        claim = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            ids = prepared.conn.execute(sa.text(CLAIM_SQL)).scalars().all()
            claim.append(time.perf_counter() - t0)
        assert len(ids) == BATCH
    finally:
        prepared.close()

    statements = results[0][1]
    outcomes = [r for r in results if isinstance(r, dict)]
    assert outcomes == [{"assigned": BATCH, "waiting": 0, "errors": 0}] * len(outcomes), outcomes[:3]
    p50 = sorted(samples)[len(samples) // 2] * 1000
    recorder.add(Result("assign.batch_200", p50, nearest_rank(samples, 0.95) * 1000,
                        sorted(claim)[len(claim) // 2] * 1000, statements, per_s=BATCH / (p50 / 1000),
                        extra={"batch": BATCH, "cases": world.cases}))
    with scratch_engine.connect() as c:  # every run was rolled back
        assert c.execute(sa.text("SELECT count(*) FROM users WHERE on_duty")).scalar() == 0
