"""The users.time_zone migration (3c0ffee0a9e1) on both databases: existing people keep their
rows with no zone (UTC until their next sign-in sets one), and the downgrade drops the column."""
import datetime as dt

import pytest
from sqlalchemy import inspect, text

from data.db import alembic_config, make_engine
from data.models import User

BEFORE = "f7b16d8f167a"
REVISION = "3c0ffee0a9e1"
# Columns of users added by later revisions (60a2150dc568: notifications and duty).
LATER = {"notify_mode", "digest_sent_at", "on_duty", "capacity"}


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request, tmp_path):
    """A database of its own, migrated by the test itself (the shared one is at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    from tests import _dbs

    admin = _dbs.pg_admin_url()
    reason = _dbs.pg_unreachable_reason(admin) if admin else "TEST_DATABASE_URL is not set"
    if reason:
        if _dbs.in_ci():
            pytest.fail(f"CI=true: PostgreSQL needed: {reason}")
        pytest.skip(f"PostgreSQL leg disabled: {reason}")
    url = _dbs.create_pg_database(admin)
    try:
        yield url
    finally:
        _dbs.drop_pg_database(admin, url)


def test_existing_users_get_no_zone_and_the_downgrade_drops_it(scratch_url):
    from alembic import command

    config = alembic_config(scratch_url)
    command.upgrade(config, BEFORE)
    engine = make_engine(scratch_url)
    try:
        old_columns = {c.name for c in User.__table__.columns} - {"time_zone"} - LATER
        with engine.begin() as conn:  # a row as the older release wrote it
            conn.execute(text(
                "INSERT INTO users (id, email, name, role, is_active, session_epoch, created_at) "
                "VALUES ('user_old', 'o@x.test', 'O', 'customer', :t, 0, :c)"
            ), {"t": True, "c": dt.datetime(2026, 2, 3, tzinfo=dt.timezone.utc)})
        assert "time_zone" not in {c["name"] for c in inspect(engine).get_columns("users")}
        assert old_columns <= {c["name"] for c in inspect(engine).get_columns("users")}

        command.upgrade(config, REVISION)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT time_zone FROM users WHERE id = 'user_old'")).scalar_one() is None
            conn.execute(text("UPDATE users SET time_zone = 'Asia/Tokyo' WHERE id = 'user_old'"))
            conn.commit()
            assert conn.execute(text("SELECT time_zone FROM users")).scalar_one() == "Asia/Tokyo"

        command.downgrade(config, BEFORE)
        assert "time_zone" not in {c["name"] for c in inspect(engine).get_columns("users")}
    finally:
        engine.dispose()
