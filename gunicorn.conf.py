"""Read by `gunicorn app:server` when started from this folder (gunicorn loads
./gunicorn.conf.py by default); command-line options still apply on top.

Two things here:

- The schema is brought up to date once, in the master before any worker starts
  (`on_starting`): importing app.py builds the app and nothing else, so the workers
  never migrate. Started elsewhere without this file, run `python -m dashboard migrate`
  first.
- gunicorn always writes `Server: gunicorn` and has no setting to stop it, so its
  default headers are filtered. The app itself never sends a `Server` header
  (dashboard/headers.py)."""
from gunicorn.http import wsgi as _wsgi

_default_headers = _wsgi.Response.default_headers


def _without_server_banner(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


_wsgi.Response.default_headers = _without_server_banner


def on_starting(server):
    from dashboard.runtime import Runtime

    runtime = Runtime.build()
    try:
        runtime.migrate()
    finally:
        runtime.engine.dispose()  # no connection is shared with the forked workers
    server.log.info("database schema is up to date")
