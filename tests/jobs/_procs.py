"""Real processes for the multi-process job tests: `python -m jobs` runs,
gunicorn app workers, and an SMTP server on loopback that can be down at first.

Every child gets its settings from the environment, exactly as in production.
"""
from __future__ import annotations

import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from email import policy
from pathlib import Path
from typing import Callable, Optional

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DROPPED_ENV = ("DATABASE_URL", "SECRET_KEY", "SMTP_URL", "DEMO_DATA", "SCHEDULER", "BASE_URL", "HOST", "PORT",
               "MAIL_DIR", "UPLOAD_DIR", "SANDBOX_FAILURES", "SANDBOX_LATENCY")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(db_url: str, base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(DATABASE_URL=db_url, SECRET_KEY="multi-process-test", DEMO_DATA="off", SCHEDULER="off",
               MAIL_DIR=str(base / "mail"), UPLOAD_DIR=str(base / "uploads"), BASE_URL="http://rc.test",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def jobs(env: dict[str, str], *args: str, log: Optional[Path] = None) -> subprocess.Popen:
    """`python -m jobs ...` (stdout piped; stderr piped, or to `log`)."""
    stderr = open(log, "ab") if log else subprocess.PIPE
    try:
        return subprocess.Popen([PYTHON, "-m", "jobs", *args], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=stderr, text=log is None)
    finally:
        if log:
            stderr.close()


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, dict, str]:
    """(returncode, parsed JSON of a --once run or {}, stderr text)."""
    out, err = proc.communicate(timeout=timeout)
    out = out.decode() if isinstance(out, bytes) else (out or "")
    err = err.decode() if isinstance(err, bytes) else (err or "")
    try:
        report = json.loads(out) if out.strip() else {}
    except json.JSONDecodeError:
        report = {"unparsed": out}
    return proc.returncode, report, err


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float = 0.01, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def read_until(proc: subprocess.Popen, marker: str, *, timeout: float = 30) -> str:
    """Read the child's stderr lines until one contains `marker`; returns what was read."""
    seen: list[str] = []
    found = threading.Event()

    def reader():
        for line in proc.stderr:
            seen.append(line)
            if marker in line:
                found.set()
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if not found.wait(timeout):
        raise AssertionError(f"{marker!r} not seen in {timeout}s:\n{''.join(seen)}")
    return "".join(seen)


class Gunicorn:
    """`gunicorn --workers N app:server`: the production web tier, SCHEDULER off."""

    def __init__(self, env: dict[str, str], base: Path, *, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "gunicorn.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                 "--graceful-timeout", "5", "app:server"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False

        wait_for(up, timeout=timeout, every=0.1, what="gunicorn /healthz")

    def post(self, path: str, token: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class SmtpSink:
    """An SMTP server on a fixed loopback port that is started (and stopped) on demand,
    recording every delivery: its Message-ID, envelope recipients and parsed message."""

    def __init__(self, port: Optional[int] = None):
        self.host, self.port = "127.0.0.1", port or free_port()
        self.deliveries: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self._controller: Optional[Controller] = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.deliveries.append((msg["Message-ID"], list(envelope.rcpt_tos), msg))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def per_message_id(self) -> Counter:
        return Counter(mid for mid, _, _ in self.deliveries)
