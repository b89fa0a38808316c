"""Auto-refund thresholds in the domain (dashboard.auto_refund): which new cases they
accept, the money and emails that follow, and who may change them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from data.models import Company
from dashboard import auto_refund
from dashboard.cases import party
from dashboard.money.executor import settle_due


def set_limits(story, actor=None, **changes):
    return story.do(auto_refund.set_thresholds, actor=actor or story.w.creator, company_id=story.w.company.id,
                    changes=changes)


def test_with_no_threshold_a_case_waits_for_the_merchant(story):
    case = story.case(story.open())
    assert (case.status, case.outcome) == ("awaiting_merchant", None)
    assert story.movements(case.id) == []


@pytest.mark.parametrize("limit,accepted", [(Decimal("50"), True), (Decimal("50.00"), True),
                                            (Decimal("49.99"), False), (Decimal("0.01"), False)])
def test_at_or_below_the_card_threshold_the_case_is_accepted_at_once(story, limit, accepted):
    set_limits(story, card_threshold_usd=limit)  # the world's payment: 50.00 USD on Stripe
    case = story.case(story.open())
    if not accepted:
        assert case.status == "awaiting_merchant"
        return
    assert (case.status, case.outcome, case.refund, case.final, case.appeal_due_at) == (
        "closed", "customer_won", "merchant", True, None)
    [movement] = story.movements(case.id)
    assert (movement.kind, movement.amount_minor) == ("merchant_refund", 5000)
    [event] = story.events(case.id, "accepted")
    assert event.actor_id is None and event.data["auto_refund"] is True
    assert "Acme Courses refunds claims of up to $50.00 on card payments" in event.details
    # The usual emails: the customer hears the case was accepted, and the creators too.
    templates = {e.template for e in story.emails(case.id)}
    assert any("accept" in t for t in templates), templates


def test_the_refund_moves_exactly_once(story, Session, settings, gateways):  # noqa: N803
    set_limits(story, card_threshold_usd=100)
    case_id = story.open()
    for _ in range(3):  # the scheduler passing again and again
        with Session() as s:
            settle_due(s, gateways, story.later(), settings=settings)
    assert [(c.operation, c.amount_minor) for c in story.gateway_calls()] == [("refund", 5000)]
    assert [m.status for m in story.movements(case_id)] == ["succeeded"]


def test_paypal_has_its_own_threshold_and_crypto_none(story):
    set_limits(story, card_threshold_usd=1000)
    story.new_payment(provider="paypal", amount_minor=2000)
    assert story.case(story.open()).status == "awaiting_merchant"  # the card threshold does not cover PayPal
    set_limits(story, paypal_threshold_usd=20)
    story.new_payment(provider="paypal", amount_minor=2000)
    assert story.case(story.open()).status == "closed"
    # Crypto payments cannot be disputed at all; no family covers them either.
    thresholds = auto_refund.Thresholds(Decimal(10 ** 6), Decimal(10 ** 6), False)
    assert [thresholds.for_provider(p) for p in ("crypto", "coinbase_commerce", "stripe")] == [
        None, None, Decimal(10 ** 6)]


def test_thresholds_are_read_in_the_payments_own_currency_units(story):
    set_limits(story, card_threshold_usd=30)
    story.new_payment(currency="JPY", amount_minor=30)  # ¥30: at the threshold
    assert story.case(story.open()).status == "closed"
    story.new_payment(currency="JPY", amount_minor=31)
    assert story.case(story.open()).status == "awaiting_merchant"
    story.new_payment(currency="KWD", amount_minor=30_000)  # 30.000 KWD
    assert story.case(story.open()).status == "closed"


def test_another_companys_threshold_does_not_apply(story):
    story.do(auto_refund.set_thresholds, actor=story.w.other_creator, company_id=story.w.other_company.id,
             changes={"card_threshold_usd": 1000})
    assert story.case(story.open()).status == "awaiting_merchant"


def test_an_auto_accepted_case_cannot_be_accepted_again(story):
    set_limits(story, card_threshold_usd=50)
    case_id = story.open()
    err = story.refuse(party.accept, actor=story.w.creator, case_id=case_id)
    assert err.http_status == 409
    assert len(story.movements(case_id)) == 1


def test_creators_set_their_own_company_and_only_staff_lock(story):
    err = story.refuse(auto_refund.set_thresholds, actor=story.w.other_creator, company_id=story.w.company.id,
                       changes={"card_threshold_usd": 1})
    assert err.http_status == 404
    err = story.refuse(auto_refund.set_thresholds, actor=story.w.customer, company_id=story.w.company.id,
                       changes={"card_threshold_usd": 1})
    assert err.http_status == 404
    err = story.refuse(auto_refund.set_thresholds, actor=story.w.creator, company_id=story.w.company.id,
                       changes={"locked": True})
    assert (err.http_status, err.code) == (403, "staff_only")
    set_limits(story, actor=story.w.reviewer, card_threshold_usd=Decimal("12.5"), locked=True)
    err = story.refuse(auto_refund.set_thresholds, actor=story.w.creator, company_id=story.w.company.id,
                       changes={"paypal_threshold_usd": 5})
    assert (err.http_status, err.code) == (403, "thresholds_locked")
    # Saying "locked": true again, or nothing about thresholds, changes nothing and is allowed.
    set_limits(story, locked=True)
    with story.Session() as s:
        company = s.get(Company, story.w.company.id)
        assert auto_refund.thresholds_of(company) == auto_refund.Thresholds(Decimal("12.5"), None, True)


@pytest.mark.parametrize("value", [Decimal("-1"), Decimal("0"), "abc", True, [1], Decimal("NaN"),
                                   Decimal("1000000.01"), Decimal("0.00001")])
def test_bad_thresholds_are_refused_and_change_nothing(story, value):
    set_limits(story, card_threshold_usd=7)
    err = story.refuse(auto_refund.set_thresholds, actor=story.w.creator, company_id=story.w.company.id,
                       changes={"card_threshold_usd": value})
    assert (err.http_status, err.code) == (422, "invalid_threshold")
    with story.Session() as s:
        assert s.get(Company, story.w.company.id).auto_refund_card_threshold == Decimal("7")
