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

Quiet by default: our own start-up lines (database ready, demo data, scheduler) and every
warning and error, then the demo logins and the address, last. `LOG_REQUESTS=on` adds a
line per request (werkzeug's); `LOG_LEVEL=INFO` (or DEBUG) every library's lines too.
"""
from __future__ import annotations

import logging
import os

from dashboard.app_factory import create_app, prepare_database
from dashboard.headers import QuietRequestHandler
from dashboard.runtime import Runtime
from dashboard.settings import load_settings

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("resolution-center")
for _ours in ("resolution-center", "data.db"):  # the start-up summary, one line each
    logging.getLogger(_ours).setLevel(logging.INFO)

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
        log.info("scheduler running in-process")


def serve(logins: str | None) -> None:
    """Werkzeug's threaded server on the app (what Dash's `app.run` does, without Flask's
    and Dash's banners), announced once it listens: the logins and the address last."""
    from werkzeug.serving import make_server

    if os.environ.get("LOG_REQUESTS", "").lower() in ("1", "on", "true", "yes"):
        logging.getLogger("werkzeug").setLevel(logging.INFO)
    else:  # werkzeug logs each request, and its start-up notes, at INFO
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server(settings.host, settings.port, server, threaded=True, request_handler=QuietRequestHandler)
    if logins:
        print(logins, flush=True)
    print(f"Resolution Center is running on http://{settings.host}:{http.port}/ (Ctrl+C to stop)", flush=True)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        http.server_close()


if __name__ == "__main__":
    demo_logins = prepare_database(runtime, print_logins=False)
    start_scheduler(runtime)
    serve(demo_logins)
