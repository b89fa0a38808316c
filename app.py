"""Assembly only: the web application from `dashboard.app_factory.create_app`, and — when
run as a script for the embedded default — the schema, demo data and the in-process
scheduler.

    python app.py          migrate, seed the demo on first run (DEMO_DATA), start the
                           in-process scheduler (SCHEDULER), serve
    gunicorn app:server    production (PostgreSQL via DATABASE_URL, SCHEDULER off);
                           gunicorn.conf.py prepares the database once before the
                           workers start, and starts each worker's scheduler if on

Importing this module builds the app and nothing else: no migration, no seed, no thread
(tests/test_app_factory.py holds it to that).
"""
from __future__ import annotations

import logging

from dashboard.app_factory import create_app, prepare_database
from dashboard.headers import QuietRequestHandler
from dashboard.runtime import Runtime
from dashboard.settings import load_settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("resolution-center")

settings = load_settings()
runtime = Runtime.build(settings)
app = create_app(runtime=runtime, name=__name__)
server = app.server


def start_scheduler(runtime: Runtime) -> None:
    """The in-process scheduler where SCHEDULER is on (the embedded default): a daemon
    thread; on SQLite it holds the file lock or stands by (jobs.lock)."""
    if runtime.settings.scheduler:
        from jobs.runner import start_in_thread

        start_in_thread(runtime)
        log.info("Scheduler running in-process.")


if __name__ == "__main__":
    prepare_database(runtime)
    start_scheduler(runtime)
    log.info("Serving on http://%s:%s", settings.host, settings.port)
    app.run(host=settings.host, port=settings.port, debug=False, request_handler=QuietRequestHandler)
