"""Fixtures for the benchmarks (`make bench`, i.e. `pytest tests/perf -q -s`).

Environment:
    BENCH_DATABASE_URL  admin URL of a PostgreSQL server (make's default:
                        postgresql+psycopg2://postgres@127.0.0.1:5432/postgres)
    BENCH_CASES         size of the data set (default 1,000,000 cases, ~8.6M events)
    BENCH_FRESH=1       rebuild the cached data set (`rc_bench_cache_v2`) even if it matches
    BENCH_RUNS / BENCH_WARMUP   timed runs (20) and warm-up runs (3) per benchmark
    BENCH_JOB_RUNS      timed runs of the job benchmarks (3; each one consumes its input)
    BENCH_HTTP_SECONDS  how long each locust run lasts (20)
    BENCH_EXPLAIN_MS    EXPLAIN the slowest statement of benchmarks slower than this (50)

Fixtures (session scope unless said):
    bench_cache    CacheInfo of the generated data set (see _databases.py)
    bench_engine   engine on a per-run copy of it; `bench_session` a sessionmaker on it
    world          who and what the benchmarks look at (largest company, a case with
                   many events, a customer with many payments, API tokens, a reviewer's password)
    recorder       collects the results; prints the table, writes instance/bench.json and
                   test-artifacts/bench.txt
    scratch_engine (module) another copy, for benchmarks that change data (the jobs)
    settings_for   settings_for(engine): app settings on that database, mail in a temp folder

Nothing here asserts on time: the tests assert that answers are right, and report.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import _dbs
from tests.perf import _databases
from tests.perf._bench import RUNS, WARMUP, Recorder

STARTED = time.perf_counter()


# Summary order; the jobs go last: they write to a copy of their own, which would
# otherwise push the read benchmarks' data out of the caches half-way through.
MODULE_ORDER = ("test_api", "test_queue", "test_workload", "test_case_page", "test_context", "test_metrics", "test_sla",
                "test_parties", "test_search", "test_http", "test_jobs", "test_assignment")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1]
        return MODULE_ORDER.index(name) if name in MODULE_ORDER else len(MODULE_ORDER)

    ours = [i for i, item in enumerate(items) if getattr(item.module, "__name__", "").startswith(__package__)]
    ordered = sorted((items[i] for i in ours), key=rank)  # stable: tests keep their order within a module
    for i, item in zip(ours, ordered):
        items[i] = item


def _env_missing(reason: str):
    if _dbs.in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def bench_admin() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url:
        _env_missing("BENCH_DATABASE_URL is not set: the benchmarks need PostgreSQL")
    reason = _dbs.pg_unreachable_reason(url)
    if reason:
        _env_missing(reason)
    for name in _databases.drop_stale_copies(url):
        print(f"bench: dropped {name}, left by an earlier run")
    return url


@pytest.fixture(scope="session")
def bench_cache(bench_admin) -> _databases.CacheInfo:
    print()
    return _databases.ensure_cache(bench_admin, cases=_databases.bench_cases(), fresh=_databases.bench_fresh())


@dataclass
class Copy:
    url: str
    seconds: float


@pytest.fixture(scope="session")
def bench_copy(bench_admin, bench_cache):
    t0 = time.perf_counter()
    url = _databases.copy_cache(bench_admin)
    copy = Copy(url, time.perf_counter() - t0)
    print(f"bench: copied the data set to {sa.make_url(url).database} in {copy.seconds:.1f} s")
    try:
        yield copy
    finally:
        _databases.drop(bench_admin, url)


@pytest.fixture(scope="session")
def bench_engine(bench_copy):
    from data.db import make_engine

    engine = make_engine(bench_copy.url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def bench_session(bench_engine):
    from data.db import make_session_factory

    return make_session_factory(bench_engine)


@pytest.fixture(scope="module")
def scratch_engine(bench_admin, bench_cache):
    """A copy of the data set of its own, for benchmarks that change it."""
    from data.db import make_engine

    url = _databases.copy_cache(bench_admin, "_jobs")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        _databases.drop(bench_admin, url)


@pytest.fixture(scope="session")
def settings_for(tmp_path_factory):
    """settings_for(engine) -> Settings for the app and jobs on that engine's database,
    with mail and uploads in a temporary folder."""
    from dashboard.settings import Settings

    def _settings(engine: sa.Engine) -> Settings:
        tmp = tmp_path_factory.mktemp("bench")
        return Settings(database_url=engine.url.render_as_string(hide_password=False), secret_key="bench-not-secret",
                        scheduler=False, demo_data=False, mail_dir=tmp / "mail", upload_dir=tmp / "uploads")

    return _settings


# ------------------------------------------------------------------------- world
PASSWORD = "bench-password-1"


@dataclass(frozen=True)
class World:
    now: dt.datetime  # when the data set was generated: "now" for read models that take one
    cases: int
    reviewer_id: str
    reviewer_email: str  # signs in with PASSWORD (set here, on the copy)
    reviewer_token: str
    manager_id: str
    company_id: str  # the company with the most cases
    company_name: str
    company_cases: int
    creator_id: str  # a creator of that company
    creator_token: str
    customer_id: str  # the customer with the most payments
    customer_payments: int
    big_case_id: str  # the open case with the most events (the generator makes a few of ~500)
    big_case_events: int
    typical_case_id: str  # a case under review with the usual handful
    typical_case_events: int


@pytest.fixture(scope="session")
def world(bench_engine, bench_session, bench_cache) -> World:
    """Picks the subjects of the benchmarks from the generated data (at any scale), and
    gives a reviewer a password and API tokens to the reviewer and a creator."""
    from data.models import Case, CaseEvent, Payment, User
    from dashboard.accounts import issue_token, set_password
    from dashboard.context import Ctx

    now = bench_cache.now
    events_of = (sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.case_id == Case.id)
                 .correlate(Case).scalar_subquery())
    with bench_session.begin() as s:
        ctx = Ctx(s, now)
        reviewer = s.scalars(sa.select(User).where(User.role == "reviewer").order_by(User.email)).first()
        manager = s.scalars(sa.select(User).where(User.role == "manager").order_by(User.email)).first()
        set_password(reviewer, PASSWORD)
        company_id, company_cases = s.execute(
            sa.select(Case.company_id, sa.func.count()).group_by(Case.company_id)
            .order_by(sa.func.count().desc(), Case.company_id).limit(1)).one()
        company_name = s.scalar(sa.text("SELECT name FROM companies WHERE id = :id"), {"id": company_id})
        creator = s.scalars(sa.select(User).where(User.company_id == company_id, User.role == "creator")
                            .order_by(User.email)).first()
        customer_id, customer_payments = s.execute(
            sa.select(Payment.customer_id, sa.func.count()).group_by(Payment.customer_id)
            .order_by(sa.func.count().desc(), Payment.customer_id).limit(1)).one()
        # Open cases are the recent ones, a small set: count their events one by one.
        big_id, big_events = s.execute(sa.select(Case.id, events_of.label("n")).where(Case.status != "closed")
                                       .order_by(sa.desc("n"), Case.id).limit(1)).one()
        typical_id, typical_events = s.execute(
            sa.select(Case.id, events_of.label("n")).where(Case.stage == "under_review", Case.id != big_id,
                                                          events_of <= 12)
            .order_by(Case.created_at, Case.id).limit(1)).one()
        w = World(now=now, cases=bench_cache.cases, reviewer_id=reviewer.id, reviewer_email=reviewer.email,
                  reviewer_token=issue_token(ctx, reviewer), manager_id=manager.id, company_id=company_id,
                  company_name=company_name, company_cases=company_cases, creator_id=creator.id,
                  creator_token=issue_token(ctx, creator), customer_id=customer_id,
                  customer_payments=customer_payments, big_case_id=big_id, big_case_events=big_events,
                  typical_case_id=typical_id, typical_case_events=typical_events)
    print(f"bench: largest company {w.company_name} ({w.company_cases:,} cases); case with many events "
          f"{w.big_case_id} ({w.big_case_events}); typical case {w.typical_case_id} ({w.typical_case_events}); "
          f"customer with {w.customer_payments} payments")
    return w


# ---------------------------------------------------------------------- recorder
def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}"


def _revision() -> str:
    import subprocess

    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=_databases.ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=_databases.ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty else "")


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


@pytest.fixture(scope="session")
def recorder(bench_admin, bench_cache, bench_copy, bench_engine):
    from tests.perf._bench import BareSQL

    counts = bench_cache.counts
    rec = Recorder(engine=bench_engine, bare=BareSQL(bench_engine))
    started = dt.datetime.now(dt.timezone.utc)
    rec.meta = {
        "scale": {"cases": counts.get("cases", 0), "events": counts.get("case_events", 0),
                  "payments": counts.get("payments", 0), "companies": counts.get("companies", 0),
                  "users": counts.get("users", 0), "outbox_emails": counts.get("outbox_emails", 0)},
        "commit": _revision(), "date": started.isoformat(timespec="seconds"),
        "machine": f"{_machine()}; {_databases.server_description(bench_admin)}",
        "method": f"{WARMUP} warm-up runs, then p50 and p95 (nearest rank) of {RUNS} timed runs",
        "build_seconds": bench_cache.build_seconds, "load_average_at_start": _load(),
    }
    rec.header = [
        f"Resolution Center benchmarks, {started:%Y-%m-%d %H:%M} UTC",
        f"code: {_revision()}; machine: {_machine()}",
        f"database: {_databases.server_description(bench_admin)}",
        f"data: {counts.get('cases', 0):,} cases, {counts.get('case_events', 0):,} events, "
        f"{counts.get('payments', 0):,} payments, {counts.get('users', 0):,} users, "
        f"{counts.get('companies', 0):,} companies, {counts.get('outbox_emails', 0):,} emails",
        f"load average at start: {_load()} (other work on the machine shows up in the timings)",
        f"method: {WARMUP} warm-up runs, then p50 and p95 (nearest rank) of {RUNS} timed runs; "
        f"sql p50 = the bare SQL for the same answer on a plain DBAPI connection; stmts = statements of one call",
    ]
    yield rec
    rec.bare.close()
    setup = (f"reused {_databases.CACHE_DB} (built in {bench_cache.build_seconds:.0f} s)" if bench_cache.reused
             else f"built {_databases.CACHE_DB} in {bench_cache.build_seconds:.0f} s")
    footer = [f"setup: {setup}; copied it in {bench_copy.seconds:.1f} s; load average at end: {_load()}",
              f"total bench runtime: {time.perf_counter() - STARTED:.0f} s"]
    rec.meta["load_average_at_end"] = _load()
    text = rec.write(footer)
    print("\n\n" + text)
