"""`GET /audit/export.csv` — the audit log, filtered as on /audit, for managers.

A streamed Flask route like the metrics export (`dashboard.export_routes`): read a
keyset batch at a time, each in its own short session, so memory and transactions do
not grow with the log. The user is re-read from the database and must be a manager
(else 403); anonymous visitors never get here (the login gate). Typed text (emails)
is defused so a spreadsheet does not run it as a formula.

Registered by `dashboard.auth.init_auth`.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Iterator, Optional

import flask
from flask_login import current_user

from data.models import User
from data.read import audit as audit_read
from dashboard.audit import describe, parse_filter
from dashboard.enums import Role

HEADER = ("id", "at", "kind", "actor_id", "actor_name", "email", "address", "case_id", "details")
PAGE_SIZE = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(server: flask.Flask) -> None:
    server.add_url_rule("/audit/export.csv", "audit_export_csv", export_audit_csv, methods=["GET"])


def _text(value: Optional[str]) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_row(r: audit_read.AuditRow) -> list[str]:
    return [str(r.id), _time(r.at), r.kind, r.actor_id or "", _text(r.actor_name), _text(r.email), r.address or "",
            r.case_id or "", _text(describe(r))]


def _lines(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def stream_csv(session_factory, f: audit_read.AuditFilter, *, page_size: int = PAGE_SIZE) -> Iterator[str]:
    yield _lines([HEADER])
    after = None
    while True:
        with session_factory() as session:
            rows = audit_read.batch(session, f, after=after, limit=page_size)
        if rows:
            yield _lines(csv_row(r) for r in rows)
        if len(rows) < page_size:
            return
        after = (rows[-1].at, rows[-1].id)


def export_audit_csv() -> flask.Response:
    if not current_user or not current_user.is_authenticated:
        return flask.Response("Sign in first.\n", status=401, mimetype="text/plain")
    runtime = flask.current_app.extensions["rc"]
    with runtime.Session() as session:
        user = session.get(User, current_user.get_id())
        if user is None or not user.is_active or user.role != Role.MANAGER:
            return flask.Response("Only the platform's managers can export the audit log.\n", status=403,
                                  mimetype="text/plain")
    args = flask.request.args
    f = parse_filter(args.getlist("kind"), args.get("start"), args.get("end"))
    response = flask.Response(stream_csv(runtime.Session, f), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="resolution-center-audit.csv"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
