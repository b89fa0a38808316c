"""The search indexes' migration (5ea2c4b1d0f7) on both databases: upgrade adds the amount
index (both) and the trigram and email-prefix indexes (PostgreSQL, with pg_trgm installed);
downgrade drops them again and leaves every other index alone."""
import pytest
from sqlalchemy import text

from data.db import alembic_config, make_engine
from tests.data.test_migration_time_zone import scratch_url  # noqa: F401 - the fixture

BEFORE = "3c0ffee0a9e1"
REVISION = "5ea2c4b1d0f7"
PG_ONLY = {"users": {"ix_users_name_trgm", "ix_users_email_prefix"}, "companies": {"ix_companies_name_trgm"}}


def indexes(engine) -> dict[str, set[str]]:
    """Index names per table, from the catalogue (inspect() skips expression indexes)."""
    sql = ("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema()"
           if engine.dialect.name == "postgresql" else "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'")
    out: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for table, name in conn.execute(text(sql)):
            out.setdefault(table, set()).add(name)
    return out


def test_upgrade_adds_the_search_indexes_and_downgrade_drops_them(scratch_url):  # noqa: F811
    from alembic import command

    config = alembic_config(scratch_url)
    command.upgrade(config, BEFORE)
    engine = make_engine(scratch_url)
    try:
        before = indexes(engine)
        command.upgrade(config, REVISION)
        after = indexes(engine)
        assert after["cases"] - before["cases"] == {"ix_cases_amount_created"}
        pg = engine.dialect.name == "postgresql"
        for table, names in PG_ONLY.items():
            assert after[table] - before.get(table, set()) == (names if pg else set())
        if pg:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 1
        command.downgrade(config, BEFORE)
        assert indexes(engine) == before
    finally:
        engine.dispose()
