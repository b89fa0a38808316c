"""`GET /metrics/export.csv` — the metrics screen's filtered cases as CSV, for managers.

A plain Flask route rather than a `dcc.Download` callback, because a callback has to
build the whole file in memory and ship it inside a JSON answer; this route streams
it, reading the cases a page at a time (keyset on created_at, id), each page in its
own short transaction, so neither memory nor a database transaction grows with the
export.

Signed in through the same session as the screens (the login gate in `dashboard.auth`
sends anonymous visitors to /login); the user is re-read from the database and must
be a manager, else 403. Only the columns below leave: never messages, notes or
decision reasons. Text a person typed (company names, emails) is defused so a
spreadsheet does not run it as a formula.

The range is days in the manager's time zone, as on the screen (`metrics_zone`: their saved
zone, else their browser's, else UTC), so the file holds exactly the cases the screen
counted; the times in it stay UTC (ISO 8601 with Z), for spreadsheets and scripts.

Register once in app.py: `from dashboard.export_routes import register; register(server)`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterator, Optional
from zoneinfo import ZoneInfo

import flask
from flask_login import current_user

from data.models import User
from data.read.metrics import MetricsFilter, export_rows, parse_filter
from dashboard.enums import Role
from dashboard.limits import day_in_range
from dashboard.money.amounts import to_major
from dashboard.permissions import case_visibility
from dashboard.timezones import valid_zone, zone_named

HEADER = ("id", "created_at", "company", "customer_email", "provider", "reason", "status", "outcome", "refund",
          "amount", "currency", "escalated", "appealed", "closed_at")
PAGE_SIZE = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def metrics_zone(user) -> ZoneInfo:
    """The zone a manager's metrics days are in: their saved zone, else the browser's (the
    `tz` cookie, outside a request none), else UTC. The screen's callbacks use it too."""
    saved = valid_zone(getattr(user, "time_zone", None))
    if saved:
        return zone_named(saved)
    try:
        cookie = flask.request.cookies.get("tz")
    except RuntimeError:  # outside a request
        cookie = None
    return zone_named(cookie)


def register(server: flask.Flask) -> None:
    server.add_url_rule("/metrics/export.csv", "metrics_export_csv", export_cases_csv, methods=["GET"])


def _text(value: Optional[str]) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _time(value: Optional[dt.datetime]) -> str:
    return "" if value is None else value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_row(r) -> list[str]:
    return [r.id, _time(r.created_at), _text(r.company), _text(r.customer_email), r.provider, r.reason, r.status,
            r.outcome or "", r.refund or "none", str(to_major(r.amount_minor, r.currency)), r.currency,
            "true" if r.escalated else "false",
            "true" if (r.customer_appealed or r.merchant_appealed) else "false", _time(r.closed_at)]


def _lines(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def stream_csv(session_factory, visible, f: MetricsFilter, *, page_size: int = PAGE_SIZE) -> Iterator[str]:
    yield _lines([HEADER])
    after = None
    while True:
        with session_factory() as session:
            rows = export_rows(session, visible, f, after=after, limit=page_size)
        if not rows:
            return
        yield _lines(csv_row(r) for r in rows)
        if len(rows) < page_size:
            return
        after = (rows[-1].created_at, rows[-1].id)


def _refuse(status: int, message: str) -> flask.Response:
    return flask.Response(message + "\n", status=status, mimetype="text/plain")


def export_cases_csv() -> flask.Response:
    if not current_user or not current_user.is_authenticated:
        return _refuse(401, "Sign in first.")
    runtime = flask.current_app.extensions["rc"]
    with runtime.Session() as session:
        user = session.get(User, current_user.get_id())
        if user is None or not user.is_active or user.role != Role.MANAGER:
            return _refuse(403, "Only the platform's managers can export cases.")
        visible = case_visibility(user)
        zone = metrics_zone(user)
    args = flask.request.args
    # Like an unreadable date, one outside 1900..9998 means the default range (not an overflow).
    f = parse_filter(day_in_range(args.get("start")), day_in_range(args.get("end")), args.getlist("company"),
                     args.getlist("provider"), args.getlist("reason"), today=runtime.now().astimezone(zone).date(),
                     zone=zone)
    response = flask.Response(stream_csv(runtime.Session, visible, f), mimetype="text/csv")
    name = f"resolution-center-cases_{f.start.isoformat()}_{f.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
