"""The contract check (tests/api/contract.py) itself: every answer of the API suite is
validated against /api/v1/openapi.json, and an answer that drifted from the document —
a field dropped, a field retyped, an error without its message — fails the test that
received it, whether it came through Flask's test client or the whop-sdk client."""
from __future__ import annotations

import pytest

from dashboard.api import cases as case_routes
from dashboard.api import serializers
from tests.api.contract import ContractViolation, contract_of


def _drifted(change):
    real = serializers.case_json

    def case_json(ctx, case, viewer):
        body = real(ctx, case, viewer)
        change(body)
        return body

    return case_json


def test_every_answer_is_checked(api, w, story):
    contract = contract_of(api.server)
    case_id = story.open()
    before = contract.checked
    assert api.get(w.customer, f"/resolution_center_cases/{case_id}").status_code == 200
    assert api.get(w.customer, "/resolution_center_cases/nope").status_code == 404
    api.sdk(w.customer).resolution_center_cases.list()
    assert contract.checked == before + 3
    assert contract.violations == []


def test_a_case_without_status_fails(api, w, story, monkeypatch):
    case_id = story.open()
    monkeypatch.setattr(case_routes, "case_json", _drifted(lambda body: body.pop("status")))
    contract = contract_of(api.server)
    with contract.expect_violation() as seen:
        api.get(w.customer, f"/resolution_center_cases/{case_id}")
    assert len(seen) == 1 and "'status' is a required property" in seen[0]


def test_a_retyped_amount_minor_fails_through_the_sdk_too(api, w, story, monkeypatch):
    case_id = story.open()
    monkeypatch.setattr(case_routes, "case_json",
                        _drifted(lambda body: body.update(amount_minor=str(body["amount_minor"]))))
    contract = contract_of(api.server)
    with contract.expect_violation() as seen:
        api.sdk(w.customer).resolution_center_cases.retrieve(case_id)
    assert len(seen) == 1 and "amount_minor" in seen[0] and "is not of type 'integer'" in seen[0]


def test_an_undocumented_field_fails(api, w, story, monkeypatch):
    """Answers are closed shapes: a field the document does not name is drift too."""
    case_id = story.open()
    monkeypatch.setattr(case_routes, "case_json", _drifted(lambda body: body.update(internal_note="x")))
    with contract_of(api.server).expect_violation() as seen:
        api.get(w.customer, f"/resolution_center_cases/{case_id}")
    assert len(seen) == 1 and "internal_note" in seen[0]


def test_an_error_without_its_message_fails(api, w, monkeypatch):
    from dashboard.api import errors

    monkeypatch.setitem(errors.HTTP_CODES, 404, ("not_found", None))
    with contract_of(api.server).expect_violation() as seen:
        api.get(w.customer, "/no/such/route")
    assert len(seen) == 1 and "as an error" in seen[0] and "message" in seen[0]


def test_a_violation_raises_in_the_request(api, w, story, monkeypatch):
    case_id = story.open()
    monkeypatch.setattr(case_routes, "case_json", _drifted(lambda body: body.pop("status")))
    contract = contract_of(api.server)
    with pytest.raises(ContractViolation):
        api.get(w.customer, f"/resolution_center_cases/{case_id}")
    contract.violations.clear()  # seen here on purpose: the fixture's teardown would fail the test
