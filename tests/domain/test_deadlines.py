"""SPEC §3.6, §3.7, §3.11 and §8: deadlines, driven only by `now` and the database.

A job acting exactly at the due time acts; one second before, it does nothing; run
twice, it acts once; run late (the scheduler was down), it still acts.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.cases import party, review, system
from dashboard.enums import Action
from dashboard.errors import Conflict
from tests.factories import days
from tests.domain import stages

SECOND = dt.timedelta(seconds=1)


def _due(story, cid, column="response_due_at"):
    return getattr(story.case(cid), column)


def _due_ids(story, action, at):
    with story.Session() as s:
        return system.due_case_ids(story.ctx(s, at), action)


def merchant_silent(story):
    return story.open()


def customer_silent(story):
    return stages.awaiting_customer(story)


SILENCES = {"merchant": merchant_silent, "customer": customer_silent}


# --------------------------------------------------------------------------- escalation (§3.6)
@pytest.mark.parametrize("silent", list(SILENCES))
def test_nothing_is_escalated_one_second_before_the_deadline(story, silent):
    cid = SILENCES[silent](story)
    before = story.snapshot(cid)
    assert story.do(system.escalate_overdue, cid, at=_due(story, cid) - SECOND) is None
    assert story.snapshot(cid) == before
    assert cid not in _due_ids(story, Action.ESCALATE_OVERDUE, _due(story, cid) - SECOND)


@pytest.mark.parametrize("silent", list(SILENCES))
def test_a_silent_party_escalates_the_case_exactly_at_the_deadline(story, silent):
    cid = SILENCES[silent](story)
    due = _due(story, cid)
    assert cid in _due_ids(story, Action.ESCALATE_OVERDUE, due)
    story.do(system.escalate_overdue, cid, at=due)
    case = story.case(cid)
    assert (case.status, case.escalated, case.response_due_at, case.escalated_at) == \
           ("under_review", True, None, due)


@pytest.mark.parametrize("silent", list(SILENCES))
def test_the_escalation_event_says_who_did_not_respond(story, silent):
    cid = SILENCES[silent](story)
    due = _due(story, cid)
    story.do(system.escalate_overdue, cid, at=due)
    (event,) = story.events(cid, "escalated")
    assert (event.reporter_type, event.data["did_not_respond"]) == ("system", silent)
    assert f"The {silent} did not respond" in event.details
    assert event.viewable_by_customer and event.viewable_by_merchant


def test_an_escalation_the_scheduler_missed_still_happens_later(story):
    cid = story.open()
    due = _due(story, cid)
    story.do(system.escalate_overdue, cid, at=due + days(3))
    assert story.case(cid).status == "under_review"
    (event,) = story.events(cid, "escalated")
    assert f"{due:%Y-%m-%d %H:%M}" in event.details  # the deadline, not the day the job ran


def test_escalating_twice_escalates_once(story):
    cid = story.open()
    due = _due(story, cid)
    assert story.do(system.escalate_overdue, cid, at=due) is not None
    assert story.do(system.escalate_overdue, cid, at=due + SECOND) is None
    assert len(story.events(cid, "escalated")) == 1


@pytest.mark.parametrize("state", ["review_awaiting_merchant", "review_awaiting_customer", "final_awaiting_customer"])
def test_a_case_the_platform_already_holds_is_not_escalated_again(story, state):
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    assert story.do(system.escalate_overdue, cid, at=_due(story, cid) + SECOND) is None
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- late answers
# A deadline passes at its moment, not when a job notices: an answer after it is late.
LATE_ANSWERS = {
    "merchant accepts": ("awaiting_merchant", "merchant", party.accept, {}),
    "merchant denies": ("awaiting_merchant", "merchant", party.deny, dict(message="Delivered.")),
    "merchant asks": ("awaiting_merchant", "merchant", party.merchant_request_info, dict(message="Email?")),
    "customer withdraws": ("awaiting_merchant", "customer", party.withdraw, {}),
    "customer replies to the merchant": ("awaiting_customer", "customer", party.reply, dict(message="Here.")),
    "customer replies to the platform": ("review_awaiting_customer", "customer", party.reply, dict(message="Here.")),
    "merchant replies to the platform": ("review_awaiting_merchant", "merchant", party.reply, dict(message="Here.")),
    "merchant accepts when the platform asked": ("review_awaiting_merchant", "merchant", party.accept, {}),
    "customer replies in final review": ("final_awaiting_customer", "customer", party.reply, dict(message="Here.")),
    "merchant replies in final review": ("final_awaiting_merchant", "merchant", party.reply, dict(message="Here.")),
}


def _actor(story, who):
    return story.w.customer if who == "customer" else story.w.creator


@pytest.mark.parametrize("name", list(LATE_ANSWERS))
def test_an_answer_one_second_before_the_deadline_counts(story, name):
    state, who, fn, kwargs = LATE_ANSWERS[name]
    cid = stages.ALL[state](story)
    status = story.case(cid).status
    story.do(fn, actor=_actor(story, who), case_id=cid, at=_due(story, cid) - SECOND, **kwargs)
    assert story.case(cid).status != status


@pytest.mark.parametrize("name", list(LATE_ANSWERS))
def test_an_answer_at_the_deadline_is_too_late_even_before_the_job_runs(story, name):
    state, who, fn, kwargs = LATE_ANSWERS[name]
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    err = story.refuse(fn, actor=_actor(story, who), case_id=cid, at=_due(story, cid), **kwargs)
    assert type(err) is Conflict
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- platform requests (§3.7)
EXPIRIES = {
    # state -> (status, outcome when closed, final) once the asked party stays silent
    "review_awaiting_customer": ("closed", "merchant_won", True),
    "final_awaiting_customer": ("closed", "merchant_won", True),
    "review_awaiting_merchant": ("under_review", None, False),
    "final_awaiting_merchant": ("under_review", None, False),
}


@pytest.mark.parametrize("state", list(EXPIRIES))
def test_a_platform_request_does_not_expire_one_second_early(story, state):
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    assert story.do(system.expire_review_request, cid, at=_due(story, cid) - SECOND) is None
    assert story.snapshot(cid) == before
    assert cid not in _due_ids(story, Action.EXPIRE_REVIEW_REQUEST, _due(story, cid) - SECOND)


@pytest.mark.parametrize("state", list(EXPIRIES))
def test_a_platform_request_expires_exactly_at_the_deadline(story, state):
    cid = stages.ALL[state](story)
    due = _due(story, cid)
    assert cid in _due_ids(story, Action.EXPIRE_REVIEW_REQUEST, due)
    story.do(system.expire_review_request, cid, at=due)
    status, outcome, final = EXPIRIES[state]
    case = story.case(cid)
    assert (case.status, case.final, case.escalated, case.response_due_at) == (status, final, True, None)
    if status == "closed":
        assert case.outcome == outcome


@pytest.mark.parametrize("state, silent", [("review_awaiting_customer", "customer"),
                                           ("review_awaiting_merchant", "merchant"),
                                           ("final_awaiting_customer", "customer"),
                                           ("final_awaiting_merchant", "merchant")])
def test_the_expiry_event_says_who_did_not_respond(story, state, silent):
    cid = stages.ALL[state](story)
    story.do(system.expire_review_request, cid, at=_due(story, cid))
    (event,) = story.events(cid, "no_response")
    assert (event.reporter_type, event.data["did_not_respond"]) == ("system", silent)
    assert event.viewable_by_customer and event.viewable_by_merchant


def test_a_merchant_who_missed_the_platforms_request_leaves_the_decision_to_the_platform(story):
    cid = stages.review_awaiting_merchant(story)
    story.do(system.expire_review_request, cid, at=_due(story, cid))
    story.later(days(8))
    story.do(review.decide, actor=story.w.reviewer, case_id=cid, outcome="refund", reason="No answer from them.")
    assert story.case(cid).outcome == "customer_won"


def test_a_customer_silent_in_final_review_loses_for_good(story):
    cid = stages.final_awaiting_customer(story)
    story.do(system.expire_review_request, cid, at=_due(story, cid))
    assert type(story.refuse(party.appeal, actor=story.w.customer, case_id=cid, message="Wait!")) is Conflict


def test_an_expiry_run_twice_acts_once(story):
    cid = stages.review_awaiting_customer(story)
    due = _due(story, cid)
    assert story.do(system.expire_review_request, cid, at=due) is not None
    assert story.do(system.expire_review_request, cid, at=due + days(1)) is None
    assert len(story.events(cid, "no_response")) == 1


# --------------------------------------------------------------------------- appeal windows (§3.11)
@pytest.mark.parametrize("state", ["closed_denied", "decided"])
def test_an_appeal_window_is_still_open_one_second_before_it_closes(story, state):
    cid = stages.ALL[state](story)
    due = _due(story, cid, "appeal_due_at")
    before = story.snapshot(cid)
    assert story.do(system.close_appeal_window, cid, at=due - SECOND) is None
    assert story.snapshot(cid) == before
    assert cid not in _due_ids(story, Action.CLOSE_APPEAL_WINDOW, due - SECOND)


@pytest.mark.parametrize("state", ["closed_denied", "decided"])
def test_an_unused_appeal_window_makes_the_case_final_when_it_closes(story, state):
    cid = stages.ALL[state](story)
    due = _due(story, cid, "appeal_due_at")
    assert cid in _due_ids(story, Action.CLOSE_APPEAL_WINDOW, due)
    outcome = story.case(cid).outcome
    story.do(system.close_appeal_window, cid, at=due)
    case = story.case(cid)
    assert (case.status, case.final, case.outcome) == ("closed", True, outcome)
    (event,) = story.events(cid, "appeal_window_closed")
    assert event.viewable_by_customer and event.viewable_by_merchant


def test_closing_an_appeal_window_twice_closes_it_once(story):
    cid = stages.closed_denied(story)
    due = _due(story, cid, "appeal_due_at")
    story.do(system.close_appeal_window, cid, at=due)
    assert story.do(system.close_appeal_window, cid, at=due + days(1)) is None
    assert len(story.events(cid, "appeal_window_closed")) == 1


@pytest.mark.parametrize("state", ["appealed_denial", "final_review", "closed_accepted", "closed_withdrawn"])
def test_there_is_no_window_to_close_once_appealed_or_final(story, state):
    cid = stages.ALL[state](story)
    before = story.snapshot(cid)
    assert story.do(system.close_appeal_window, cid, at=story.now + days(30)) is None
    assert story.snapshot(cid) == before
    assert cid not in _due_ids(story, Action.CLOSE_APPEAL_WINDOW, story.now + days(30))
