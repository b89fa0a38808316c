"""jobs.money: refunds are retried with backoff until they go through, and paid once (SPEC §6)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data.models import MoneyMovement, SandboxGatewayCall
from dashboard.cases import party
from dashboard.money.gateways import GatewayError, GatewayRegistry, SandboxGateway
from jobs.money import retry_money
from tests.factories import T0, days


class FlakyGateway(SandboxGateway):
    """The sandbox, but the first `failures` refund calls fail as a provider outage would."""

    def __init__(self, session_factory, failures: int, *, transient: bool = True):
        super().__init__(session_factory, "stripe")
        self.failures, self.transient, self.calls = failures, transient, 0

    def refund(self, **kwargs) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise GatewayError(f"stripe is down (call {self.calls})", transient=self.transient)
        return super().refund(**kwargs)


def accepted_case(act, w) -> str:
    case_id = act.open(T0)
    act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
    return case_id


def run(runtime, now, gateways):
    with runtime.Session() as s:
        return retry_money(s, now, settings=runtime.settings, gateways=gateways)


def movement(runtime, case_id) -> MoneyMovement:
    with runtime.Session() as s:
        return s.scalar(select(MoneyMovement).where(MoneyMovement.case_id == case_id))


def test_a_refund_failing_three_times_is_retried_with_backoff_then_paid_once(runtime, act, w):
    case_id = accepted_case(act, w)
    flaky = FlakyGateway(runtime.Session, failures=3)
    gateways = GatewayRegistry({"stripe": flaky})
    now = T0 + days(1)

    # The retry schedule written out (not read from the code): 30 s after the first failure, then doubling.
    for attempt, wait in ((1, dt.timedelta(seconds=30)), (2, dt.timedelta(minutes=1)), (3, dt.timedelta(minutes=2))):
        assert run(runtime, now, gateways) == {"claimed": 1, "succeeded": 0, "failed": 1}
        m = movement(runtime, case_id)
        assert (m.status, m.attempts, m.next_attempt_at) == ("pending", attempt, now + wait)
        assert "stripe is down" in m.last_error
        # Not due again until the backoff has passed.
        assert run(runtime, m.next_attempt_at - dt.timedelta(seconds=1), gateways)["claimed"] == 0
        now = m.next_attempt_at

    assert run(runtime, now, gateways) == {"claimed": 1, "succeeded": 1, "failed": 0}
    assert run(runtime, now + days(1), gateways) == {"claimed": 0, "succeeded": 0, "failed": 0}
    m = movement(runtime, case_id)
    assert (m.status, m.attempts, m.provider_reference.startswith("re_sbx_")) == ("succeeded", 4, True)
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(SandboxGatewayCall)) == 1
    [issued] = act.events(case_id, "refund_issued")
    assert issued.viewable_by_customer and issued.viewable_by_merchant
    assert act.case(case_id).refunded_minor == act.case(case_id).amount_minor


def test_a_permanent_failure_is_shown_to_staff_and_not_retried(runtime, act, w):
    case_id = accepted_case(act, w)
    gateways = GatewayRegistry({"stripe": FlakyGateway(runtime.Session, failures=1, transient=False)})

    assert run(runtime, T0 + days(1), gateways)["failed"] == 1
    assert movement(runtime, case_id).status == "failed"
    [event] = act.events(case_id, "refund_failed")
    assert not event.viewable_by_customer and not event.viewable_by_merchant
    assert run(runtime, T0 + days(30), gateways)["claimed"] == 0


def test_the_sandbox_registry_of_the_runtime_pays(runtime, act, w):
    case_id = accepted_case(act, w)
    assert run(runtime, T0 + days(1), runtime.gateways)["succeeded"] == 1
    assert movement(runtime, case_id).status == "succeeded"


def test_a_paypal_refund_is_told_as_paypal_spells_itself(runtime, act, w):
    """The timeline's line names the provider as its maker does ("PayPal", never "Paypal")."""
    payment = act.new_payment(provider="paypal")
    case_id = act.open(T0, payment=payment)
    act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
    gateways = GatewayRegistry({"paypal": SandboxGateway(runtime.Session, "paypal")})
    assert run(runtime, T0 + days(1), gateways)["succeeded"] == 1
    [issued] = act.events(case_id, "refund_issued")
    assert "through PayPal (ref " in issued.details
