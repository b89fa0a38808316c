"""Engine, session factory and migrations.

One engine per process and database URL. SQLite gets a busy timeout and WAL so the
in-process scheduler and the web threads can share the file without "database is
locked" errors; PostgreSQL gets pre-ping so a restarted server does not surface as
a failed request.
"""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)

# The PostgreSQL driver we ship (requirements.txt). SQLAlchemy 2.1 maps a bare
# `postgresql://` to psycopg 3, which is not installed; hosts and PaaS hand out
# `postgresql://` or the old `postgres://`, so both mean psycopg2 here.
POSTGRES_DRIVER = "psycopg2"


def normalise_url(url: str) -> str:
    """The one place a DATABASE_URL is read: `postgres://` and `postgresql://` become
    `postgresql+psycopg2://`; a URL naming a driver that is not installed stops here with
    a message that says so, instead of a ModuleNotFoundError from deep in SQLAlchemy."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = f"postgresql+{POSTGRES_DRIVER}://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise RuntimeError(f"DATABASE_URL is not a database URL SQLAlchemy understands ({exc}). "
                           f"Use e.g. postgresql://user:password@host:5432/db or sqlite:///path.db") from None
    except ImportError as exc:
        scheme = url.split("://", 1)[0]
        raise RuntimeError(f"DATABASE_URL names the driver {scheme!r}, which is not installed "
                           f"({exc.name or exc}). Use postgresql:// (psycopg2, installed) or install that "
                           f"driver.") from None
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # pysqlite's own BEGIN handling defers the write lock; issue BEGIN IMMEDIATE
            # ourselves (below) so two writers queue instead of failing mid-transaction.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL cannot corrupt the file; it only skips an fsync per commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine_or_url: Engine | str) -> int:
    """Bring the schema to the newest migration (creates it from empty); returns how many
    migrations ran, and says so in one line ("database ready: 11 migrations applied")
    rather than alembic's line per migration (those stay at DEBUG on the `alembic` logger)."""
    with _alembic_quiet():  # importing alembic's commands logs its plugins
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

    if isinstance(engine_or_url, Engine):
        engine = engine_or_url
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Several gunicorn workers start at once: one migrates, the others wait.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724011)")
            cfg.attributes["connection"] = conn
            with _alembic_quiet():
                before = set(MigrationContext.configure(conn).get_current_heads())
                command.upgrade(cfg, "head")
            script = ScriptDirectory.from_config(cfg)
            applied = sum(1 for _ in script.iterate_revisions("heads", tuple(before) or "base"))
    else:
        engine = make_engine(engine_or_url)
        try:
            return migrate(engine)
        finally:
            engine.dispose()
    if applied:
        log.info("database ready: %d migration%s applied", applied, "" if applied == 1 else "s")
    else:
        log.info("database ready: up to date")
    return applied


@contextlib.contextmanager
def _alembic_quiet():
    """Alembic's INFO lines (plugins set up, the context, each revision) one level down,
    unless someone asked for the alembic logger at DEBUG."""
    logger = logging.getLogger("alembic")
    level = logger.level
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
