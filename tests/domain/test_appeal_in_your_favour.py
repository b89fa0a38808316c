"""An appeal is for the side a decision went against (issue 9; the published contract's
"appeal … only when the merchant won"): a customer refunded the whole payment is neither
offered an appeal nor allowed one, and is told why; a partial refund or platform credit
can still be appealed by the customer, and any customer win by the merchant; a merchant that
won is likewise neither offered nor allowed an appeal."""
from __future__ import annotations

import pytest

from data.models import Case
from dashboard.cases import party, review
from dashboard.cases.available import available_actions, unavailable_reasons
from dashboard.enums import Action
from dashboard.errors import Conflict
from tests.domain import stages


def _decided(story, outcome, amount=None):
    cid = stages.under_review(story)
    story.do(review.decide, actor=story.w.manager, case_id=cid, outcome=outcome, amount=amount, reason="Decided.")
    return cid


def _view(story, cid, who):
    with story.Session() as s:
        ctx, case, user = story.ctx(s), s.get(Case, cid), getattr(story.w, who)
        return available_actions(ctx, case, user), unavailable_reasons(ctx, case, user)


def test_a_customer_refunded_in_full_may_not_appeal_and_is_told_why(story):
    cid = _decided(story, "refund")  # the whole payment by default
    offered, reasons = _view(story, cid, "customer")
    assert "appeal" not in offered
    why = reasons[Action.APPEAL]
    assert (why.code, why.status) == ("invalid_state", 409) and "fully in your favour" in why.message
    before = story.snapshot(cid)
    err = story.refuse(party.appeal, actor=story.w.customer, case_id=cid, message="More, please.")
    assert (type(err), err.code) == (Conflict, "invalid_state") and "fully in your favour" in err.message
    assert story.snapshot(cid) == before
    assert "appeal" in _view(story, cid, "creator")[0]  # the merchant lost: it may appeal


@pytest.mark.parametrize("outcome, amount", [("refund", 2000), ("credit", None), ("merchant_wins", None)])
def test_a_customer_may_appeal_anything_less(story, outcome, amount):
    cid = _decided(story, outcome, amount)
    offered, reasons = _view(story, cid, "customer")
    assert "appeal" in offered and Action.APPEAL not in reasons
    story.do(party.appeal, actor=story.w.customer, case_id=cid, message="Please look again.")
    assert story.case(cid).customer_appealed


def test_a_merchant_that_won_may_not_appeal_and_is_told_why(story):
    cid = _decided(story, "merchant_wins")
    offered, reasons = _view(story, cid, "creator")
    assert "appeal" not in offered
    why = reasons[Action.APPEAL]
    assert (why.code, why.status) == ("invalid_state", 409) and "decided in your favour" in why.message
    before = story.snapshot(cid)
    err = story.refuse(party.appeal, actor=story.w.creator, case_id=cid, message="Still unfair.")
    assert (type(err), err.code) == (Conflict, "invalid_state") and "decided in your favour" in err.message
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("outcome, amount", [("refund", None), ("refund", 2000)])
def test_a_merchant_may_appeal_a_refund(story, outcome, amount):
    cid = _decided(story, outcome, amount)
    assert "appeal" in _view(story, cid, "creator")[0]
    story.do(party.appeal, actor=story.w.creator, case_id=cid, message="Please look again.")
    assert story.case(cid).merchant_appealed
