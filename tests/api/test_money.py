"""Money over the API (SPEC §6): it moves right after the action commits, exactly once,
and the case reports it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from whop_sdk import ConflictError

from data.models import CreditEntry, MoneyMovement, SandboxGatewayCall
from dashboard.money.executor import settle_due
from dashboard.money.gateways import GatewayError, GatewayRegistry
from tests.api.test_actions_sdk import escalated


def calls(story) -> list[SandboxGatewayCall]:
    return story.gateway_calls()


def test_accept_refunds_the_customer_exactly_once(api, w, story, runtime):
    case_id = story.open()
    merchant = api.sdk(w.creator).resolution_center_cases
    case = merchant.accept(case_id)
    assert case.model_extra["refunded"] == 50.0
    [call] = calls(story)
    assert (call.provider, call.operation, call.target, call.amount_minor, call.currency) == (
        "stripe", "refund", w.payment.id, 5000, "USD")
    with pytest.raises(ConflictError):
        merchant.accept(case_id)
    with runtime.Session() as s:  # the scheduler coming by later finds nothing to do
        assert settle_due(s, runtime.gateways, runtime.now(), settings=runtime.settings)["claimed"] == 0
    assert len(calls(story)) == 1
    [movement] = story.movements(case_id)
    assert (movement.status, movement.attempts) == ("succeeded", 1)
    refund_events = [e for e in api.sdk(w.customer).resolution_center_cases.events(case_id)
                     if e.action == "refund_issued"]
    assert len(refund_events) == 1 and "$50.00" in refund_events[0].details


def test_refund_decision_partial_amount(api, w, story):
    case_id = escalated(story, w)
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision",
                 {"outcome": "refund", "amount": 1999, "reason": "Half the course was missing."})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["outcome"], body["refund"], body["refunded"], body["credit"]) == ("customer_won", "merchant",
                                                                                    19.99, 0.0)
    assert body["decision"] == {"outcome": "refund", "amount": 19.99, "amount_minor": 1999,
                                "reason": "Half the course was missing.", "final_decision": None,
                                "decided_by_id": w.reviewer.id, "final_decided_by_id": None}
    assert [(c.operation, c.amount_minor) for c in calls(story)] == [("refund", 1999)]
    party_view = api.get(w.customer, f"/resolution_center_cases/{case_id}").get_json()["decision"]
    assert "decided_by_id" not in party_view


def test_credit_decision_books_platform_credit_without_a_gateway_call(api, w, story):
    case_id = escalated(story, w)
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision",
                 {"outcome": "credit", "amount": 2500, "reason": "Goodwill."})
    assert r.status_code == 200
    assert (r.get_json()["refund"], r.get_json()["credit"], r.get_json()["outcome"]) == ("none", 25.0,
                                                                                         "customer_won")
    assert calls(story) == []
    with story.Session() as s:
        assert s.scalar(select(func.sum(CreditEntry.amount_minor)).where(CreditEntry.user_id == w.customer.id)) == 2500


def test_overturning_a_refund_reimburses_the_merchant_from_the_platform(api, w, story):
    case_id = escalated(story, w)
    api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision", {"outcome": "refund", "reason": "Fraud."})
    appealed = api.sdk(w.creator).resolution_center_cases.appeal(case_id, message="It was not fraud.")
    assert appealed.merchant_appealed is True
    r = api.post(w.reviewer2, f"/resolution_center_cases/{case_id}/final_decision",
                 {"decision": "overturn", "reason": "The merchant delivered."})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["outcome"], body["refund"], body["refunded"], body["final"]) == ("merchant_won", "platform",
                                                                                 50.0, True)
    assert [(c.provider, c.operation, c.target, c.amount_minor) for c in calls(story)] == [
        ("stripe", "refund", w.payment.id, 5000), ("platform", "transfer", w.company.id, 5000)]
    actions = [e.action for e in api.sdk(w.creator).resolution_center_cases.events(case_id)]
    assert actions[:2] == ["merchant_reimbursed", "final_decision"]


def test_overturning_a_merchant_win_applies_the_remedy(api, w, story):
    case_id = escalated(story, w)
    api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision", {"outcome": "merchant_wins",
                                                                        "reason": "Delivered."})
    api.sdk(w.customer).resolution_center_cases.appeal(case_id, message="It was empty.")
    url = f"/resolution_center_cases/{case_id}/final_decision"
    r = api.post(w.reviewer2, url, {"decision": "overturn", "reason": "It was empty."})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "remedy_required")
    r = api.post(w.reviewer2, url, {"decision": "overturn", "reason": "It was empty.", "remedy": "refund",
                                    "amount": 4000})
    assert (r.get_json()["outcome"], r.get_json()["refund"], r.get_json()["refunded"]) == ("customer_won",
                                                                                          "merchant", 40.0)
    assert [(c.operation, c.amount_minor) for c in calls(story)] == [("refund", 4000)]


class FailingGateway:
    def lookup(self, key):
        return None

    def refund(self, **kw):
        raise GatewayError("provider is down")

    transfer = refund


def test_a_failing_refund_does_not_fail_the_action(api, w, story, runtime):
    case_id = story.open()
    runtime.gateways = GatewayRegistry({"stripe": FailingGateway()})
    case = api.sdk(w.creator).resolution_center_cases.accept(case_id)
    assert (case.status, case.refund, case.model_extra["refunded"]) == ("closed", "merchant", 0.0)
    [movement] = story.movements(case_id)
    assert (movement.status, movement.attempts, movement.last_error) == ("pending", 1, "provider is down")


def test_refund_reported_by_the_integration_closes_the_case(api, w, story):
    case_id = story.open()
    r = api.post(w.integration, f"/payments/{w.payment.id}/refunded", {"note": "Refunded by support."})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["case_id"], r.get_json()["refunded"]) == (case_id, 50.0)
    case = api.sdk(w.customer).resolution_center_cases.retrieve(case_id)
    assert (case.status, case.outcome, case.refund) == ("closed", "customer_won", "merchant")
    assert api.post(w.integration, f"/payments/{w.payment.id}/refunded").status_code == 200  # twice: no change
    assert len(story.events(case_id, "refunded_elsewhere")) == 1
    assert calls(story) == []  # the money went back elsewhere, not through us
    assert api.post(w.integration, "/payments/pay_unknown000000000/refunded").status_code == 404
    with story.Session() as s:
        assert s.scalar(select(func.count()).select_from(MoneyMovement)) == 0
