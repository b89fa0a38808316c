"""The transition table's guards (issue 12): assignment, same reviewer and manager-only
are rows' guards; a refusal says why in a sentence (with the deadline as data), the
server answers with it, and `unavailable_reasons` shows it to the person."""
from __future__ import annotations

import pytest

from data.models import Case
from dashboard.cases import party, review
from dashboard.cases.available import available_actions, unavailable_reasons
from dashboard.enums import Action, Party
from dashboard.errors import Conflict, Forbidden
from dashboard.lifecycle import Refusal, check
from tests.domain import stages
from tests.factories import days

VIEWERS = ("customer", "creator", "reviewer", "reviewer2", "manager")


def _look(story, cid, who, fn):
    with story.Session() as s:
        return fn(story.ctx(s), s.get(Case, cid), getattr(story.w, who))


def _reasons(story, cid, who) -> dict[Action, Refusal]:
    return _look(story, cid, who, unavailable_reasons)


def _offered(story, cid, who) -> list[str]:
    return _look(story, cid, who, available_actions)


# ----------------------------------------------------------------------------- assignment
def test_a_case_claimed_by_another_reviewer_says_who_has_it(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    reasons = _reasons(story, cid, "reviewer2")
    assert set(reasons) == {Action.CLAIM, Action.REQUEST_INFO, Action.DECIDE}
    for why in reasons.values():
        assert why.code == "assigned_to_another_reviewer" and why.status == 409
        assert story.w.reviewer.name in why.message and "Ask a manager" in why.message
        assert why.detail == {"status": "under_review", "assignee_id": story.w.reviewer.id}
    assert {"claim", "request_info", "decide"}.isdisjoint(_offered(story, cid, "reviewer2"))
    assert _reasons(story, cid, "reviewer") == {}  # the assignee may do all of it


def test_the_server_refuses_with_the_guards_error(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    err = story.refuse(review.decide, actor=story.w.reviewer2, case_id=cid, outcome="merchant_wins", reason="x")
    assert (type(err), err.code, err.detail["assignee_id"]) == (Conflict, "assigned_to_another_reviewer",
                                                                 story.w.reviewer.id)


def test_claiming_your_own_case_is_accepted_but_not_offered_or_explained(story):
    cid = stages.under_review(story)
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)
    assert "claim" not in _offered(story, cid, "reviewer")
    assert Action.CLAIM not in _reasons(story, cid, "reviewer")
    with story.Session() as s:
        case = s.get(Case, cid)
        assert check(story.ctx(s), case, Action.CLAIM, Party.PLATFORM, story.w.reviewer).action == Action.CLAIM


# ------------------------------------------------------------------------- same reviewer
def test_the_first_decider_is_told_another_reviewer_makes_the_final_decision(story):
    cid = stages.final_review(story)  # decided by the manager
    reasons = _reasons(story, cid, "manager")
    assert "other than the one who decided" in reasons[Action.FINAL_DECIDE].message
    assert (reasons[Action.CLAIM].code, reasons[Action.CLAIM].status) == ("same_reviewer", 409)
    assert _reasons(story, cid, "reviewer") == {}
    err = story.refuse(review.claim, actor=story.w.manager, case_id=cid)
    assert (type(err), err.code) == (Conflict, "same_reviewer")


# -------------------------------------------------------------------------- manager only
def test_assigning_is_for_managers_before_anything_else(story):
    cid = stages.under_review(story)
    assert "assign" in _offered(story, cid, "manager")
    assert "assign" not in _offered(story, cid, "reviewer")
    assert Action.ASSIGN not in _reasons(story, cid, "reviewer")  # never theirs: nothing to explain
    story.new_payment()
    closed = stages.closed_accepted(story)
    for case_id in (cid, closed):  # 403 whatever the case's state, as before the table had it
        err = story.refuse(review.assign, actor=story.w.reviewer, case_id=case_id, reviewer_id=story.w.reviewer2.id)
        assert (type(err), err.code, err.http_status) == (Forbidden, "managers_only", 403)


# ------------------------------------------------------------------------ deadlines as data
def test_a_closed_appeal_window_carries_its_moment(story):
    cid = stages.closed_denied(story)
    due = story.case(cid).appeal_due_at
    story.later(days(8))
    why = _reasons(story, cid, "customer")[Action.APPEAL]
    assert (why.code, why.at) == ("invalid_state", due)
    # The API's sentence names UTC; a screen words the same moment in its viewer's zone.
    assert why.message == f"The appeal window closed on {due:%d %b %Y, %H:%M} UTC."
    assert why.said(lambda at: "Tue 3 Mar, 09:00 CET") == "The appeal window closed on Tue 3 Mar, 09:00 CET."


def test_a_missed_answer_deadline_carries_its_moment(story):
    cid = stages.awaiting_merchant(story)
    due = story.case(cid).response_due_at
    story.later(days(8))
    reasons = _reasons(story, cid, "creator")
    assert set(reasons) == {Action.ACCEPT, Action.DENY, Action.REQUEST_INFO}
    assert {why.at for why in reasons.values()} == {due}
    assert "too late" in reasons[Action.ACCEPT].message


def test_a_used_appeal_is_explained_to_the_other_side(story):
    cid = stages.closed_appeal_decided(story)
    assert _reasons(story, cid, "creator")[Action.APPEAL].message == \
        "The case's only appeal has been used; the decision on it is final."


def test_the_merchants_fourth_request_is_explained(story):
    cid = story.open()
    for n in range(3):
        story.do(party.merchant_request_info, actor=story.w.creator, case_id=cid, message=f"Question {n}?")
        story.do(party.reply, actor=story.w.customer, case_id=cid, message="Answer.")
    assert "3 times" in _reasons(story, cid, "creator")[Action.REQUEST_INFO].message


# --------------------------------------------------------------------- one table, two views
@pytest.mark.parametrize("state", list(stages.ALL))
def test_offered_and_explained_never_overlap_and_every_reason_is_plain(story, state):
    cid = stages.ALL[state](story)
    for who in VIEWERS:
        offered = set(_offered(story, cid, who))
        reasons = _reasons(story, cid, who)
        assert offered.isdisjoint(a.value for a in reasons), (state, who)
        for why in reasons.values():
            assert why.blocks and why.message.endswith(".") and "_" not in why.message, (state, who, why)


def test_refusal_errors_keep_their_status():
    assert isinstance(Refusal("x", "No.", status=403).error(), Forbidden)
    err = Refusal("x", "No.", detail={"status": "closed"}).error()
    assert (type(err), err.code, err.message, err.detail) == (Conflict, "x", "No.", {"status": "closed"})
