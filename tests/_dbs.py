"""Helpers for the test fixtures: throw-away PostgreSQL databases, table wiping,
and the CI rule that environment-dependent skips are failures.

Used by tests/conftest.py; test modules normally only use the fixtures.
"""
from __future__ import annotations

import os
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
TEST_DB_PREFIX = "rc_test_"

# Skips whose reason matches this are environment problems (no PostgreSQL, no
# Chromium). Under CI=true they are turned into failures by conftest.py.
ENV_SKIP_RE = re.compile(r"postgres|chromium|browser", re.IGNORECASE)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def url_str(url: URL | str) -> str:
    """URL as a string *with* its password (str(URL) masks it as ***)."""
    return make_url(url).render_as_string(hide_password=False)


def pg_admin_url() -> str | None:
    """The admin URL from TEST_DATABASE_URL; None when unset or empty.

    `make test` defaults it to DEFAULT_PG_ADMIN_URL; `TEST_DATABASE_URL= make test`
    (empty) disables the PostgreSQL leg locally.
    """
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return url or None


def _admin_engine(admin_url: str) -> sa.Engine:
    return sa.create_engine(
        admin_url,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 5},
    )


def pg_unreachable_reason(admin_url: str) -> str | None:
    """None if we can connect to admin_url, else a reason mentioning PostgreSQL."""
    try:
        eng = _admin_engine(admin_url)
        try:
            with eng.connect() as c:
                c.execute(sa.text("SELECT 1"))
        finally:
            eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"PostgreSQL unreachable at {make_url(admin_url).render_as_string()}: {first}"
        )
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_test_databases(admin_url: str) -> list[str]:
    """Drop rc_test_<pid>_* databases left by test runs whose process is gone."""
    dropped = []
    eng = _admin_engine(admin_url)
    try:
        with eng.connect() as c:
            names = c.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": TEST_DB_PREFIX + "%"},
            ).scalars().all()
            for name in names:
                m = re.fullmatch(re.escape(TEST_DB_PREFIX) + r"(\d+)_[0-9a-f]+", name)
                if not m or _pid_alive(int(m.group(1))):
                    continue
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                dropped.append(name)
    finally:
        eng.dispose()
    return dropped


def create_pg_database(admin_url: str) -> str:
    """Create a fresh, empty database next to admin_url; return its full URL."""
    name = f"{TEST_DB_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    eng = _admin_engine(admin_url)
    try:
        with eng.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    finally:
        eng.dispose()
    return url_str(make_url(admin_url).set(database=name))


def drop_pg_database(admin_url: str, db_url: str) -> None:
    name = make_url(db_url).database
    eng = _admin_engine(admin_url)
    try:
        with eng.connect() as c:
            c.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        eng.dispose()


def wipe_tables(engine: sa.Engine, tables) -> None:
    """Delete every row of `tables` (a list of sa.Table, parents first).

    PostgreSQL: one TRUNCATE ... RESTART IDENTITY CASCADE (fast, resets serials).
    SQLite: DELETE children-first, then reset AUTOINCREMENT counters.
    """
    tables = list(tables)
    if not tables:
        return
    if engine.dialect.name == "postgresql":
        prep = engine.dialect.identifier_preparer
        names = ", ".join(prep.format_table(t) for t in tables)
        with engine.begin() as c:
            # Fail loudly instead of hanging if a test leaked an open transaction.
            c.execute(sa.text("SET LOCAL lock_timeout = '15s'"))
            c.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for t in reversed(tables):
            c.execute(t.delete())
        if engine.dialect.name == "sqlite":
            has_seq = c.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_sequence'"
            ).first()
            if has_seq:
                c.exec_driver_sql("DELETE FROM sqlite_sequence")
