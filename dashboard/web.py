"""The Flask server: settings, the runtime, the JSON API and a health check.

app.py mounts the Dash screens and sign-in on this same server; keep this small.
"""
from __future__ import annotations

import logging

import flask
from sqlalchemy import text

from dashboard import headers, limits
from dashboard.runtime import Runtime

log = logging.getLogger(__name__)


def create_server(runtime: Runtime) -> flask.Flask:
    from dashboard.api import PREFIX, blueprint
    from dashboard.api import errors as api_errors

    server = flask.Flask("dashboard", static_folder=None)
    server.config["SECRET_KEY"] = runtime.settings.secret_key
    server.extensions["rc"] = runtime
    # First: bounded bodies and security headers apply to everything registered after.
    limits.install(server, runtime.settings)
    headers.install(server)
    server.register_blueprint(blueprint, url_prefix=PREFIX)
    api_errors.register(server)

    @server.get("/healthz")
    def healthz():
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - a health check reports, it does not raise
            log.exception("health check: database unreachable")
            return flask.jsonify({"ok": False, "database": "unreachable"}), 503
        return flask.jsonify({"ok": True})

    return server
