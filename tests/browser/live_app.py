"""The real app in a subprocess, for the browser and security suites.

`python app.py` (the same file production's `gunicorn app:server` imports) is started
against a fresh PostgreSQL database made from TEST_DATABASE_URL, with DEMO_DATA and the
scheduler off, mail and uploads in a temporary folder, a SECRET_KEY and a free port.
`LiveApp.cli(...)` runs `python -m dashboard ...` against the same database, and
`LiveApp.runtime()` opens it in this process (to arrange payments, check the database).

PostgreSQL rather than SQLite: it is what production runs, and the app, the jobs
subprocess and the test all write to one database from separate processes at once,
which PostgreSQL's row locks handle as in production. Without TEST_DATABASE_URL the
suites skip locally (and fail under CI=true, see tests/conftest.py).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
# The parent's settings must not leak into the app (a developer may have them exported).
DROPPED_ENV = ("DATABASE_URL", "SECRET_KEY", "SMTP_URL", "DEMO_DATA", "SCHEDULER", "BASE_URL", "HOST", "PORT",
               "MAIL_DIR", "UPLOAD_DIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    env: dict
    base: Path
    proc: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None
    _runtime: object = field(default=None, repr=False)

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([PYTHON, "-m", "dashboard", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        if check:
            assert done.returncode == 0, f"`dashboard {' '.join(args)}` exited {done.returncode}:\n{done.stderr}"
        return done

    def cli_many(self, *commands: tuple[str, ...], timeout: float = 120) -> list[str]:
        """Several `python -m dashboard` commands at once (each is a second of imports); their stdouts."""
        procs = [subprocess.Popen([PYTHON, "-m", "dashboard", *args], cwd=ROOT, env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for args in commands]
        outs = []
        for args, p in zip(commands, procs):
            out, err = p.communicate(timeout=timeout)
            assert p.returncode == 0, f"`dashboard {' '.join(args)}` exited {p.returncode}:\n{err}"
            outs.append(out)
        return outs

    def runtime(self):
        """The app's database, opened in this process (same settings as the subprocess)."""
        if self._runtime is None:
            from dashboard.runtime import Runtime
            from dashboard.settings import load_settings

            self._runtime = Runtime.build(load_settings(self.env))
        return self._runtime

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def server_errors(self) -> list[str]:
        """Tracebacks and ERROR lines the app logged (a failing callback logs one)."""
        return [line for line in self.log().splitlines() if "Traceback" in line or " ERROR " in line]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._runtime is not None:
            self._runtime.engine.dispose()


def app_env(db_url: str, base: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(DATABASE_URL=db_url, DEMO_DATA="off", SCHEDULER="off", MAIL_DIR=str(base / "mail"),
               UPLOAD_DIR=str(base / "uploads"), SECRET_KEY="live-app-test-secret-" + base.name, PORT=str(port),
               HOST="127.0.0.1", PYTHONUNBUFFERED="1")
    return env


def start_app(db_url: str, base: Path, *, timeout: float = 90) -> LiveApp:
    """`python app.py` on a free port; returns once /healthz answers 200."""
    port = free_port()
    env = app_env(db_url, base, port)
    app = LiveApp(url=f"http://127.0.0.1:{port}", env=env, base=base, log_path=base / "app.log")
    log = open(app.log_path, "wb")
    app.proc = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + timeout
    while True:
        if app.proc.poll() is not None:
            raise RuntimeError(f"app.py exited {app.proc.returncode} before serving:\n{app.log()[-4000:]}")
        try:
            if requests.get(app.url + "/healthz", timeout=2).status_code == 200:
                return app
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            app.stop()
            raise RuntimeError(f"app.py did not answer /healthz within {timeout}s:\n{app.log()[-4000:]}")
        time.sleep(0.1)


def fresh_database(pg_admin: str) -> str:
    from tests import _dbs

    return _dbs.create_pg_database(pg_admin)


def drop_database(pg_admin: str, url: str) -> None:
    from tests import _dbs

    _dbs.drop_pg_database(pg_admin, url)


@contextmanager
def running_app(pg_admin: str, base: Path, *, print_log: bool = False) -> Iterator[LiveApp]:
    """app.py on a fresh PostgreSQL database for the length of the block; both go away after."""
    db_url = fresh_database(pg_admin)
    app = None
    try:
        app = start_app(db_url, base)
        yield app
    finally:
        if app is not None:
            app.stop()
            if print_log:
                print(f"\n--- app.py log (last 3000 chars) ---\n{app.log()[-3000:]}")
        drop_database(pg_admin, db_url)
