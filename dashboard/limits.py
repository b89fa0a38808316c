"""Bounded request bodies and JSON, for every route (issue 8: memory, chunked uploads,
deep JSON).

`BodyLimit` is WSGI middleware in front of the whole Flask server, so nothing behind it
— the login form parser, Dash's JSON reader, the upload route — ever holds more than its
route's limit:

- a `Content-Length` over the limit is refused before a byte of the body is read;
- a chunked body (no length) is read here, at most limit + 1 bytes, into a spooled
  buffer (memory up to 1 MiB, then a temporary file) and handed on as an ordinary body
  with its exact `Content-Length`; one byte too many and it is refused. Werkzeug's own
  cap silently *truncates* a chunked body at the limit, which is how a 60 MB upload was
  once stored as a corrupt 10 MiB "ready" file.

A refused request reaches Flask with an empty body and a flag; the first `before_request`
(`refuse_oversized`) answers 413 there, so the answer carries the usual headers and, under
/api/v1, the JSON error shape. Nothing was read into the app, so nothing is stored and a
pending upload stays pending (and retryable with the same upload URL).

`json_depth` bounds nesting: CPython's parser turns 10,000 nested brackets into a
RecursionError (a 500), and anything that walks a deep value after it would too.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
from typing import Any, Callable, Optional

import flask

from dashboard.settings import Settings

KIB, MIB = 1024, 1024 * 1024
LOGIN_MAX_BYTES = 16 * KIB  # an email, a password, a CSRF token and a time zone
API_MAX_BYTES = 1 * MIB  # JSON bodies under /api/v1 (dashboard.api.routing uses the same)
DEFAULT_MAX_BYTES = 64 * KIB  # any other route: none of them takes a body worth more
MAX_JSON_DEPTH = 64  # our deepest legitimate body (a Dash callback payload) is under 10
SPOOL_IN_MEMORY = 1 * MIB
READ_CHUNK = 64 * KIB

UPLOAD_PATH = re.compile(r"^/api/v1/files/[^/]+/upload/[^/]+$")
REFUSED = "rc.body_refused"  # environ key: the limit the body broke


def dash_update_max_bytes(settings: Settings) -> int:
    """A Dash callback carries at most MAX_FILES uploads as base64 (4 bytes per 3) plus
    the rest of the form: just above that, never the 80 MB a crafted call can send."""
    per_file = -(-settings.max_file_bytes // 3) * 4
    return settings.max_files * per_file + 1 * MIB


def limit_for(settings: Settings, path: str, method: str) -> int:
    if method == "PUT" and UPLOAD_PATH.match(path):
        return settings.max_file_bytes
    if path == "/_dash-update-component":
        return dash_update_max_bytes(settings)
    if path == "/api/v1" or path.startswith("/api/v1/"):
        return API_MAX_BYTES
    if path == "/login":
        return LOGIN_MAX_BYTES
    return DEFAULT_MAX_BYTES


class BodyLimit:
    """WSGI middleware: `server.wsgi_app = BodyLimit(server.wsgi_app, limit_of)`."""

    def __init__(self, app, limit_of: Callable[[str, str], int]):
        self.app, self.limit_of = app, limit_of

    def __call__(self, environ: dict, start_response):
        limit = self.limit_of(environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET"))
        length = environ.get("CONTENT_LENGTH", "")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or (
            not length and environ.get("wsgi.input_terminated"))
        if chunked:
            body = _read_at_most(environ["wsgi.input"], limit)
            if body is None:
                _refuse(environ, limit)
            else:
                environ["wsgi.input"] = body
                environ["CONTENT_LENGTH"] = str(body.seek(0, 2))
                body.seek(0)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        elif length:
            try:
                too_long = int(length) > limit or int(length) < 0
            except ValueError:
                too_long = True  # not a number: werkzeug would read it as "no body"; refuse instead
            if too_long:
                _refuse(environ, limit)
        return self.app(environ, start_response)


def _read_at_most(stream, limit: int):
    """The whole body in a spooled file, or None if it is longer than `limit` (then at
    most limit + 1 bytes were read)."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    total = 0
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return spool
        total += len(chunk)
        if total > limit:
            spool.close()
            return None
        spool.write(chunk)


def _refuse(environ: dict, limit: int) -> None:
    import io

    environ[REFUSED] = limit
    environ["wsgi.input"] = io.BytesIO()
    environ["CONTENT_LENGTH"] = "0"


def refuse_oversized():
    """`before_request`, registered first: answer a body `BodyLimit` refused with 413."""
    limit = flask.request.environ.get(REFUSED)
    if limit is None:
        return None
    from dashboard.api.errors import error_response

    path = flask.request.path
    mb = max(1, round(limit / MIB))
    if flask.request.method == "PUT" and UPLOAD_PATH.match(path):
        return error_response(413, "file_too_large", f"The file is larger than {mb} MB; nothing was stored. "
                                                     f"Upload a smaller file to the same upload_url.")
    if path.startswith("/api/") or path.startswith("/_dash"):
        return error_response(413, "request_too_large",
                              f"The request body is larger than this endpoint accepts ({_size(limit)}).")
    return flask.Response(f"<!doctype html><title>Too large</title><p>The request was larger than this page "
                          f"accepts ({_size(limit)}).</p>", status=413, mimetype="text/html")


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n >= MIB else f"{n // KIB} KiB"


# ------------------------------------------------------------------------------ JSON
class TooDeep(ValueError):
    pass


def json_depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests no deeper than `limit` lists/objects (iterative: a deep
    value cannot crash the check itself)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return True


def loads_bounded(raw: bytes | str) -> Any:
    """`json.loads` that raises ValueError (never RecursionError) for nesting deeper
    than MAX_JSON_DEPTH, so every caller maps it to its 400."""
    import json

    try:
        value = json.loads(raw)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if not json_depth_ok(value):
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def install(server: flask.Flask, settings: Settings) -> None:
    """Called by `dashboard.web.create_server` before any other hook is registered."""
    server.wsgi_app = BodyLimit(server.wsgi_app, lambda path, method: limit_for(settings, path, method))
    server.before_request(refuse_oversized)


# ----------------------------------------------------------------------------- times
# What every database we run holds and what date arithmetic can step from without
# overflowing (a deadline 30 days on, a metrics range's day after): wider than any real
# payment or filter, narrower than Python's year 1..9999.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc)  # exclusive


def time_in_range(value: dt.datetime) -> Optional[dt.datetime]:
    """`value` as aware UTC (naive is read as UTC) if it lies in [EARLIEST, LATEST), else None."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    try:
        value = value.astimezone(dt.timezone.utc)  # 0001-01-01T00:00+01:00 is before year 1 in UTC
    except OverflowError:
        return None
    return value if EARLIEST <= value < LATEST else None


def day_in_range(value: Any) -> Optional[dt.date]:
    """A `YYYY-MM-DD` (or ISO time, whose date is taken) within the range, else None."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            day = dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    else:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None
