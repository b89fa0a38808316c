"""Sign-in for the screens: flask-login sessions, the login/logout routes and the gate
in front of every Dash route.

The gate is the first line: nothing of the Dash app — pages, layout, callback
endpoint (`/_dash-update-component`), component bundles — answers an anonymous
request. The second line is in every callback, which re-reads the user from the
database and checks what they may see (see `callbacks/_session.py`).

Signing in is throttled per account and per address in the database (429 with
`Retry-After`, `dashboard.throttle`), costs one password-hash check whoever the email
names (`dashboard.signin`), and is audited (`dashboard.audit`). Signing out is a POST
carrying the session's CSRF token; `GET /logout` only shows that form.
"""
from __future__ import annotations

import datetime as dt
import hmac
import html
import secrets
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from data.models import User
from dashboard import audit, signin, throttle, timezones
from dashboard.audit_routes import register as register_audit_export
from dashboard.context import Ctx
from dashboard.enums import Role

# Paths that answer without a session: the API has its own bearer-token auth. Exact
# paths, and prefixes that end in "/": "/loginx" or "/api/../queue" is not open.
OPEN_PATHS = ("/login", "/logout", "/healthz")
OPEN_PREFIXES = ("/api/", "/vendor/", "/assets/favicon")


def _is_open(path: str) -> bool:
    if ".." in path.split("/"):  # the server does not resolve dot-segments: no borrowing a prefix
        return False
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)

HOME_BY_ROLE = {
    Role.CUSTOMER: "/my-cases",
    Role.CREATOR: "/company",
    Role.REVIEWER: "/queue",
    Role.MANAGER: "/metrics",
}

VENDOR_DIR = Path(__import__("flask_bootstrap").__file__).resolve().parent / "static" / "bootstrap5"


class SessionUser(UserMixin):
    """What the cookie remembers: only the id. Role and company are re-read per request."""

    def __init__(self, user: User):
        self.id = user.id
        self.role = user.role
        self.name = user.name
        self.email = user.email
        self.company_id = user.company_id
        # The saved zone screens use before the browser's cookie (components.format).
        self.time_zone = user.time_zone

    def get_id(self) -> str:
        return self.id


def home_for(role: str) -> str:
    return HOME_BY_ROLE.get(Role(role), "/login") if role in Role._value2member_map_ else "/login"


def _safe_next(target: str | None) -> str | None:
    """Only local paths: an open redirect after login is a phishing tool."""
    if not target:
        return None
    # Browsers read a backslash as a slash ("/\\evil.example" is "//evil.example") and drop
    # tabs and newlines, so neither may appear in a local path.
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Resolution Center</title>
<link rel="stylesheet" href="/vendor/bootstrap.min.css"><link rel="stylesheet" href="/vendor/bootstrap-icons.min.css">
</head><body class="bg-light">
<main class="container" style="max-width: 420px; margin-top: 10vh">
  <h1 class="h3 mb-1"><i class="bi bi-shield-check text-primary"></i> Resolution Center</h1>
  <p class="text-muted mb-4">Sign in to settle payment disputes.</p>
  {error}
  <form method="post" action="/login" class="card card-body shadow-sm">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <input type="hidden" name="next" value="{next}">
    <input type="hidden" name="tz" id="tz" value="">
    <label class="form-label" for="email">Email</label>
    <input class="form-control mb-3" id="email" name="email" type="email" autocomplete="username" required autofocus value="{email}">
    <label class="form-label" for="password">Password</label>
    <input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password" required>
    <button class="btn btn-primary w-100" type="submit" id="sign-in">Sign in</button>
  </form>
  {demo}
</main>
<script>document.getElementById('tz').value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';</script>
</body></html>"""

LOGOUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out · Resolution Center</title>
<link rel="stylesheet" href="/vendor/bootstrap.min.css">
</head><body class="bg-light">
<main class="container" style="max-width: 420px; margin-top: 10vh">
  <h1 class="h3 mb-3">Sign out of Resolution Center?</h1>
  <form method="post" action="/logout" class="card card-body shadow-sm">
    <input type="hidden" name="csrf_token" value="{csrf}">
    <button class="btn btn-primary w-100" type="submit" id="sign-out">Sign out</button>
    <a class="btn btn-link w-100 mt-2" href="/">Stay signed in</a>
  </form>
</main>
</body></html>"""

DEMO_HINT = """<div class="alert alert-secondary mt-4 small" id="demo-logins"><strong>Demo logins</strong> (password <code>demo</code>):
customer@demo.test · creator@demo.test · reviewer@demo.test · reviewer2@demo.test · manager@demo.test</div>"""


def _render_login(*, error: str = "", email: str = "", next_url: str = "", status: int = 200):
    token = csrf_token()
    runtime = flask.current_app.extensions["rc"]
    body = LOGIN_PAGE.format(
        error=f'<div class="alert alert-danger" role="alert">{html.escape(error)}</div>' if error else "",
        csrf=token, next=html.escape(next_url or ""), email=html.escape(email),
        demo=DEMO_HINT if runtime.settings.demo_data else "",
    )
    return flask.Response(body, status=status, mimetype="text/html")


def csrf_token() -> str:
    """This browser session's form token (made on first use): the login and sign-out forms carry it."""
    token = flask.session.get("csrf_token")
    if not token:
        token = flask.session["csrf_token"] = secrets.token_urlsafe(24)
    return token


def _csrf_ok(sent: str | None) -> bool:
    expected = flask.session.get("csrf_token")
    return bool(sent and expected and hmac.compare_digest(str(sent), str(expected)))


def _clock() -> Callable[[], dt.datetime]:
    return flask.current_app.extensions["rc"].clock


def _check_sign_in(email: str, password: str | None, browser_zone: str | None = None):
    """Throttle, check and audit one sign-in. Returns seconds to wait (throttled), None
    (refused) or (SessionUser, epoch). Three short transactions; the slow hash runs
    outside them, and the attempt was counted before it (see dashboard.throttle).
    A person whose zone is not known yet gets the browser's (`browser_zone`, when it is
    a real IANA zone): their emails give deadlines in it. Once saved it is kept."""
    runtime = flask.current_app.extensions["rc"]
    policy = flask.current_app.extensions.get("rc_throttle_policy", throttle.DEFAULT_POLICY)
    address = flask.request.remote_addr
    now = _clock()()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        reservation = throttle.reserve(ctx, email=email, address=address, policy=policy)
        if reservation.throttled:
            audit.record(ctx, audit.AuditKind.SIGN_IN_THROTTLED, email=email, address=address,
                         details={"retry_after": reservation.retry_after})
            return reservation.retry_after
        user = signin.screen_user(ctx, email)
        candidate = (SessionUser(user), user.session_epoch, user.password_hash) if user is not None else None
    ok = signin.password_matches(candidate[2] if candidate else None, password)
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        if not ok:
            audit.record(ctx, audit.AuditKind.SIGN_IN_FAILURE, actor_id=candidate[0].id if candidate else None,
                         email=email, address=address)
            return None
        throttle.forgive(ctx, reservation)
        audit.record(ctx, audit.AuditKind.SIGN_IN_SUCCESS, actor_id=candidate[0].id, email=email, address=address)
        zone = timezones.valid_zone(browser_zone)
        if zone is not None:
            user = s.get(User, candidate[0].id)
            if user is not None and user.time_zone is None:
                user.time_zone = zone
                candidate[0].time_zone = zone
    return candidate[0], candidate[1]


def init_auth(server: flask.Flask, *, clock: Callable[[], dt.datetime] | None = None,
              throttle_policy: throttle.Policy | None = None) -> LoginManager:
    """`clock` and `throttle_policy` are for tests (a lockout that ends, without waiting)."""
    if clock is not None:
        server.extensions["rc"].clock = clock
    if throttle_policy is not None:
        server.extensions["rc_throttle_policy"] = throttle_policy
    runtime_settings = server.extensions["rc"].settings
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=runtime_settings.base_url.startswith("https://"))
    manager = LoginManager()
    manager.init_app(server)
    register_audit_export(server)

    @manager.user_loader
    def load_user(user_id: str):
        runtime = flask.current_app.extensions["rc"]
        with runtime.Session() as s:
            user = s.get(User, user_id)
            if user is None or not user.is_active:
                return None
            # A cookie from before the user's last sign-out is dead, even if someone copied it.
            if flask.session.get("epoch") != user.session_epoch:
                return None
            return SessionUser(user)

    @server.before_request
    def login_gate():
        path = flask.request.path
        if _is_open(path):
            return None
        if current_user.is_authenticated:
            if path == "/":
                return flask.redirect(home_for(current_user.role))
            return None
        if path.startswith("/_dash") or flask.request.method != "GET":
            return flask.jsonify({"error": {"code": "unauthenticated", "message": "Sign in first."}}), 401
        return flask.redirect("/login?next=" + flask.request.full_path.rstrip("?"))

    @server.get("/login")
    def login_form():
        if current_user.is_authenticated:
            return flask.redirect(home_for(current_user.role))
        return _render_login(next_url=_safe_next(flask.request.args.get("next")) or "")

    @server.post("/login")
    def login_submit():
        form = flask.request.form
        email = form.get("email", "")
        next_url = _safe_next(form.get("next")) or ""
        if not _csrf_ok(form.get("csrf_token")):
            return _render_login(error="Your sign-in form expired. Please try again.", email=email,
                                 next_url=next_url, status=400)
        outcome = _check_sign_in(email, form.get("password"), form.get("tz"))
        if isinstance(outcome, int):
            minutes = max(1, -(-outcome // 60))
            response = _render_login(error=f"Too many sign-in attempts. Try again in {minutes} minute"
                                           f"{'s' if minutes != 1 else ''}.", email=email, next_url=next_url,
                                     status=429)
            response.headers["Retry-After"] = str(outcome)
            return response
        if outcome is None:
            return _render_login(error="That email and password do not match.", email=email,
                                 next_url=next_url, status=401)
        session_user, epoch = outcome
        flask.session.clear()  # new session id on sign-in: no fixation
        login_user(session_user)
        flask.session["epoch"] = epoch
        # The browser's zone, for screens before the saved one is read (junk is not echoed).
        tz = timezones.valid_zone(form.get("tz")) or "UTC"
        response = flask.redirect(next_url or home_for(session_user.role))
        response.set_cookie("tz", tz, samesite="Lax", max_age=365 * 86400)
        return response

    @server.get("/logout")
    def logout_form():
        """A link or a crafted image must not sign anyone out: GET only asks."""
        if not current_user.is_authenticated:
            return flask.redirect("/login")
        return flask.Response(LOGOUT_PAGE.format(csrf=csrf_token()), mimetype="text/html")

    @server.post("/logout")
    def logout():
        if not _csrf_ok(flask.request.form.get("csrf_token")):
            return flask.Response("Your sign-out form expired; go back and sign out again.\n", status=400,
                                  mimetype="text/plain")
        if current_user.is_authenticated:
            runtime = flask.current_app.extensions["rc"]
            with runtime.Session.begin() as s:
                user = s.get(User, current_user.get_id())
                if user is not None:
                    user.session_epoch = (user.session_epoch or 0) + 1
                    audit.record(Ctx(s, _clock()(), runtime.settings), audit.AuditKind.SIGN_OUT, actor_id=user.id,
                                 email=user.email, address=flask.request.remote_addr)
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")

    @server.get("/vendor/<name>")
    def vendor(name: str):
        files = {
            "bootstrap.min.css": VENDOR_DIR / "css" / "bootstrap.min.css",
            "bootstrap-icons.min.css": VENDOR_DIR / "css" / "font" / "bootstrap-icons.min.css",
        }
        if name in files:
            return flask.send_file(files[name], max_age=86400)
        flask.abort(404)

    @server.get("/vendor/fonts/<path:name>")
    def vendor_fonts(name: str):
        return flask.send_from_directory(VENDOR_DIR / "css" / "font" / "fonts", name, max_age=86400)

    return manager
