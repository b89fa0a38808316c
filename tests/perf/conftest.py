"""Fixtures for the benchmarks (`make bench`, i.e. `pytest tests/perf -q -s`).

Environment:
    BENCH_DATABASE_URL  admin URL of a PostgreSQL server (make's default:
                        postgresql+psycopg2://postgres@127.0.0.1:5432/postgres)
    BENCH_CASES         size of the data set (default 100000 cases, ~450k events)
    BENCH_FRESH=1       rebuild the cached data set (`rc_bench_cache_v1`) even if it matches
    BENCH_RUNS / BENCH_WARMUP   timed runs (15) and warm-up runs (3) per benchmark
    BENCH_JOB_RUNS      timed runs of the job benchmarks (5; each one consumes its input)
    BENCH_EXPLAIN_MS    EXPLAIN the slowest statement of benchmarks slower than this (50)

Fixtures (session scope unless said):
    bench_cache    CacheInfo of the generated data set (see _databases.py)
    bench_engine   engine on a per-run copy of it; `bench_session` a sessionmaker on it
    world          who and what the benchmarks look at (largest company, a case with
                   many events, a customer with many payments, API tokens)
    recorder       collects the rows; prints the summary and writes test-artifacts/bench.txt
    scratch_engine (module) another copy, for benchmarks that change data (the jobs)
    settings_for   settings_for(engine): app settings on that database, mail in a temp folder

Nothing here asserts on time: the tests assert that answers are right, and report.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import _dbs
from tests.perf import _databases
from tests.perf._bench import RUNS, WARMUP, Recorder

STARTED = time.perf_counter()
DEFAULT_CASES = 100_000
BIG_CASE_EVENTS = 200
HEAVY_CUSTOMER_EXTRA_PAYMENTS = 200


# Summary order; the jobs go last: they write to a copy of their own, which would
# otherwise push the read benchmarks' data out of the caches half-way through.
MODULE_ORDER = ("test_api", "test_queue", "test_case_page", "test_metrics", "test_parties", "test_jobs")


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
    cases = int(os.environ.get("BENCH_CASES") or DEFAULT_CASES)
    fresh = os.environ.get("BENCH_FRESH", "").strip().lower() in {"1", "true", "yes", "on"}
    print()
    return _databases.ensure_cache(bench_admin, cases=cases, fresh=fresh)


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
@dataclass(frozen=True)
class World:
    now: dt.datetime  # when the data set was generated: "now" for read models that take one
    cases: int
    reviewer_id: str
    reviewer_token: str
    company_id: str  # the company with the most cases
    company_name: str
    company_cases: int
    creator_id: str  # a creator of that company
    creator_token: str
    customer_id: str  # the customer with the most payments
    customer_payments: int
    big_case_id: str  # a case under review with many events (BIG_CASE_EVENTS more than usual)
    big_case_events: int
    typical_case_id: str  # a case under review with the usual handful
    typical_case_events: int


@pytest.fixture(scope="session")
def world(bench_engine, bench_session, bench_cache) -> World:
    """Picks the subjects of the benchmarks and adds what the generator has no shape
    for: one long-running case (many events, files and emails) and a heavy buyer."""
    from data.models import Case, CaseEvent, Company, EvidenceFile, OutboxEmail, Payment, User, new_id
    from dashboard.accounts import issue_token
    from dashboard.context import Ctx

    now, rng = bench_cache.now, random.Random(11)
    with bench_session.begin() as s:
        ctx = Ctx(s, now)
        reviewer = s.scalars(sa.select(User).where(User.role == "reviewer").order_by(User.email)).first()
        company_id, company_cases = s.execute(
            sa.select(Case.company_id, sa.func.count()).group_by(Case.company_id)
            .order_by(sa.func.count().desc(), Case.company_id).limit(1)).one()
        company = s.get(Company, company_id)
        creator = s.scalars(sa.select(User).where(User.company_id == company_id, User.role == "creator")).first()
        customer_id = s.execute(sa.select(Payment.customer_id).group_by(Payment.customer_id)
                                .order_by(sa.func.count().desc(), Payment.customer_id).limit(1)).scalar_one()
        under_review = sa.select(Case).where(Case.stage == "under_review").order_by(Case.created_at)
        big = s.scalars(under_review.where(Case.company_id == company_id)).first()
        typical = s.scalars(under_review.where(Case.company_id != company_id)).first()

        # The heavy buyer: renewals over the 90 days, at companies of every size.
        companies = s.scalars(sa.select(Company.id).order_by(Company.name)).all()
        s.execute(sa.insert(Payment), [
            {"id": new_id("pay_"), "company_id": rng.choice(companies), "customer_id": customer_id,
             "provider": rng.choice(["stripe", "stripe", "paypal", "crypto"]), "amount_minor": 2900,
             "currency": "USD", "product_title": "Membership renewal",
             "paid_at": now - dt.timedelta(minutes=rng.randrange(90 * 24 * 60)), "refunded_minor": 0,
             "refunded_at": None, "refunded_externally": False, "created_at": now}
            for _ in range(HEAVY_CUSTOMER_EXTRA_PAYMENTS)])

        # The long-running case: a back-and-forth, staff notes, emails and files.
        start = s.scalar(sa.select(sa.func.max(CaseEvent.created_at)).where(CaseEvent.case_id == big.id))
        step = (now - start) / (BIG_CASE_EVENTS + 1)
        events = []
        for k in range(BIG_CASE_EVENTS):
            kind = k % 10
            note, email = kind == 3, kind in (5, 8)
            events.append({
                "id": new_id("revt_"), "case_id": big.id,
                "action": "note" if note else "email_sent" if email else "responded",
                "reporter_type": "platform" if note else "system" if email else ("customer", "merchant")[k % 2],
                "actor_id": reviewer.id if note else None, "details": f"Message {k} " + "lorem ipsum " * 20,
                "data": {"outbox_id": k} if email else None, "viewable_by_customer": not (note or email),
                "viewable_by_merchant": not (note or email), "created_at": start + step * (k + 1)})
        s.execute(sa.insert(CaseEvent), events)
        seqs = s.scalars(sa.select(CaseEvent.seq).where(CaseEvent.case_id == big.id,
                                                        CaseEvent.action == "responded")
                         .order_by(CaseEvent.seq)).all()
        s.execute(sa.insert(EvidenceFile), [
            {"id": new_id("file_"), "owner_id": big.customer_id if i % 2 == 0 else creator.id, "status": "ready",
             "filename": f"evidence-{i}.png", "declared_content_type": "image/png", "content_type": "image/png",
             "size": 120_000, "sha256": "0" * 64, "storage_key": f"bench{i:02d}{big.id}"[:64],
             "upload_token": None, "rejection": None, "case_id": big.id, "event_seq": seqs[i * 15],
             "party": "customer" if i % 2 == 0 else "merchant", "created_at": start + step * i * 15}
            for i in range(9)])
        s.execute(sa.insert(OutboxEmail), [
            {"case_id": big.id, "dedupe_key": f"bench-big:{i}", "template": "responded",
             "recipient": "creator@bench.test", "subject": f"[{big.id}] A reply was received", "body_text": "…",
             "body_html": "…", "status": "sent", "attempts": 1, "next_attempt_at": None, "last_error": None,
             "created_at": start + step * i, "sent_at": start + step * i} for i in range(40)])
        big_events = s.scalar(sa.select(sa.func.count()).where(CaseEvent.case_id == big.id))
        typical_events = s.scalar(sa.select(sa.func.count()).where(CaseEvent.case_id == typical.id))
        customer_payments = s.scalar(sa.select(sa.func.count()).where(Payment.customer_id == customer_id))
        w = World(now=now, cases=bench_cache.cases, reviewer_id=reviewer.id, reviewer_token=issue_token(ctx, reviewer),
                  company_id=company_id, company_name=company.name, company_cases=company_cases,
                  creator_id=creator.id, creator_token=issue_token(ctx, creator), customer_id=customer_id,
                  customer_payments=customer_payments, big_case_id=big.id, big_case_events=big_events,
                  typical_case_id=typical.id, typical_case_events=typical_events)
    print(f"bench: largest company {w.company_name} ({w.company_cases:,} cases); case with many events "
          f"{w.big_case_id} ({w.big_case_events}); customer with {w.customer_payments} payments")
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
    counts = bench_cache.counts
    rec = Recorder(engine=bench_engine)
    rec.header = [
        f"Resolution Center benchmarks, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"code: {_revision()}; machine: {_machine()}",
        f"database: {_databases.server_description(bench_admin)}",
        f"data: {counts.get('cases', 0):,} cases, {counts.get('case_events', 0):,} events, "
        f"{counts.get('payments', 0):,} payments, {counts.get('users', 0):,} users, "
        f"{counts.get('companies', 0):,} companies, {counts.get('outbox_emails', 0):,} emails",
        f"load average at start: {_load()} (other work on the machine shows up in the timings)",
        f"method: {WARMUP} warm-up runs, then the median and p90 (nearest rank) of {RUNS} timed runs; "
        f"'queries' = statements one call runs",
    ]
    yield rec
    setup = (f"reused {_databases.CACHE_DB}" if bench_cache.reused
             else f"built {_databases.CACHE_DB} in {bench_cache.build_seconds:.0f} s")
    footer = [f"setup: {setup}; copied it in {bench_copy.seconds:.1f} s; load average at end: {_load()}",
              f"total bench runtime: {time.perf_counter() - STARTED:.0f} s"]
    text = rec.write(footer)
    print("\n\n" + text)
