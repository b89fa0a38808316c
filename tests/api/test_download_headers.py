"""The API's file download and the screens' file route answer with the same headers
(`evidence.download.file_response`): one way a stored file goes back to a browser."""
from __future__ import annotations

import pytest

from dashboard.auth import init_auth
from dashboard.evidence.download import download_name
from dashboard.file_routes import register_file_routes
from tests import factories

SAME = ("Content-Type", "Content-Disposition", "Content-Length", "X-Content-Type-Options",
        "Content-Security-Policy", "Cache-Control", "X-Frame-Options", "Referrer-Policy")


@pytest.fixture
def screens(server):
    """The signed-in screens' file route on the same server, wired as app_factory.create_app does
    (without building the Dash app, which this test does not need)."""
    server.config["SECRET_KEY"] = "test"  # the test settings carry none; the session cookie needs one
    init_auth(server)
    register_file_routes(server)

    def client_as(user):
        client = server.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = user.id
            sess["_fresh"] = True
            sess["epoch"] = user.session_epoch or 0
        return client

    return client_as


@pytest.mark.parametrize("filename, data, inline", [
    ("proof.png", factories.PNG_BYTES, True),
    ("invoice.pdf", factories.PDF_BYTES, False),
    ("chat.txt", b"Never delivered.\n", False),
], ids=["png", "pdf", "text"])
def test_both_routes_send_the_same_headers(api, screens, w, story, filename, data, inline):
    file_id = api.upload(w.customer, filename=filename, data=data)
    story.open(file_ids=[file_id])
    by_api = api.get(w.creator, f"/files/{file_id}/content")
    by_screen = screens(w.creator).get(f"/files/{file_id}")
    assert by_api.status_code == by_screen.status_code == 200
    assert by_api.data == by_screen.data == data
    assert {h: by_api.headers.get(h) for h in SAME} == {h: by_screen.headers.get(h) for h in SAME}
    h = by_api.headers
    assert h["Content-Disposition"].startswith("inline" if inline else "attachment")
    assert f'filename={filename}' in h["Content-Disposition"]
    assert h["X-Content-Type-Options"] == "nosniff" and h["Cache-Control"] == "private, no-store"
    csp = h["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'") and "sandbox" in csp and "frame-ancestors 'none'" in csp
    assert ("img-src 'self'" in csp) == inline  # only an image drawn on its own may load itself


def test_the_screens_download_link_makes_an_image_an_attachment(api, screens, w, story):
    file_id = api.upload(w.customer, filename="proof.png")
    story.open(file_ids=[file_id])
    r = screens(w.creator).get(f"/files/{file_id}?download=1")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")


@pytest.mark.parametrize("stored, sent", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\proof.png", "proof.png"), ("a\r\nSet-Cookie: x.png", "aSet-Cookie: x.png"),
    ("", "file"), (None, "file"), ("  ", "file"), ("reçu.pdf", "reçu.pdf"),
])
def test_the_download_name_has_no_path_and_no_control_characters(stored, sent):
    assert download_name(stored) == sent
