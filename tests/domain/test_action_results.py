"""Every case action returns what it did (issue 12): the case, the money movements it
recorded, the emails it queued, whether the case is now final, and whether money must
be moved (`settle`). Read inside the action's transaction, as the routes do."""
from __future__ import annotations

from dashboard.cases import opening, party, review
from dashboard.cases.result import ActionResult
from tests.domain import stages


def _did(story, fn, **kwargs):
    """(movements as (kind, amount), email recipients, final, settle) of one action."""
    def body(ctx):
        done = fn(ctx, **kwargs)
        assert isinstance(done, ActionResult)
        return ([(m.kind, m.amount_minor) for m in done.movements], sorted(e.recipient for e in done.emails),
                done.final, done.settle)

    return story.run(body)


def test_accepting_records_the_full_refund_and_ends_the_case(story):
    cid = story.open()
    moves, emails, final, settle = _did(story, party.accept, actor=story.w.creator, case_id=cid)
    assert (moves, final, settle) == ([("merchant_refund", 5000)], True, True)
    assert story.w.customer.email in emails
    assert [(m.kind, m.amount_minor) for m in story.movements(cid)] == moves


def test_a_denial_moves_no_money_and_returns_its_emails(story):
    cid = story.open()
    before = len(story.emails(cid))
    moves, emails, final, settle = _did(story, party.deny, actor=story.w.creator, case_id=cid, message="Delivered.")
    assert (moves, final, settle) == ([], False, False)
    assert emails and emails == sorted(e.recipient for e in story.emails(cid)[before:])


def test_the_emails_returned_are_the_ones_queued(story):
    cid = story.open()
    before = len(story.emails(cid))
    _, emails, _, _ = _did(story, party.merchant_request_info, actor=story.w.creator, case_id=cid,
                           message="Which email?")
    assert sorted(e.recipient for e in story.emails(cid)[before:]) == emails


def test_staff_only_actions_queue_nothing(story):
    cid = stages.under_review(story)
    assert _did(story, review.note, actor=story.w.reviewer, case_id=cid, message="Looks odd.") == ([], [], False, False)
    assert _did(story, review.claim, actor=story.w.reviewer, case_id=cid) == ([], [], False, False)
    assert _did(story, review.claim, actor=story.w.reviewer, case_id=cid) == ([], [], False, False)  # a no-op


def test_a_credit_decision_returns_the_credit(story):
    cid = stages.under_review(story)
    moves, _, final, settle = _did(story, review.decide, actor=story.w.manager, case_id=cid, outcome="credit",
                                   amount=1500, reason="Partly used.")
    assert (moves, final, settle) == ([("customer_credit", 1500)], False, True)


def test_overturning_a_refund_returns_the_platforms_reimbursement(story):
    cid = stages.final_review(story)  # a 2000 refund decided, then appealed
    moves, _, final, settle = _did(story, review.final_decide, actor=story.w.reviewer, case_id=cid,
                                   decision="overturn", reason="The merchant was right.")
    assert (moves, final, settle) == ([("platform_reimbursement", stages.PARTIAL_REFUND)], True, True)


def test_upholding_moves_nothing_more(story):
    cid = stages.final_review(story)
    moves, _, final, settle = _did(story, review.final_decide, actor=story.w.reviewer, case_id=cid,
                                   decision="uphold", reason="Right the first time.")
    assert (moves, final, settle) == ([], True, False)


def test_opening_returns_the_case_and_its_emails(story):
    def body(ctx):
        done = opening.open_case(ctx, actor=story.w.customer, payment_id=story.payment.id, reason="fraudulent",
                                 message="Not me.")
        # A result is not a case: callers read the case as `result.case`.
        assert done.case_id == done.case.id and done.case.status == "awaiting_merchant"
        assert not hasattr(done, "status")
        return done.case.id, [e.recipient for e in done.emails], done.settle

    cid, emails, settle = story.run(body)
    assert emails and not settle
    assert sorted(emails) == sorted(e.recipient for e in story.emails(cid))
