"""Fixtures for the command-line tests. They run `python -m dashboard` in a subprocess
against a temporary SQLite file (DATABASE_URL), once — not per database leg: the CLI
is the same code on PostgreSQL, which the domain and job suites cover."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.runtime import Runtime
from dashboard.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, env: dict[str, str]):
        self.env = env

    def __call__(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=self.env, input=input,
                              capture_output=True, text=True, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def runtime(self) -> Runtime:
        """The same database, in this process (for arranging data and checking results)."""
        return Runtime.build(load_settings(self.env))


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Cli:
    base = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SMTP_URL", "DEMO_DATA", "SCHEDULER", "BASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{base / 'rc.db'}", MAIL_DIR=str(base / "mail"),
               UPLOAD_DIR=str(base / "uploads"), PYTHONUNBUFFERED="1")
    runner = Cli(env)
    done = runner("migrate")
    assert done.returncode == 0, done.stderr
    return runner


@pytest.fixture
def cli_env(cli, monkeypatch) -> Cli:
    """For calling `dashboard.cli.main()` in this process against the same database."""
    for key in ("SECRET_KEY", "SMTP_URL", "DEMO_DATA"):
        monkeypatch.delenv(key, raising=False)
    for key in ("DATABASE_URL", "MAIL_DIR", "UPLOAD_DIR"):
        monkeypatch.setenv(key, cli.env[key])
    return cli
