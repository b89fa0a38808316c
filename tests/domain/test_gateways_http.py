"""SPEC §6 through the real provider adapters: Stripe and PayPal, each spoken to over
HTTP on loopback (tests/domain/fake_providers.py), driven by the money executor.

What is proven: a refund is made exactly once (the fakes count what they create)
after transient failures, after a lost answer and after a crash between the call and
recording it; amounts are sent exactly; a final refusal marks the movement failed with
an event only staff see; and the settings choose the adapters.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import pytest
from sqlalchemy import select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from data.models import MoneyMovement
from dashboard.cases import party, review
from dashboard.money import executor
from dashboard.money.gateways import (GatewayError, GatewayRegistry, PaymentDirectory, SandboxGateway)
from dashboard.money.paypal import PayPalGateway, paypal_value
from dashboard.money.stripe import StripeGateway
from dashboard.payments import record_payment
from dashboard.runtime import Runtime
from dashboard.settings import load_settings
from tests.domain import stages
from tests.domain.fake_providers import FakePayPal, FakeStripe
from tests.factories import days

SECOND = dt.timedelta(seconds=1)
LEASE = dt.timedelta(minutes=5)  # a claimed movement is left alone this long (written out)


# --------------------------------------------------------------------------- set-up
@pytest.fixture
def providers(serve_wsgi):
    """Both fakes behind one loopback server (/stripe, /paypal): one server to stop per test."""
    stripe, paypal = FakeStripe(), FakePayPal()
    base = serve_wsgi(DispatcherMiddleware(stripe.app, {"/stripe": stripe.app, "/paypal": paypal.app}))
    stripe.url, paypal.url = f"{base}/stripe", f"{base}/paypal"
    return stripe, paypal


@pytest.fixture
def stripe(providers):
    return providers[0]


@pytest.fixture
def paypal(providers):
    return providers[1]


@pytest.fixture
def live_settings(settings, stripe, paypal, w):
    return dataclasses.replace(
        settings, stripe_api_key=stripe.api_key, stripe_api_base=stripe.url,
        stripe_connected_accounts={w.company.id: "acct_fake_merchant"},
        paypal_client_id=paypal.client_id, paypal_secret=paypal.secret, paypal_api_base=paypal.url)


@pytest.fixture
def gateways(live_settings, Session):  # noqa: N803
    return GatewayRegistry.from_settings(live_settings, Session)


def paid(story, *, provider: str, reference: str | None, amount: int = 1999, currency: str = "USD"):
    """The customer's payment through `provider`, recorded as the integration would."""
    story.payment = story.run(lambda ctx: record_payment(
        ctx, company_id=story.w.company.id, customer_id=story.w.customer.id, amount_minor=amount,
        currency=currency, provider=provider, paid_at=ctx.now - days(1), provider_reference=reference,
        product_title="Course"))
    return story.payment


def stripe_payment(story, stripe, amount=1999, currency="USD", *, refunded=0):
    stripe.add_intent("pi_fake_1", amount, currency, refunded=refunded)
    return paid(story, provider="stripe", reference="pi_fake_1", amount=amount, currency=currency)


def paypal_payment(story, paypal, amount=1999, currency="USD", exponent=2, *, refunded=0):
    paypal.add_capture("7TK53561YB803214S", amount, currency, exponent, refunded_minor=refunded)
    return paid(story, provider="paypal", reference="7TK53561YB803214S", amount=amount, currency=currency)


def settle(story, gateways, at=None):
    with story.Session() as s:
        return executor.settle_due(s, gateways, at or story.now, settings=story.settings)


def settle_until_done(story, gateways, cid, rounds=10) -> MoneyMovement:
    """Run the executor at each movement's next attempt time, as the scheduler would."""
    at = story.now
    for _ in range(rounds):
        settle(story, gateways, at=at)
        m = story.movements(cid)[-1]
        if m.status != "pending":
            return m
        at = m.next_attempt_at
    return m


def crash_after_the_provider_paid(story, gateways) -> str:
    """Worker 1 claims the movement and the provider pays, then worker 1 dies before
    recording it (nothing is written after the call)."""
    with story.Session() as s:
        (c,) = executor.claim_due(s, story.now)
    return gateways.for_provider(c.provider).refund(payment_id=c.payment_id, amount_minor=c.amount_minor,
                                                    currency=c.currency, idempotency_key=c.key)


def assert_failed_for_staff_only(story, cid, *needles):
    (m,) = story.movements(cid)
    assert m.status == "failed" and m.next_attempt_at is None
    for needle in needles:
        assert needle in m.last_error
    (event,) = story.events(cid, "refund_failed")
    assert not (event.viewable_by_customer or event.viewable_by_merchant)
    assert story.events(cid, "refund_issued") == []


# --------------------------------------------------------------------------- Stripe
def test_stripe_refunds_the_payment_intent_once_with_our_key(story, stripe, gateways):
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    assert settle(story, gateways)["succeeded"] == 1
    (m,) = story.movements(cid)
    (refund,) = stripe.refunds
    assert (m.status, m.provider_reference) == ("succeeded", refund["id"])
    assert (refund["payment_intent"], refund["amount"], refund["metadata"]) == \
           ("pi_fake_1", 1999, {"case": cid, "idempotency_key": m.idempotency_key})
    (post,) = [h for method, path, h in stripe.requests if method == "POST"]
    assert post["Idempotency-Key"] == m.idempotency_key
    assert len(story.events(cid, "refund_issued")) == 1
    assert settle(story, gateways, at=story.now + days(1))["claimed"] == 0
    assert stripe.created == {"refund": 1}


def test_stripe_replays_the_same_refund_for_the_same_key(story, stripe, Session):  # noqa: N803
    stripe.add_intent("pi_direct", 5000)
    gateway = StripeGateway(stripe.api_key, base_url=stripe.url)
    first = gateway.refund(payment_id="pi_direct", amount_minor=700, currency="USD", idempotency_key="k1")
    again = gateway.refund(payment_id="pi_direct", amount_minor=700, currency="USD", idempotency_key="k1")
    assert first == again and stripe.created == {"refund": 1}


@pytest.mark.parametrize("status, code", [(500, None), (503, None), (429, "rate_limit"), (429, "lock_timeout"),
                                          (409, "idempotency_key_in_use")])
def test_stripe_transient_errors_are_retried_with_the_same_key(story, stripe, gateways, status, code):
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    stripe.fail_next(3, *FakeStripe.error(status, "Try again.", code=code, type_="api_error"))
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert (m.status, m.next_attempt_at) == ("pending", story.now + dt.timedelta(seconds=30))
    assert "Try again." in m.last_error
    m = settle_until_done(story, gateways, cid)
    assert (m.status, m.attempts) == ("succeeded", 4)
    assert stripe.posts["refund"] == 4 and stripe.created == {"refund": 1}
    keys = {h["Idempotency-Key"] for method, _, h in stripe.requests if method == "POST"}
    assert keys == {m.idempotency_key}
    assert len(story.events(cid, "refund_issued")) == 1


def test_stripe_a_lost_answer_is_found_by_its_key_and_not_paid_again(story, stripe, Session):  # noqa: N803
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    impatient = StripeGateway(stripe.api_key, base_url=stripe.url, directory=PaymentDirectory(Session), timeout=0.3)
    gateways = GatewayRegistry({"stripe": impatient})
    stripe.slow_answers, stripe.slow_seconds = 1, 1.0  # made at Stripe, answered too late for us
    assert settle(story, gateways)["failed"] == 1
    (m,) = story.movements(cid)
    assert m.status == "pending" and "network error" in m.last_error
    m = settle_until_done(story, gateways, cid)
    assert (m.status, m.provider_reference) == ("succeeded", stripe.refunds[0]["id"])
    assert stripe.posts["refund"] == 1 and stripe.created == {"refund": 1}  # found by lookup, not re-sent


@pytest.mark.parametrize("keys_pruned", [False, True], ids=["within-24h", "after-24h"])
def test_stripe_a_crash_between_paying_and_recording_pays_once(story, stripe, gateways, keys_pruned):
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    reference = crash_after_the_provider_paid(story, gateways)
    if keys_pruned:
        stripe.forget_keys()  # replay is gone; the refund's metadata still names our key
    assert settle(story, gateways, at=story.now + LEASE - SECOND)["claimed"] == 0
    assert settle(story, gateways, at=story.now + LEASE)["succeeded"] == 1
    (m,) = story.movements(cid)
    assert (m.status, m.provider_reference) == ("succeeded", reference)
    assert stripe.posts["refund"] == 1 and stripe.created == {"refund": 1}
    assert len(story.events(cid, "refund_issued")) == 1


def test_stripe_lookup_pages_through_the_intents_refunds(story, stripe, Session):  # noqa: N803
    stripe_payment(story, stripe, amount=100_000)
    cid = stages.closed_accepted(story)
    key = story.movements(cid)[0].idempotency_key
    gateway = StripeGateway(stripe.api_key, base_url=stripe.url, directory=PaymentDirectory(Session))
    mine = gateway.refund(payment_id=story.payment.id, amount_minor=100, currency="USD", idempotency_key=key)
    for n in range(105):  # refunds made elsewhere after ours: ours is on the second page
        gateway.refund(payment_id=story.payment.id, amount_minor=1, currency="USD", idempotency_key=f"other-{n}")
    assert gateway.lookup(key) == mine
    assert gateway.lookup("reso_unknown:merchant_refund") is None


@pytest.mark.parametrize("refunded, intent, needles", [
    (1999, "pi_fake_1", ("charge_already_refunded", "has already been refunded")),
    (0, "pi_somebody_else", ("resource_missing", "No such payment_intent")),
], ids=["already-refunded", "unknown-intent"])
def test_stripe_a_final_refusal_fails_the_movement_for_staff(story, stripe, gateways, refunded, intent, needles):
    stripe.add_intent("pi_fake_1", 1999, refunded=refunded)
    paid(story, provider="stripe", reference=intent)
    cid = stages.closed_accepted(story)
    assert settle(story, gateways)["failed"] == 1
    assert_failed_for_staff_only(story, cid, *needles)
    assert stripe.created == {}


def test_a_payment_without_a_provider_reference_is_not_sent(story, stripe, gateways):
    paid(story, provider="stripe", reference=None)
    cid = stages.closed_accepted(story)
    settle(story, gateways)
    assert_failed_for_staff_only(story, cid, "no Stripe PaymentIntent reference")
    assert stripe.posts["refund"] == 0


def test_a_wrong_api_key_is_kept_for_retry_not_given_up(story, stripe, gateways):
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    stripe.api_key = "sk_test_rotated"
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert m.status == "pending" and "Invalid API Key" in m.last_error


# --------------------------------------------------------------------------- Stripe Connect transfers
def overturned_refund(story, gateways) -> str:
    """A 2000 refund paid by the merchant, overturned on appeal: the platform reimburses."""
    cid = stages.under_review(story)
    story.later()
    story.do(review.decide, actor=story.w.reviewer, case_id=cid, outcome="refund", amount=2000, reason="Decided.")
    settle(story, gateways)
    story.do(party.appeal, actor=story.w.creator, case_id=cid, message="Please review.")
    story.later()
    story.do(review.final_decide, actor=story.w.reviewer2, case_id=cid, decision="overturn", reason="Overturned.",
             remedy=None, amount=None)
    return cid


def test_the_platform_reimburses_the_merchant_by_a_transfer_to_its_connected_account(story, stripe, gateways):
    stripe_payment(story, stripe, amount=5000)
    cid = overturned_refund(story, gateways)
    assert settle(story, gateways)["succeeded"] == 1
    refund, reimbursement = story.movements(cid)
    (transfer,) = stripe.transfers
    assert (transfer["destination"], transfer["amount"], transfer["currency"], transfer["transfer_group"]) == \
           ("acct_fake_merchant", 2000, "usd", reimbursement.idempotency_key)
    assert (reimbursement.status, reimbursement.provider_reference) == ("succeeded", transfer["id"])
    assert gateways.for_provider("platform").lookup(reimbursement.idempotency_key) == transfer["id"]
    assert stripe.created == {"refund": 1, "transfer": 1}


def test_a_merchant_without_a_connected_account_is_left_to_staff(story, stripe, live_settings, Session):  # noqa: N803
    gateways = GatewayRegistry.from_settings(dataclasses.replace(live_settings, stripe_connected_accounts={}), Session)
    stripe_payment(story, stripe, amount=5000)
    cid = overturned_refund(story, gateways)
    settle(story, gateways)
    reimbursement = story.movements(cid)[-1]
    assert (reimbursement.kind, reimbursement.status) == ("platform_reimbursement", "failed")
    assert "no connected Stripe account" in reimbursement.last_error
    (event,) = story.events(cid, "refund_failed")
    assert not (event.viewable_by_customer or event.viewable_by_merchant)
    assert stripe.transfers == []


# --------------------------------------------------------------------------- PayPal
def test_paypal_refunds_the_capture_once_with_our_request_id(story, paypal, gateways):
    paypal_payment(story, paypal)
    cid = stages.closed_accepted(story)
    assert settle(story, gateways)["succeeded"] == 1
    (m,) = story.movements(cid)
    (refund,) = paypal.refunds
    assert (m.status, m.provider_reference) == ("succeeded", refund["id"])
    assert (refund["capture_id"], refund["amount"]) == ("7TK53561YB803214S", {"value": "19.99", "currency_code": "USD"})
    (post,) = [h for method, path, h in paypal.requests if path.endswith("/refund")]
    assert post["Paypal-Request-Id"] == m.idempotency_key
    assert paypal.tokens_issued == 1 and paypal.created == {"refund": 1}


@pytest.mark.parametrize("provider", ["stripe", "paypal"])
@pytest.mark.parametrize("minor, currency, exponent, sent_to_paypal", [
    (1999, "USD", 2, "19.99"), (5, "EUR", 2, "0.05"), (1500, "JPY", 0, "1500"), (1234567, "KWD", 3, "1234.567"),
])
def test_amounts_are_sent_exactly(story, stripe, paypal, gateways, provider, minor, currency, exponent,
                                  sent_to_paypal):
    if provider == "stripe":
        stripe_payment(story, stripe, minor, currency)
    else:
        paypal_payment(story, paypal, minor, currency, exponent)
    cid = stages.closed_accepted(story)
    settle(story, gateways)
    assert story.movements(cid)[0].status == "succeeded"
    if provider == "stripe":
        assert stripe.refunds[0]["amount"] == minor  # Stripe takes minor units (zero-decimal JPY: yen)
    else:
        assert paypal.refunds[0]["amount"] == {"value": sent_to_paypal, "currency_code": currency}


def test_paypal_whole_unit_currencies_are_sent_without_decimals_or_refused():
    assert paypal_value(150_000, "HUF") == "1500" and paypal_value(2_000, "TWD") == "20"
    with pytest.raises(GatewayError) as err:
        paypal_value(150_050, "HUF")
    assert not err.value.transient


@pytest.mark.parametrize("status, name", [(500, "INTERNAL_SERVER_ERROR"), (503, "SERVICE_UNAVAILABLE"),
                                          (429, "RATE_LIMIT_REACHED"), (409, "CONFLICT")])
def test_paypal_transient_errors_are_retried_with_the_same_request_id(story, paypal, gateways, status, name):
    paypal_payment(story, paypal)
    cid = stages.closed_accepted(story)
    paypal.fail_next(2, *FakePayPal.error(status, name, name, "Please retry."))
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert m.status == "pending" and "Please retry." in m.last_error
    m = settle_until_done(story, gateways, cid)
    assert (m.status, m.attempts) == ("succeeded", 3)
    ids = {h["Paypal-Request-Id"] for _, path, h in paypal.requests if path.endswith("/refund")}
    assert ids == {m.idempotency_key}
    assert paypal.posts["refund"] == 3 and paypal.created == {"refund": 1} and paypal.tokens_issued == 1


def test_paypal_a_crash_between_paying_and_recording_pays_once(story, paypal, gateways):
    paypal_payment(story, paypal)
    cid = stages.closed_accepted(story)
    reference = crash_after_the_provider_paid(story, gateways)
    assert settle(story, gateways, at=story.now + LEASE)["succeeded"] == 1
    (m,) = story.movements(cid)
    assert (m.status, m.provider_reference) == ("succeeded", reference)
    assert paypal.posts["refund"] == 2 and paypal.created == {"refund": 1}  # re-sent, replayed by PayPal


def test_paypal_a_lost_answer_is_replayed_not_paid_again(story, paypal, Session):  # noqa: N803
    paypal_payment(story, paypal)
    cid = stages.closed_accepted(story)
    impatient = PayPalGateway(paypal.client_id, paypal.secret, base_url=paypal.url,
                              directory=PaymentDirectory(Session), timeout=0.3)
    gateways = GatewayRegistry({"paypal": impatient})
    paypal.slow_answers, paypal.slow_seconds = 1, 1.0
    assert settle(story, gateways)["failed"] == 1
    m = settle_until_done(story, gateways, cid)
    assert (m.status, m.provider_reference) == ("succeeded", paypal.refunds[0]["id"])
    assert paypal.created == {"refund": 1}


@pytest.mark.parametrize("refunded, needles", [
    (1999, ("CAPTURE_FULLY_REFUNDED", "already been fully refunded")),
    (1000, ("REFUND_AMOUNT_EXCEEDED",)),
])
def test_paypal_a_final_refusal_fails_the_movement_for_staff(story, paypal, gateways, refunded, needles):
    paypal_payment(story, paypal, refunded=refunded)
    cid = stages.closed_accepted(story)
    assert settle(story, gateways)["failed"] == 1
    assert_failed_for_staff_only(story, cid, *needles)
    assert paypal.created == {}


def test_paypal_bad_credentials_are_kept_for_retry(story, paypal, live_settings, Session):  # noqa: N803
    paypal_payment(story, paypal)
    cid = stages.closed_accepted(story)
    gateways = GatewayRegistry.from_settings(dataclasses.replace(live_settings, paypal_secret="wrong"), Session)
    settle(story, gateways)
    (m,) = story.movements(cid)
    assert m.status == "pending" and "invalid_client" in m.last_error


def test_paypal_token_is_cached_until_it_expires_and_renewed_when_refused(paypal):
    paypal.add_capture("CAP1", 10_000)
    now = [1000.0]
    gateway = PayPalGateway(paypal.client_id, paypal.secret, base_url=paypal.url, clock=lambda: now[0])

    def refund(key):
        return gateway.refund(payment_id="CAP1", amount_minor=100, currency="USD", idempotency_key=key)

    refund("a"), refund("b")
    assert paypal.tokens_issued == 1
    now[0] += paypal.expires_in  # past expiry (less the safety margin): a new token
    refund("c")
    assert paypal.tokens_issued == 2
    paypal.expire_tokens()  # PayPal stops honouring it early: one 401, a new token, the same request
    refund("d")
    assert paypal.tokens_issued == 3 and paypal.created == {"refund": 4}
    token_calls = [h for _, path, h in paypal.requests if path == "/v1/oauth2/token"]
    assert all(h["Authorization"].startswith("Basic ") for h in token_calls)


def test_paypal_does_not_pay_merchants(paypal):
    with pytest.raises(GatewayError) as err:
        PayPalGateway("id", "secret", base_url=paypal.url).transfer(company_id="biz_x", amount_minor=1,
                                                                    currency="USD", idempotency_key="k")
    assert not err.value.transient


def test_a_network_failure_is_transient():
    dead = StripeGateway("sk", base_url="http://127.0.0.1:9", http=httpx.Client(timeout=1))
    with pytest.raises(GatewayError) as err:
        dead.refund(payment_id="pi_x", amount_minor=1, currency="USD", idempotency_key="k")
    assert err.value.transient


# --------------------------------------------------------------------------- wiring
def _kinds(registry):
    return {p: type(registry.for_provider(p)).__name__ for p in ("stripe", "paypal", "platform")}


def test_settings_choose_the_adapters_per_provider(settings, live_settings, Session):  # noqa: N803
    sandbox = "SandboxGateway"
    assert _kinds(GatewayRegistry.from_settings(settings, Session)) == \
           {"stripe": sandbox, "paypal": sandbox, "platform": sandbox}
    stripe_only = dataclasses.replace(live_settings, paypal_client_id="", paypal_secret="")
    assert _kinds(GatewayRegistry.from_settings(stripe_only, Session)) == \
           {"stripe": "StripeGateway", "paypal": sandbox, "platform": "StripeGateway"}
    paypal_only = dataclasses.replace(live_settings, stripe_api_key="")
    assert _kinds(GatewayRegistry.from_settings(paypal_only, Session)) == \
           {"stripe": sandbox, "paypal": "PayPalGateway", "platform": sandbox}
    assert isinstance(GatewayRegistry.from_settings(settings, Session).for_provider("stripe"), SandboxGateway)


def test_the_runtime_builds_its_gateways_from_settings(live_settings, Session):  # noqa: N803
    runtime = Runtime.build(live_settings, engine=Session.kw["bind"])
    assert _kinds(runtime.gateways) == {"stripe": "StripeGateway", "paypal": "PayPalGateway",
                                        "platform": "StripeGateway"}


def test_provider_settings_are_read_from_the_environment():
    env = {"STRIPE_API_KEY": "sk_live_x", "STRIPE_API_BASE": "http://127.0.0.1:1",
           "STRIPE_CONNECTED_ACCOUNTS": "biz_a=acct_1, biz_b=acct_2",
           "PAYPAL_CLIENT_ID": "cid", "PAYPAL_SECRET": "pp-secret-value", "PAYPAL_API_BASE": "http://127.0.0.1:2"}
    s = load_settings(env)
    assert (s.stripe_api_key, s.stripe_api_base, s.stripe_connected_accounts) == \
           ("sk_live_x", "http://127.0.0.1:1", {"biz_a": "acct_1", "biz_b": "acct_2"})
    assert (s.paypal_client_id, s.paypal_secret, s.paypal_api_base) == ("cid", "pp-secret-value", "http://127.0.0.1:2")
    assert "sk_live_x" not in repr(s) and "pp-secret-value" not in repr(s)
    defaults = load_settings({})
    assert (defaults.stripe_api_key, defaults.stripe_api_base, defaults.paypal_api_base) == \
           ("", "https://api.stripe.com", "https://api-m.paypal.com")
    for broken in ({"PAYPAL_CLIENT_ID": "cid"}, {"PAYPAL_SECRET": "sec"}, {"STRIPE_CONNECTED_ACCOUNTS": "biz_a"}):
        with pytest.raises(RuntimeError):
            load_settings(broken)


def test_movement_lookups_read_our_own_rows(story, stripe, Session):  # noqa: N803
    stripe_payment(story, stripe)
    cid = stages.closed_accepted(story)
    key = story.movements(cid)[0].idempotency_key
    directory = PaymentDirectory(Session)
    target = directory.movement(key)
    assert (target.kind, target.case_id, target.payment_id, target.company_id, target.charge) == \
           ("merchant_refund", cid, story.payment.id, story.w.company.id, "pi_fake_1")
    assert directory.charge(story.payment.id) == "pi_fake_1"
    assert directory.movement("nope") is None
    with Session() as s:
        assert s.scalar(select(MoneyMovement.status).where(MoneyMovement.idempotency_key == key)) == "pending"
