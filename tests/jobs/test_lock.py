"""One scheduler per SQLite file (`jobs.lock`): a second one refuses to start with a
clear message; a crashed one is taken over; the app's in-process scheduler counts as
a holder and waits as a standby while another process holds the file."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading

import pytest
from sqlalchemy import select

from data.models import SchedulerLock as LockRow
from dashboard.runtime import Runtime
from dashboard.settings import load_settings
from jobs.lock import Heartbeat, SchedulerBusy, SchedulerLock, lock_for
from jobs.runner import JobSpec, Scheduler, start_in_thread
from tests.factories import T0
from tests.jobs import _procs

SECOND = dt.timedelta(seconds=1)


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def row(runtime):
    with runtime.Session() as s:
        return s.scalar(select(LockRow))


# ------------------------------------------------------------------- the lock itself
def test_a_live_holder_keeps_a_second_scheduler_out(runtime):
    clock = Clock(T0)
    first = SchedulerLock(runtime.Session, holder="web-1:101", clock=clock)
    second = SchedulerLock(runtime.Session, holder="web-2:202", clock=clock)
    first.acquire()
    assert (row(runtime).holder, row(runtime).heartbeat_at) == ("web-1:101", T0)

    clock.now = T0 + first.stale_after  # exactly as old as allowed: still alive
    with pytest.raises(SchedulerBusy) as refused:
        second.acquire()
    message = str(refused.value)
    assert "another scheduler is already running on this SQLite database (web-1:101" in message
    assert "SQLite supports one scheduler" in message and "60s ago" in message
    assert row(runtime).holder == "web-1:101"

    assert first.refresh()  # a heartbeat keeps it alive
    clock.now += first.stale_after
    assert not second.try_acquire()


def test_a_crashed_holder_is_taken_over_after_the_timeout(runtime):
    clock = Clock(T0)
    crashed = SchedulerLock(runtime.Session, holder="web-1:101", clock=clock)
    crashed.acquire()
    clock.now = T0 + crashed.stale_after + SECOND
    successor = SchedulerLock(runtime.Session, holder="web-2:202", clock=clock)
    successor.acquire()
    assert (row(runtime).holder, row(runtime).heartbeat_at) == ("web-2:202", clock.now)
    # The old holder, should it wake up, learns it lost the lock, and cannot release it.
    assert not crashed.refresh()
    crashed.release()
    assert row(runtime).holder == "web-2:202"
    successor.release()
    assert row(runtime) is None


def test_a_holder_whose_process_is_gone_on_this_host_is_taken_over_at_once(runtime):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{int(gone.stdout)}"
    SchedulerLock(runtime.Session, holder=dead).acquire()
    SchedulerLock(runtime.Session).acquire()  # fresh heartbeat, but nobody is behind it
    assert row(runtime).holder == f"{socket.gethostname()}:{os.getpid()}"


def test_the_heartbeat_notices_a_takeover(runtime):
    clock = Clock(T0)
    lock = SchedulerLock(runtime.Session, holder="web-1:101", clock=clock, heartbeat=dt.timedelta(seconds=0.05))
    lock.acquire()
    beat = Heartbeat(lock).start()
    clock.now += lock.stale_after * 2
    SchedulerLock(runtime.Session, holder="web-2:202", clock=clock).acquire()
    assert beat.lost.wait(5)
    beat.stop()


def test_only_sqlite_needs_the_lock(runtime, db_dialect):
    assert (lock_for(runtime) is not None) == (db_dialect == "sqlite")


def test_a_standby_scheduler_waits_then_takes_over(runtime):
    """The app's in-process scheduler, when another process holds the file."""
    other = SchedulerLock(runtime.Session, holder="worker-2:4242")
    other.acquire()
    runs = []
    lock = SchedulerLock(runtime.Session, heartbeat=dt.timedelta(seconds=0.1))
    job = JobSpec("count", 0.1, lambda rt, s, now: runs.append(now) or {"ran": 1})
    thread, stop = start_in_thread(runtime, scheduler=Scheduler(runtime, clock=lambda: T0, jobs=(job,), lock=lock))
    try:
        assert not _procs_wait(lambda: runs, 0.6)  # standing by: nothing runs
        other.release()
        assert _procs_wait(lambda: runs, 5)  # took over
        assert row(runtime).holder == lock.holder
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive() and row(runtime) is None


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
    yield env, runtime
    runtime.engine.dispose()


def refused(env, *args) -> str:
    rc, _, err = _procs.finish(_procs.jobs(env, *args), timeout=60)
    assert rc == 1, err[-2000:]
    return err


def test_a_second_scheduler_on_the_same_sqlite_file_refuses_to_start(sqlite_file):
    env, runtime = sqlite_file
    first = _procs.jobs(env, "--tick", "1")
    try:
        _procs.read_until(first, "scheduler started")
        holder = f"{socket.gethostname()}:{first.pid}"
        assert row(runtime).holder == holder
        for args in ((), ("--once",)):
            err = refused(env, *args)
            assert f"error: another scheduler is already running on this SQLite database ({holder}" in err
            assert "SQLite supports one scheduler" in err
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert row(runtime) is None  # released on a clean stop
    assert _procs.finish(_procs.jobs(env, "--once"))[0] == 0


def test_a_killed_scheduler_is_replaced_at_once(sqlite_file):
    env, runtime = sqlite_file
    first = _procs.jobs(env, "--tick", "1")
    _procs.read_until(first, "scheduler started")
    first.kill()
    first.wait(10)
    assert row(runtime).holder.endswith(f":{first.pid}")  # a crash leaves the row behind
    rc, _, err = _procs.finish(_procs.jobs(env, "--once"))
    assert rc == 0, err[-2000:]
    assert "taking over the scheduler lock" in err


def test_the_apps_in_process_scheduler_holds_the_file_too(sqlite_file):
    env, runtime = sqlite_file
    thread, stop = start_in_thread(runtime)  # what app.py does for the embedded default
    try:
        _procs.wait_for(lambda: row(runtime) is not None, timeout=10, what="the in-process scheduler's lock")
        assert row(runtime).holder == f"{socket.gethostname()}:{os.getpid()}"
        assert "another scheduler is already running" in refused(env, "--once")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive() and row(runtime) is None
    assert _procs.finish(_procs.jobs(env, "--once"))[0] == 0


def test_with_the_file_held_elsewhere_the_app_scheduler_stands_by(sqlite_file):
    env, runtime = sqlite_file
    other = _procs.jobs(env, "--tick", "1")
    try:
        _procs.read_until(other, "scheduler started")
        thread, stop = start_in_thread(runtime)
        threading.Event().wait(0.5)
        assert thread.is_alive() and row(runtime).holder.endswith(f":{other.pid}")
        stop.set()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        other.send_signal(signal.SIGTERM)
        assert other.wait(30) == 0
