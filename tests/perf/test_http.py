"""HTTP under load: `gunicorn app:server` with 2 and 4 workers on the bench copy, driven
by locust (headless, loopback only, BENCH_HTTP_SECONDS each, 16 concurrent users, no think
time) from tests/perf/locustfile.py:

    http.queue     POST /_dash-update-component: the queue grid's first block of the
                   Escalated tab, exactly as the page's grid asks for it, signed in as a reviewer
    http.api_list  GET /api/v1/resolution_center_cases?first=50 with a reviewer's Bearer token
    worker.rss     the largest peak RSS (VmHWM) of the gunicorn workers after both runs

The required names are the 4-worker runs; the 2-worker runs are recorded as *.w2. The
load generator runs on the same 2 cores as the server and the database.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.perf._bench import Result, measure
from tests.perf.test_api import sql_first_page
from tests.perf.test_queue import block_sql
from tests.security.dash_calls import DashCalls

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "20"))
USERS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, url: str, workers: int, tmp: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-not-for-production",
               "SCHEDULER": "off", "DEMO_DATA": "off", "MAIL_DIR": str(tmp / "mail"),
               "UPLOAD_DIR": str(tmp / "uploads"), "BASE_URL": self.base}
        self.log = open(tmp / f"gunicorn-w{workers}.log", "w")
        self.proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "app:server", "-w", str(workers), "-b",
                                      f"127.0.0.1:{self.port}", "--timeout", "120"], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/login", timeout=5).status_code == 200 and len(self.workers()) == workers:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(tmp / f'gunicorn-w{workers}.log').read_text()[-2000:]}")
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(p) for p in children]

    def peak_rss_mb(self) -> list[float]:
        out = []
        for pid in self.workers():
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            if m:
                out.append(int(m.group(1)) / 1024)
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def sign_in(base: str, email: str, password: str) -> requests.Session:
    http = requests.Session()
    form = http.get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = http.post(base + "/login", data={"csrf_token": token, "email": email, "password": password,
                                             "next": "/queue"}, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text[:500]
    return http


def queue_payload(http: requests.Session, base: str) -> dict:
    calls = DashCalls(http, base)
    dep = calls.dependency("queue-grid.getRowsResponse")
    values = {"queue-grid.getRowsRequest": {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}},
              "queue-tabs.active_tab": "escalated", "queue-assigned.value": None}
    return calls.payload(dep, values, ["queue-grid.getRowsRequest"])


def run_locust(task: str, base: str, tmp: Path, env: dict) -> dict:
    prefix = tmp / f"locust-{task}"
    cmd = [str(VENV_BIN / "locust"), "-f", str(ROOT / "tests" / "perf" / "locustfile.py"), "--headless",
           "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--host", base, "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"]
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env, "BENCH_LOCUST_TASK": task},
                          capture_output=True, text=True, timeout=SECONDS + 120)
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
            "per_s": float(total["Requests/s"]), "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]),
            "log": done.stderr[-2000:]}


@pytest.fixture(scope="module")
def bare_sql():
    return {"queue": block_sql("c.stage = 'under_review'", "coalesce(c.escalated_at, c.updated_at), c.id"),
            "api_list": sql_first_page}


@pytest.mark.parametrize("workers", [2, 4])
def test_http_under_load(workers, bench_copy, world, recorder, bare_sql, tmp_path):
    from tests.perf.conftest import PASSWORD

    server = Gunicorn(bench_copy.url, workers, tmp_path)
    try:
        http = sign_in(server.base, world.reviewer_email, PASSWORD)
        payload = queue_payload(http, server.base)
        check = http.post(server.base + "/_dash-update-component", json=payload)
        assert check.status_code == 200 and json.loads(check.text)["response"], check.text[:500]
        (tmp_path / "payload.json").write_text(json.dumps(payload))
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        env = {"BENCH_LOCUST_PAYLOAD": str(tmp_path / "payload.json"), "BENCH_LOCUST_COOKIE": cookie,
               "BENCH_LOCUST_TOKEN": world.reviewer_token}
        suffix = "" if workers == 4 else f".w{workers}"
        for task in ("queue", "api_list"):
            stats = run_locust(task, server.base, tmp_path, env)
            assert stats["requests"] > 0 and stats["failures"] == 0, stats
            sql_ms = measure(lambda: bare_sql[task](recorder.bare)).p50_ms
            recorder.add(Result(f"http.{task}{suffix}", stats["p50_ms"], stats["p95_ms"], sql_ms, None,
                                per_s=stats["per_s"],
                                extra={"workers": workers, "users": USERS, "seconds": SECONDS,
                                       "requests": stats["requests"]}))
        rss = server.peak_rss_mb()
        assert len(rss) == workers
        recorder.add(Result(f"worker.rss{suffix}", None, None, None, None, rss_mb=max(rss),
                            extra={"workers": workers, "rss_mb_each": [round(x) for x in rss]}))
    finally:
        server.stop()
