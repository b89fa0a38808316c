"""Fixtures for the domain suite: a committed world of people and a `story` driver.

Every test here runs on SQLite and PostgreSQL (the `Session` fixture); tests that are
about row locks are marked `@pytest.mark.postgres` and run on PostgreSQL only.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.context import Ctx
from dashboard.money.gateways import GatewayRegistry
from tests import factories
from tests.domain.story import Story


@pytest.fixture(scope="session")
def domain_engine(engine):
    """The migrated test database, reached through an engine that does not wait for the
    disk on commit (synchronous_commit off; SQLite synchronous=OFF). Durability after a
    crash is all that changes: locks, isolation and visibility are the same, so the
    concurrency tests still prove what they prove. The shared engine is left as it is."""
    from data.db import make_engine

    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        fast = make_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    else:
        fast = make_engine(url)

        @sa.event.listens_for(fast, "connect")
        def _no_fsync(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA synchronous=OFF")

    yield fast
    fast.dispose()


@pytest.fixture
def clean_db(domain_engine):
    """The root fixture's contract (every table emptied after the test), kept fast: a
    domain test leaves a few dozen rows, and deleting them children-first takes a few
    milliseconds where PostgreSQL's TRUNCATE of every table takes ~70."""
    yield domain_engine
    from sqlalchemy.orm import close_all_sessions

    from data.models import Base

    close_all_sessions()
    with domain_engine.begin() as c:
        if domain_engine.dialect.name == "postgresql":
            c.execute(sa.text("SET LOCAL lock_timeout = '15s'"))  # fail loudly on a leaked transaction
        else:
            c.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for table in reversed(Base.metadata.sorted_tables):
            c.execute(table.delete())


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def w(Session, settings):  # noqa: N803
    """The shared world (tests/factories.py), committed, its objects usable as actors."""
    with Session.begin() as s:
        return factories.world(Ctx(s, factories.T0, settings))


@pytest.fixture
def story(Session, settings, w):  # noqa: N803
    return Story(Session, settings, w)


@pytest.fixture
def gateways(Session):  # noqa: N803
    return GatewayRegistry.sandbox(Session)
