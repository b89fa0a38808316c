"""The benchmark databases on PostgreSQL.

- `rc_bench_cache_v2`: the generated data set (`data.bench_data.generate`), built once
  and kept between runs. Its `COMMENT ON DATABASE` records what it holds (cases, the
  generation time `now`, the migration heads and hashes of the migrations and of the
  generator); it is reused only when all of those match and its `cases` row count is
  right, otherwise rebuilt. `BENCH_FRESH=1` always rebuilds it. The comment is written last, so an
  interrupted build is never mistaken for a finished one.
- `rc_bench_<pid hex>_<random hex>` (and `..._jobs`): per-run copies made with
  `CREATE DATABASE ... TEMPLATE rc_bench_cache_v2`, so benchmarks that write never
  touch the cache. Dropped at the end of the run; copies left by a run whose process
  is gone are dropped at the start of the next.

`make bench` builds (or reuses) the cache with `python -m tests.perf.build` before pytest
starts, so a build of a million cases is never cut short by a test timeout.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests import _dbs

CACHE_DB = "rc_bench_cache_v2"
DEFAULT_CASES = 1_000_000
COPY_PREFIX = "rc_bench_"
COPY_RE = re.compile(r"rc_bench_([0-9a-f]+)_[0-9a-f]{8}(?:_\w+)?")
LOCK_KEY = 724_099  # serialises cache checks, builds and copies between concurrent runs
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CacheInfo:
    cases: int
    now: dt.datetime  # the `now` the data set was generated for
    reused: bool
    build_seconds: float  # of this run's build, or of the build that made the reused cache
    counts: dict[str, int]


def admin_engine(admin_url: str) -> sa.Engine:
    return _dbs._admin_engine(admin_url)


def db_url(admin_url: str, name: str) -> str:
    return _dbs.url_str(make_url(admin_url).set(database=name))


def fingerprint() -> dict[str, str]:
    """What the cached data depends on besides its size: the schema and the generator."""
    from alembic.script import ScriptDirectory

    from data.db import MIGRATIONS_DIR, alembic_config

    heads = ScriptDirectory.from_config(alembic_config("postgresql://")).get_heads()
    # The migrations' text, not just their heads: a revision edited in place (as 0001 was
    # before the first landing) keeps its id, so only its text tells.
    migrations = hashlib.sha256()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        migrations.update(path.name.encode() + b"\0" + path.read_bytes())
    # The generator, and the rollups it rebuilds at the end (data/rollups.py or data/rollups/).
    generator = hashlib.sha256((ROOT / "data" / "bench_data.py").read_bytes())
    for path in sorted([*(ROOT / "data").glob("rollups.py"), *(ROOT / "data" / "rollups").glob("*.py")]):
        generator.update(path.name.encode() + b"\0" + path.read_bytes())
    return {"heads": ",".join(sorted(heads)), "migrations": migrations.hexdigest()[:16],
            "generator": generator.hexdigest()[:16]}


def bench_cases() -> int:
    return int(os.environ.get("BENCH_CASES") or DEFAULT_CASES)


def trust_cache() -> bool:
    return os.environ.get("BENCH_TRUST_CACHE", "").strip().lower() in {"1", "true", "yes", "on"}


def bench_fresh() -> bool:
    return os.environ.get("BENCH_FRESH", "").strip().lower() in {"1", "true", "yes", "on"}


def _exists(conn, name: str) -> bool:
    return conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None


def _comment(conn, name: str) -> Optional[dict]:
    raw = conn.execute(sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                       {"n": name}).scalar()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _drop(conn, name: str) -> None:
    conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _table_counts(url: str) -> dict[str, int]:
    from data.models import Base

    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with eng.connect() as c:
            return {t.name: int(c.execute(sa.select(sa.func.count()).select_from(t)).scalar())
                    for t in Base.metadata.sorted_tables}
    finally:
        eng.dispose()


def drop_stale_copies(admin_url: str) -> list[str]:
    dropped = []
    eng = admin_engine(admin_url)
    try:
        with eng.connect() as c:
            names = c.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'rc\\_bench\\_%'")).scalars()
            for name in list(names):
                m = COPY_RE.fullmatch(name)
                if not m or _dbs._pid_alive(int(m.group(1), 16)):
                    continue
                busy = c.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n"),
                                 {"n": name}).scalar()
                if not busy:
                    _drop(c, name)
                    dropped.append(name)
    finally:
        eng.dispose()
    return dropped


def ensure_cache(admin_url: str, *, cases: int, fresh: bool, progress=print) -> CacheInfo:
    """The cache database holding `cases` cases, reused or (re)built."""
    want = {"cases": cases, **fingerprint()}
    eng = admin_engine(admin_url)
    try:
        with eng.connect() as c:
            c.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            try:
                if _exists(c, CACHE_DB):
                    meta = _comment(c, CACHE_DB)
                    stale = fresh or meta is None or any(meta.get(k) != v for k, v in want.items())
                    if stale and not fresh and meta is not None and trust_cache() and meta.get("cases") == cases:
                        # make bench has just built or checked it (tests.perf.build): code edited
                        # since then in a shared working tree must not trigger a second build.
                        progress(f"bench: {CACHE_DB} was built for other code "
                                 f"({', '.join(k for k, v in want.items() if meta.get(k) != v)}); "
                                 f"using it anyway (BENCH_TRUST_CACHE=1)")
                        stale = False
                    if not stale:
                        counts = _table_counts(db_url(admin_url, CACHE_DB))
                        if counts.get("cases") == cases:
                            progress(f"bench: reusing {CACHE_DB} ({cases:,} cases; BENCH_FRESH=1 rebuilds it)")
                            return CacheInfo(cases, dt.datetime.fromisoformat(meta["now"]), True,
                                             float(meta.get("build_seconds") or 0.0), counts)
                    progress(f"bench: {CACHE_DB} is {'to be rebuilt (BENCH_FRESH=1)' if fresh else 'stale'}; "
                             f"dropping it")
                    _drop(c, CACHE_DB)
                return _build(c, admin_url, want, progress)
            finally:
                c.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    finally:
        eng.dispose()


def _build(admin_conn, admin_url: str, want: dict, progress) -> CacheInfo:
    from data.bench_data import generate
    from data.db import make_engine, migrate

    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    progress(f"bench: building {CACHE_DB} with {want['cases']:,} cases (once; later runs reuse it)")
    admin_conn.execute(sa.text(f'CREATE DATABASE "{CACHE_DB}" TEMPLATE template0 ENCODING \'UTF8\''))
    url = db_url(admin_url, CACHE_DB)
    eng = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        migrate(eng)
        generate(eng, cases=want["cases"], now=now, progress=lambda m: progress("bench:" + m))
        # Steady state, as autovacuum would leave a live database: visibility map set
        # (index-only scans) and hint bits written. The COPYs froze their rows already and
        # generate() ran ANALYZE, so this mostly covers the rollup tables.
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
    finally:
        eng.dispose()
    counts = _table_counts(url)
    took = time.perf_counter() - started
    meta = json.dumps({**want, "now": now.isoformat(), "build_seconds": round(took, 1)})
    admin_conn.execute(sa.text(f"COMMENT ON DATABASE \"{CACHE_DB}\" IS '{meta}'"))
    progress(f"bench: built {CACHE_DB} in {took:.0f} s")
    return CacheInfo(want["cases"], now, False, took, counts)


def copy_cache(admin_url: str, suffix: str = "") -> str:
    """A new database cloned from the cache; returns its URL."""
    name = f"{COPY_PREFIX}{os.getpid():x}_{secrets.token_hex(4)}{suffix}"
    eng = admin_engine(admin_url)
    try:
        with eng.connect() as c:
            c.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
            try:
                # FILE_COPY (PostgreSQL 15+) copies the files after a checkpoint: seconds,
                # where the default WAL_LOG strategy logs every page of a large template.
                strategy = " STRATEGY FILE_COPY" if c.dialect.server_version_info >= (15,) else ""
                c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{CACHE_DB}"{strategy}'))
            finally:
                c.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
    finally:
        eng.dispose()
    return db_url(admin_url, name)


def drop(admin_url: str, url: str) -> None:
    eng = admin_engine(admin_url)
    try:
        with eng.connect() as c:
            _drop(c, make_url(url).database)
    finally:
        eng.dispose()


def server_description(admin_url: str) -> str:
    eng = admin_engine(admin_url)
    try:
        with eng.connect() as c:
            version = c.execute(sa.text("SHOW server_version")).scalar()
            shared = c.execute(sa.text("SHOW shared_buffers")).scalar()
            work_mem = c.execute(sa.text("SHOW work_mem")).scalar()
        return f"PostgreSQL {version} (shared_buffers {shared}, work_mem {work_mem})"
    finally:
        eng.dispose()
