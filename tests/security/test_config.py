"""Secrets and database URLs (issue 8, findings 1 and 10): the embedded default signs
sessions with a random key of its own, kept in instance/ with mode 0600, so a cookie
signed with the key that used to ship in the code is nobody; `postgresql://` and
`postgres://` URLs mean the installed psycopg2; a URL naming a missing driver says so."""
from __future__ import annotations

import os
import stat

import pytest

from data.db import normalise_url
from dashboard.settings import load_settings

OLD_PUBLISHED_KEY = "embedded-default-not-secret"


def _embedded_env(tmp_path) -> dict:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'rc.db'}", "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "UPLOAD_DIR": str(tmp_path / "uploads"), "MAIL_DIR": str(tmp_path / "mail")}


def test_the_embedded_default_makes_a_random_key_once_and_keeps_it_private(tmp_path):
    env = _embedded_env(tmp_path)
    first = load_settings(env).secret_key
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and first != OLD_PUBLISHED_KEY
    assert load_settings(env).secret_key == first, "a restart must keep everyone signed in"
    (tmp_path / "other").mkdir()
    other = load_settings({**env, "SECRET_KEY_FILE": str(tmp_path / "other" / "secret_key")}).secret_key
    assert other != first, "each installation has its own key"
    assert first not in repr(load_settings(env)), "the key never appears in a log of the settings"


def test_a_key_file_others_can_read_stops_the_start(tmp_path):
    env = _embedded_env(tmp_path)
    load_settings(env)
    os.chmod(tmp_path / "secret_key", 0o644)
    with pytest.raises(RuntimeError, match="chmod 600"):
        load_settings(env)


def test_no_fixed_key_in_the_code():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for folder in ("dashboard", "data", "callbacks", "pages", "jobs"):
        for path in (root / folder).rglob("*.py"):
            assert OLD_PUBLISHED_KEY not in path.read_text(), path
    assert OLD_PUBLISHED_KEY not in (root / "app.py").read_text()


def test_outside_the_embedded_default_a_missing_key_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY is required"):
        load_settings({"DATABASE_URL": "postgresql://u@db.example/rc", "SECRET_KEY_FILE": str(tmp_path / "k")})
    assert not (tmp_path / "k").exists(), "production never falls back to a key file"


def test_a_cookie_signed_with_the_old_published_key_is_anonymous(tmp_path):
    """Finding 1, end to end on the embedded default: the server built from these settings
    (the same create_server + init_auth app.py uses) treats the forged manager cookie as
    no one — the gate sends it to /login — while a cookie signed with its own key works,
    so the check can fail."""
    from flask.sessions import SecureCookieSessionInterface

    from dashboard import accounts
    from dashboard.auth import init_auth
    from dashboard.context import Ctx, utcnow
    from dashboard.runtime import Runtime
    from dashboard.web import create_server

    settings = load_settings(_embedded_env(tmp_path))
    rt = Runtime.build(settings, run_migrations=True)
    try:
        with rt.Session.begin() as s:
            manager = accounts.create_user(Ctx(s, utcnow(), settings), email="max@platform.test", name="Max",
                                           role="manager", password="long-enough-password")
            manager_id = manager.id
        server = create_server(rt)
        init_auth(server)
        server.add_url_rule("/queue", endpoint="queue_probe", view_func=lambda: "the queue")

        def cookie(key: str) -> str:
            class Signer:
                secret_key = key
                config = {"SECRET_KEY_FALLBACKS": None}

            return SecureCookieSessionInterface().get_signing_serializer(Signer).dumps(
                {"_user_id": manager_id, "_fresh": True, "epoch": 0})

        client = server.test_client()
        client.set_cookie("session", cookie(OLD_PUBLISHED_KEY))
        answer = client.get("/queue")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
        client.set_cookie("session", cookie(settings.secret_key))
        assert client.get("/queue").status_code == 200, "the same cookie signed with the real key opens the queue"
    finally:
        rt.engine.dispose()


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@db.example:5432/rc", "postgresql+psycopg2://u:p@db.example:5432/rc"),
    ("postgresql://u@db.example/rc", "postgresql+psycopg2://u@db.example/rc"),
    ("postgresql+psycopg2://u@db.example/rc", "postgresql+psycopg2://u@db.example/rc"),
    ("sqlite:///instance/x.db", "sqlite:///instance/x.db"),
])
def test_postgres_urls_mean_the_installed_psycopg2(given, expected):
    assert normalise_url(given) == expected
    assert load_settings({"DATABASE_URL": given, "SECRET_KEY": "k" * 40}).database_url == expected


@pytest.mark.parametrize("url, says", [
    ("postgresql+psycopg://u@db.example/rc", "'postgresql+psycopg', which is not installed"),
    ("mysql+pymysql://u@db.example/rc", "'mysql+pymysql', which is not installed"),
    ("not a url", "not a database URL"),
])
def test_a_driver_that_is_not_installed_is_named(url, says):
    with pytest.raises(RuntimeError, match=says.replace("+", r"\+")):
        load_settings({"DATABASE_URL": url, "SECRET_KEY": "k" * 40})


@pytest.mark.postgres
def test_a_plain_postgresql_url_connects(db_url, db_dialect):
    """What a PaaS hands out — `postgresql://` and `postgres://` — reaches the test server."""
    from sqlalchemy import text

    from data.db import make_engine

    if db_dialect != "postgresql":
        pytest.skip("PostgreSQL only")
    rest = db_url.split("://", 1)[1]
    for scheme in ("postgresql", "postgres"):
        engine = make_engine(f"{scheme}://{rest}")
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        finally:
            engine.dispose()
