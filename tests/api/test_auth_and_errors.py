"""Who may call what (SPEC §1, §11): tokens, roles, and the JSON error shape for
everything that goes wrong before a route runs."""
from __future__ import annotations

import pytest
from whop_sdk import UnauthorizedError

from dashboard import accounts
from dashboard.context import Ctx


def test_no_token_is_401_with_json_error(api):
    r = api.get(None, "/resolution_center_cases")
    assert r.status_code == 401
    assert r.get_json()["error"]["code"] == "unauthenticated"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_invalid_token_is_401(api):
    for header in ("Bearer rc_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "):
        r = api.get(None, "/resolution_center_cases", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.get_json()["error"]["code"] == "invalid_token"


def test_revoked_token_is_401_through_the_sdk(api, w, Session, settings, now):  # noqa: N803
    client = api.sdk(w.customer)
    assert client.resolution_center_cases.list().items == []
    with Session.begin() as s:
        accounts.revoke_tokens(Ctx(s, now, settings), s.get(type(w.customer), w.customer.id))
    with pytest.raises(UnauthorizedError):
        client.resolution_center_cases.list()


def test_deactivated_user_token_is_401(api, w, Session):  # noqa: N803
    api.token(w.creator)
    with Session.begin() as s:
        s.get(type(w.creator), w.creator.id).is_active = False
    assert api.get(w.creator, "/resolution_center_cases").status_code == 401


def test_integration_user_reads_no_cases_payments_or_metrics(api, w):
    for path in ("/resolution_center_cases", "/resolution_center_cases/summary", "/payments", "/metrics"):
        r = api.get(w.integration, path)
        assert r.status_code == 403, path
        assert r.get_json()["error"]["code"] == "role_not_allowed"


def test_integration_user_cannot_act_on_a_case(api, w, story):
    case_id = story.open()
    r = api.post(w.integration, f"/resolution_center_cases/{case_id}/accept")
    assert r.status_code == 403
    r = api.get(w.integration, f"/resolution_center_cases/{case_id}")
    assert r.status_code == 403


def test_only_integration_users_sync(api, w):
    for user in (w.customer, w.creator, w.reviewer, w.manager):
        for path in ("/companies", "/users", "/payments", f"/payments/{w.payment.id}/refunded"):
            r = api.post(user, path, {"name": "X"})
            assert r.status_code == 403, (user.role, path, r.get_json())
    assert api.post(w.integration, "/companies", {"name": "X"}).status_code == 201


def test_metrics_are_for_managers_only(api, w):
    for user in (w.customer, w.creator, w.reviewer):
        assert api.get(user, "/metrics").status_code == 403, user.role
    assert api.get(w.manager, "/metrics").status_code == 200


def test_unknown_route_and_wrong_method_answer_json(api, w):
    r = api.get(w.customer, "/no_such_thing")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = api.request("DELETE", w.customer, "/resolution_center_cases")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_outside_the_api_errors_stay_html(server):
    r = server.test_client().get("/definitely-not-here")
    assert r.status_code == 404
    assert not r.is_json


def test_api_errors_stay_json_next_to_a_catch_all_page_route(server, api, w):
    """Dash (mounted on this server by app.py) answers every GET path with its page."""
    server.add_url_rule("/<path:path>", endpoint="dash_like", view_func=lambda path: "<html>page</html>")
    assert server.test_client().get("/some/page").data == b"<html>page</html>"
    for path in ("/api/v1/nope", "/api/v1", "/api/v1/resolution_center_cases/reso_1/accept/extra"):
        r = api.client.get(path, headers=api.headers(w.customer))
        assert (r.status_code, r.get_json()["error"]["code"]) == (404, "not_found"), path
    r = api.get(w.customer, "/resolution_center_cases/reso_1/accept")
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")
    assert api.get(w.customer, "/resolution_center_cases").status_code == 200


def test_malformed_json_is_400(api, w, story):
    case_id = story.open()
    for body in (b"{not json", b"[1, 2]", b"\"text\"", b"\xff\xfe"):
        r = api.request("POST", w.creator, f"/resolution_center_cases/{case_id}/deny", data=body,
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 400, body
        assert r.get_json()["error"]["code"] == "invalid_json"


def test_wrong_field_type_is_422_not_500(api, w, story):
    case_id = story.open()
    r = api.post(w.creator, f"/resolution_center_cases/{case_id}/deny", {"message": 42})
    assert r.status_code == 422
    assert r.get_json()["error"] == {"code": "invalid_field", "message": "'message' must be a string.",
                                     "field": "message"}


def test_oversized_json_body_is_413(api, w, story):
    case_id = story.open()
    r = api.post(w.creator, f"/resolution_center_cases/{case_id}/deny", {"message": "x" * (1024 * 1024 + 10)})
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "request_too_large"


def test_healthz_checks_the_database(server, runtime, tmp_path):
    assert server.test_client().get("/healthz").get_json() == {"ok": True}
    from sqlalchemy import create_engine

    runtime.engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    r = server.test_client().get("/healthz")
    assert (r.status_code, r.get_json()["ok"]) == (503, False)


def test_openapi_describes_every_route(server):
    doc = server.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    missing = []
    for rule in server.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.unknown_route":
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
    # every $ref resolves
    import json
    refs = {r.split("/")[-1] for r in json.dumps(doc).split('"$ref": "')[1:] for r in [r.split('"')[0]]}
    assert refs <= set(doc["components"]["schemas"])


class _Contention(Exception):
    pgcode = "40001"


def test_lost_races_become_409_with_the_current_case(api, w, story, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from dashboard.cases import party

    case_id = story.open()
    for exc in (StaleDataError("stale"), OperationalError("UPDATE", {}, _Contention("could not serialize"))):
        def lose(*args, _exc=exc, **kwargs):
            raise _exc

        monkeypatch.setattr(party, "deny", lose)
        r = api.post(w.creator, f"/resolution_center_cases/{case_id}/deny", {"message": "No."})
        assert r.status_code == 409, r.get_json()
        assert r.get_json()["error"]["code"] == "concurrent_update"
        assert r.get_json()["error"]["case"]["id"] == case_id


def test_unexpected_errors_are_json_500_without_details(api, w, story, monkeypatch):
    from dashboard.cases import party

    case_id = story.open()

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(party, "deny", broken)
    r = api.post(w.creator, f"/resolution_center_cases/{case_id}/deny", {"message": "No."})
    assert r.status_code == 500
    assert r.get_json()["error"]["code"] == "internal_error" and "bug" not in r.get_data(as_text=True)
