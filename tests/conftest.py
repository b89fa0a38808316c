"""Root fixtures for the Resolution Center test suite.

Database (every test that uses these runs twice: [sqlite] and [pg]):
    db_url      session  URL of a fresh, empty database (sqlite file / new PG database)
    db_dialect  session  "sqlite" or "postgresql"
    engine      session  data.db.make_engine(db_url), migrated once with data.db.migrate
    clean_db    function the engine; every table of data.models.Base is wiped after the test
    Session     function sessionmaker(bind=engine, expire_on_commit=False), wiped after
    db          function alias of Session

    def test_x(Session):
        with Session() as s: ...

    @pytest.mark.postgres          # pg-only (e.g. row locks): the [sqlite] copy is deselected
    def test_lock(Session): ...

PostgreSQL comes from TEST_DATABASE_URL (an *admin* URL; `make test` defaults it to
postgresql+psycopg2://postgres@127.0.0.1:5432/postgres). Each run creates
rc_test_<pid>_<hex> and drops it at the end. If unset/empty/unreachable the [pg] tests
skip locally; with CI=true they fail. `--backend sqlite|pg` runs only one leg.

Browser: chromium_path, browser (session, Playwright over /usr/bin/chromium), page
(function; screenshot into test-artifacts/ on failure; page.console_errors lists JS
errors). Skips locally when Chromium is missing; fails under CI=true.
Servers: serve_wsgi(app) -> "http://127.0.0.1:PORT"; smtp_sink (aiosmtpd, .port, .messages).

CI rule: with CI=true any skip whose reason mentions postgres/chromium/browser is
reported as a failure (see pytest_runtest_makereport below).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

try:  # tests/ may or may not become a package
    from tests import _dbs
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _dbs  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]

_REPORTS = pytest.StashKey[dict]()


# --------------------------------------------------------------------------- options
def pytest_addoption(parser):
    parser.addoption(
        "--backend",
        choices=("all", "sqlite", "pg"),
        default=os.environ.get("TEST_BACKEND", "all"),
        help="database leg(s) to run for db fixtures (default: all; env TEST_BACKEND)",
    )


def pytest_report_header(config):
    pg = _dbs.pg_admin_url()
    return [
        f"resolution-center: CI={'true' if _dbs.in_ci() else 'false'} "
        f"backend={config.getoption('--backend')} "
        f"TEST_DATABASE_URL={sa.make_url(pg).render_as_string() if pg else '(unset)'} "
        f"chromium={_chromium_executable() or 'missing'}"
    ]


def pytest_collection_modifyitems(config, items):
    """@pytest.mark.postgres tests run only on the pg leg; --backend filters legs."""
    backend = config.getoption("--backend")
    keep, drop = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("db_url")
        if param == "sqlite" and (item.get_closest_marker("postgres") or backend == "pg"):
            drop.append(item)
        elif param == "postgresql" and backend == "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# ------------------------------------------------------------ CI: env skips are failures
def _skip_reason(rep) -> str:
    lr = rep.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2])
    return str(lr or "")


def _fail_env_skip(rep):
    if not (rep.skipped and _dbs.in_ci()) or hasattr(rep, "wasxfail"):
        return
    reason = _skip_reason(rep)
    if _dbs.ENV_SKIP_RE.search(reason):
        rep.outcome = "failed"
        rep.longrepr = (
            f"CI=true: this skip is not allowed (test environment incomplete): {reason}"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    item.stash.setdefault(_REPORTS, {})[rep.when] = rep
    _fail_env_skip(rep)
    return rep


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    rep = yield
    _fail_env_skip(rep)  # module-level pytest.skip / importorskip
    return rep


def _env_missing(reason: str):
    """Skip locally; fail under CI=true. `reason` must mention postgres/chromium."""
    if _dbs.in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def _pg_admin():
    admin = _dbs.pg_admin_url()
    if admin is None:
        _env_missing("TEST_DATABASE_URL is not set: PostgreSQL leg disabled")
    reason = _dbs.pg_unreachable_reason(admin)
    if reason:
        _env_missing(reason)
    _dbs.drop_stale_test_databases(admin)
    return admin


@pytest.fixture(scope="session", params=["sqlite", "postgresql"], ids=["sqlite", "pg"])
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "rc_test.db"
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("_pg_admin")
    url = _dbs.create_pg_database(admin)
    try:
        yield url
    finally:
        _dbs.drop_pg_database(admin, url)


@pytest.fixture(scope="session")
def db_dialect(db_url) -> str:
    return sa.make_url(db_url).get_backend_name()


def _app_tables():
    from data.models import Base

    return list(Base.metadata.sorted_tables)


@pytest.fixture(scope="session")
def engine(db_url):
    from data.db import make_engine, migrate

    eng = make_engine(db_url)
    migrate(eng)
    with eng.connect() as c:
        seeded = [
            t.name
            for t in _app_tables()
            if sa.inspect(c).has_table(t.name, schema=t.schema)
            and c.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        ]
    if seeded:
        warnings.warn(
            f"tables non-empty right after migrate(): {seeded}; the per-test wipe "
            "will delete those rows (keep seeding out of migrations)",
            stacklevel=1,
        )
    yield eng
    eng.dispose()


@pytest.fixture
def clean_db(engine):
    """The shared engine; all app tables are emptied after the test."""
    yield engine
    from sqlalchemy.orm import close_all_sessions

    close_all_sessions()
    _dbs.wipe_tables(engine, _app_tables())


@pytest.fixture
def Session(clean_db):  # noqa: N802 - reads like the class it is
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=clean_db, expire_on_commit=False)


@pytest.fixture
def db(Session):  # noqa: N803
    return Session


# --------------------------------------------------------------------------- clock
# The moment the callback and API suites act "as of": their runtime's clock returns it,
# so a test's dates are the same on every run and never straddle midnight or a week.
# A Monday at midday, no daylight-saving change near it in any time zone the tests use,
# after factories.T0 (which some worlds are built at) and before the real date.
AS_OF = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def as_of() -> dt.datetime:
    return AS_OF


# --------------------------------------------------------------------------- browser
def _chromium_executable() -> str | None:
    for cand in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _chromium_executable()
    if not path:
        _env_missing(
            "chromium not found at /usr/bin/chromium (apt-get install -y chromium "
            "chromium-driver): browser test skipped"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover
        _env_missing(f"playwright not importable, browser test skipped: {exc}")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    pg = ctx.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    rep = request.node.stash.get(_REPORTS, {}).get("call")
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception:  # noqa: BLE001
            pass
    ctx.close()


# --------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve_wsgi():
    """serve_wsgi(wsgi_app) -> base URL; served threaded on 127.0.0.1 until test end."""
    from werkzeug.serving import make_server

    servers = []

    def start(app) -> str:
        srv = make_server("127.0.0.1", 0, app, threaded=True)
        # A short poll keeps shutdown() from waiting half a second per server.
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        t.start()
        servers.append((srv, t))
        return f"http://127.0.0.1:{srv.server_port}"

    yield start
    for srv, t in servers:
        srv.shutdown()
        t.join(5)


class SmtpSink:
    """aiosmtpd sink: .host, .port, .messages (email.message.Message list)."""

    def __init__(self):
        self.host, self.port = "127.0.0.1", free_port()
        self.messages = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        import email

        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def wait_for(self, n: int = 1, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= n, f"expected {n} mails, got {len(self.messages)}"
        return self.messages


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    ctl = Controller(sink, hostname=sink.host, port=sink.port)
    ctl.start()
    yield sink
    ctl.stop()
