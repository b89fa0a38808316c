"""Importing app.py builds the app and nothing else (issue 12): no migration, no demo
seed, no scheduler thread — even with DEMO_DATA and SCHEDULER on. Those happen only
when app.py runs as a script (`python app.py`, `make run`)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, threading
import app
print("@@" + json.dumps({
    "threads": sorted(t.name for t in threading.enumerate()),
    "server": type(app.server).__name__,
    "rules": len(list(app.server.url_map.iter_rules())),
}))
"""


def test_importing_app_creates_no_tables_and_starts_no_threads(tmp_path):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()  # an empty SQLite file, as a fresh install has
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SMTP_URL", "BASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{db}", DEMO_DATA="on", SCHEDULER="on", MAIL_DIR=str(tmp_path / "mail"),
               UPLOAD_DIR=str(tmp_path / "uploads"))
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.rsplit("@@", 1)[1])
    assert seen["threads"] == ["MainThread"]  # no scheduler, no heartbeat, nothing
    assert seen["server"] == "Flask" and seen["rules"] > 10  # ... yet the whole app is there
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []  # not migrated, not seeded
    assert not (tmp_path / "mail").exists()
    assert "Demo logins" not in done.stdout


def test_the_factory_builds_the_same_routes_as_app_py(tmp_path):
    """`create_app` is what app.py serves: the API, sign-in, exports, files and Dash."""
    probe = ("import json; from dashboard.app_factory import create_app; app = create_app(name='app'); "
             "print('@@' + json.dumps(sorted(r.rule for r in app.server.url_map.iter_rules())))")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY",)}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}", DEMO_DATA="off", SCHEDULER="off")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    rules = set(json.loads(done.stdout.rsplit("@@", 1)[1]))
    assert {"/healthz", "/login", "/_dash-update-component"} <= rules
    assert any(rule.startswith("/api/v1/") for rule in rules)
    assert not (tmp_path / "none.db").exists()  # building it did not even open the database
