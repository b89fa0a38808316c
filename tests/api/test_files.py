"""Evidence files over the API (SPEC §5): the published two-step upload, content checks,
size limits, and downloads only for who may see them, served safely."""
from __future__ import annotations

import httpx
import pytest

from data.models import EvidenceFile
from dashboard.cases import party
from tests import factories


def test_upload_flow_with_the_sdk_and_a_plain_put(api, w):
    client = api.sdk(w.customer)
    created = client.files.create(filename="screenshot.png")
    assert (created.upload_status, created.url, created.size) == ("pending", None, None)
    assert created.id.startswith("file_") and created.upload_url and created.upload_headers
    # The caller PUTs the bytes itself, with no Authorization header (as the SDK docs say).
    with httpx.Client(transport=httpx.WSGITransport(app=api.server)) as http:
        put = http.put(created.upload_url, content=factories.PNG_BYTES, headers=created.upload_headers)
    assert put.status_code == 200, put.text
    ready = client.files.retrieve(created.id)
    assert (ready.upload_status, ready.content_type, ready.size) == ("ready", "image/png", len(factories.PNG_BYTES))
    assert ready.url.endswith(f"/api/v1/files/{created.id}/content")
    again = api.client.put(created.upload_url, data=factories.PNG_BYTES)
    assert again.status_code == 404  # the upload URL works once


def test_upload_url_needs_the_right_token(api, w):
    created = api.post(w.customer, "/files", {"filename": "a.png"}).get_json()
    wrong = created["upload_url"].rsplit("/", 1)[0] + "/not-the-token"
    r = api.client.put(wrong, data=factories.PNG_BYTES)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert api.get(w.customer, f"/files/{created['id']}").get_json()["upload_status"] == "pending"


@pytest.mark.parametrize("filename,data,declared,code", [
    ("evidence.pdf", factories.PNG_BYTES, None, "file_type_mismatch"),  # a PNG named .pdf
    ("evidence.png", factories.PNG_BYTES, "application/pdf", "file_type_mismatch"),  # declared as PDF
    ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", None, "file_type_not_allowed"),
    ("page.txt", b"<html><body>hi</body></html>", "text/plain", "file_type_not_allowed"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", None, "file_type_not_allowed"),
    ("empty.txt", b"", None, "file_empty"),
])
def test_refused_content_gets_a_clear_code_and_stores_nothing(api, w, settings, filename, data, declared, code):
    created = api.post(w.customer, "/files", {"filename": filename}).get_json()
    r = api.client.put(created["upload_url"], data=data,
                       headers={"Content-Type": declared or "application/octet-stream"})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] == code
    assert api.get(w.customer, f"/files/{created['id']}").get_json()["upload_status"] == "pending"
    stored = [p for p in settings.upload_dir.rglob("*") if p.is_file()] if settings.upload_dir.exists() else []
    assert stored == []


def test_type_declared_at_creation_is_checked_too(api, w):
    created = api.post(w.customer, "/files", {"filename": "scan", "content_type": "application/pdf"}).get_json()
    assert created["upload_headers"] == {"Content-Type": "application/pdf"}
    r = api.client.put(created["upload_url"], data=factories.PNG_BYTES)
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "file_type_mismatch")


def test_too_large_is_413(api, w, server, runtime):
    limit = runtime.settings.max_file_bytes
    r = api.post(w.customer, "/files", {"filename": "big.mp4", "byte_size": limit + 1})
    assert (r.status_code, r.get_json()["error"]["code"]) == (413, "file_too_large")
    created = api.post(w.customer, "/files", {"filename": "big.txt"}).get_json()
    r = api.client.put(created["upload_url"], data=b"a" * (limit + 1))
    assert (r.status_code, r.get_json()["error"]["code"]) == (413, "file_too_large")
    assert api.get(w.customer, f"/files/{created['id']}").get_json()["upload_status"] == "pending"


def test_download_for_parties_of_the_case_only(api, w, story):
    file_id = api.upload(w.customer, filename="proof.png")
    pdf_id = api.upload(w.customer, filename="invoice.pdf", data=factories.PDF_BYTES)
    case_id = story.open(file_ids=[file_id, pdf_id])
    for who in (w.customer, w.creator, w.creator2, w.reviewer):
        r = api.get(who, f"/files/{file_id}/content")
        assert r.status_code == 200 and r.data == factories.PNG_BYTES
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["Content-Disposition"].startswith("inline")
    pdf = api.get(w.creator, f"/files/{pdf_id}/content")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    for outsider in (w.other_creator, w.other_customer):
        assert api.get(outsider, f"/files/{file_id}/content").status_code == 404
        assert api.get(outsider, f"/files/{file_id}").status_code == 404
    assert api.get(w.integration, f"/files/{file_id}/content").status_code == 403
    assert api.get(None, f"/files/{file_id}/content").status_code == 401
    assert case_id


def test_an_unattached_file_is_its_owners_only(api, w):
    file_id = api.upload(w.customer, filename="notes.txt", data=b"just text")
    r = api.get(w.customer, f"/files/{file_id}/content")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert r.headers["Content-Disposition"].startswith("attachment")
    for other in (w.creator, w.reviewer, w.other_customer):
        assert api.get(other, f"/files/{file_id}/content").status_code == 404


def test_file_attached_once_only(api, w, story):
    file_id = api.upload(w.customer)
    case_id = story.open(file_ids=[file_id])
    story.do(party.merchant_request_info, actor=w.creator, case_id=case_id)
    r = api.post(w.customer, f"/resolution_center_cases/{case_id}/reply",
                 {"message": "again", "attachments": [{"id": file_id}]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "file_already_attached")
    with story.Session() as s:
        assert s.get(EvidenceFile, file_id).event_seq is not None


def test_multipart_is_refused_clearly(api, w):
    r = api.post(w.customer, "/files", {"filename": "a.mp4", "multipart": True})
    assert (r.status_code, r.get_json()["error"]["code"]) == (400, "multipart_not_supported")
