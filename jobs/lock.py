"""One scheduler per SQLite file (SPEC §8: on SQLite a single scheduler is the
supported mode), kept by an OS file lock.

The scheduler holds `fcntl.flock(LOCK_EX | LOCK_NB)` on a lock file beside the
database file (`rc.db` -> `rc.db.scheduler-lock`) and writes who it is into it
(`host:pid`, when it started), so a second scheduler — `python -m jobs`, `jobs --once`,
or the in-process scheduler of another app process — is refused and told who holds
the database. The kernel releases the lock the moment the holding process ends,
however it ends (SIGKILL included): there is no heartbeat and no stale window. The
file itself stays; only the lock on it means anything, and an empty or stale text in
it is simply overwritten by the next holder.

flock locks belong to an open file, not to a process, so two schedulers in one process
(the app's standby thread and a test) exclude each other as well. The lock file must
live on a local file system, as the SQLite file must anyway.

PostgreSQL needs none of this: there every job claims its work with row locks, so
several schedulers may run side by side (`lock_for` returns None).
"""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

from dashboard.context import utcnow

log = logging.getLogger(__name__)

SUFFIX = ".scheduler-lock"
# How often a standby (the app's in-process scheduler) tries again while another holds it.
RETRY_EVERY = dt.timedelta(seconds=5)


class SchedulerBusy(RuntimeError):
    """Another live scheduler holds this database."""

    def __init__(self, holder: str, path: Path):
        self.holder = holder
        super().__init__(
            f"another scheduler is already running on this SQLite database ({holder}). "
            f"SQLite supports one scheduler: stop that one first (or set SCHEDULER=off for the app process that "
            f"runs it), or use PostgreSQL to run several. The system releases its lock ({path}) the moment "
            f"that process ends.")


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SchedulerLock:
    """The lock file: taken (`acquire`, raising SchedulerBusy) and given back (`release`)."""

    def __init__(self, path: Path | str, *, holder: Optional[str] = None,
                 clock: Callable[[], dt.datetime] = utcnow, retry_every: dt.timedelta = RETRY_EVERY):
        self.path = Path(path)
        self.holder = holder or this_holder()
        self.clock = clock  # the wall clock, never a job's "as of" moment
        self.retry_every = retry_every
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise SchedulerBusy naming the holder."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Python opens descriptors non-inheritable (PEP 446): a child it execs never holds our lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SchedulerBusy(self.held_by() or "a process that has not written its name yet", self.path)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._write(f"{self.holder}, started {self.clock().isoformat(timespec='seconds')}")

    def try_acquire(self) -> bool:
        try:
            self.acquire()
        except SchedulerBusy:
            return False
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # nobody holds it now; the next holder writes its own name
        finally:
            os.close(fd)  # closing the last descriptor of the open file drops the flock

    def held_by(self) -> Optional[str]:
        """What the holder wrote into the file (`host:pid, started ...`), if anything."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            return None
        return text or None

    def _write(self, text: str) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode("utf-8") + b"\n", 0)


@contextmanager
def holding(lock: Optional[SchedulerLock]) -> Iterator[Optional[SchedulerLock]]:
    """`with holding(lock):` acquire (raising SchedulerBusy), then release. None: no lock."""
    if lock is None:
        yield None
        return
    lock.acquire()
    try:
        yield lock
    finally:
        try:
            lock.release()
        except OSError:  # the kernel drops the lock with the process anyway
            log.exception("could not release the scheduler lock")


def lock_path(database: Optional[str]) -> Optional[Path]:
    """The lock file beside a SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    db = Path(database)
    return db.with_name(db.name + SUFFIX)


def lock_for(runtime) -> Optional[SchedulerLock]:
    """The lock a scheduler on this database must hold: SQLite files only."""
    if runtime.engine.dialect.name != "sqlite":
        return None
    path = lock_path(runtime.engine.url.database)
    return SchedulerLock(path) if path is not None else None
