"""Security headers on every answer (issue 8, finding 6), and no server banner.

- HTML pages get a Content-Security-Policy the Dash app runs under: scripts only from
  this origin plus the exact inline scripts the app itself writes (Dash's renderer
  bootstrap, the login page's time-zone line), by hash — an injected `<script>` runs
  nowhere. Styles allow inline because Plotly and AG Grid inject `<style>` elements at
  run time; images allow `data:` for Bootstrap's icons and the upload previews.
- Everything else (JSON, CSV) gets `default-src 'none'`: nothing in it should ever run.
- A route that sets its own CSP (the evidence downloads' sandbox) keeps it, plus
  `frame-ancestors 'none'` if it had none.
- All answers: `frame-ancestors 'none'` and `X-Frame-Options: DENY` (no clickjacking of
  the Confirm buttons), `nosniff`, `Referrer-Policy: same-origin` (case URLs carry ids),
  `Cross-Origin-Opener-Policy`, HSTS under an https BASE_URL, and no `Server` header:
  the dev server's banner is dropped by `QuietRequestHandler` (app.py passes it to
  `app.run`), gunicorn's by `gunicorn.conf.py`.
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import Callable, Iterable

import flask
from werkzeug.serving import WSGIRequestHandler

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>(.*?)</script>", re.S)
PAGE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
_EXTRA = "rc.csp_script_hashes"


def script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def template_script_hashes(*templates: str) -> list[str]:
    """Hashes of the inline scripts written in our own HTML templates (code constants,
    never user input): what the CSP lets run besides files from this origin."""
    return [script_hash(body) for template in templates for body in INLINE_SCRIPT.findall(template)]


def allow_inline_scripts(server: flask.Flask, hashes: Iterable[str] | Callable[[], Iterable[str]]) -> None:
    """Allow the inline scripts the app writes, by hash: a list, or a function asked on
    every page (dash_guard passes Dash's `csp_hashes`, whose set grows at first request)."""
    server.extensions.setdefault(_EXTRA, []).append(hashes)


def page_policy(server: flask.Flask) -> str:
    policy = {k: list(v) for k, v in PAGE_POLICY.items()}
    for source in server.extensions.get(_EXTRA, []):
        for h in (source() if callable(source) else source):
            if h not in policy["script-src"]:
                policy["script-src"].append(h)
    return "; ".join(f"{k} {' '.join(v)}" for k, v in policy.items())


def _secure_headers(response: flask.Response) -> flask.Response:
    server = flask.current_app
    h = response.headers
    own = h.get("Content-Security-Policy")
    if own is None:
        h["Content-Security-Policy"] = page_policy(server) if response.mimetype == "text/html" else DATA_POLICY
    elif "frame-ancestors" not in own:
        h["Content-Security-Policy"] = own.rstrip("; ") + "; frame-ancestors 'none'"
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h.pop("Server", None)
    runtime = server.extensions.get("rc")
    if runtime is not None and runtime.settings.base_url.startswith("https://"):
        h["Strict-Transport-Security"] = "max-age=31536000"
    return response


def install(server: flask.Flask) -> None:
    """Called by `dashboard.web.create_server`; the login page's inline script is allowed here."""
    from dashboard import auth

    allow_inline_scripts(server, template_script_hashes(getattr(auth, "LOGIN_PAGE", "")))
    server.after_request(_secure_headers)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the `Server: Werkzeug/x Python/y` banner."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())
