"""Running the jobs: once (`run_all_once`, for `python -m dashboard jobs --once` and
tests), or forever on a `schedule` timetable (`Scheduler`), either as its own process
or in a thread of the app (`start_in_thread`, the embedded default).

Each run of a job gets a fresh session and is wrapped so that an exception is logged
and the loop carries on: the work it did not do is still due in the database and
the next run picks it up.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

import schedule
from sqlalchemy.orm import Session

from dashboard.context import utcnow
from dashboard.runtime import Runtime
from jobs.deadlines import close_expired
from jobs.escalation import escalate_overdue
from jobs.money import retry_money
from jobs.outbox import deliver_outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    name: str
    every_seconds: int
    run: Callable[[Runtime, Session, dt.datetime], dict]


# In run order: deadlines first, so money and emails they cause go out in the same pass.
JOBS: tuple[JobSpec, ...] = (
    JobSpec("escalation", 60, lambda rt, s, now: escalate_overdue(s, now, settings=rt.settings)),
    JobSpec("deadlines", 60, lambda rt, s, now: close_expired(s, now, settings=rt.settings)),
    JobSpec("money", 30, lambda rt, s, now: retry_money(s, now, settings=rt.settings, gateways=rt.gateways)),
    JobSpec("outbox", 5, lambda rt, s, now: deliver_outbox(s, now, settings=rt.settings)),
)


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


def run_all_once(runtime: Runtime, now: dt.datetime) -> dict[str, dict]:
    """Every job once, in order, as of `now`: {job name: counts or {"error": ...}}."""
    return {job.name: run_job(runtime, job, now) for job in JOBS}


class Scheduler:
    """The jobs on their timetable (escalation and deadlines every minute, money every
    30 s, outbox every 5 s). `clock` gives `now` for each run.

    Ready for the many-process setup: jobs are safe to run concurrently, and
    `may_run()` is where a leader guard (e.g. the `scheduler_locks` row on SQLite) plugs in.
    """

    def __init__(self, runtime: Runtime, *, clock: Callable[[], dt.datetime] = utcnow,
                 jobs: tuple[JobSpec, ...] = JOBS):
        self.runtime = runtime
        self.clock = clock
        self.jobs = jobs
        self.schedule = schedule.Scheduler()
        for job in jobs:
            self.schedule.every(job.every_seconds).seconds.do(self._run, job).tag(job.name)

    def may_run(self) -> bool:
        return True

    def _run(self, job: JobSpec) -> dict:
        if not self.may_run():
            return {}
        return run_job(self.runtime, job, self.clock())

    def run_all_now(self) -> None:
        """Catch up at start: whatever fell due while nothing was running."""
        for job in self.jobs:
            self._run(job)

    def run_forever(self, stop_event: threading.Event, *, handle_signals: bool = True,
                    max_sleep: float = 1.0) -> None:
        """Run until `stop_event` is set (by SIGTERM/SIGINT when this is the main thread).
        A job in progress finishes first."""
        restore = self._install_signal_handlers(stop_event) if handle_signals else {}
        log.info("scheduler started: %s", ", ".join(f"{j.name} every {j.every_seconds}s" for j in self.jobs))
        try:
            self.run_all_now()
            while not stop_event.is_set():
                self.schedule.run_pending()
                idle = self.schedule.idle_seconds
                stop_event.wait(max(0.05, min(max_sleep, idle if idle is not None else max_sleep)))
        finally:
            for sig, handler in restore.items():
                signal.signal(sig, handler)
            log.info("scheduler stopped")

    @staticmethod
    def _install_signal_handlers(stop_event: threading.Event) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}  # only the main thread may; the app stops a thread via stop_event

        def stop(signum, _frame):
            log.info("received %s; stopping the scheduler", signal.Signals(signum).name)
            stop_event.set()

        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, stop)
        return previous


def start_in_thread(runtime: Runtime, *, scheduler: Optional[Scheduler] = None) -> tuple[threading.Thread, threading.Event]:
    """The embedded default: the scheduler in a daemon thread of the app process.
    Set the returned event (and join the thread) to stop it."""
    stop_event = threading.Event()
    sched = scheduler or Scheduler(runtime)
    thread = threading.Thread(target=sched.run_forever, args=(stop_event,), kwargs={"handle_signals": False},
                              name="rc-scheduler", daemon=True)
    thread.start()
    return thread, stop_event
