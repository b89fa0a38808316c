"""Bulk staff actions (dashboard/cases/bulk.py): each case in its own transaction through
the single-case action, one outcome per case, a refused case reported by id and reason
while the others go through; a refusal about the request itself stops the batch.

On SQLite and PostgreSQL; the race between two bulk claims is PostgreSQL only (row locks)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy.orm.exc import StaleDataError

from data.models import User
from dashboard.cases import bulk, review
from dashboard.cases.bulk import MAX_CASES, Result
from dashboard.errors import Invalid, Unauthorized
from tests.domain import stages


def begin_as(story, user):
    """What `callbacks._session.acting_user` gives the screens: one transaction per call,
    the actor re-read each time (a deactivated one is refused)."""

    @contextmanager
    def begin():
        with story.Session.begin() as s:
            actor = s.get(User, user.id)
            if actor is None or not actor.is_active:
                raise Unauthorized("unauthenticated", "Your session has ended. Sign in again.")
            yield story.ctx(s), actor

    return begin


def new_case(story, stage) -> str:
    story.new_payment()
    return stage(story)


def outcome_map(outcomes):
    return {o.case_id: o for o in outcomes}


# ------------------------------------------------------------------------------ claim
def test_claim_three_where_one_is_already_someone_elses(story, w):
    a, b, c = (new_case(story, stages.under_review) for _ in range(3))
    claimed_at = story.later()
    story.do(review.claim, actor=w.reviewer2, case_id=b)
    story.later()
    events_before = len(story.events(b))

    outcomes = bulk.claim_each(begin_as(story, w.reviewer), [a, b, c])

    assert [o.case_id for o in outcomes] == [a, b, c]  # in the order asked
    assert [o.result for o in outcomes] == [Result.DONE, Result.REFUSED, Result.DONE]
    refused = outcomes[1]
    assert refused.code == "assigned_to_another_reviewer"
    assert refused.holder == w.reviewer2.name and refused.holder_since == claimed_at
    assert w.reviewer2.name in refused.reason
    assert story.case(a).assignee_id == story.case(c).assignee_id == w.reviewer.id
    assert story.case(b).assignee_id == w.reviewer2.id and len(story.events(b)) == events_before
    assert len(story.events(a, "assigned")) == len(story.events(c, "assigned")) == 1


def test_claim_reports_closed_missing_and_already_yours_and_claims_the_rest(story, w):
    mine = new_case(story, stages.under_review)
    story.do(review.claim, actor=w.reviewer, case_id=mine)
    closed = new_case(story, stages.closed_accepted)
    fresh = new_case(story, stages.awaiting_merchant)  # open cases can be claimed too (monitoring)

    outcomes = outcome_map(bulk.claim_each(begin_as(story, w.reviewer),
                                           [mine, closed, "reso_doesnotexist1234", fresh, fresh]))

    assert len(outcomes) == 4  # the repeated id once
    assert outcomes[mine].result == Result.UNCHANGED and len(story.events(mine, "assigned")) == 1
    assert outcomes[closed].result == Result.REFUSED and outcomes[closed].code == "invalid_state"
    assert "closed" in outcomes[closed].reason and outcomes[closed].holder is None
    assert outcomes["reso_doesnotexist1234"].code == "not_found"
    assert outcomes[fresh].done and story.case(fresh).assignee_id == w.reviewer.id
    assert story.case(closed).assignee_id is None


def test_the_first_decider_cannot_claim_the_final_review_but_claims_the_others(story, w):
    final = new_case(story, stages.final_review)   # decided by the manager
    other = new_case(story, stages.under_review)
    outcomes = bulk.claim_each(begin_as(story, w.manager), [final, other])
    assert outcomes[0].result == Result.REFUSED and outcomes[0].code == "same_reviewer"
    assert outcomes[1].done
    assert story.case(final).assignee_id is None and story.case(other).assignee_id == w.manager.id


def test_a_lost_race_on_one_case_is_reported_and_the_others_go_through(story, w, monkeypatch):
    a, b = (new_case(story, stages.under_review) for _ in range(2))
    real = review.claim

    def claim(ctx, *, actor, case_id):
        result = real(ctx, actor=actor, case_id=case_id)
        if case_id == a:
            raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s); 0 were matched.")
        return result

    monkeypatch.setattr(review, "claim", claim)
    outcomes = bulk.claim_each(begin_as(story, w.reviewer), [a, b])
    assert outcomes[0].result == Result.REFUSED and outcomes[0].code == "changed_meanwhile"
    assert "Try it again" in outcomes[0].reason
    assert story.case(a).assignee_id is None  # its transaction rolled back alone
    assert outcomes[1].done and story.case(b).assignee_id == w.reviewer.id


def test_a_person_deactivated_half_way_stops_the_batch(story, w):
    a, b, c = (new_case(story, stages.under_review) for _ in range(3))
    inner = begin_as(story, w.reviewer)
    calls = []

    @contextmanager
    def begin():
        calls.append(1)
        if len(calls) == 2:  # a manager deactivates the reviewer after the first case
            with story.Session.begin() as s:
                s.get(User, w.reviewer.id).is_active = False
        with inner() as pair:
            yield pair

    outcomes = bulk.claim_each(begin, [a, b, c])
    assert [o.result for o in outcomes] == [Result.DONE, Result.REFUSED, Result.NOT_TRIED]
    assert outcomes[1].code == outcomes[2].code == "unauthenticated"
    assert story.case(a).assignee_id == w.reviewer.id
    assert story.case(b).assignee_id is None and story.case(c).assignee_id is None


# ------------------------------------------------------------------------------ assign
def test_managers_assign_each_case_by_its_own_rules(story, w):
    final = new_case(story, stages.final_review)  # decided by the manager
    first = new_case(story, stages.under_review)
    already = new_case(story, stages.under_review)
    story.do(review.assign, actor=w.manager, case_id=already, reviewer_id=w.manager.id)
    events_before = len(story.events(already))

    outcomes = outcome_map(bulk.assign_each(begin_as(story, w.manager), [final, first, already],
                                            reviewer_id=w.manager.id))

    assert outcomes[final].result == Result.REFUSED and outcomes[final].code == "same_reviewer"
    assert "cannot do its final review" in outcomes[final].reason
    assert outcomes[first].done and story.case(first).assignee_id == w.manager.id
    # Already in those hands: nothing written, no second "assigned" event.
    assert outcomes[already].result == Result.UNCHANGED and len(story.events(already)) == events_before
    assert story.case(final).assignee_id is None

    back = bulk.assign_each(begin_as(story, w.manager), [first, final], reviewer_id=None)
    assert [o.result for o in back] == [Result.DONE, Result.UNCHANGED]
    assert story.case(first).assignee_id is None


def test_a_reviewer_cannot_bulk_assign_and_nothing_is_tried_after_the_first_refusal(story, w):
    a, b = (new_case(story, stages.under_review) for _ in range(2))
    story.do(review.assign, actor=w.manager, case_id=b, reviewer_id=w.reviewer2.id)
    outcomes = bulk.assign_each(begin_as(story, w.reviewer), [a, b], reviewer_id=w.reviewer2.id)
    # b is already reviewer2's, but a reviewer is not told "unchanged": refused, then not tried.
    assert [o.result for o in outcomes] == [Result.REFUSED, Result.NOT_TRIED]
    assert outcomes[0].code == "managers_only"
    assert story.case(a).assignee_id is None


def test_an_invalid_reviewer_stops_at_the_first_case(story, w):
    a, b = (new_case(story, stages.under_review) for _ in range(2))
    outcomes = bulk.assign_each(begin_as(story, w.manager), [a, b], reviewer_id=w.customer.id)
    assert [o.result for o in outcomes] == [Result.REFUSED, Result.NOT_TRIED]
    assert outcomes[0].code == "invalid_reviewer" and "Choose an active reviewer" in outcomes[1].reason
    assert story.case(a).assignee_id is None and story.case(b).assignee_id is None


# ------------------------------------------------------------------------------ note
def test_one_note_on_each_case_staff_only(story, w):
    a = new_case(story, stages.under_review)
    closed = new_case(story, stages.closed_accepted)  # staff may note any case, closed ones too
    outcomes = bulk.note_each(begin_as(story, w.reviewer), [a, closed], message="  Same merchant as #12.  ")
    assert all(o.done for o in outcomes)
    for cid in (a, closed):
        (note,) = story.events(cid, "note")
        assert note.details == "Same merchant as #12." and note.actor_id == w.reviewer.id
        assert not note.viewable_by_customer and not note.viewable_by_merchant


@pytest.mark.parametrize("message, code", [("", "message_required"), ("x" * 100_000, "message_too_long"),
                                           (["not", "text"], "invalid_message")])
def test_a_bad_note_is_refused_once_and_no_case_gets_one(story, w, message, code):
    a, b = (new_case(story, stages.under_review) for _ in range(2))
    outcomes = bulk.note_each(begin_as(story, w.reviewer), [a, b], message=message)
    assert [o.result for o in outcomes] == [Result.REFUSED, Result.NOT_TRIED]
    assert outcomes[0].code == code
    assert story.events(a, "note") == [] and story.events(b, "note") == []


# ------------------------------------------------------------------------------ the selection
def test_the_selection_is_each_id_once_in_order_and_capped():
    assert bulk.selection(["reso_b", "reso_a", "reso_b"]) == ["reso_b", "reso_a"]
    assert len(bulk.selection([f"reso_{i}" for i in range(MAX_CASES)] * 2)) == MAX_CASES
    for junk, code in ((None, "nothing_selected"), ([], "nothing_selected"), (["reso_a", 7], "invalid_selection"),
                       ([""], "invalid_selection"), ([f"reso_{i}" for i in range(MAX_CASES + 1)], "too_many_cases")):
        with pytest.raises(Invalid) as err:
            bulk.selection(junk)
        assert err.value.code == code
    with pytest.raises(Invalid, match="at most 100 can be changed at once. Unselect 1"):
        bulk.selection([f"reso_{i}" for i in range(MAX_CASES + 1)])


def test_too_many_changes_nothing(story, w):
    a = new_case(story, stages.under_review)
    with pytest.raises(Invalid):
        bulk.claim_each(begin_as(story, w.reviewer), [a] + [f"reso_x{i}" for i in range(MAX_CASES)])
    assert story.case(a).assignee_id is None


# ------------------------------------------------------------------------------ races
@pytest.mark.postgres
def test_two_reviewers_bulk_claiming_overlapping_cases_each_case_has_one_holder(story, w):
    cases = [new_case(story, stages.under_review) for _ in range(6)]
    mine, theirs = cases[:4], cases[2:]          # cases[2:4] are in both selections
    barrier, results = threading.Barrier(2), {}

    def run(user, ids):
        barrier.wait(timeout=10)
        results[user.id] = bulk.claim_each(begin_as(story, user), ids)

    threads = [threading.Thread(target=run, args=(w.reviewer, mine)),
               threading.Thread(target=run, args=(w.reviewer2, list(reversed(theirs))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    for cid in cases:
        holder = story.case(cid).assignee_id
        winners = [uid for uid, outs in results.items() for o in outs if o.case_id == cid and o.done]
        assert winners == [holder], (cid, winners, holder)  # exactly the one the database says
        for uid, outs in results.items():
            for o in outs:
                if o.case_id == cid and not o.done:
                    assert o.code == "assigned_to_another_reviewer" and o.holder is not None
        assert len(story.events(cid, "assigned")) == 1
