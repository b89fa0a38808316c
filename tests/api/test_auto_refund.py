"""Auto-refund thresholds over the API (issue 11): `GET /companies/{id}` shows Whop's
`payment_controls.resolution_center_auto_refund`, `POST /companies/{id}/payment_controls`
sets it, and a case opened at or under a threshold through whop-sdk comes back accepted,
refunded once."""
from __future__ import annotations

import pytest
from whop_sdk.types.account_resolution_center_auto_refund_control import AccountResolutionCenterAutoRefundControl

from dashboard.context import Ctx
from tests import factories

CONTROLS = "/companies/{}/payment_controls"


def controls(api, user, company_id, **changes):
    return api.post(user, CONTROLS.format(company_id), {"resolution_center_auto_refund": changes})


def auto_refund(body) -> dict:
    return body["payment_controls"]["resolution_center_auto_refund"]


def test_a_new_company_has_every_threshold_off_in_whops_shape(api, w):
    r = api.get(w.creator, f"/companies/{w.company.id}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["id"], body["object"], body["title"]) == (w.company.id, "company", w.company.name)
    parsed = AccountResolutionCenterAutoRefundControl.model_validate(auto_refund(body))  # the SDK's own type
    assert (parsed.card_threshold_usd, parsed.paypal_threshold_usd, parsed.locked) == (None, None, False)


@pytest.mark.parametrize("who", ["reviewer", "manager", "integration", "creator"])
def test_who_may_read_a_companys_controls(api, w, who):
    assert api.get(getattr(w, who), f"/companies/{w.company.id}").status_code == 200


@pytest.mark.parametrize("who,status", [("customer", 403), ("other_creator", 404), (None, 401)])
def test_who_may_not(api, w, who, status):
    user = getattr(w, who) if who else None
    assert api.get(user, f"/companies/{w.company.id}").status_code == status
    assert controls(api, user, w.company.id, card_threshold_usd=1000).status_code == status
    assert auto_refund(api.get(w.creator, f"/companies/{w.company.id}").get_json())["card_threshold_usd"] is None


def test_an_unknown_company_is_not_found(api, w):
    for company_id in ("biz_nope", "x" * 500, "%00"):
        assert api.get(w.manager, f"/companies/{company_id}").status_code == 404


def test_the_fields_given_change_and_null_turns_one_off(api, w):
    r = controls(api, w.creator, w.company.id, card_threshold_usd=30, paypal_threshold_usd=12.5)
    assert r.status_code == 200, r.get_json()
    assert auto_refund(r.get_json()) == {"card_threshold_usd": 30.0, "paypal_threshold_usd": 12.5, "locked": False}
    r = controls(api, w.creator, w.company.id, paypal_threshold_usd=None)
    assert auto_refund(r.get_json()) == {"card_threshold_usd": 30.0, "paypal_threshold_usd": None, "locked": False}
    assert auto_refund(api.get(w.reviewer, f"/companies/{w.company.id}").get_json())["card_threshold_usd"] == 30.0


@pytest.mark.parametrize("value", [-1, 0, "30", True, [30], {"usd": 30}, 10 ** 9, 0.00001])
def test_a_bad_threshold_is_refused_and_changes_nothing(api, w, value):
    controls(api, w.creator, w.company.id, card_threshold_usd=5)
    r = controls(api, w.creator, w.company.id, card_threshold_usd=value)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["code"] in ("invalid_threshold", "invalid_field")
    assert "card_threshold_usd" in r.get_json()["error"]["message"]
    assert auto_refund(api.get(w.creator, f"/companies/{w.company.id}").get_json())["card_threshold_usd"] == 5.0


@pytest.mark.parametrize("body,status", [(None, 422), ([], 400), ({"resolution_center_auto_refund": 5}, 422),
                                         ({"resolution_center_auto_refund": {"card_limit": 5}}, 422), ({}, 422)])
def test_a_malformed_body_is_a_clear_error(api, w, body, status):
    r = api.request("POST", w.creator, CONTROLS.format(w.company.id), json=body)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]["message"]
    assert auto_refund(api.get(w.creator, f"/companies/{w.company.id}").get_json())["locked"] is False


def test_staff_lock_the_thresholds_and_then_only_staff_change_them(api, w):
    assert controls(api, w.creator, w.company.id, locked=True).status_code == 403  # creators cannot lock
    r = controls(api, w.manager, w.company.id, card_threshold_usd=20, locked=True)
    assert auto_refund(r.get_json()) == {"card_threshold_usd": 20.0, "paypal_threshold_usd": None, "locked": True}
    refused = controls(api, w.creator, w.company.id, card_threshold_usd=500)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "thresholds_locked"
    assert "locked" in refused.get_json()["error"]["message"]
    assert controls(api, w.creator, w.company.id, locked=False).status_code == 403
    assert auto_refund(api.get(w.creator, f"/companies/{w.company.id}").get_json())["card_threshold_usd"] == 20.0
    assert controls(api, w.reviewer, w.company.id, card_threshold_usd=25).status_code == 200
    r = controls(api, w.manager, w.company.id, locked=False)
    assert auto_refund(r.get_json())["locked"] is False
    assert controls(api, w.creator, w.company.id, card_threshold_usd=40).status_code == 200


def test_the_integration_reads_but_does_not_set(api, w):
    r = controls(api, w.integration, w.company.id, card_threshold_usd=30)
    assert r.status_code == 403


def test_a_case_at_the_threshold_opened_with_the_sdk_comes_back_accepted_and_refunded_once(api, w, story, runtime):
    controls(api, w.creator, w.company.id, card_threshold_usd=50)  # the world's payment: 50.00 USD by card
    case = api.sdk(w.customer).resolution_center_cases.create(
        receipt_id=w.payment.id, reason="product_not_received", message="I paid and never got access.")
    assert (case.status, case.outcome, case.refund, case.model_extra["refunded"]) == (
        "closed", "customer_won", "merchant", 50.0)
    [call] = story.gateway_calls()
    assert (call.operation, call.target, call.amount_minor) == ("refund", w.payment.id, 5000)
    events = api.sdk(w.customer).resolution_center_cases.events(case.id)
    accepted = [e for e in events if e.action == "accepted"]
    assert len(accepted) == 1 and "auto-refund threshold" in accepted[0].details
    assert "$50.00" in accepted[0].details


def test_a_case_over_the_threshold_waits_for_the_merchant(api, w, story, Session, settings, now):  # noqa: N803
    controls(api, w.creator, w.company.id, card_threshold_usd=49.99)
    case = api.sdk(w.customer).resolution_center_cases.create(
        receipt_id=w.payment.id, reason="product_not_received", message="I paid and never got access.")
    assert case.status == "awaiting_merchant"
    assert story.gateway_calls() == []
    # PayPal's own threshold: a card threshold does not cover a PayPal payment.
    with Session.begin() as s:
        paypal = factories.payment(Ctx(s, now, settings), company=s.get(type(w.company), w.company.id),
                                   customer=s.get(type(w.customer), w.customer.id), amount_minor=100,
                                   provider="paypal")
    case = api.sdk(w.customer).resolution_center_cases.create(
        receipt_id=paypal.id, reason="product_not_received", message="I paid and never got access.")
    assert case.status == "awaiting_merchant"
