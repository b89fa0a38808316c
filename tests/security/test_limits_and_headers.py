"""Against the real app (`python app.py` on PostgreSQL): bodies are bounded on every route
while they are read, chunked or not; every answer carries the security headers and no
server banner; an unknown page is a 404 (issue 8, findings 2, 4 and 6)."""
from __future__ import annotations

import hashlib

import requests

from tests.factories import PNG_BYTES

MIB = 1024 * 1024


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _chunks(total: int, size: int = MIB):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"a" * n
        sent += n


def test_a_50_mib_login_post_is_413_and_the_server_does_not_grow(live_app, anon):
    url = live_app.url + "/login"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    anon.post(url, data=b"a" * (50 * MIB), headers=form)  # warm-up: first-request allocations
    before = _rss_mib(live_app.proc.pid)
    for _ in range(3):
        answer = anon.post(url, data=b"a" * (50 * MIB), headers=form)
        assert answer.status_code == 413
    chunked = anon.post(url, data=_chunks(50 * MIB), headers=form)
    assert chunked.status_code == 413
    grown = _rss_mib(live_app.proc.pid) - before
    assert grown < 20, f"the server grew by {grown:.0f} MiB reading bodies it refuses (it used to grow by ~230)"
    # A normal sign-in form still gets through.
    assert anon.get(url).status_code == 200


def test_an_80_mb_dash_call_is_413_before_it_is_read(live_app, sign_in, anon):
    customer = sign_in("customer_a")
    before = _rss_mib(live_app.proc.pid)
    for http in (customer, anon):
        answer = http.post(live_app.url + "/_dash-update-component", data=b"{" + b" " * (80 * 1000 * 1000) + b"}",
                           headers={"Content-Type": "application/json"})
        assert answer.status_code == 413
    answer = customer.post(live_app.url + "/_dash-update-component", data=_chunks(80 * 1000 * 1000),
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert _rss_mib(live_app.proc.pid) - before < 60


def test_a_chunked_60_mb_upload_is_413_and_the_file_stays_pending_and_retryable(live_app, world):
    token = world.tokens["customer_a"]
    auth = {"Authorization": f"Bearer {token}"}
    created = requests.post(live_app.url + "/api/v1/files", json={"filename": "proof.png"}, headers=auth).json()
    upload = live_app.url + "/api/v1/" + created["upload_url"].split("/api/v1/", 1)[1]
    answer = requests.put(upload, data=_chunks(60 * 1000 * 1000), headers={"Content-Type": "image/png"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "file_too_large"
    file_url = f"{live_app.url}/api/v1/files/{created['id']}"
    assert requests.get(file_url, headers=auth).json()["upload_status"] == "pending"
    # The same with Content-Length, then the real file, chunked, through the same URL.
    assert requests.put(upload, data=b"a" * (11 * MIB)).status_code == 413
    ok = requests.put(upload, data=iter([PNG_BYTES[:50], PNG_BYTES[50:]]), headers={"Content-Type": "image/png"})
    assert ok.status_code == 200 and ok.json()["upload_status"] == "ready"
    assert requests.get(file_url, headers=auth).json()["upload_status"] == "ready"
    from data.models import EvidenceFile

    with live_app.runtime().Session() as s:
        f = s.get(EvidenceFile, created["id"])
        assert (f.size, f.sha256) == (len(PNG_BYTES), hashlib.sha256(PNG_BYTES).hexdigest())


def test_an_anonymous_upload_with_a_non_ascii_token_is_404(live_app, world):
    auth = {"Authorization": f"Bearer {world.tokens['customer_a']}"}
    created = requests.post(live_app.url + "/api/v1/files", json={"filename": "a.png"}, headers=auth).json()
    for token in ("%C3%A9", "%E2%80%AE", "%00"):
        answer = requests.put(f"{live_app.url}/api/v1/files/{created['id']}/upload/{token}", data=PNG_BYTES)
        assert answer.status_code == 404, (token, answer.status_code)
        assert answer.json()["error"]["code"] == "not_found"


def _assert_secure(answer: requests.Response, where: str, *, page: bool) -> None:
    h = answer.headers
    assert "Server" not in h, f"{where}: Server banner {h.get('Server')!r}"
    assert h.get("X-Frame-Options") == "DENY", where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "same-origin", where
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    if page:
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "'unsafe-eval'" not in csp, where


def test_every_kind_of_answer_carries_the_security_headers(live_app, world, sign_in, anon):
    reviewer = sign_in("reviewer")
    pages = [(anon, "/login"), (reviewer, "/queue"), (reviewer, f"/cases/{world.case_b}"), (reviewer, "/no-such-page")]
    for http, path in pages:
        _assert_secure(http.get(live_app.url + path, allow_redirects=False), path, page=True)
    others = [(anon, "/healthz"), (anon, "/queue"), (anon, "/api/v1/resolution_center_cases"),
              (reviewer, "/_dash-layout"), (reviewer, "/_dash-dependencies"), (reviewer, f"/files/{world.file_b}"),
              (anon, "/vendor/bootstrap.min.css"), (anon, "/api/v1/openapi.json")]
    for http, path in others:
        _assert_secure(http.get(live_app.url + path, allow_redirects=False), path, page=False)
    answer = reviewer.get(f"{live_app.url}/files/{world.file_b}")
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'"), "the file sandbox stays"


def test_unknown_pages_are_404_with_the_not_found_page(live_app, world, sign_in, anon):
    reviewer = sign_in("reviewer")
    for path in ("/no-such-page", "/queue/extra", "/cases", "/cases/x/y", "/404"):
        answer = reviewer.get(live_app.url + path, allow_redirects=False)
        assert answer.status_code == 404, (path, answer.status_code)
        assert 'id="_dash-config"' in answer.text, "the app shell renders pages/not_found_404.py for it"
    for path in ("/queue", f"/cases/{world.case_b}", "/metrics", "/company"):
        assert reviewer.get(live_app.url + path, allow_redirects=False).status_code == 200, path
    # Anonymous visitors learn nothing about which paths exist: sign in first.
    assert anon.get(live_app.url + "/no-such-page", allow_redirects=False).status_code == 302
