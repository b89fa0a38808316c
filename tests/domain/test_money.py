"""SPEC §6: money moves when the outcome is reached, exactly once, in integer cents,
and every movement shows on the timeline for both parties."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from data.models import CreditEntry, Payment
from dashboard.cases import party, review
from dashboard.errors import Invalid
from dashboard.money import amounts, executor
from dashboard.money.gateways import GatewayError, GatewayRegistry, SandboxGateway
from tests.factories import days
from tests.domain import stages

SECOND = dt.timedelta(seconds=1)
LEASE = dt.timedelta(minutes=5)  # a claimed movement is left alone this long (written out)


class FlakyGateway:
    """A sandbox provider that fails with a transient error `failures` times, then works;
    it remembers every idempotency key it was handed."""

    def __init__(self, inner: SandboxGateway, failures: int = 0, *, transient: bool = True):
        self.inner, self.failures, self.transient = inner, failures, transient
        self.keys: list[str] = []

    def _maybe_fail(self, key):
        self.keys.append(key)
        if self.failures:
            self.failures -= 1
            raise GatewayError("provider timed out", transient=self.transient)

    def refund(self, *, idempotency_key, **kw):
        self._maybe_fail(idempotency_key)
        return self.inner.refund(idempotency_key=idempotency_key, **kw)

    def transfer(self, *, idempotency_key, **kw):
        self._maybe_fail(idempotency_key)
        return self.inner.transfer(idempotency_key=idempotency_key, **kw)

    def lookup(self, idempotency_key):
        return self.inner.lookup(idempotency_key)


def flaky_registry(Session, failures, *, transient=True):  # noqa: N803
    stripe = FlakyGateway(SandboxGateway(Session, "stripe"), failures, transient=transient)
    return stripe, GatewayRegistry({"stripe": stripe, "paypal": SandboxGateway(Session, "paypal"),
                                    "platform": SandboxGateway(Session, "platform")})


def settle(story, gateways, at=None, **kw):
    with story.Session() as s:
        return executor.settle_due(s, gateways, at or story.now, settings=story.settings, **kw)


def accepted(story) -> str:
    return stages.closed_accepted(story)


def _payment(story):
    with story.Session() as s:
        return s.get(Payment, story.payment.id)


def _credits(story):
    with story.Session() as s:
        return [(c.user_id, c.amount_minor, c.currency) for c in s.scalars(select(CreditEntry))]


def _decided(story, outcome, amount=None):
    cid = stages.under_review(story)
    story.later()
    story.do(review.decide, actor=story.w.reviewer, case_id=cid, outcome=outcome, amount=amount,
             reason="Decided.")
    return cid


# --------------------------------------------------------------------------- what is recorded
def test_acceptance_records_one_full_refund_from_the_merchant(story):
    cid = accepted(story)
    (m,) = story.movements(cid)
    assert (m.kind, m.amount_minor, m.currency, m.provider, m.status) == \
           ("merchant_refund", 5000, "USD", "stripe", "pending")


def test_the_idempotency_key_is_recorded_before_the_provider_is_called(story):
    cid = accepted(story)
    (m,) = story.movements(cid)
    assert m.idempotency_key == f"{cid}:merchant_refund"
    assert story.gateway_calls() == []


@pytest.mark.parametrize("amount", [1, 1234, 5000])
def test_a_refund_decision_records_the_amount_decided(story, amount):
    cid = _decided(story, "refund", amount)
    assert [(m.kind, m.amount_minor) for m in story.movements(cid)] == [("merchant_refund", amount)]
    assert story.case(cid).decision_amount_minor == amount


def test_a_refund_decision_without_an_amount_refunds_in_full(story):
    cid = _decided(story, "refund")
    assert [(m.kind, m.amount_minor) for m in story.movements(cid)] == [("merchant_refund", 5000)]


@pytest.mark.parametrize("outcome", ["refund", "credit"])
@pytest.mark.parametrize("amount, code", [(0, "invalid_amount"), (-100, "invalid_amount"),
                                          (5001, "amount_exceeds_payment"), (12.5, "invalid_amount"),
                                          ("abc", "invalid_amount")])
def test_a_refused_amount_changes_nothing(story, outcome, amount, code):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    err = story.refuse(review.decide, actor=story.w.reviewer, case_id=cid, outcome=outcome, amount=amount,
                       reason="Decided.")
    assert (type(err), err.code) == (Invalid, code)
    assert story.snapshot(cid) == before


@pytest.mark.parametrize("remedy", ["refund", "credit"])
def test_a_remedy_on_final_review_is_never_more_than_was_paid(story, remedy):
    cid = stages.under_review(story)
    story.do(review.decide, actor=story.w.manager, case_id=cid, outcome="merchant_wins", reason="Decided.")
    story.do(party.appeal, actor=story.w.customer, case_id=cid, message="Please.")
    before = story.snapshot(cid)
    err = story.refuse(review.final_decide, actor=story.w.reviewer, case_id=cid, decision="overturn",
                       reason="Customer was right.", remedy=remedy, amount=5001)
    assert err.code == "amount_exceeds_payment"
    assert story.snapshot(cid) == before


# --------------------------------------------------------------------------- credit (our own ledger)
def test_a_credit_decision_adds_to_the_customers_credit_ledger(story):
    cid = _decided(story, "credit", 1500)
    assert _credits(story) == [(story.w.customer.id, 1500, "USD")]
    assert story.case(cid).credited_minor == 1500


def test_a_credit_is_booked_at_once_and_never_reaches_a_gateway(story, gateways):
    cid = _decided(story, "credit", 1500)
    (m,) = story.movements(cid)
    assert (m.kind, m.status, m.amount_minor) == ("customer_credit", "succeeded", 1500)
    assert settle(story, gateways)["claimed"] == 0
    assert story.gateway_calls() == []


def test_a_credit_costs_the_merchant_nothing(story, gateways):
    cid = _decided(story, "credit", 1500)
    settle(story, gateways)
    assert (story.case(cid).refunded_minor, _payment(story).refunded_minor) == (0, 0)


# --------------------------------------------------------------------------- paying
@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_a_refund_is_paid_through_the_payments_own_provider(story, gateways, provider):
    story.new_payment(provider=provider)
    cid = accepted(story)
    settle(story, gateways)
    (call,) = story.gateway_calls()
    (m,) = story.movements(cid)
    assert (call.provider, call.operation, call.target, call.amount_minor) == \
           (provider, "refund", story.payment.id, 5000)
    assert (m.status, m.provider_reference) == ("succeeded", call.reference)


def test_a_paid_refund_is_recorded_on_the_case_and_the_payment(story, gateways):
    cid = _decided(story, "refund", 1234)
    settle(story, gateways)
    assert (story.case(cid).refunded_minor, _payment(story).refunded_minor) == (1234, 1234)


def test_settling_twice_pays_once(story, gateways):
    accepted(story)
    assert settle(story, gateways)["succeeded"] == 1
    assert settle(story, gateways, at=story.now + days(1)) == {"claimed": 0, "succeeded": 0, "failed": 0}
    assert len(story.gateway_calls()) == 1


def test_a_transient_failure_is_retried_with_the_same_key_and_pays_once(story, Session):  # noqa: N803
    cid = accepted(story)
    stripe, gateways = flaky_registry(Session, failures=3)
    at = story.now
    for _ in range(4):
        settle(story, gateways, at=at)
        (m,) = story.movements(cid)
        at = m.next_attempt_at or at
    assert (m.status, m.attempts) == ("succeeded", 4)
    assert stripe.keys == [f"{cid}:merchant_refund"] * 4
    assert len(story.gateway_calls()) == 1
    assert len(story.events(cid, "refund_issued")) == 1


def test_a_failed_attempt_waits_for_its_backoff(story, Session):  # noqa: N803
    cid = accepted(story)
    _, gateways = flaky_registry(Session, failures=1)
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert m.next_attempt_at == story.now + dt.timedelta(seconds=30)  # the first retry, half a minute on
    assert settle(story, gateways, at=m.next_attempt_at - SECOND)["claimed"] == 0
    assert settle(story, gateways, at=m.next_attempt_at)["succeeded"] == 1


def test_a_refund_that_keeps_failing_is_shown_to_staff_and_kept(story, Session):  # noqa: N803
    cid = accepted(story)
    _, gateways = flaky_registry(Session, failures=10)
    at = story.now
    for _ in range(5):  # staff are told from the fifth failed attempt on
        settle(story, gateways, at=at)
        at = story.movements(cid)[0].next_attempt_at
    (m,) = story.movements(cid)
    assert (m.status, m.attempts) == ("pending", 5)
    (event,) = story.events(cid, "refund_retrying")
    assert not (event.viewable_by_customer or event.viewable_by_merchant)


def test_a_permanent_failure_stops_for_staff_and_is_not_shown_to_the_parties(story, Session):  # noqa: N803
    cid = accepted(story)
    _, gateways = flaky_registry(Session, failures=1, transient=False)
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert (m.status, m.last_error) == ("failed", "provider timed out")
    (event,) = story.events(cid, "refund_failed")
    assert not (event.viewable_by_customer or event.viewable_by_merchant)


def test_a_crash_after_the_provider_paid_is_recovered_without_paying_twice(story, gateways):
    cid = accepted(story)
    with story.Session() as s:
        (claimed,) = executor.claim_due(s, story.now)  # worker 1 leases the movement ...
    reference = gateways.for_provider("stripe").refund(   # ... the provider pays ...
        payment_id=claimed.payment_id, amount_minor=claimed.amount_minor, currency=claimed.currency,
        idempotency_key=claimed.key)
    # ... and worker 1 dies before recording it. Nobody touches it while the lease holds:
    assert settle(story, gateways, at=story.now + LEASE - SECOND)["claimed"] == 0
    assert settle(story, gateways, at=story.now + LEASE)["succeeded"] == 1
    (m,) = story.movements(cid)
    assert (m.status, m.provider_reference) == ("succeeded", reference)
    assert len(story.gateway_calls()) == 1
    assert len(story.events(cid, "refund_issued")) == 1


@pytest.mark.postgres
def test_two_workers_settling_at_once_pay_once(story, gateways, Session):  # noqa: N803
    cid = accepted(story)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with Session() as s:
                barrier.wait(timeout=10)
                results.append(executor.settle_due(s, gateways, story.now, settings=story.settings))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sum(r["succeeded"] for r in results) == 1
    assert len(story.gateway_calls()) == 1
    assert len(story.events(cid, "refund_issued")) == 1


# --------------------------------------------------------------------------- final review money
def _overturned(story, decision, *, amount=2000, remedy=None, remedy_amount=None, gateways=None):
    cid = _decided(story, decision, amount)
    if gateways:
        settle(story, gateways)
    appellant = story.w.creator if decision != "merchant_wins" else story.w.customer
    story.do(party.appeal, actor=appellant, case_id=cid, message="Please review.")
    story.later()
    # `_decided` used the reviewer, so the final review falls to reviewer2.
    story.do(review.final_decide, actor=story.w.reviewer2, case_id=cid, decision="overturn",
             reason="Overturned.", remedy=remedy, amount=remedy_amount)
    return cid


def test_overturning_a_refund_makes_the_platform_reimburse_the_merchant(story, gateways):
    cid = _overturned(story, "refund", gateways=gateways)
    settle(story, gateways)
    case = story.case(cid)
    assert (case.outcome, case.refund) == ("merchant_won", "platform")
    refund, reimbursement = story.movements(cid)
    assert (reimbursement.kind, reimbursement.amount_minor, reimbursement.status) == \
           ("platform_reimbursement", 2000, "succeeded")
    transfer = story.gateway_calls()[-1]
    assert (transfer.operation, transfer.target, transfer.amount_minor) == ("transfer", story.w.company.id, 2000)


def test_the_customer_keeps_a_refund_the_final_review_overturned(story, gateways):
    cid = _overturned(story, "refund", gateways=gateways)
    settle(story, gateways)
    refund = story.movements(cid)[0]
    assert (refund.kind, refund.status) == ("merchant_refund", "succeeded")
    assert _payment(story).refunded_minor == 2000
    assert [c.operation for c in story.gateway_calls()] == ["refund", "transfer"]  # nothing taken back


def test_the_customer_keeps_credit_the_final_review_overturned(story):
    cid = _overturned(story, "credit")
    assert _credits(story) == [(story.w.customer.id, 2000, "USD")]
    assert [m.kind for m in story.movements(cid)] == ["customer_credit"]  # credit cost the merchant nothing


@pytest.mark.parametrize("remedy, kind", [("refund", "merchant_refund"), ("credit", "customer_credit")])
def test_overturning_a_merchant_win_moves_the_remedy_then(story, gateways, remedy, kind):
    cid = _overturned(story, "merchant_wins", amount=None, remedy=remedy, remedy_amount=3000)
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert (m.kind, m.amount_minor, m.status) == (kind, 3000, "succeeded")


# --------------------------------------------------------------------------- on the timeline
MOVEMENTS_SHOWN = {
    "refund_issued": lambda st: accepted(st),
    "credit_issued": lambda st: _decided(st, "credit", 1500),
    "merchant_reimbursed": lambda st: _overturned(st, "refund"),
}


@pytest.mark.parametrize("action", list(MOVEMENTS_SHOWN))
def test_every_movement_appears_on_the_timeline_for_both_parties(story, gateways, action):
    cid = MOVEMENTS_SHOWN[action](story)
    settle(story, gateways)
    (event,) = story.events(cid, action)
    assert event.viewable_by_customer and event.viewable_by_merchant
    assert event.data["currency"] == "USD" and isinstance(event.data["amount"], int)


# --------------------------------------------------------------------------- amounts
@pytest.mark.parametrize("minor, currency, major, text", [
    (1999, "USD", Decimal("19.99"), "$19.99"), (5, "EUR", Decimal("0.05"), "€0.05"),
    (1500, "JPY", Decimal("1500"), "¥1,500"), (1234567, "KWD", Decimal("1234.567"), "1,234.567 KWD"),
])
def test_amounts_are_exact_in_whole_units(minor, currency, major, text):
    assert amounts.to_major(minor, currency) == major
    assert amounts.to_minor(str(major), currency) == minor
    assert amounts.format_minor(minor, currency) == text


def test_an_amount_finer_than_its_currency_is_refused():
    with pytest.raises(ValueError):
        amounts.to_minor("19.999", "USD")
