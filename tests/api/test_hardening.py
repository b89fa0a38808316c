"""Issue 8's API findings, each refused cleanly (in-process, both databases): deep JSON,
times outside what is stored, /metrics dates, a non-ASCII upload token, an unknown
remedy, security headers, and customer ids kept from creators."""
from __future__ import annotations

import base64
import json

import pytest

from tests.api.test_actions_sdk import escalated

DEEP = "[" * 10_000 + "]" * 10_000


def test_json_nested_10000_levels_is_400_on_every_json_route(api, w, story):
    case_id = story.open()
    for who, path in ((w.customer, "/files"), (w.reviewer, f"/resolution_center_cases/{case_id}/notes"),
                      (w.customer, "/resolution_center_cases"), (w.integration, "/payments")):
        r = api.request("POST", who, path, data=DEEP, content_type="application/json")
        assert r.status_code == 400, (path, r.status_code)
        assert r.get_json()["error"]["code"] == "json_too_deep"
    shallow_enough = {"message": "ok", "x": [[[[1]]]]}
    assert api.post(w.reviewer, f"/resolution_center_cases/{case_id}/notes", shallow_enough).status_code == 200


def _cursor(*values) -> str:
    raw = json.dumps(["created_at:desc", *values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("query", [
    "created_after=0001-01-01T00:00:00%2B01:00", "created_before=9999-12-31T23:59:59-01:00",
    "created_after=1899-12-31T23:59:59Z", "created_before=9999-06-01T00:00:00Z",
])
def test_times_outside_what_is_stored_are_400(api, w, query):
    r = api.get(w.reviewer, f"/resolution_center_cases?{query}")
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.get_json()["error"]["code"] == "time_out_of_range"
    r = api.get(w.reviewer, f"/resolution_center_cases/summary?{query}")
    assert r.status_code == 400


def test_a_cursor_with_a_time_outside_the_range_is_400(api, w, story):
    story.open()
    story.open(payment=story.new_payment())
    first = api.get(w.reviewer, "/resolution_center_cases?first=1").get_json()
    real = json.loads(base64.urlsafe_b64decode(first["page_info"]["end_cursor"] + "=="))
    for when in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        forged = base64.urlsafe_b64encode(json.dumps([real[0], when, *real[2:]]).encode()).decode().rstrip("=")
        r = api.get(w.reviewer, f"/resolution_center_cases?first=1&after={forged}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_cursor"
    deep = base64.urlsafe_b64encode(DEEP.encode()).decode()
    assert api.get(w.reviewer, f"/resolution_center_cases?after={deep}").status_code == 400
    assert api.get(w.reviewer, f"/resolution_center_cases?first=1&after={first['page_info']['end_cursor']}"
                   ).status_code == 200


@pytest.mark.parametrize("query", ["end=9999-12-31", "start=0001-01-01", "end=0001-01-05", "start=junk"])
def test_metrics_dates_outside_the_range_are_400(api, w, query):
    r = api.get(w.manager, f"/metrics?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["parameter"] == query.split("=")[0]
    assert api.get(w.manager, "/metrics?start=2026-01-01&end=2026-01-31").status_code == 200


def test_a_payment_paid_in_year_9999_is_400(api, w):
    body = {"company_id": w.company.id, "customer_id": w.customer.id, "amount": 1000, "currency": "usd",
            "provider": "stripe", "paid_at": "9999-12-31T23:59:59-01:00"}
    r = api.post(w.integration, "/payments", body)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "time_out_of_range"


def test_a_malformed_upload_token_is_404_and_the_file_stays_uploadable(api, w):
    from tests import factories

    created = api.post(w.customer, "/files", {"filename": "proof.png"}).get_json()
    for token in ("%C3%A9", "%00", "x" * 5000, "%F0%9F%92%A9"):
        r = api.client.put(f"/api/v1/files/{created['id']}/upload/{token}", data=b"x")
        assert r.status_code == 404, (token, r.status_code)
    assert api.client.put(created["upload_url"], data=factories.PNG_BYTES).status_code == 200


def test_an_unknown_remedy_is_422_whatever_is_overturned(api, w, story):
    case_id = escalated(story, w)
    api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision",
             {"outcome": "refund", "amount": 100, "reason": "Refund it."})
    api.sdk(w.creator).resolution_center_cases.appeal(case_id, message="We shipped it.")
    url = f"/resolution_center_cases/{case_id}/final_decision"
    r = api.post(w.reviewer2, url, {"decision": "overturn", "reason": "Shipped.", "remedy": "refnud"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "invalid_remedy")
    assert api.get(w.reviewer2, f"/resolution_center_cases/{case_id}").get_json()["status"] == "under_review"
    assert api.post(w.reviewer2, url, {"decision": "overturn", "reason": "Shipped."}).status_code == 200


def test_creators_do_not_get_customer_ids(api, w, story):
    case_id = story.open()
    as_creator = api.get(w.creator, f"/resolution_center_cases/{case_id}").get_json()
    assert as_creator["buyer"]["user_id"] is None and as_creator["buyer"]["email"] == w.customer.email
    assert w.customer.id not in json.dumps(as_creator)
    listed = api.get(w.creator, "/resolution_center_cases").get_data(as_text=True)
    assert w.customer.id not in listed
    assert api.get(w.customer, f"/resolution_center_cases/{case_id}").get_json()["buyer"]["user_id"] == w.customer.id
    assert api.get(w.reviewer, f"/resolution_center_cases/{case_id}").get_json()["buyer"]["user_id"] == w.customer.id


def test_api_answers_carry_the_security_headers(api, w):
    for r in (api.get(w.reviewer, "/resolution_center_cases"), api.get(None, "/resolution_center_cases"),
              api.get(w.reviewer, "/nothing-here")):
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "Server" not in r.headers
