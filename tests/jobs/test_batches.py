"""The sweeps work in batches: one claim and one transaction per batch of cases,
emails or money movements; a failure on one case loses none of the others; a batch
smaller than the backlog drains it; two sweepers on PostgreSQL take disjoint batches
and the totals are exact; an idle run of every job is one statement per job."""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, func, select

from data.models import Case, CaseEvent, MoneyMovement, OutboxEmail
from dashboard.cases import party, system
from dashboard.money import executor
from dashboard.notifications import outbox
from jobs import _per_case
from jobs.outbox import drain_outbox
from jobs.escalation import escalate_overdue
from jobs.money import retry_money
from jobs.runner import run_all_once
from tests.factories import T0, days

SECOND = dt.timedelta(seconds=1)
LEASE = dt.timedelta(minutes=5)  # a claimed movement is left alone this long (written out)


def open_many(act, n: int) -> list[str]:
    """n cases, deadlines a second apart in this order."""
    return [act.open(T0 + i * SECOND, payment=act.new_payment(T0)) for i in range(n)]


def escalate(runtime, now, **kwargs):
    with runtime.Session() as s:
        return escalate_overdue(s, now, settings=runtime.settings, **kwargs)


def escalated_events(runtime) -> Counter:
    with runtime.Session() as s:
        return Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "escalated")))


@pytest.fixture
def claims(monkeypatch):
    """Every batch claimed by the case sweeps: a list of (thread name, [case ids])."""
    seen: list[tuple[str, list[str]]] = []
    real = _per_case.claim_due

    def recording(ctx, action, **kwargs):
        cases = real(ctx, action, **kwargs)
        seen.append((threading.current_thread().name, [c.id for c in cases]))
        return cases

    monkeypatch.setattr(_per_case, "claim_due", recording)
    return seen


class Statements:
    """Statements sent on `engine` (SQLite's own BEGIN IMMEDIATE left out)."""

    def __init__(self, engine):
        self.engine, self.sql = engine, []

    def _seen(self, _conn, _cursor, statement, *_args):
        if not statement.startswith("BEGIN"):
            self.sql.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


# ------------------------------------------------------------------------ case sweeps
def test_a_batch_smaller_than_the_backlog_drains_it(runtime, act, claims):
    ids = open_many(act, 7)
    assert escalate(runtime, T0 + days(8), batch_size=3) == {"due": 7, "escalated": 7, "errors": 0}
    assert [batch for _, batch in claims] == [ids[0:3], ids[3:6], ids[6:7]]  # oldest deadline first, then done
    assert escalated_events(runtime) == Counter({cid: 1 for cid in ids})
    assert escalate(runtime, T0 + days(8), batch_size=3) == {"due": 0, "escalated": 0, "errors": 0}


def test_a_limit_stops_the_sweep_mid_backlog(runtime, act):
    ids = open_many(act, 5)
    assert escalate(runtime, T0 + days(8), batch_size=2, limit=3) == {"due": 3, "escalated": 3, "errors": 0}
    assert set(escalated_events(runtime)) == set(ids[:3])


@pytest.mark.parametrize("bad_positions", [(2,), (0, 3)])
def test_a_failing_case_loses_none_of_its_batch(runtime, act, monkeypatch, bad_positions):
    """The failure rolls its batch back; every other case of the batch is applied all the
    same, once, and the failing case is left exactly as it was (its writes undone)."""
    ids = open_many(act, 6)
    bad = {ids[i] for i in bad_positions}
    real = system.escalate_locked

    def flaky(ctx, case):
        result = real(ctx, case)  # writes its event and emails, then fails
        if case.id in bad:
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(system, "escalate_locked", flaky)
    assert escalate(runtime, T0 + days(8), batch_size=10) == {"due": 6, "escalated": 6 - len(bad),
                                                              "errors": len(bad)}
    assert escalated_events(runtime) == Counter({cid: 1 for cid in ids if cid not in bad})
    for cid in bad:
        assert act.case(cid).status == "awaiting_merchant"
        assert [e.action for e in act.events(cid)] == ["created"]
    with runtime.Session() as s:
        mails = Counter(s.scalars(select(OutboxEmail.case_id).where(OutboxEmail.template == "escalated")))
    assert set(mails) == set(ids) - bad and set(mails.values()) == {3}  # the customer and two creators, once

    monkeypatch.setattr(system, "escalate_locked", real)
    assert escalate(runtime, T0 + days(8)) == {"due": len(bad), "escalated": len(bad), "errors": 0}


@pytest.mark.postgres
def test_two_sweepers_take_disjoint_batches_and_the_totals_are_exact(runtime, act, monkeypatch, claims):
    ids = open_many(act, 40)
    real = system.escalate_locked

    def slow(ctx, case):
        time.sleep(0.005)  # long enough for the other sweeper to claim meanwhile
        return real(ctx, case)

    monkeypatch.setattr(system, "escalate_locked", slow)
    barrier, results = threading.Barrier(2), []

    def sweeper():
        barrier.wait(10)
        results.append(escalate(runtime, T0 + days(8), batch_size=5))

    threads = [threading.Thread(target=sweeper, name=f"sweeper-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    claimed = [cid for _, batch in claims for cid in batch]
    assert sorted(claimed) == sorted(ids)  # every case in exactly one batch: disjoint, none missed
    assert {name for name, batch in claims if batch} == {"sweeper-0", "sweeper-1"}  # both did work
    assert all(len(batch) <= 5 for _, batch in claims)
    assert sum(r["escalated"] for r in results) == 40 and all(r["errors"] == 0 for r in results)
    assert escalated_events(runtime) == Counter({cid: 1 for cid in ids})


# ---------------------------------------------------------------------------- outbox
def test_an_outbox_batch_costs_the_same_statements_for_two_emails_or_twenty(runtime, act):
    def one_batch(n_cases):
        open_many(act, n_cases)
        with runtime.Session() as s, Statements(runtime.engine) as seen:
            counts = outbox.deliver_outbox(s, T0 + days(1), settings=runtime.settings)
        return counts, seen.sql

    few, few_sql = one_batch(1)
    many, many_sql = one_batch(10)
    assert (few["sent"], many["sent"]) == (3, 30)  # two creators and the customer's receipt per case
    # The lease, the sent rows, their email_sent events.
    assert len(few_sql) == len(many_sql) == 3, many_sql
    with runtime.Session() as s:
        assert set(s.scalars(select(OutboxEmail.status))) == {"sent"}
        sent = Counter(e.data["outbox_id"] for e in s.scalars(select(CaseEvent).where(CaseEvent.action == "email_sent")))
        assert sent == Counter({i: 1 for i in s.scalars(select(OutboxEmail.id))})


def test_an_email_recorded_by_someone_else_is_not_recorded_again(runtime, act):
    open_many(act, 1)
    with runtime.Session() as s:
        claimed = outbox.claim_due(s, T0)
    with runtime.Session.begin() as s:  # another worker, after our lease ran out, sent and recorded the first
        from dashboard.context import Ctx

        assert outbox.record_sent(Ctx(s, T0, runtime.settings), claimed[:1]) == 1
    with runtime.Session.begin() as s:
        from dashboard.context import Ctx

        assert outbox.record_sent(Ctx(s, T0, runtime.settings), claimed) == len(claimed) - 1
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "email_sent")) == \
               len(claimed)


# ----------------------------------------------------------------------------- money
def test_money_batch_where_recording_one_fails_still_records_the_others(runtime, act, w, monkeypatch):
    ids = []
    for _ in range(4):
        case_id = act.open(T0, payment=act.new_payment(T0))
        act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
        ids.append(case_id)
    with runtime.Session() as s:
        bad = s.scalar(select(MoneyMovement.id).where(MoneyMovement.case_id == ids[1]))
    real = executor._succeeded

    def flaky(ctx, m, case, reference):
        if m.id == bad:
            raise RuntimeError("boom")
        return real(ctx, m, case, reference)

    monkeypatch.setattr(executor, "_succeeded", flaky)
    with runtime.Session() as s:
        counts = retry_money(s, T0 + days(1), settings=runtime.settings, gateways=runtime.gateways)
    assert counts == {"claimed": 4, "succeeded": 3, "failed": 0}
    with runtime.Session() as s:
        status = dict(s.execute(select(MoneyMovement.case_id, MoneyMovement.status)).all())
    assert status == {**{cid: "succeeded" for cid in ids}, ids[1]: "pending"}  # left to its lease
    monkeypatch.setattr(executor, "_succeeded", real)
    with runtime.Session() as s:  # once the lease ran out, found at the provider by its key: paid once
        assert retry_money(s, T0 + days(1) + LEASE, settings=runtime.settings,
                           gateways=runtime.gateways)["succeeded"] == 1
        assert s.scalar(select(Case.refunded_minor).where(Case.id == ids[1])) > 0
    assert len(act.events(ids[1], "refund_issued")) == 1


def test_money_leases_and_locks_a_batch_in_one_statement_each(runtime, act, w):
    """Per batch: one lease, one read of the cases' payment and company, one lock of the
    movements, one of the cases; what grows with the batch is only the rows written."""
    def settle_batch(n):
        for _ in range(n):
            case_id = act.open(T0, payment=act.new_payment(T0))
            act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
        with runtime.Session() as s, Statements(runtime.engine) as seen:
            counts = executor.settle_due(s, runtime.gateways, T0 + days(1), settings=runtime.settings)
        assert counts["succeeded"] == n
        return Counter(q.split()[0] + " " + _table(q) for q in seen.sql if "sandbox_gateway_calls" not in q)

    one, five = settle_batch(1), settle_batch(5)
    reads = {k: v for k, v in five.items() if k.startswith("SELECT")}
    assert reads == {k: v for k, v in one.items() if k.startswith("SELECT")}, (one, five)
    assert reads["SELECT money_movements"] == 1  # the lock before recording
    # The lease is one statement; the rest is the ORM writing each movement it records.
    assert five["UPDATE money_movements"] - one["UPDATE money_movements"] == 4


def _table(sql: str) -> str:
    words = sql.replace("(", " ").split()
    verb = words[0].upper()
    if verb == "UPDATE":
        return words[1]
    after = "INTO" if verb == "INSERT" else "FROM"
    return words[[w.upper() for w in words].index(after) + 1]


# --------------------------------------------------------------------------- idle run
def test_an_idle_run_of_every_job_is_one_statement(runtime, act, w):
    case_id = act.open(T0)
    act(T0 + days(1), party.deny, actor=w.creator, case_id=case_id, message="Delivered.")  # an appeal window open
    with runtime.Session() as s:
        drain_outbox(s, T0 + days(1), settings=runtime.settings)
    with Statements(runtime.engine) as seen:
        results = run_all_once(runtime, T0 + days(2))  # nothing is due yet
    assert all(not any(v for v in counts.values()) for counts in results.values()), results
    from jobs.runner import JOBS

    assert list(results) == [job.name for job in JOBS] and len(seen.sql) == 1, seen.sql  # every probe at once
    assert seen.sql[0].lstrip().upper().startswith("SELECT") and seen.sql[0].upper().count("EXISTS") >= len(JOBS)


def test_each_job_sweeps_alone_in_one_statement_when_idle(runtime, act, w):
    """On its own timetable (jobs.runner.Scheduler) a job is its own probe: one statement."""
    from jobs.runner import JOBS, run_job

    with Statements(runtime.engine) as seen:
        for job in JOBS[:4]:
            run_job(runtime, job, T0)
    assert len(seen.sql) == 4, seen.sql


def test_the_probe_runs_exactly_the_jobs_with_work(runtime, act, w):
    case_id = act.open(T0)
    results = run_all_once(runtime, T0 + days(8))  # the merchant never answered: escalation due
    assert results["escalation"]["escalated"] == 1 and results["outbox"]["sent"] > 0
    assert results["money"] == {"claimed": 0, "succeeded": 0, "failed": 0}
    assert act.events(case_id, "escalated")
