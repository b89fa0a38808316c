"""What one PostgreSQL here takes of the write path, for README "Past one machine":

    capacity.open_cases    customers opening cases through the domain (opening.open_case),
                           one transaction each, from THREADS threads at once
    capacity.transitions   creators asking for information on those cases
                           (party.merchant_request_info), one transaction each, THREADS at once

Each transaction is what an API call does (eligibility, the case or transition, its
timeline event, its emails, its rollup rows, the commit). per_s is the total over the
threads; p50/p95 are per transaction. The threads share this process's Python, so the
figure is what one app process gets out of the database, a floor for the database itself.
Runs on the jobs' copy of the data set (it writes).
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import threading
import time

import pytest
import sqlalchemy as sa

from data.db import make_session_factory
from data.models import Payment, User
from dashboard.cases import opening, party
from dashboard.context import Ctx
from tests.perf._bench import Result

THREADS = int(os.environ.get("BENCH_CAPACITY_THREADS", "4"))
PER_THREAD = int(os.environ.get("BENCH_CAPACITY_PER_THREAD", "150"))


@pytest.fixture(scope="module")
def sessions(scratch_engine):
    return make_session_factory(scratch_engine)


def _eligible_payments(sessions, now: dt.datetime, n: int) -> list[tuple[str, str]]:
    """(payment id, customer id) of recent card/PayPal payments nobody disputed yet."""
    with sessions() as s:
        return s.execute(sa.text("""
            SELECT p.id, p.customer_id FROM payments p
            WHERE p.paid_at > :since AND p.paid_at <= :now AND p.provider IN ('stripe', 'paypal')
              AND p.refunded_minor = 0 AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.payment_id = p.id)
            ORDER BY p.paid_at DESC LIMIT :n"""), {"since": now - dt.timedelta(days=29), "now": now, "n": n}).all()


def _in_threads(work: list, fn) -> tuple[list[float], float, list]:
    """Run fn(item) for every item from THREADS threads; (latencies, wall seconds, results)."""
    chunks = [work[i::THREADS] for i in range(THREADS)]
    latencies, results, lock = [], [], threading.Lock()

    def worker(items):
        for item in items:
            t = time.perf_counter()
            out = fn(item)
            with lock:
                latencies.append(time.perf_counter() - t)
                results.append(out)

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, results


def _record(recorder, name: str, latencies: list[float], wall: float, n: int) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(0.95 * len(ordered)) - 1)]
    recorder.add(Result(name, statistics.median(latencies) * 1000, p95 * 1000, None, None, per_s=n / wall,
                        extra={"threads": THREADS}))


def test_write_capacity(sessions, scratch_engine, settings_for, world, recorder):
    settings = settings_for(scratch_engine)
    now = world.now
    payments = _eligible_payments(sessions, now, THREADS * PER_THREAD)
    assert len(payments) >= THREADS * 10, "the data set has too few undisputed recent payments"

    def open_one(item):
        payment_id, customer_id = item
        with sessions.begin() as s:
            case = opening.open_case(Ctx(s, now, settings), actor=s.get(User, customer_id), payment_id=payment_id,
                                     reason="product_not_received", message="It never arrived.").case
            return case.id, case.company_id

    latencies, wall, opened = _in_threads(payments, open_one)
    assert len(opened) == len(payments)
    _record(recorder, "capacity.open_cases", latencies, wall, len(opened))

    with sessions() as s:
        creators = dict(s.execute(sa.select(User.company_id, User.id).where(
            User.role == "creator", User.company_id.in_({c for _, c in opened}))).all())
    asks = [(case_id, creators[company_id]) for case_id, company_id in opened if company_id in creators]

    def ask_one(item):
        case_id, creator_id = item
        with sessions.begin() as s:
            return party.merchant_request_info(Ctx(s, now + dt.timedelta(hours=1), settings),
                                               actor=s.get(User, creator_id), case_id=case_id,
                                               message="Could you send the order number?").case.status

    latencies, wall, statuses = _in_threads(asks, ask_one)
    assert statuses and set(statuses) == {"awaiting_customer"}
    _record(recorder, "capacity.transitions", latencies, wall, len(statuses))
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Payment).where(
            Payment.id.in_([p for p, _ in payments]))) == len(payments)
