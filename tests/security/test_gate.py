"""The sign-in gate in front of every Dash route (dashboard/auth.py), against the real
app: anonymous visitors get 401 from Dash's endpoints and from any non-GET, and a
redirect to /login from pages; the login form's `next` never sends anyone off-site."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from tests.security.conftest import PASSWORD, csrf_token

DASH_ENDPOINTS = ["/_dash-layout", "/_dash-dependencies",
                  "/_dash-component-suites/dash/dcc/async-graph.js"]


def _pages(world) -> list[str]:
    return ["/", "/queue", f"/cases/{world.case_b}", "/metrics", "/metrics/export.csv", f"/files/{world.file_b}",
            "/company", "/my-cases", "/404", f"/files/{world.file_b}?download=1", "/_reload-hash", "/_favicon.ico"]


def _assert_refused(answer: requests.Response, path: str, *, page: bool) -> None:
    if page:
        assert answer.status_code == 302, f"{path}: {answer.status_code}"
        location = answer.headers["Location"]
        assert urlsplit(location).path == "/login", f"{path} -> {location}"
    else:
        assert answer.status_code == 401, f"{path}: {answer.status_code} {answer.text[:200]}"
        assert answer.json()["error"]["code"] == "unauthenticated"


def _anonymous_calls(http: requests.Session, base: str, world) -> list[tuple[str, requests.Response, bool]]:
    calls = []
    for path in DASH_ENDPOINTS:
        calls.append((path, http.get(base + path, allow_redirects=False), False))
    body = {"output": "case-content.children", "outputs": {"id": "case-content", "property": "children"},
            "inputs": [{"id": "case-id", "property": "data", "value": world.case_b},
                       {"id": "case-refresh", "property": "data", "value": 0}],
            "changedPropIds": ["case-id.data"]}
    calls.append(("POST /_dash-update-component", http.post(base + "/_dash-update-component", json=body,
                                                           allow_redirects=False), False))
    for path in _pages(world):
        calls.append((path, http.get(base + path, allow_redirects=False), True))
        # Any other method on a page or route: 401, never a redirect or an answer.
        calls.append((f"POST {path}", http.post(base + path, data={"x": "1"}, allow_redirects=False), False))
    return calls


def test_every_dash_route_refuses_anonymous_calls(live_app, world, anon):
    for path, answer, page in _anonymous_calls(anon, live_app.url, world):
        _assert_refused(answer, path, page=page)
        for marker in world.b_markers:
            if marker not in path:  # the requested path itself is echoed in ?next=
                assert marker not in answer.text, f"{path} answered {marker} anonymously"


def test_a_forged_session_cookie_is_anonymous(live_app, world):
    """A session cookie signed with another key (or edited) is ignored, not trusted."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    forger = Flask("forger")
    forger.secret_key = "not-the-app-secret"
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"_user_id": world.manager, "_fresh": True})
    with requests.Session() as http:
        http.cookies.set("session", cookie)
        for path, answer, page in _anonymous_calls(http, live_app.url, world):
            _assert_refused(answer, path, page=page)


def test_the_gate_lets_a_signed_in_user_through(live_app, world, sign_in):
    """The same calls with a real session do answer (so the refusals above are the gate's)."""
    http = sign_in("manager")
    assert http.get(live_app.url + "/_dash-layout").status_code == 200
    assert http.get(live_app.url + "/_dash-dependencies").status_code == 200
    assert http.get(live_app.url + "/queue", allow_redirects=False).status_code == 200
    assert http.get(live_app.url + "/metrics/export.csv").status_code == 200


def test_a_deactivated_user_loses_the_session_at_once(live_app, world, sign_in):
    from data.models import User

    http = sign_in("customer_c")
    assert http.get(live_app.url + "/_dash-layout").status_code == 200
    rt = live_app.runtime()
    with rt.Session.begin() as s:
        s.get(User, world.customer_c).is_active = False
    try:
        answer = http.get(live_app.url + "/_dash-layout", allow_redirects=False)
        assert answer.status_code == 401
        assert http.get(live_app.url + "/my-cases", allow_redirects=False).status_code == 302
    finally:
        with rt.Session.begin() as s:
            s.get(User, world.customer_c).is_active = True


def test_a_copied_session_cookie_is_dead_after_sign_out(live_app, sign_in):
    http = sign_in("customer_c")
    copy = requests.Session()
    copy.cookies.update(http.cookies)
    assert copy.get(live_app.url + "/_dash-layout").status_code == 200
    page = http.get(live_app.url + "/logout")  # GET only asks; the sign-out is its form's POST
    assert http.post(live_app.url + "/logout", data={"csrf_token": csrf_token(page.text)},
                     allow_redirects=False).status_code == 302
    # The stolen copy never went through /logout, yet it no longer opens anything.
    assert copy.get(live_app.url + "/_dash-layout", allow_redirects=False).status_code == 401
    assert copy.get(live_app.url + "/my-cases", allow_redirects=False).status_code == 302
    copy.close()


# ------------------------------------------------------------------------ open redirect
OFF_SITE = [
    "https://evil.example/phish", "http:evil.example", "//evil.example/x", "///evil.example", "////evil.example",
    "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "\\/evil.example", "/\t/evil.example",
    "/\n/evil.example", " //evil.example", "javascript:alert(1)", "data:text/html,hi", "evil.example",
    "%2F%2Fevil.example",
]


def _lands_on_site(location: str, base: str) -> bool:
    """Where a browser goes for this Location, resolved the way browsers do (WHATWG: a
    backslash is a slash in http(s) URLs; tabs and newlines are dropped)."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    from urllib.parse import urljoin

    target = urlsplit(urljoin(base + "/", cleaned))
    return target.scheme in ("http", "https") and target.netloc == urlsplit(base).netloc


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_next_refuses_off_site_targets(live_app, world, anon, target):
    form = anon.get(live_app.url + "/login", params={"next": target})
    assert form.status_code == 200
    kept = form.text.split('name="next" value="', 1)[1].split('"', 1)[0]
    assert kept == "", f"the form kept next={kept!r}"
    answer = anon.post(live_app.url + "/login", allow_redirects=False,
                       data={"csrf_token": csrf_token(form.text), "email": world.emails["customer_a"],
                             "password": PASSWORD, "next": target})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location == "/my-cases", f"next={target!r} redirected to {location!r}"
    assert _lands_on_site(location, live_app.url)


def test_login_next_keeps_a_local_path(live_app, world, anon):
    target = f"/cases/{world.case_a}?tab=1"
    form = anon.get(live_app.url + "/login", params={"next": target})
    answer = anon.post(live_app.url + "/login", allow_redirects=False,
                       data={"csrf_token": csrf_token(form.text), "email": world.emails["customer_a"],
                             "password": PASSWORD, "next": target})
    assert answer.headers["Location"] == target


def test_the_gate_sends_a_page_visit_to_login_with_next(live_app, world, anon):
    answer = anon.get(live_app.url + f"/cases/{world.case_a}", allow_redirects=False)
    assert answer.headers["Location"].endswith(f"/login?next=/cases/{world.case_a}")


def test_login_needs_the_form_csrf_token(live_app, world, anon):
    anon.get(live_app.url + "/login")
    answer = anon.post(live_app.url + "/login", allow_redirects=False,
                       data={"email": world.emails["manager"], "password": PASSWORD, "next": ""})
    assert answer.status_code == 400
    assert anon.get(live_app.url + "/_dash-layout").status_code == 401
    answer = anon.post(live_app.url + "/login", allow_redirects=False,
                       data={"csrf_token": "guessed", "email": world.emails["manager"], "password": PASSWORD})
    assert answer.status_code == 400


def test_a_wrong_password_signs_nobody_in(live_app, world, anon):
    form = anon.get(live_app.url + "/login")
    answer = anon.post(live_app.url + "/login", allow_redirects=False,
                       data={"csrf_token": csrf_token(form.text), "email": world.emails["manager"],
                             "password": PASSWORD + "x"})
    assert answer.status_code == 401
    assert "do not match" in answer.text
    assert anon.get(live_app.url + "/_dash-layout").status_code == 401


@pytest.mark.parametrize("path", ["/loginx", "/login-help", "/logout-later", "/healthz-page", "/healthzz",
                                  "/api/../queue", "/vendor/../metrics", "/api/v1/../../cases/x"])
def test_only_the_exact_open_paths_skip_the_gate(live_app, anon, path):
    """/login, /logout, /healthz are open, not every path that starts like them; and a
    dot-segment does not borrow an open prefix (the server does not normalise paths)."""
    url = live_app.url + path
    prepared = requests.Request("GET", url).prepare()
    prepared.url = url  # keep "/../" as sent: requests would not resolve it, but be explicit
    answer = anon.send(prepared, allow_redirects=False)
    assert answer.status_code in (302, 401, 404), (path, answer.status_code)
    if answer.status_code == 302:
        assert urlsplit(answer.headers["Location"]).path == "/login", answer.headers["Location"]
    assert "_dash-config" not in answer.text, f"{path} served the Dash app anonymously"
