"""Acting on a case through the official SDK (party actions) and raw HTTP (our staff
extensions): each action's effect, and each refusal for the wrong person or moment."""
from __future__ import annotations

import datetime as dt

import pytest
from whop_sdk import ConflictError, ForbiddenError
from whop_sdk.core import ApiError

from dashboard.cases import party, system
from tests import factories


def test_merchant_requests_info_customer_replies_merchant_denies_customer_appeals(api, w, story):
    case_id = story.open()
    merchant = api.sdk(w.creator).resolution_center_cases
    customer = api.sdk(w.customer).resolution_center_cases

    asked = merchant.request_info(case_id)  # the SDK sends {} here
    assert asked.status == "awaiting_customer"
    assert asked.available_actions == ["add_evidence"]
    assert customer.retrieve(case_id).available_actions == ["reply", "withdraw", "add_evidence"]

    replied = customer.reply(case_id, message="Order 1234, see attached.")
    assert replied.status == "awaiting_merchant"

    denied = merchant.deny(case_id, message="Access was granted on the 3rd.")
    assert (denied.status, denied.outcome, denied.refund) == ("closed", "merchant_won", "none")
    assert denied.model_extra["appeal_due_at"] is not None
    assert customer.retrieve(case_id).available_actions == ["appeal"]

    appealed = customer.appeal(case_id, message="I never got in.")
    assert (appealed.status, appealed.escalated, appealed.customer_appealed) == ("under_review", True, True)
    assert (appealed.outcome, appealed.refund) == (None, None)  # open again: null until it closes
    actions = [e.action for e in customer.events(case_id)]
    assert actions == ["appealed", "denied", "responded", "requested_more_info", "created"]


def test_customer_withdraws_with_no_body(api, w, story):
    case_id = story.open()
    case = api.sdk(w.customer).resolution_center_cases.withdraw(case_id)
    assert (case.status, case.outcome, case.refund) == ("closed", "withdrawn", "none")
    assert case.available_actions == []


def test_accept_closes_for_the_customer_and_reports_the_refund(api, w, story):
    case_id = story.open()
    case = api.sdk(w.creator).resolution_center_cases.accept(case_id, message="Sorry about that.")
    assert (case.status, case.outcome, case.refund) == ("closed", "customer_won", "merchant")
    assert case.model_extra["refunded"] == 50.0  # money moved before the answer
    assert case.available_actions == []


def test_creator_of_another_company_gets_404(api, w, story):
    case_id = story.open()
    r = api.post(w.other_creator, f"/resolution_center_cases/{case_id}/accept")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"
    with pytest.raises(ApiError) as err:  # 404 on accept is a plain ApiError in the SDK
        api.sdk(w.other_creator).resolution_center_cases.deny(case_id, message="no")
    assert err.value.status_code == 404
    assert api.get(w.creator, f"/resolution_center_cases/{case_id}").get_json()["status"] == "awaiting_merchant"


@pytest.mark.parametrize("action", ["accept", "deny"])
def test_customer_cannot_accept_or_deny(api, w, story, action):
    case_id = story.open()
    client = api.sdk(w.customer).resolution_center_cases
    with pytest.raises(ApiError) as err:
        client.accept(case_id) if action == "accept" else client.deny(case_id, message="no")
    assert err.value.status_code == 403
    assert err.value.body["error"]["code"] == "action_not_permitted"
    if action == "accept":
        assert isinstance(err.value, ForbiddenError)


def test_acting_out_of_turn_is_409_with_the_current_case(api, w, story):
    case_id = story.open()
    story.do(party.deny, actor=w.creator, case_id=case_id, message="No.")
    with pytest.raises(ConflictError) as err:
        api.sdk(w.creator).resolution_center_cases.accept(case_id)
    body = err.value.body["error"]
    assert body["code"] == "invalid_state"
    assert body["case"]["id"] == case_id and body["case"]["status"] == "closed"
    assert body["case"]["available_actions"] == []


def test_second_appeal_is_409(api, w, story):
    case_id = story.open()
    story.do(party.deny, actor=w.creator, case_id=case_id, message="No.")
    client = api.sdk(w.customer).resolution_center_cases
    client.appeal(case_id, message="Please.")
    with pytest.raises(ConflictError):
        client.appeal(case_id, message="Please, again.")


def test_merchant_may_request_info_three_times_only(api, w, story):
    case_id = story.open()
    merchant = api.sdk(w.creator).resolution_center_cases
    customer = api.sdk(w.customer).resolution_center_cases
    for _ in range(3):
        merchant.request_info(case_id, message="More?")
        customer.reply(case_id, message="Here.")
    with pytest.raises(ConflictError) as err:
        merchant.request_info(case_id, message="More?")
    assert "3 times" in err.value.body["error"]["message"]


def test_deny_needs_a_message(api, w, story):
    case_id = story.open()
    r = api.post(w.creator, f"/resolution_center_cases/{case_id}/deny", {"message": "   "})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "message_required"


def _under_review(story, w) -> str:
    case_id = story.open()
    story.do(party.deny, actor=w.creator, case_id=case_id, message="No.")
    story.do(party.appeal, actor=w.customer, case_id=case_id, message="Please look.")
    return case_id


def test_staff_request_info_from_a_party_and_the_party_replies(api, w, story):
    case_id = _under_review(story, w)
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/request_info",
                 {"party": "merchant", "message": "Send the access log."})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["escalated"]) == ("awaiting_merchant", True)
    assert body["assignee"]["id"] == w.reviewer.id
    assert api.sdk(w.creator).resolution_center_cases.retrieve(case_id).available_actions[0] == "accept"
    replied = api.sdk(w.creator).resolution_center_cases.reply(case_id, message="Log attached.")
    assert replied.status == "under_review"
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/request_info", {"message": "x"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_party"


def test_customer_cannot_use_staff_extensions(api, w, story):
    case_id = _under_review(story, w)
    for path, body in (("decision", {"outcome": "refund", "reason": "x"}), ("notes", {"message": "x"}),
                       ("claim", {}), ("assign", {"reviewer_id": w.customer.id})):
        r = api.post(w.customer, f"/resolution_center_cases/{case_id}/{path}", body)
        assert r.status_code == 403, (path, r.get_json())


def test_reviewer_deciding_a_case_not_under_review_is_409(api, w, story):
    case_id = story.open()
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision",
                 {"outcome": "merchant_wins", "reason": "Too early."})
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "invalid_state"
    assert r.get_json()["error"]["case"]["status"] == "awaiting_merchant"


def test_decision_validation(api, w, story):
    case_id = _under_review(story, w)
    url = f"/resolution_center_cases/{case_id}/decision"
    for body, code in (({"outcome": "refund"}, "message_required"),
                       ({"outcome": "jail", "reason": "x"}, "invalid_outcome"),
                       ({"outcome": "refund", "reason": "x", "amount": 5001}, "amount_exceeds_payment"),
                       ({"outcome": "refund", "reason": "x", "amount": 12.5}, "invalid_amount"),
                       ({"outcome": "refund", "reason": "x", "amount": "100"}, "invalid_amount")):
        r = api.post(w.reviewer, url, body)
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, code), body
    assert api.get(w.reviewer, f"/resolution_center_cases/{case_id}").get_json()["status"] == "under_review"


def escalated(story, w, payment=None) -> str:
    """A case the merchant let run out: under review with its one appeal still unused."""
    case_id = story.open(payment=payment)
    story.do(system.escalate_overdue, case_id, at=story.clock() + dt.timedelta(days=8))
    return case_id


def test_decision_on_an_appealed_denial_is_final(api, w, story):
    case_id = _under_review(story, w)
    decided = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision",
                       {"outcome": "merchant_wins", "reason": "Access log shows use."})
    assert decided.status_code == 200
    body = decided.get_json()
    assert body["decision"]["outcome"] == "merchant_wins" and body["decision"]["reason"] == "Access log shows use."
    assert (body["final"], body["appeal_due_at"], body["available_actions"]) == (True, None, ["note"])
    with pytest.raises(ConflictError):
        api.sdk(w.creator).resolution_center_cases.appeal(case_id, message="Me too.")


def test_same_reviewer_cannot_do_the_final_review(api, w, story):
    case_id = escalated(story, w)
    api.post(w.reviewer, f"/resolution_center_cases/{case_id}/decision", {"outcome": "merchant_wins",
                                                                        "reason": "No proof."})
    appealed = api.sdk(w.customer).resolution_center_cases.appeal(case_id, message="Here is proof.")
    assert appealed.status == "under_review" and appealed.model_extra["final_review"] is True
    url = f"/resolution_center_cases/{case_id}/final_decision"
    r = api.post(w.reviewer, url, {"decision": "uphold", "reason": "Still no."})
    assert r.status_code == 409
    assert "other than the one who decided" in r.get_json()["error"]["message"]
    r = api.post(w.reviewer2, url, {"decision": "uphold", "reason": "Agreed."})
    assert r.status_code == 200
    assert (r.get_json()["outcome"], r.get_json()["decision"]["final_decision"]) == ("merchant_won", "uphold")


def test_final_decision_on_a_case_not_in_final_review_is_409(api, w, story):
    case_id = story.open()
    story.do(party.withdraw, actor=w.customer, case_id=case_id)
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/final_decision",
                 {"decision": "uphold", "reason": "x"})
    assert r.status_code == 409


def test_assign_by_manager_and_claim_by_reviewer(api, w, story):
    case_id = _under_review(story, w)
    r = api.post(w.manager, f"/resolution_center_cases/{case_id}/assign", {"reviewer_id": w.reviewer2.id})
    assert r.status_code == 200 and r.get_json()["assignee"]["id"] == w.reviewer2.id
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/claim")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "assigned_to_another_reviewer"
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/assign", {"reviewer_id": w.reviewer2.id})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "managers_only"
    r = api.post(w.manager, f"/resolution_center_cases/{case_id}/assign", {})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reviewer_id_required"
    r = api.post(w.manager, f"/resolution_center_cases/{case_id}/assign", {"reviewer_id": None})
    assert r.status_code == 200 and r.get_json()["assignee"] is None
    r = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/claim")
    assert r.status_code == 200 and r.get_json()["assignee"]["id"] == w.reviewer.id
    assert "decide" in r.get_json()["available_actions"]


def test_evidence_can_be_added_later_up_to_three_per_party(api, w, story):
    case_id = story.open(file_ids=[api.upload(w.customer), api.upload(w.customer)])
    url = f"/resolution_center_cases/{case_id}/evidence"
    ok = api.post(w.customer, url, {"attachments": [{"id": api.upload(w.customer, filename="c.txt",
                                                                       data=b"chat log")}]})
    assert ok.status_code == 200, ok.get_json()
    r = api.post(w.customer, url, {"attachments": [{"id": api.upload(w.customer)}]})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "too_many_files"
    r = api.post(w.creator, url, {"attachments": [{"id": api.upload(w.creator, data=factories.PDF_BYTES,
                                                                     filename="log.pdf")}]})
    assert r.status_code == 200
