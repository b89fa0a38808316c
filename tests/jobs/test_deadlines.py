"""jobs.deadlines: unanswered review requests and unused appeal windows (SPEC §3.7, §3.11)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data.models import MoneyMovement
from dashboard.cases import party, review
from dashboard.errors import Conflict
from jobs.deadlines import close_expired
from jobs.escalation import escalate_overdue
from jobs.money import retry_money
from tests.factories import T0, days

SECOND = dt.timedelta(seconds=1)
NOTHING = {"review_requests_due": 0, "review_requests_expired": 0, "appeal_windows_due": 0,
           "appeal_windows_closed": 0, "errors": 0}


def run(runtime, now):
    with runtime.Session() as s:
        return close_expired(s, now, settings=runtime.settings)


def escalated_and_claimed(runtime, act, w) -> str:
    case_id = act.open(T0)
    with runtime.Session() as s:
        escalate_overdue(s, T0 + days(7), settings=runtime.settings)
    act(T0 + days(7), review.claim, actor=w.reviewer, case_id=case_id)
    return case_id


@pytest.mark.parametrize("asked, stage, status, outcome", [
    ("customer", "closed", "closed", "merchant_won"),        # the customer loses
    ("merchant", "under_review", "under_review", None),      # the review goes on without it
])
def test_unanswered_review_request(runtime, act, w, asked, stage, status, outcome):
    case_id = escalated_and_claimed(runtime, act, w)
    asked_at = T0 + days(8)
    act(asked_at, review.request_info_from, actor=w.reviewer, case_id=case_id, party=asked, message="Proof, please.")
    due = asked_at + days(7)

    assert run(runtime, due - SECOND) == NOTHING
    assert run(runtime, due) == {**NOTHING, "review_requests_due": 1, "review_requests_expired": 1}
    case = act.case(case_id)
    assert (case.stage, case.status, case.outcome, case.escalated) == (stage, status, outcome, True)
    [event] = act.events(case_id, "no_response")
    assert event.created_at == due and event.data["did_not_respond"] == asked
    assert run(runtime, due + SECOND) == NOTHING


def test_appeal_window_of_a_denial_closes_for_good(runtime, act, w):
    case_id = act.open(T0)
    denied_at = T0 + days(1)
    act(denied_at, party.deny, actor=w.creator, case_id=case_id, message="Delivered, see the logs.")
    closes = denied_at + days(7)

    assert run(runtime, closes - SECOND) == NOTHING
    assert run(runtime, closes) == {**NOTHING, "appeal_windows_due": 1, "appeal_windows_closed": 1}
    case = act.case(case_id)
    assert case.final and case.outcome == "merchant_won"
    assert len(act.events(case_id, "appeal_window_closed")) == 1
    assert run(runtime, closes + days(1)) == NOTHING

    with pytest.raises(Conflict):  # nothing can change it now
        act(closes + SECOND, party.appeal, actor=w.customer, case_id=case_id, message="Too late?")


def test_an_appeal_in_time_leaves_nothing_to_close(runtime, act, w):
    case_id = act.open(T0)
    act(T0 + days(1), party.deny, actor=w.creator, case_id=case_id, message="Delivered.")
    act(T0 + days(2), party.appeal, actor=w.customer, case_id=case_id, message="It was not.")
    assert run(runtime, T0 + days(30)) == NOTHING
    assert act.case(case_id).status == "under_review"


def test_silent_customer_in_final_review_makes_the_platform_reimburse(runtime, act, w):
    """A refund decision appealed by the merchant; in the final review the customer does
    not answer: the merchant wins, the customer keeps the refund and the platform pays
    the merchant back — a money movement the money job then settles."""
    case_id = escalated_and_claimed(runtime, act, w)
    act(T0 + days(8), review.decide, actor=w.reviewer, case_id=case_id, outcome="refund", reason="Not delivered.")
    act(T0 + days(9), party.appeal, actor=w.creator, case_id=case_id, message="It was delivered.")
    act(T0 + days(9), review.request_info_from, actor=w.reviewer2, case_id=case_id, party="customer",
        message="Send the bank statement.")

    assert run(runtime, T0 + days(16))["review_requests_expired"] == 1
    case = act.case(case_id)
    assert (case.outcome, case.refund, case.final) == ("merchant_won", "platform", True)
    with runtime.Session() as s:
        counts = retry_money(s, T0 + days(16), settings=runtime.settings, gateways=runtime.gateways)
        assert counts == {"claimed": 2, "succeeded": 2, "failed": 0}  # the refund, then the reimbursement
        kinds = {m.kind: m.status for m in s.scalars(select(MoneyMovement).where(MoneyMovement.case_id == case_id))}
    assert kinds == {"merchant_refund": "succeeded", "platform_reimbursement": "succeeded"}


def test_a_decision_appeal_window_closes(runtime, act, w):
    case_id = escalated_and_claimed(runtime, act, w)
    decided = T0 + days(8)
    act(decided, review.decide, actor=w.reviewer, case_id=case_id, outcome="merchant_wins", reason="Logs show use.")
    assert run(runtime, decided + days(7) - SECOND) == NOTHING
    assert run(runtime, decided + days(7))["appeal_windows_closed"] == 1
    assert act.case(case_id).final
