"""SPEC §3, rule by rule: the limits, windows and hand-offs the table cannot show."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.cases import party, review
from dashboard.cases.available import available_actions
from dashboard.errors import Conflict, Forbidden, Invalid, NotFound
from tests.factories import days
from tests.domain import stages

SECOND = dt.timedelta(seconds=1)


def _available(story, cid, user):
    from data.models import Case

    with story.Session() as s:
        return available_actions(story.ctx(s), s.get(Case, cid), user)


# --------------------------------------------------------------------------- merchant requests (§3.3)
def test_the_merchant_may_ask_for_information_three_times(story):
    cid = story.open()
    for n in range(3):
        story.later()
        story.do(party.merchant_request_info, actor=story.w.creator, case_id=cid, message=f"Question {n + 1}?")
        story.later()
        story.do(party.reply, actor=story.w.customer, case_id=cid, message=f"Answer {n + 1}.")
    assert story.case(cid).merchant_info_requests == 3


def test_a_fourth_request_for_information_is_refused(story):
    cid = story.open()
    for n in range(3):
        story.do(party.merchant_request_info, actor=story.w.creator, case_id=cid, message=f"Question {n + 1}?")
        story.do(party.reply, actor=story.w.customer, case_id=cid, message=f"Answer {n + 1}.")
    before = story.snapshot(cid)
    err = story.refuse(party.merchant_request_info, actor=story.w.creator, case_id=cid, message="One more?")
    assert type(err) is Conflict and "3 times" in err.message
    assert story.snapshot(cid) == before
    assert "request_info" not in _available(story, cid, story.w.creator)


def test_any_creator_of_the_company_may_answer(story):
    cid = story.open()
    story.do(party.merchant_request_info, actor=story.w.creator2, case_id=cid, message="Which email?")
    assert story.case(cid).status == "awaiting_customer"


# --------------------------------------------------------------------------- appeals (§3.4, §3.8, §3.9)
@pytest.mark.parametrize("state, appellant", [("closed_denied", "customer"), ("decided", "customer"),
                                              ("decided", "merchant")])
def test_an_appeal_one_second_before_seven_days_is_in_time(story, state, appellant):
    cid = stages.ALL[state](story)
    closed_at = story.now
    actor = story.w.customer if appellant == "customer" else story.w.creator
    story.do(party.appeal, actor=actor, case_id=cid, message="Please look again.", at=closed_at + days(7) - SECOND)
    assert story.case(cid).status == "under_review"


@pytest.mark.parametrize("state, appellant", [("closed_denied", "customer"), ("decided", "customer"),
                                              ("decided", "merchant")])
def test_an_appeal_at_seven_days_is_too_late(story, state, appellant):
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    actor = story.w.customer if appellant == "customer" else story.w.creator
    err = story.refuse(party.appeal, actor=actor, case_id=cid, message="Please look again.",
                       at=story.now + days(7))
    assert type(err) is Conflict and "window" in err.message
    assert story.snapshot(cid) == before


def test_the_merchant_cannot_appeal_a_denial(story):
    cid = stages.closed_denied(story)
    err = story.refuse(party.appeal, actor=story.w.creator, case_id=cid, message="We appeal too.")
    assert type(err) is Conflict and "no platform decision" in err.message


def test_an_appeal_needs_a_message(story):
    cid = stages.closed_denied(story)
    before = story.snapshot(cid)
    err = story.refuse(party.appeal, actor=story.w.customer, case_id=cid, message="  ")
    assert (type(err), err.code) == (Invalid, "message_required")
    assert story.snapshot(cid) == before


def test_an_appealed_denial_goes_to_first_instance_review(story):
    case = story.case(stages.appealed_denial(story))
    assert (case.status, case.escalated, case.customer_appealed, case.final_review) == \
           ("under_review", True, True, False)


@pytest.mark.parametrize("outcome, amount", [("refund", 1500), ("credit", 1500), ("merchant_wins", None)])
def test_the_decision_on_an_appealed_denial_is_final(story, outcome, amount):
    cid = stages.appealed_denial(story)
    story.later()
    story.do(review.decide, actor=story.w.reviewer, case_id=cid, outcome=outcome, amount=amount,
             reason="Decided on the appeal.")
    case = story.case(cid)
    assert (case.status, case.final, case.appeal_due_at) == ("closed", True, None)


@pytest.mark.parametrize("appellant", ["customer", "merchant"])
def test_nobody_may_appeal_the_decision_on_an_appealed_denial(story, appellant):
    cid = stages.closed_appeal_decided(story)
    before = story.snapshot(cid)
    actor = story.w.customer if appellant == "customer" else story.w.creator
    err = story.refuse(party.appeal, actor=actor, case_id=cid, message="Again, please.")
    assert type(err) is Conflict
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("first, second", [("customer", "merchant"), ("merchant", "customer"),
                                           ("customer", "customer")])
def test_a_case_has_one_appeal_even_after_the_final_review(story, first, second):
    cid = stages.decided(story)
    actors = {"customer": story.w.customer, "merchant": story.w.creator}
    story.do(party.appeal, actor=actors[first], case_id=cid, message="First appeal.")
    story.do(review.final_decide, actor=story.w.reviewer, case_id=cid, decision="uphold", reason="Right first time.")
    before = story.snapshot(cid)
    err = story.refuse(party.appeal, actor=actors[second], case_id=cid, message="Second appeal.")
    assert type(err) is Conflict
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("appellant, flag", [("customer", "customer_appealed"), ("merchant", "merchant_appealed")])
def test_either_party_may_appeal_a_platform_decision_into_final_review(story, appellant, flag):
    cid = stages.decided(story)
    actor = story.w.customer if appellant == "customer" else story.w.creator
    story.do(party.appeal, actor=actor, case_id=cid, message="Please review.")
    case = story.case(cid)
    assert (case.status, case.escalated, case.final_review, getattr(case, flag)) == ("under_review", True, True, True)


# --------------------------------------------------------------------------- final review (§3.9)
def test_the_reviewer_who_decided_cannot_do_the_final_review(story):
    cid = stages.final_review(story)  # decided by the manager
    before = story.snapshot(cid)
    err = story.refuse(review.final_decide, actor=story.w.manager, case_id=cid, decision="overturn",
                       reason="I changed my mind.")
    assert type(err) is Conflict and "other than" in err.message
    assert story.snapshot(cid) == before


def test_the_decider_is_not_offered_the_final_review(story):
    cid = stages.final_review(story)
    assert "final_decide" not in _available(story, cid, story.w.manager)
    assert "final_decide" in _available(story, cid, story.w.reviewer)


def test_the_decider_cannot_be_assigned_the_final_review(story):
    cid = stages.final_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.assign, actor=story.w.manager, case_id=cid, reviewer_id=story.w.manager.id)
    assert (type(err), err.code) == (Invalid, "same_reviewer")
    assert story.snapshot(cid) == before


def test_an_appeal_of_a_decision_returns_it_to_the_queue(story):
    cid = stages.decided(story)
    assert story.case(cid).assignee_id == story.w.manager.id
    story.do(party.appeal, actor=story.w.creator, case_id=cid, message="Please review.")
    assert story.case(cid).assignee_id is None


# (decision, amount, appellant, verdict, remedy, remedy amount) -> outcome, refund, movements
FINAL_REVIEWS = {
    "refund upheld": (("refund", 2000, "merchant", "uphold", None, None),
                      ("customer_won", "merchant", [("merchant_refund", 2000)])),
    "refund overturned": (("refund", 2000, "merchant", "overturn", None, None),
                          ("merchant_won", "platform", [("merchant_refund", 2000), ("platform_reimbursement", 2000)])),
    "credit upheld": (("credit", 2000, "merchant", "uphold", None, None),
                      ("customer_won", "none", [("customer_credit", 2000)])),
    "credit overturned": (("credit", 2000, "merchant", "overturn", None, None),
                          ("merchant_won", "none", [("customer_credit", 2000)])),
    "merchant win upheld": (("merchant_wins", None, "customer", "uphold", None, None),
                            ("merchant_won", "none", [])),
    "merchant win overturned with a refund": (("merchant_wins", None, "customer", "overturn", "refund", 3000),
                                              ("customer_won", "merchant", [("merchant_refund", 3000)])),
    "merchant win overturned with credit": (("merchant_wins", None, "customer", "overturn", "credit", 3000),
                                            ("customer_won", "none", [("customer_credit", 3000)])),
}


def _to_final_review(story, decision, amount, appellant):
    cid = stages.under_review(story)
    story.do(review.decide, actor=story.w.manager, case_id=cid, outcome=decision, amount=amount,
             reason="First decision.")
    story.later()
    story.do(party.appeal, actor=story.w.customer if appellant == "customer" else story.w.creator,
             case_id=cid, message="Please review.")
    return cid


@pytest.mark.parametrize("name", list(FINAL_REVIEWS))
def test_the_final_review_settles_the_case_for_good(story, name):
    (decision, amount, appellant, verdict, remedy, remedy_amount), (outcome, refund, moves) = FINAL_REVIEWS[name]
    cid = _to_final_review(story, decision, amount, appellant)
    story.later()
    story.do(review.final_decide, actor=story.w.reviewer, case_id=cid, decision=verdict, reason="Final word.",
             remedy=remedy, amount=remedy_amount)
    case = story.case(cid)
    assert (case.status, case.outcome, case.refund) == ("closed", outcome, refund)
    assert (case.final, case.final_decision, case.appeal_due_at) == (True, verdict, None)
    assert [(m.kind, m.amount_minor) for m in story.movements(cid)] == moves


def test_overturning_a_merchant_win_needs_a_remedy(story):
    cid = _to_final_review(story, "merchant_wins", None, "customer")
    before = story.snapshot(cid)
    err = story.refuse(review.final_decide, actor=story.w.reviewer, case_id=cid, decision="overturn",
                       reason="The customer was right.")
    assert (type(err), err.code) == (Invalid, "remedy_required")
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("decision", [None, "", "reverse", "UPHOLD"])
def test_a_final_decision_must_be_uphold_or_overturn(story, decision):
    cid = stages.final_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.final_decide, actor=story.w.reviewer, case_id=cid, decision=decision, reason="x")
    assert (type(err), err.code) == (Invalid, "invalid_decision")
    assert story.snapshot(cid) == before


def test_a_final_decision_needs_a_written_reason(story):
    cid = stages.final_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.final_decide, actor=story.w.reviewer, case_id=cid, decision="uphold", reason="")
    assert (type(err), err.code) == (Invalid, "message_required")
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- decisions (§3.8)
@pytest.mark.parametrize("outcome", [None, "", "refund_all", "customer_wins"])
def test_a_decision_must_be_refund_credit_or_merchant_wins(story, outcome):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.decide, actor=story.w.reviewer, case_id=cid, outcome=outcome, reason="x")
    assert (type(err), err.code) == (Invalid, "invalid_outcome")
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_decision_needs_a_written_reason(story, reason):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.decide, actor=story.w.reviewer, case_id=cid, outcome="merchant_wins", reason=reason)
    assert (type(err), err.code) == (Invalid, "message_required")
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("decision, outcome, refund", [("refund", "customer_won", "merchant"),
                                                       ("credit", "customer_won", "none"),
                                                       ("merchant_wins", "merchant_won", "none")])
def test_a_decision_closes_the_case_with_its_outcome_and_a_week_to_appeal(story, decision, outcome, refund):
    cid = stages.under_review(story)
    story.later()
    story.do(review.decide, actor=story.w.reviewer, case_id=cid, outcome=decision, reason="Because.")
    case = story.case(cid)
    assert (case.status, case.outcome, case.refund, case.final) == ("closed", outcome, refund, False)
    assert (case.decided_by_id, case.appeal_due_at) == (story.w.reviewer.id, story.now + days(7))


def test_a_denial_needs_a_message(story):
    cid = story.open()
    before = story.snapshot(cid)
    err = story.refuse(party.deny, actor=story.w.creator, case_id=cid, message="")
    assert (type(err), err.code) == (Invalid, "message_required")
    assert story.snapshot(cid) == before


def test_a_reply_needs_a_message(story):
    cid = stages.awaiting_customer(story)
    before = story.snapshot(cid)
    err = story.refuse(party.reply, actor=story.w.customer, case_id=cid, message=None)
    assert (type(err), err.code) == (Invalid, "message_required")
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- withdrawing (§3.5)
@pytest.mark.parametrize("state, allowed", [
    ("awaiting_merchant", True), ("awaiting_customer", True),
    ("under_review", False), ("review_awaiting_customer", False), ("review_awaiting_merchant", False),
    ("appealed_denial", False), ("final_awaiting_customer", False), ("closed_denied", False),
])
def test_the_customer_may_withdraw_only_before_the_platform_is_involved(story, state, allowed):
    cid = stages.ALL[state](story)
    if allowed:
        story.do(party.withdraw, actor=story.w.customer, case_id=cid)
        case = story.case(cid)
        assert (case.status, case.outcome, case.refund, case.final) == ("closed", "withdrawn", "none", True)
    else:
        before = story.snapshot(cid)
        assert type(story.refuse(party.withdraw, actor=story.w.customer, case_id=cid)) is Conflict
        assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- refunded elsewhere (§3.10)
OPEN_STATES = ["awaiting_merchant", "awaiting_customer", "under_review", "review_awaiting_merchant",
               "review_awaiting_customer", "appealed_denial", "final_review", "final_awaiting_merchant",
               "final_awaiting_customer"]


@pytest.mark.parametrize("state", OPEN_STATES)
def test_a_refund_reported_while_open_closes_the_case_for_the_customer(story, state):
    cid = stages.ALL[state](story)
    moves = len(story.movements(cid))
    story.later()
    story.report_refunded()
    case = story.case(cid)
    assert (case.status, case.outcome, case.final, case.response_due_at) == ("closed", "customer_won", True, None)
    assert len(story.movements(cid)) == moves  # the money already went back elsewhere
    (event,) = story.events(cid, "refunded_elsewhere")
    assert event.viewable_by_customer and event.viewable_by_merchant


@pytest.mark.parametrize("state", ["closed_denied", "decided"])
def test_a_refund_reported_on_a_closed_case_ends_its_appeal_window(story, state):
    cid = stages.ALL[state](story)
    outcome = story.case(cid).outcome
    story.later()
    story.report_refunded()
    case = story.case(cid)
    assert (case.final, case.appeal_due_at, case.outcome) == (True, None, outcome)
    assert type(story.refuse(party.appeal, actor=story.w.customer, case_id=cid, message="Appeal.")) is Conflict


@pytest.mark.parametrize("state", ["closed_accepted", "closed_withdrawn", "closed_window_passed",
                                   "closed_final_decided", "closed_appeal_decided"])
def test_a_refund_reported_on_a_final_case_changes_nothing(story, state):
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    story.later()
    story.report_refunded()
    assert story.snapshot(cid) == before


def test_a_refund_reported_twice_is_recorded_once(story):
    cid = story.open()
    story.report_refunded()
    story.later()
    story.report_refunded()
    assert len(story.events(cid, "refunded_elsewhere")) == 1


# --------------------------------------------------------------------------- claiming and assigning
def test_the_second_reviewer_to_claim_gets_a_conflict(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    before = story.snapshot(cid)
    err = story.refuse(review.claim, actor=story.w.reviewer2, case_id=cid)
    assert (type(err), err.code) == (Conflict, "assigned_to_another_reviewer")
    assert story.snapshot(cid) == before


def test_claiming_your_own_case_again_changes_nothing(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    before = story.snapshot(cid)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    assert story.snapshot(cid) == before


def test_a_reviewer_cannot_assign_a_case_to_someone_else(story):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.assign, actor=story.w.reviewer, case_id=cid, reviewer_id=story.w.reviewer2.id)
    assert (type(err), err.code) == (Forbidden, "managers_only")
    assert story.snapshot(cid) == before


def test_a_reviewer_assigning_to_themself_claims(story):
    cid = stages.under_review(story)
    story.do(review.assign, actor=story.w.reviewer, case_id=cid, reviewer_id=story.w.reviewer.id)
    assert story.case(cid).assignee_id == story.w.reviewer.id


def test_a_manager_may_reassign_a_claimed_case_and_unassign_it(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    story.do(review.assign, actor=story.w.manager, case_id=cid, reviewer_id=story.w.reviewer2.id)
    assert story.case(cid).assignee_id == story.w.reviewer2.id
    story.do(review.assign, actor=story.w.manager, case_id=cid, reviewer_id=None)
    assert story.case(cid).assignee_id is None


@pytest.mark.parametrize("who", ["creator", "customer", "integration"])
def test_cases_are_assigned_only_to_staff(story, who):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.assign, actor=story.w.manager, case_id=cid, reviewer_id=getattr(story.w, who).id)
    assert (type(err), err.code) == (Invalid, "invalid_reviewer")
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("action", ["decide", "request_info", "final_decide"])
def test_staff_cannot_act_on_a_case_assigned_to_another_reviewer(story, action):
    if action == "final_decide":
        cid = stages.final_review(story)
        story.do(review.claim, actor=story.w.reviewer, case_id=cid)
        call = dict(fn=review.final_decide, decision="uphold", reason="x")
    else:
        cid = stages.under_review(story)
        story.do(review.claim, actor=story.w.reviewer, case_id=cid)
        call = (dict(fn=review.decide, outcome="merchant_wins", reason="x") if action == "decide"
                else dict(fn=review.request_info_from, party="customer", message="More?"))
    fn = call.pop("fn")
    before = story.snapshot(cid)
    err = story.refuse(fn, actor=story.w.reviewer2, case_id=cid, **call)
    assert (type(err), err.code) == (Conflict, "assigned_to_another_reviewer")
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- outsiders (§1)
PARTY_CALLS = {
    "accept": (party.accept, {}),
    "deny": (party.deny, dict(message="No.")),
    "request_info": (party.merchant_request_info, dict(message="Which email?")),
    "reply": (party.reply, dict(message="Here.")),
    "withdraw": (party.withdraw, {}),
    "appeal": (party.appeal, dict(message="Again.")),
    "add_evidence": (party.add_evidence, dict(file_ids=[])),
    "claim": (review.claim, {}),
    "note": (review.note, dict(message="x")),
    "decide": (review.decide, dict(outcome="merchant_wins", reason="x")),
}


@pytest.mark.parametrize("outsider", ["other_creator", "other_customer", "integration"])
@pytest.mark.parametrize("action", list(PARTY_CALLS))
def test_someone_with_no_standing_on_a_case_is_told_it_does_not_exist(story, outsider, action):
    cid = story.open()
    before = story.snapshot(cid)
    fn, kwargs = PARTY_CALLS[action]
    err = story.refuse(fn, actor=getattr(story.w, outsider), case_id=cid, **kwargs)
    assert type(err) is NotFound
    assert story.snapshot(cid) == before
