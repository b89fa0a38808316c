"""Read by `gunicorn app:server` when started from this folder (gunicorn loads
./gunicorn.conf.py by default); command-line options still apply on top.

- `on_starting` (the master, once, before any worker): the schema up to date and, where
  DEMO_DATA is on, the demo seeded on first run (`dashboard.app_factory.prepare_database`).
  Importing app.py builds the app and nothing else, so the workers never migrate.
  Started without this file, run `python -m dashboard migrate` first.
- `post_worker_init` (each worker, its app loaded): the in-process scheduler where
  SCHEDULER is on, as `python app.py` starts it (off by default on PostgreSQL; on SQLite
  one worker holds the file lock and the others stand by).
- gunicorn always writes `Server: gunicorn` and has no setting to stop it, so its
  default headers are filtered. The app itself never sends a `Server` header
  (dashboard/headers.py)."""
from gunicorn.http import wsgi as _wsgi

_default_headers = _wsgi.Response.default_headers


def _without_server_banner(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


_wsgi.Response.default_headers = _without_server_banner


def on_starting(server):
    from dashboard.app_factory import prepare_database
    from dashboard.runtime import Runtime

    runtime = Runtime.build()
    try:
        prepare_database(runtime)
    finally:
        runtime.engine.dispose()  # no connection is shared with the forked workers
    server.log.info("database schema is up to date")


def post_worker_init(worker):
    runtime = worker.wsgi.extensions["rc"]  # the runtime app.py built (dashboard.web.create_server)
    if runtime.settings.scheduler:
        from jobs.runner import start_in_thread

        start_in_thread(runtime)
        worker.log.info("scheduler running in-process in worker %s", worker.pid)
