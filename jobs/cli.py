"""`python -m jobs [--once] [--as-of T]`: the scheduler as a process of its own.

    python -m jobs                   the jobs on their timetable, until SIGTERM
    python -m jobs --once            every job once, the counts as JSON, exit
    python -m jobs --as-of ISO-TIME  every job once as if it were then (implies --once)

On SQLite a second scheduler refuses to start (`jobs.lock`); on PostgreSQL run as many
as you like. `python -m dashboard jobs ...` hands over to this command (the
administration CLI does not import `jobs`: the scheduler sits above the domain).

Exit codes: 0 done, 1 refused (another scheduler holds the file, a failed job,
bad settings), 2 usage error.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
from typing import Optional, Sequence

from dashboard.cli import add_jobs_arguments, configure_logging
from dashboard.context import utcnow
from dashboard.runtime import Runtime
from dashboard.settings import Settings, load_settings
from jobs.lock import SchedulerBusy, holding, lock_for
from jobs.runner import JOBS, Scheduler, every, run_all_once, stop_on_signals

log = logging.getLogger("jobs.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="Resolution Center background jobs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    add_jobs_arguments(parser)
    return parser


def run(args: argparse.Namespace, settings: Settings) -> int:
    runtime = Runtime.build(settings, run_migrations=True)
    jobs = every(JOBS, args.tick) if args.tick else JOBS
    stop = threading.Event()
    try:
        if args.once or args.as_of is not None:
            now = args.as_of or utcnow()
            if args.as_of is not None and args.as_of > utcnow():
                print(f"warning: --as-of {now.isoformat()} is in the future: deadlines that have not passed yet "
                      f"are acted on for real.", file=sys.stderr)
            # A one-off run is a scheduler too: on SQLite it needs the lock like any other.
            with stop_on_signals(stop), holding(lock_for(runtime)):
                results = run_all_once(runtime, now, stop_event=stop, jobs=jobs)
            print(json.dumps({"as_of": now.isoformat(), **results}, indent=2, sort_keys=False))
            return 1 if any("error" in counts for counts in results.values()) else 0
        Scheduler(runtime, jobs=jobs).run_forever(stop)
        return 0
    finally:
        runtime.engine.dispose()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        settings = load_settings()
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return run(args, settings)
    except SchedulerBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
