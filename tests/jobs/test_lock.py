"""One scheduler per SQLite file (`jobs.lock`, an OS file lock beside the database): a
second one refuses to start and is told who holds the file; a killed holder frees it at
once; the app's in-process scheduler counts as a holder and waits as a standby while
another process holds the file."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dashboard.runtime import Runtime
from dashboard.settings import load_settings
from jobs.lock import SchedulerBusy, SchedulerLock, holding, lock_for, lock_path
from jobs.runner import JobSpec, Scheduler, start_in_thread
from tests.factories import T0
from tests.jobs import _procs


def holder_text(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


# ------------------------------------------------------------------- the lock itself
def test_a_holder_keeps_a_second_scheduler_out_and_is_named(tmp_path):
    path = tmp_path / "rc.db.scheduler-lock"
    first = SchedulerLock(path, holder="web-1:101", clock=lambda: T0)
    second = SchedulerLock(path, holder="web-2:202")
    first.acquire()
    assert holder_text(path) == f"web-1:101, started {T0.isoformat(timespec='seconds')}"

    with pytest.raises(SchedulerBusy) as refused:
        second.acquire()  # the same process, another open file: flock refuses it too
    message = str(refused.value)
    assert message.startswith("another scheduler is already running on this SQLite database (web-1:101, started ")
    assert "SQLite supports one scheduler" in message and str(path) in message
    assert refused.value.holder.startswith("web-1:101")
    assert not second.try_acquire()

    first.release()
    assert holder_text(path) == ""  # nobody's name is left behind
    assert second.try_acquire()
    assert holder_text(path).startswith("web-2:202, started ")
    second.release()


def test_holding_releases_even_when_the_body_raises(tmp_path):
    lock = SchedulerLock(tmp_path / "x.scheduler-lock")
    with pytest.raises(ZeroDivisionError):
        with holding(lock):
            assert lock.held
            1 / 0
    assert not lock.held
    assert SchedulerLock(lock.path).try_acquire()


def test_a_sigkilled_holder_frees_the_lock_at_once(tmp_path):
    path = tmp_path / "rc.db.scheduler-lock"
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from jobs.lock import SchedulerLock; SchedulerLock(sys.argv[1]).acquire(); "
         "print('held', flush=True); time.sleep(60)", str(path)],
        cwd=_procs.ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(SchedulerBusy) as refused:
            SchedulerLock(path).acquire()
        assert f"{socket.gethostname()}:{child.pid}, started " in str(refused.value)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        # No timeout, no stale window: the kernel dropped the lock with the process.
        successor = SchedulerLock(path)
        assert successor.try_acquire()
        assert holder_text(path).startswith(f"{socket.gethostname()}:{os.getpid()}, started ")
        successor.release()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_lock_file_sits_beside_the_database_file(tmp_path):
    assert lock_path(str(tmp_path / "rc.db")) == tmp_path / "rc.db.scheduler-lock"
    assert lock_path(":memory:") is None and lock_path(None) is None


def test_only_sqlite_needs_the_lock(runtime, db_dialect):
    lock = lock_for(runtime)
    assert (lock is not None) == (db_dialect == "sqlite")
    if lock is not None:
        assert lock.path == lock_path(runtime.engine.url.database)


def test_a_standby_scheduler_waits_then_takes_over(tmp_path, runtime):
    """The app's in-process scheduler, when another process holds the file."""
    path = tmp_path / "rc.db.scheduler-lock"
    other = SchedulerLock(path, holder="worker-2:4242")
    other.acquire()
    runs = []
    lock = SchedulerLock(path, retry_every=dt.timedelta(seconds=0.1))
    job = JobSpec("count", 0.1, lambda rt, s, now: runs.append(now) or {"ran": 1})
    thread, stop = start_in_thread(runtime, scheduler=Scheduler(runtime, clock=lambda: T0, jobs=(job,), lock=lock))
    try:
        assert not _procs_wait(lambda: runs, 0.6)  # standing by: nothing runs
        other.release()
        assert _procs_wait(lambda: runs, 5)  # took over
        assert holder_text(path).startswith(lock.holder)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive() and not lock.held and holder_text(path) == ""


def _procs_wait(condition, seconds: float) -> bool:
    try:
        _procs.wait_for(condition, timeout=seconds, every=0.02)
    except AssertionError:
        return False
    return True


# ------------------------------------------------------------ real processes, one file
@pytest.fixture
def sqlite_file(tmp_path):
    """A migrated SQLite database of its own and the environment to run jobs on it."""
    url = f"sqlite:///{tmp_path / 'rc.db'}"
    env = _procs.env_for(url, tmp_path)
    runtime = Runtime.build(load_settings(env), run_migrations=True)
    yield env, runtime, tmp_path / "rc.db.scheduler-lock"
    runtime.engine.dispose()


def refused(env, *args) -> str:
    rc, _, err = _procs.finish(_procs.jobs(env, *args), timeout=60)
    assert rc == 1, err[-2000:]
    return err


def test_a_second_scheduler_on_the_same_sqlite_file_refuses_to_start(sqlite_file):
    env, runtime, path = sqlite_file
    first = _procs.jobs(env, "--tick", "1")
    try:
        _procs.read_until(first, "scheduler started")
        holder = f"{socket.gethostname()}:{first.pid}"
        assert holder_text(path).startswith(f"{holder}, started ")
        for args in ((), ("--once",)):
            err = refused(env, *args)
            assert f"error: another scheduler is already running on this SQLite database ({holder}, started " in err
            assert "SQLite supports one scheduler" in err
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert holder_text(path) == ""  # released on a clean stop
    assert _procs.finish(_procs.jobs(env, "--once"))[0] == 0


def test_a_killed_scheduler_is_replaced_at_once(sqlite_file):
    env, runtime, path = sqlite_file
    first = _procs.jobs(env, "--tick", "1")
    _procs.read_until(first, "scheduler started")
    first.kill()
    first.wait(10)
    assert holder_text(path).startswith(f"{socket.gethostname()}:{first.pid}")  # its name is still written there
    rc, _, err = _procs.finish(_procs.jobs(env, "--once"))
    assert rc == 0, err[-2000:]  # ... but the lock went with the process


def test_the_apps_in_process_scheduler_holds_the_file_too(sqlite_file):
    env, runtime, path = sqlite_file
    thread, stop = start_in_thread(runtime)  # what app.py does for the embedded default
    try:
        _procs.wait_for(lambda: holder_text(path) != "", timeout=10, what="the in-process scheduler's lock")
        assert holder_text(path).startswith(f"{socket.gethostname()}:{os.getpid()}, started ")
        assert "another scheduler is already running" in refused(env, "--once")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and holder_text(path) == ""
    assert _procs.finish(_procs.jobs(env, "--once"))[0] == 0


def test_with_the_file_held_elsewhere_the_app_scheduler_stands_by(sqlite_file):
    env, runtime, path = sqlite_file
    other = _procs.jobs(env, "--tick", "1")
    try:
        _procs.read_until(other, "scheduler started")
        thread, stop = start_in_thread(runtime)
        threading.Event().wait(0.5)
        assert thread.is_alive() and holder_text(path).startswith(f"{socket.gethostname()}:{other.pid},")
        stop.set()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        other.send_signal(signal.SIGTERM)
        assert other.wait(30) == 0
