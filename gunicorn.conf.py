"""Read by `gunicorn app:server` when started from this folder (gunicorn loads
./gunicorn.conf.py by default); command-line options still apply on top.

Only one thing here: gunicorn always writes `Server: gunicorn` and has no setting to
stop it, so its default headers are filtered. The app itself never sends a `Server`
header (dashboard/headers.py)."""
from gunicorn.http import wsgi as _wsgi

_default_headers = _wsgi.Response.default_headers


def _without_server_banner(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


_wsgi.Response.default_headers = _without_server_banner
