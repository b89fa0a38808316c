"""The JSON API against the real app: every /api/v1 route wants a bearer token (except
the OpenAPI document and the file upload PUT, which carries its own secret), a session
cookie is not a token, and a creator's or customer's token cannot read or act on
another company's case (404, nothing changed)."""
from __future__ import annotations

import re

import pytest
import requests

from tests.security.checks import assert_no_b_data, cases_on, snapshot

PUBLIC_ENDPOINTS = {"api.openapi_document", "api.upload_file", "api.unknown_route"}


def api_routes(live_app, world) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) for every API rule the server registers, ids filled in with B's."""
    from dashboard.web import create_server

    server = create_server(live_app.runtime())
    values = {"case_id": world.case_b, "file_id": world.file_b, "payment_id": world.payment_b, "token": "x" * 20,
              "_path": "resolution_center_cases", "company_id": "biz_not-checked-before-the-token",
              "webhook_id": "hook_not-checked-before-the-token"}
    routes = []
    for rule in server.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path, rule.endpoint))
    return routes


def test_every_api_route_requires_a_token(live_app, world, sign_in):
    routes = [r for r in api_routes(live_app, world) if r[2] not in PUBLIC_ENDPOINTS]
    assert len(routes) >= 25, routes  # the enumeration itself works
    signed_in = sign_in("manager")  # a screen session is not an API credential
    for method, path, endpoint in routes:
        for http, headers in ((requests, {}), (requests, {"Authorization": "Bearer rc_not-a-real-token"}),
                              (requests, {"Authorization": "Basic bWFuYWdlcjpwdw=="}), (signed_in, {})):
            answer = http.request(method, live_app.url + path, headers=headers, json={"message": "x"})
            assert answer.status_code == 401, (method, path, headers, answer.status_code, answer.text[:200])
            assert answer.json()["error"]["code"] in ("unauthenticated", "invalid_token")
            assert_no_b_data(answer.text.replace(path, ""), world, f"{method} {path}")


def test_the_public_api_routes_give_nothing_away(live_app, world):
    assert requests.get(live_app.url + "/api/v1/openapi.json").status_code == 200
    # The upload PUT with a guessed secret: not found, and the file keeps its bytes.
    answer = requests.put(f"{live_app.url}/api/v1/files/{world.file_b}/upload/{'x' * 20}", data=b"GIF89a",
                          headers={"Content-Type": "image/gif"})
    assert answer.status_code == 404
    assert_no_b_data(answer.text, world, "upload PUT")
    assert requests.get(live_app.url + "/api/v1/nothing-here").status_code == 404


CASE_ACTIONS = ["accept", "deny", "request_info", "reply", "appeal", "withdraw", "evidence"]
STAFF_ACTIONS = ["claim", "assign", "notes", "decision", "final_decision"]


def api(live_app, token: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, live_app.url + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"},
                            **kw)


@pytest.mark.parametrize("who", ["creator_a", "customer_a"])
def test_a_party_token_cannot_read_or_act_on_another_company_case(live_app, world, who):
    token = world.tokens[who]
    before = snapshot(live_app, world.case_b)
    body = {"message": "crafted", "reason": "x", "outcome": "refund", "amount": 100, "decision": "overturn",
            "reviewer_id": world.reviewer, "party": "customer"}
    reads = [api(live_app, token, "GET", f"/resolution_center_cases/{world.case_b}"),
             api(live_app, token, "GET", f"/resolution_center_cases/{world.case_b}/events"),
             api(live_app, token, "GET", f"/files/{world.file_b}"),
             api(live_app, token, "GET", f"/files/{world.file_b}/content")]
    for answer in reads:
        assert answer.status_code == 404, (answer.request.url, answer.status_code)
    acts = [api(live_app, token, "POST", f"/resolution_center_cases/{world.case_b}/{a}", json=body)
            for a in CASE_ACTIONS]
    for answer in acts:
        assert answer.status_code == 404, (answer.request.url, answer.status_code, answer.text[:200])
    staff = [api(live_app, token, "POST", f"/resolution_center_cases/{world.case_b}/{a}", json=body)
             for a in STAFF_ACTIONS]
    for answer in staff:
        assert answer.status_code in (403, 404), (answer.request.url, answer.status_code)
    lists = [api(live_app, token, "GET", "/resolution_center_cases", params={"account_id": world.company_b}),
             api(live_app, token, "GET", "/resolution_center_cases", params={"user_id": world.customer_b}),
             api(live_app, token, "GET", "/resolution_center_cases/summary", params={"groups": "status"})]
    for answer in reads + acts + staff + lists:
        assert_no_b_data(answer.text, world, f"{who} {answer.request.method} {answer.request.url}")
    assert snapshot(live_app, world.case_b) == before
    # The same token does read its own side.
    own = api(live_app, token, "GET", f"/resolution_center_cases/{world.case_a}")
    assert own.status_code == 200 and own.json()["id"] == world.case_a


def test_a_customer_token_cannot_open_a_case_on_someone_elses_payment(live_app, world):
    answer = api(live_app, world.tokens["customer_a"], "POST", "/resolution_center_cases",
                 json={"receipt_id": world.payment_b_free, "reason": "fraudulent", "message": "crafted"})
    assert answer.status_code == 404, answer.text
    assert_no_b_data(answer.text, world, "open a case on B's payment")
    assert cases_on(live_app, world.payment_b_free) == 0
    payments = api(live_app, world.tokens["customer_a"], "GET", "/payments")
    assert payments.status_code == 200 and world.payment_a in payments.text
    assert_no_b_data(payments.text, world, "customer A's payments")


def test_the_owner_token_reads_its_case_without_the_internal_note(live_app, world):
    """Positive control for the 404s above, and notes never reach a party's API answer."""
    for who in ("creator_b",):
        case = api(live_app, world.tokens[who], "GET", f"/resolution_center_cases/{world.case_b}")
        events = api(live_app, world.tokens[who], "GET", f"/resolution_center_cases/{world.case_b}/events")
        assert case.status_code == 200 and events.status_code == 200
        assert "STAFF-ONLY-NOTE-31337" not in events.text
    staff = api(live_app, world.tokens["reviewer"], "GET", f"/resolution_center_cases/{world.case_b}/events")
    assert "STAFF-ONLY-NOTE-31337" in staff.text
