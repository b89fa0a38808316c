"""SPEC §2.5, §3 (last paragraph) and §8: two people — or two workers — acting on one
case at the same moment. Exactly one wins; the other gets 409 with the new state.

PostgreSQL only: SQLite silently ignores FOR UPDATE, so only PostgreSQL proves it.
Each contender runs in its own thread with its own session; a barrier releases them
together.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest

from dashboard.cases import opening, party, review, system
from dashboard.errors import Conflict, DomainError
from tests.domain import stages

pytestmark = pytest.mark.postgres
SECOND = dt.timedelta(seconds=1)


def race(story, *calls):
    """Run each `call(ctx)` in its own thread and transaction, all released at once.
    Returns one result per call: its return value or the DomainError it raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def contender(i, call):
        try:
            barrier.wait(timeout=10)
            with story.Session.begin() as s:
                results[i] = call(story.ctx(s))
        except DomainError as exc:
            results[i] = exc
        except Exception as exc:  # noqa: BLE001 - anything else is a failure to report
            results[i] = AssertionError(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=contender, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a contender is stuck"
    assert not [r for r in results if isinstance(r, AssertionError)], results
    return results


def _one_winner(results):
    """The case as the one winning action left it (its result's `.case`), and the losers."""
    winners = [r.case for r in results if not isinstance(r, DomainError)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1, results
    assert all(type(r) is Conflict for r in losers), [(type(r).__name__, r.code) for r in losers]
    return winners[0], losers


@pytest.mark.parametrize("second", ["reviewer2", "reviewer"])
def test_two_decisions_at_the_same_moment_one_wins(story, second):
    cid = stages.under_review(story)
    w = story.w
    results = race(
        story,
        lambda ctx: review.decide(ctx, actor=w.reviewer, case_id=cid, outcome="refund", reason="Refund."),
        lambda ctx: review.decide(ctx, actor=getattr(w, second), case_id=cid, outcome="merchant_wins",
                                  reason="Merchant."),
    )
    winner, (loser,) = _one_winner(results)
    assert loser.detail["status"] == "closed"  # the loser is told the new state
    assert len(story.events(cid, "decided")) == 1
    assert story.case(cid).outcome == winner.outcome
    assert len(story.movements(cid)) == (1 if winner.outcome == "customer_won" else 0)


def test_two_openings_on_one_payment_make_one_case(story):
    w = story.w
    results = race(story, *[
        lambda ctx: opening.open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent",
                                      message="Not me.")
        for _ in range(2)
    ])
    winner, (loser,) = _one_winner(results)
    assert (loser.code, loser.http_status) == ("case_already_exists", 409)
    assert story.count(opening.Case, payment_id=w.payment.id) == 1
    # one set of "opened" emails (each creator and the customer's receipt), not two sets
    assert len(story.emails(winner.id)) == 3


def test_accepting_and_denying_at_once_one_wins(story):
    cid = story.open()
    w = story.w
    results = race(
        story,
        lambda ctx: party.accept(ctx, actor=w.creator, case_id=cid),
        lambda ctx: party.deny(ctx, actor=w.creator2, case_id=cid, message="Delivered."),
    )
    winner, _ = _one_winner(results)
    assert len(story.movements(cid)) == (1 if winner.outcome == "customer_won" else 0)
    assert len([e for e in story.events(cid) if e.action in ("accepted", "denied")]) == 1


def test_withdrawing_while_the_merchant_accepts_one_wins(story):
    cid = story.open()
    w = story.w
    _one_winner(race(
        story,
        lambda ctx: party.withdraw(ctx, actor=w.customer, case_id=cid),
        lambda ctx: party.accept(ctx, actor=w.creator, case_id=cid),
    ))
    assert story.case(cid).status == "closed"


def test_two_reviewers_claiming_at_once_one_gets_the_case(story):
    cid = stages.under_review(story)
    w = story.w
    winner, (loser,) = _one_winner(race(
        story,
        lambda ctx: review.claim(ctx, actor=w.reviewer, case_id=cid),
        lambda ctx: review.claim(ctx, actor=w.reviewer2, case_id=cid),
    ))
    assert loser.code == "assigned_to_another_reviewer"
    assert story.case(cid).assignee_id == winner.assignee_id
    assert len(story.events(cid, "assigned")) == 1


def test_two_final_reviews_at_once_one_wins(story):
    cid = stages.final_review(story)
    w = story.w
    _one_winner(race(
        story,
        lambda ctx: review.final_decide(ctx, actor=w.reviewer, case_id=cid, decision="uphold", reason="Fine."),
        lambda ctx: review.final_decide(ctx, actor=w.reviewer2, case_id=cid, decision="overturn", reason="No."),
    ))
    assert len(story.events(cid, "final_decision")) == 1


def _as_of(ctx, now):
    return dataclasses.replace(ctx, now=now)


def test_two_schedulers_escalating_at_once_escalate_once(story):
    cid = story.open()
    due = story.case(cid).response_due_at
    results = race(story, *[lambda ctx: system.escalate_overdue(_as_of(ctx, due), cid) for _ in range(3)])
    assert sum(r is not None for r in results) == 1
    assert len(story.events(cid, "escalated")) == 1
    assert len(story.emails(cid, template="escalated")) == 3  # customer and two creators, once each


def test_a_reply_in_time_racing_the_expiry_job_one_wins(story):
    """The customer replies one second before the deadline while a scheduler whose clock
    is a second ahead expires the request: the case is answered or lost, never both."""
    cid = stages.review_awaiting_customer(story)
    due = story.case(cid).response_due_at
    w = story.w
    results = race(
        story,
        lambda ctx: party.reply(_as_of(ctx, due - SECOND), actor=w.customer, case_id=cid, message="Here."),
        lambda ctx: system.expire_review_request(_as_of(ctx, due), cid),
    )
    acted = [r for r in results if r is not None and not isinstance(r, DomainError)]
    assert len(acted) == 1, results
    assert len([e for e in story.events(cid) if e.action in ("responded", "no_response")]) == 1
