"""One scheduler per SQLite file (SPEC §8: on SQLite a single scheduler is the
supported mode).

The `scheduler_locks` row named "scheduler" says who holds the database: `holder` is
`host:pid`, `heartbeat_at` is refreshed every HEARTBEAT by a thread while it runs.
A second scheduler — `python -m dashboard jobs`, `jobs --once`, or the in-process
scheduler of another app process — finds a live holder and refuses to start. A holder
that stopped cleanly deleted the row; one that crashed is taken over once its
heartbeat is older than STALE_AFTER, or at once when it ran on this host and its
process is gone.

PostgreSQL needs none of this: there every job claims its work with row locks, so
several schedulers may run side by side (`lock_for` returns None).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.models import SchedulerLock as LockRow
from dashboard.context import utcnow

log = logging.getLogger(__name__)

NAME = "scheduler"
HEARTBEAT = dt.timedelta(seconds=10)
STALE_AFTER = dt.timedelta(seconds=60)


class LockLost(RuntimeError):
    """Our lock was taken over (we missed heartbeats for longer than STALE_AFTER)."""


class SchedulerBusy(RuntimeError):
    """Another live scheduler holds this database."""

    def __init__(self, holder: str, heartbeat_at: dt.datetime, now: dt.datetime, stale_after: dt.timedelta):
        self.holder = holder
        ago = max(0, int((now - heartbeat_at).total_seconds()))
        super().__init__(
            f"another scheduler is already running on this SQLite database ({holder}, last heartbeat {ago}s ago). "
            f"SQLite supports one scheduler: stop that one first (or set SCHEDULER=off for the app process that "
            f"runs it), or use PostgreSQL to run several. If it crashed, it is taken over "
            f"{int(stale_after.total_seconds())}s after its last heartbeat.")


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_here(holder: str) -> bool:
    """True when `holder` ran on this host and its process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SchedulerLock:
    """The lock row, taken (`acquire`), kept fresh (`refresh`) and given back (`release`)."""

    def __init__(self, session_factory: sessionmaker[Session], *, holder: Optional[str] = None, name: str = NAME,
                 stale_after: dt.timedelta = STALE_AFTER, heartbeat: dt.timedelta = HEARTBEAT,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.Session = session_factory
        self.holder = holder or this_holder()
        self.name = name
        self.stale_after = stale_after
        self.heartbeat = heartbeat
        self.clock = clock  # the wall clock, never a job's "as of" moment

    def acquire(self) -> None:
        """Take the lock, or raise SchedulerBusy naming the live holder."""
        now = self.clock()
        try:
            with self.Session.begin() as s:  # BEGIN IMMEDIATE on SQLite: one acquirer at a time
                row = s.scalar(select(LockRow).where(LockRow.name == self.name).with_for_update())
                if row is None:
                    s.add(LockRow(name=self.name, holder=self.holder, heartbeat_at=now))
                    return
                if row.holder != self.holder:
                    stale = now - row.heartbeat_at > self.stale_after
                    if not (stale or _dead_here(row.holder)):
                        raise SchedulerBusy(row.holder, row.heartbeat_at, now, self.stale_after)
                    log.warning("taking over the scheduler lock from %s (last heartbeat %s): it is gone",
                                row.holder, row.heartbeat_at.isoformat())
                row.holder, row.heartbeat_at = self.holder, now
        except IntegrityError:  # another acquirer inserted the row first (PostgreSQL)
            self.acquire()

    def try_acquire(self) -> bool:
        try:
            self.acquire()
        except SchedulerBusy:
            return False
        return True

    def refresh(self) -> bool:
        """Heartbeat; False when the lock is no longer ours (we were taken over)."""
        with self.Session.begin() as s:
            done = s.execute(update(LockRow).where(LockRow.name == self.name, LockRow.holder == self.holder)
                             .values(heartbeat_at=self.clock()))
            return done.rowcount == 1

    def release(self) -> None:
        with self.Session.begin() as s:
            s.execute(delete(LockRow).where(LockRow.name == self.name, LockRow.holder == self.holder))


class Heartbeat:
    """A daemon thread refreshing the lock every `lock.heartbeat`, so a long job (a
    catch-up sweep) never looks like a crash. `lost` is set if the lock was taken over."""

    def __init__(self, lock: SchedulerLock):
        self.lock = lock
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rc-scheduler-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.lock.heartbeat.total_seconds()):
            try:
                if not self.lock.refresh():
                    log.error("the scheduler lock was taken over by another process; this scheduler stops")
                    self.lost.set()
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried; STALE_AFTER allows several
                log.exception("scheduler heartbeat failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


@contextmanager
def holding(lock: Optional[SchedulerLock]) -> Iterator[Optional[Heartbeat]]:
    """`with holding(lock):` acquire (raising SchedulerBusy), keep alive, release. None: no lock."""
    if lock is None:
        yield None
        return
    lock.acquire()
    beat = Heartbeat(lock).start()
    try:
        yield beat
    finally:
        beat.stop()
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - a lock we cannot release goes stale and is taken over
            log.exception("could not release the scheduler lock")


def lock_for(runtime) -> Optional[SchedulerLock]:
    """The lock a scheduler on this database must hold: SQLite only."""
    if runtime.engine.dialect.name != "sqlite":
        return None
    return SchedulerLock(runtime.Session)
