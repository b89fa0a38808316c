"""The scheduler as a real process, on SQLite and PostgreSQL: a crash between the
gateway's answer and its record never pays twice, SIGTERM finishes the job in hand
and exits 0, and a scheduler down for ten days catches up in one sweep, oldest
deadline first."""
from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sqlite3

from sqlalchemy import func, select

from data.models import Case, CaseEvent, MoneyMovement, OutboxEmail, SandboxGatewayCall, User
from dashboard.cases import party
from dashboard.context import Ctx
from dashboard.money.executor import LEASE
from jobs.lock import lock_for
from tests.factories import T0, days
from tests.jobs import _procs
from tests.jobs._backlog import open_cases

SECOND = dt.timedelta(seconds=1)


def url_of(runtime) -> str:
    return runtime.engine.url.render_as_string(hide_password=False)


def scalar(runtime, stmt):
    with runtime.Session() as s:
        return s.scalar(stmt)


def count_of(runtime, model, *where) -> int:
    return scalar(runtime, select(func.count()).select_from(model).where(*where))


def escalated_so_far(runtime) -> int:
    """Polled while a scheduler works. On SQLite every session begins IMMEDIATE (takes
    the write lock), which would queue behind the sweep: read through a plain
    read-only connection instead, as WAL lets readers do."""
    if runtime.engine.dialect.name != "sqlite":
        return count_of(runtime, CaseEvent, CaseEvent.action == "escalated")
    with contextlib.closing(sqlite3.connect(f"file:{runtime.engine.url.database}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM case_events WHERE action = 'escalated'").fetchone()[0]


def once(env, as_of: dt.datetime) -> dict:
    rc, report, err = _procs.finish(_procs.jobs(env, "--once", "--as-of", as_of.isoformat()))
    assert rc == 0, err[-3000:]
    return report


def test_a_crash_between_the_gateway_and_the_record_never_pays_twice(runtime, act, w, tmp_path):
    cases = [act.open(T0, payment=act.new_payment(T0)) for _ in range(3)]
    for case_id in cases:  # accepted; the refunds are recorded, nobody has paid them yet
        act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
    url, run_at = url_of(runtime), T0 + days(1)

    # The provider books the first refund, then is slow to answer: kill the scheduler then.
    slow = _procs.env_for(url, tmp_path, SANDBOX_LATENCY="60")
    proc = _procs.jobs(slow, "--once", "--as-of", run_at.isoformat())
    _procs.wait_for(lambda: count_of(runtime, SandboxGatewayCall) >= 1, timeout=60, what="the first refund")
    proc.kill()
    proc.wait(10)
    with runtime.Session() as s:
        [booked] = s.scalars(select(SandboxGatewayCall)).all()
        movements = s.scalars(select(MoneyMovement).order_by(MoneyMovement.id)).all()
    assert [(m.status, m.attempts, m.provider_reference) for m in movements] == [("pending", 1, None)] * 3

    env = _procs.env_for(url, tmp_path)
    # Leased to the dead process until the lease runs out: nobody touches them.
    assert once(env, run_at + LEASE - SECOND)["money"] == {"claimed": 0, "succeeded": 0, "failed": 0}
    # Then recovery asks the gateway by key: the booked one is recorded, not paid again.
    assert once(env, run_at + LEASE)["money"] == {"claimed": 3, "succeeded": 3, "failed": 0}

    with runtime.Session() as s:
        calls = s.scalars(select(SandboxGatewayCall)).all()
        movements = {m.idempotency_key: m for m in s.scalars(select(MoneyMovement))}
        refunds = s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "refund_issued")).all()
    assert sorted(c.idempotency_key for c in calls) == sorted(movements)  # one call per key
    assert movements[booked.idempotency_key].provider_reference == booked.reference
    assert all(m.status == "succeeded" and m.attempts == 2 for m in movements.values())
    assert sorted(refunds) == sorted(cases)
    assert once(env, run_at + days(1))["money"]["claimed"] == 0


def test_sigterm_finishes_the_job_in_hand_then_exits_0(runtime, tmp_path):
    """The real clock: cases opened in March are long overdue. SIGTERM arrives during
    the escalation sweep; the sweep completes, no other job starts, exit status 0.
    500 cases are three batches of 200: the first batch's commit is what the test can see,
    so the signal lands while the other two are still in hand (with one batch, the sweep
    could be over and the outbox job begun before the signal arrived)."""
    backlog = open_cases(runtime, [T0 + i * SECOND for i in range(500)])
    env = _procs.env_for(url_of(runtime), tmp_path)
    proc = _procs.jobs(env, "--tick", "0.5")
    _procs.wait_for(lambda: escalated_so_far(runtime) >= 1, timeout=60, what="the escalation sweep")
    proc.send_signal(signal.SIGTERM)
    rc, _, err = _procs.finish(proc, timeout=60)

    assert rc == 0, err[-3000:]
    assert "received SIGTERM" in err and "scheduler stopped" in err
    assert count_of(runtime, CaseEvent, CaseEvent.action == "escalated") == 500  # the job in hand finished
    assert count_of(runtime, Case, Case.stage == "under_review") == len(backlog.case_ids)
    assert "job outbox" not in err  # ... and no other job started after the signal
    assert count_of(runtime, OutboxEmail, OutboxEmail.status != "pending") == 0
    lock = lock_for(runtime)  # released on SQLite; none on PostgreSQL
    assert lock is None or lock.try_acquire()
    if lock is not None:
        lock.release()


def test_ten_days_down_then_one_sweep_catches_up_oldest_first(runtime, tmp_path):
    # Emails are not the point here (the race test counts them): the mail server is
    # down, so each run only tries one batch.
    env = _procs.env_for(url_of(runtime), tmp_path, SMTP_URL=f"smtp://127.0.0.1:{_procs.free_port()}")
    stopped = T0 + days(7)
    # 520 cases (more than any batch) whose deadlines fall one after another while the
    # scheduler was down, opened out of deadline order; plus 12 denied cases whose
    # appeal windows closed meanwhile.
    n = 520
    spacing = days(10) / n
    order = sorted(range(n), key=lambda i: (i * 7919) % n)  # a shuffle with a fixed seed
    backlog = open_cases(runtime, [T0 + SECOND + i * spacing for i in order] +
                         [T0 + days(1) + i * SECOND for i in range(12)])
    overdue, denied = backlog.case_ids[:n], backlog.case_ids[n:]
    assert once(env, stopped)["escalation"] == {"due": 0, "escalated": 0, "errors": 0}  # running, all well
    with runtime.Session.begin() as s:
        for case_id in denied:
            creator = s.scalar(select(User).where(User.company_id == backlog.company_of[case_id]))
            party.deny(Ctx(s, stopped, runtime.settings), actor=creator, case_id=case_id, message="Delivered.")
    with runtime.Session() as s:
        deadlines = dict(s.execute(select(Case.id, Case.response_due_at).where(Case.id.in_(overdue))).all())
    back = stopped + days(10)
    assert max(deadlines.values()) <= back and min(deadlines.values()) > stopped

    report = once(env, back)  # one sweep
    assert report["escalation"] == {"due": n, "escalated": n, "errors": 0}
    assert report["deadlines"] == {"review_requests_due": 0, "review_requests_expired": 0,
                                   "appeal_windows_due": 12, "appeal_windows_closed": 12, "errors": 0}
    with runtime.Session() as s:
        escalated = s.execute(select(CaseEvent.case_id, CaseEvent.data).where(CaseEvent.action == "escalated")
                              .order_by(CaseEvent.seq)).all()
        final = s.scalars(select(Case.final).where(Case.id.in_(denied))).all()
    assert [case_id for case_id, _ in escalated] == sorted(overdue, key=lambda c: (deadlines[c], c))
    assert len(set(case_id for case_id, _ in escalated)) == n
    assert final == [True] * 12
    again = once(env, back)
    assert again["escalation"]["due"] == 0 and again["deadlines"]["appeal_windows_due"] == 0
