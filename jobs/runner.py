"""Running the jobs: once (`run_all_once`, for `python -m jobs --once` and tests), or
forever on a `schedule` timetable (`Scheduler`), either as its own process
(`python -m jobs`, production) or in a thread of the app (`start_in_thread`, the
embedded default).

Each run of a job gets a fresh session and is wrapped so that an exception is logged
and the loop carries on: the work it did not do is still due in the database and
the next run picks it up. SIGTERM (or SIGINT) lets the job in hand finish, runs no
other, and returns, so the process exits 0.

On SQLite the scheduler holds a file lock beside the database (`jobs.lock`): a second
one refuses to start, or, inside an app process, waits as a standby. On PostgreSQL any
number of schedulers run at once; the jobs claim their work with row locks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

import schedule
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.context import utcnow
from dashboard.runtime import Runtime
from jobs.assignment import assign_waiting
from jobs.deadlines import close_expired
from jobs.digest import send_digests
from jobs.escalation import escalate_overdue
from jobs.housekeeping import forget_expired
from jobs.lock import SchedulerBusy, SchedulerLock, holding, lock_for
from jobs.money import retry_money
from jobs import probe
from jobs.outbox import drain_outbox
from jobs.webhooks import deliver_webhooks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    every_seconds: float
    run: Callable[[Runtime, Session, dt.datetime], dict]
    # An EXISTS of the work the job would find as of `now` (jobs.probe), and what it reports
    # when there is none: run_all_once asks every job's probe in one statement.
    due: Optional[Callable[[dt.datetime], Any]] = None
    idle: Optional[dict] = None


# In run order: deadlines first, so money and emails they cause go out in the same pass.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("escalation", 60, lambda rt, s, now: escalate_overdue(s, now, settings=rt.settings),
            probe.escalation, {"due": 0, "escalated": 0, "errors": 0}),
    JobSpec("deadlines", 60, lambda rt, s, now: close_expired(s, now, settings=rt.settings),
            probe.deadlines, {"review_requests_due": 0, "review_requests_expired": 0, "appeal_windows_due": 0,
                              "appeal_windows_closed": 0, "errors": 0}),
    JobSpec("assignment", 60, lambda rt, s, now: assign_waiting(s, now, settings=rt.settings),
            probe.assignment, {"assigned": 0, "waiting": 0, "errors": 0}),
    JobSpec("money", 30, lambda rt, s, now: retry_money(s, now, settings=rt.settings, gateways=rt.gateways),
            probe.money, {"claimed": 0, "succeeded": 0, "failed": 0}),
    JobSpec("digest", 300, lambda rt, s, now: send_digests(s, now, settings=rt.settings), probe.digest, {"sent": 0}),
    JobSpec("outbox", 5, lambda rt, s, now: drain_outbox(s, now, settings=rt.settings),
            probe.outbox, {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}),
    JobSpec("webhooks", 5, lambda rt, s, now: deliver_webhooks(s, now, settings=rt.settings),
            probe.webhooks, {"claimed": 0, "delivered": 0, "retrying": 0, "failed": 0}),
    JobSpec("housekeeping", 3600, lambda rt, s, now: forget_expired(s, now, settings=rt.settings),
            probe.housekeeping, {"idempotency_records_deleted": 0, "throttle_counters_deleted": 0,
                                 "webhook_deliveries_deleted": 0}),
)

_AUTO = object()


def every(jobs: tuple[JobSpec, ...], seconds: float) -> tuple[JobSpec, ...]:
    """The same jobs, each run every `seconds` (the CLI's hidden `--tick`, for tests)."""
    return tuple(dataclasses.replace(job, every_seconds=seconds) for job in jobs)


def run_job(runtime: Runtime, job: JobSpec, now: dt.datetime) -> dict:
    """One run of one job in a fresh session. Never raises: a failure is logged and
    reported as {"error": ...}."""
    started = time.perf_counter()
    try:
        with runtime.Session() as session:
            counts = job.run(runtime, session, now)
    except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any one job
        log.exception("job %s failed after %.3fs", job.name, time.perf_counter() - started)
        return {"error": f"{type(exc).__name__}: {exc}"}
    elapsed = time.perf_counter() - started
    busy = any(counts.values())
    log.log(logging.INFO if busy else logging.DEBUG, "job %s: %s in %.3fs", job.name, counts, elapsed)
    return counts


def run_all_once(runtime: Runtime, now: dt.datetime, *, stop_event: Optional[threading.Event] = None,
                 jobs: Optional[tuple[JobSpec, ...]] = None) -> dict[str, dict]:
    """Every job once, in order, as of `now`: {job name: counts or {"error": ...}}.
    When `stop_event` is set the jobs not started yet are left out."""
    jobs = JOBS if jobs is None else jobs
    due = _due(runtime, jobs, now)
    results = {}
    for job in jobs:
        if stop_event is not None and stop_event.is_set():
            break
        if due is not None and job.name in due and not due[job.name]:
            results[job.name] = dict(job.idle or {})
            continue
        results[job.name] = run_job(runtime, job, now)
        if any(v for v in results[job.name].values()):
            due = None  # it may have made work for the jobs after it (emails, money): they run
    return results


def _due(runtime: Runtime, jobs: tuple[JobSpec, ...], now: dt.datetime) -> Optional[dict[str, bool]]:
    """{job name: has work} for the jobs with a probe, in one statement; None if the probe
    itself failed (then every job runs and finds out for itself)."""
    probes = [job for job in jobs if job.due is not None and job.idle is not None]
    if not probes:
        return {}
    try:
        with runtime.engine.connect() as conn:  # a read of a few index pages: no session needed
            row = conn.execute(select(*(job.due(now).label(job.name) for job in probes))).one()
    except Exception:  # noqa: BLE001 - a failed probe must not stop the jobs
        log.exception("job probe failed; running every job")
        return None
    return {job.name: bool(getattr(row, job.name)) for job in probes}


@contextmanager
def stop_on_signals(stop_event: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop_event` instead of killing the process (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        log.info("received %s; finishing the job in hand, then stopping", signal.Signals(signum).name)
        stop_event.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Scheduler:
    """The jobs on their timetable (escalation and deadlines every minute, money every
    30 s, outbox every 5 s, housekeeping hourly). `clock` gives `now` for each run. `lock` defaults to the
    SQLite lock (`jobs.lock.lock_for`); None runs without one."""

    def __init__(self, runtime: Runtime, *, clock: Callable[[], dt.datetime] = utcnow,
                 jobs: tuple[JobSpec, ...] = JOBS, lock=_AUTO):
        self.runtime = runtime
        self.clock = clock
        self.jobs = jobs
        self._lock = lock
        self.schedule = schedule.Scheduler()
        for job in jobs:
            self.schedule.every(job.every_seconds).seconds.do(self._run, job).tag(job.name)

    @property
    def lock(self) -> Optional[SchedulerLock]:
        if self._lock is _AUTO:
            self._lock = lock_for(self.runtime)
        return self._lock

    def _run(self, job: JobSpec) -> dict:
        return run_job(self.runtime, job, self.clock())

    def run_all_now(self, stop_event: Optional[threading.Event] = None) -> None:
        """Catch up at start: whatever fell due while nothing was running."""
        for job in self.jobs:
            if stop_event is not None and stop_event.is_set():
                return
            self._run(job)

    def run_forever(self, stop_event: threading.Event, *, handle_signals: bool = True, max_sleep: float = 1.0,
                    standby: bool = False) -> None:
        """Run until `stop_event` is set (by SIGTERM/SIGINT when this is the main thread
        and `handle_signals`). A job in progress finishes first; no other starts.

        On SQLite, when another scheduler holds the database: raise SchedulerBusy, or
        with `standby` (the app's in-process scheduler) wait and take over when it goes.
        """
        signals = stop_on_signals(stop_event) if handle_signals else _nothing()
        lock = self.lock
        told = started = False
        with signals:
            try:
                while not stop_event.is_set():
                    try:
                        with holding(lock):
                            started = True
                            holder = f" (holding the SQLite scheduler lock {lock.path} as {lock.holder})" if lock else ""
                            log.info("scheduler started%s: %s", holder,
                                     ", ".join(f"{j.name} every {j.every_seconds:g}s" for j in self.jobs))
                            self._loop(stop_event, max_sleep)
                    except SchedulerBusy as busy:
                        if not standby:
                            raise
                        if not told:
                            log.warning("%s This process's scheduler waits as a standby.", busy)
                            told = True
                        stop_event.wait(lock.retry_every.total_seconds())
            finally:
                if started:
                    log.info("scheduler stopped")

    def _loop(self, stop_event: threading.Event, max_sleep: float) -> None:
        self.run_all_now(stop_event)
        while not stop_event.is_set():
            for job in sorted(j for j in self.schedule.jobs if j.should_run):
                if stop_event.is_set():
                    return
                job.run()
            idle = self.schedule.idle_seconds
            stop_event.wait(max(0.05, min(max_sleep, idle if idle is not None else max_sleep)))


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def start_in_thread(runtime: Runtime, *, scheduler: Optional[Scheduler] = None) -> tuple[threading.Thread, threading.Event]:
    """The embedded default: the scheduler in a daemon thread of the app process. On
    SQLite it holds the scheduler lock, or waits as a standby while another process
    holds it. Set the returned event (and join the thread) to stop it."""
    stop_event = threading.Event()
    sched = scheduler or Scheduler(runtime)
    thread = threading.Thread(target=sched.run_forever, args=(stop_event,),
                              kwargs={"handle_signals": False, "standby": True}, name="rc-scheduler", daemon=True)
    thread.start()
    return thread, stop_event
