"""Hand-built cases for the metrics tests (read model and callbacks).

Cases are written as rows, not through the domain, so every timestamp, flag and outcome
is exactly what a test says.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Optional

from data.models import Case, MoneyMovement, new_id
from data.read import metrics as m
from dashboard.context import Ctx
from tests import factories
from tests.factories import T0, days

UTC = dt.timezone.utc
H = dt.timedelta(hours=1)
MARCH = m.MetricsFilter(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def at(day: int, hour: int = 12, minute: int = 0, second: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def make_case(ctx: Ctx, *, company, customer, created_at: dt.datetime, reason: str = "fraudulent",
              provider: str = "stripe", amount: int = 5000, currency: str = "USD", status: str = "awaiting_merchant",
              outcome: Optional[str] = None, escalated: bool = False, decision: Optional[str] = None,
              final_review: bool = False, customer_appealed: bool = False, merchant_appealed: bool = False,
              first_response: Optional[dt.timedelta] = None, closed_after: Optional[dt.timedelta] = None,
              refund: Optional[str] = None, message: str = "It never arrived") -> Case:
    payment = factories.payment(ctx, company=company, customer=customer, amount_minor=amount, currency=currency,
                                provider=provider, paid_at=created_at - days(1))
    case = Case(
        payment_id=payment.id, company_id=company.id, customer_id=customer.id, reason=reason, message=message,
        amount_minor=amount, currency=currency, stage=status if status != "closed" else "closed", status=status,
        escalated=escalated, final_review=final_review, customer_appealed=customer_appealed,
        merchant_appealed=merchant_appealed, outcome=outcome, refund=refund, decision=decision,
        created_at=created_at, updated_at=created_at,
        first_merchant_response_at=created_at + first_response if first_response is not None else None,
        closed_at=created_at + closed_after if closed_after is not None else None,
    )
    ctx.session.add(case)
    ctx.session.flush()
    return case


def move(ctx: Ctx, case: Case, kind: str, amount: int, status: str = "succeeded") -> None:
    ctx.session.add(MoneyMovement(case_id=case.id, kind=kind, amount_minor=amount, currency=case.currency,
                                  provider="stripe", idempotency_key=new_id("k_"), status=status,
                                  created_at=case.created_at, completed_at=case.created_at))
    ctx.session.flush()


def builder(Session, tmp_path):  # noqa: N803
    """A committed world, and `with build() as (ctx, w): ...` to add cases to it."""
    settings = factories.test_settings(tmp_path)
    with Session.begin() as s:
        w = factories.world(Ctx(s, T0, settings))

    @contextmanager
    def _build():
        with Session.begin() as s:
            yield Ctx(s, T0, settings), w

    return _build


def scenario(build):
    """Seven cases in March 2026 (plus one in February and one in April outside it):

    a  Acme  stripe  fraudulent           open, responded after 2h
    b  Acme  stripe  fraudulent           closed customer_won after 3d, first response 4h, refund $50
    c  Acme  paypal  not_as_described     closed merchant_won after 5d, first response 10h, escalated,
                                          decided by platform, decision appealed (final review)
    d  Other paypal  not_as_described     closed customer_won after 1d, escalated, decided (credit $20)
    e  Other stripe  product_not_received closed withdrawn after 2d
    f  Other stripe  fraudulent           under review, escalated, denial appealed by the customer
    g  Acme  crypto  fraudulent           open, EUR, no response
    """
    with build() as (ctx, w):
        acme, other, cust, cust2 = w.company, w.other_company, w.customer, w.other_customer
        cases = dict(
            a=make_case(ctx, company=acme, customer=cust, created_at=at(2), first_response=2 * H),
            b=make_case(ctx, company=acme, customer=cust, created_at=at(3), status="closed", outcome="customer_won",
                        refund="merchant", first_response=4 * H, closed_after=days(3)),
            c=make_case(ctx, company=acme, customer=cust, created_at=at(9), provider="paypal",
                        reason="not_as_described", status="closed", outcome="merchant_won", escalated=True,
                        decision="merchant_wins", final_review=True, customer_appealed=True,
                        first_response=10 * H, closed_after=days(5)),
            d=make_case(ctx, company=other, customer=cust2, created_at=at(10), provider="paypal",
                        reason="not_as_described", status="closed", outcome="customer_won", escalated=True,
                        decision="credit", closed_after=days(1)),
            e=make_case(ctx, company=other, customer=cust2, created_at=at(16), reason="product_not_received",
                        status="closed", outcome="withdrawn", closed_after=days(2)),
            f=make_case(ctx, company=other, customer=cust2, created_at=at(17), status="under_review",
                        outcome="merchant_won", escalated=True, customer_appealed=True, closed_after=days(1)),
            g=make_case(ctx, company=acme, customer=cust, created_at=at(30), provider="crypto", currency="EUR",
                        amount=3000),
            feb=make_case(ctx, company=acme, customer=cust, created_at=at(28, month=2), status="closed",
                          outcome="customer_won", closed_after=days(1), first_response=H),
            apr=make_case(ctx, company=acme, customer=cust, created_at=at(1, 0, 0, 0, month=4)),
        )
        move(ctx, cases["b"], "merchant_refund", 5000)
        move(ctx, cases["d"], "customer_credit", 2000)
        move(ctx, cases["c"], "merchant_refund", 999, status="pending")  # not money that moved
        move(ctx, cases["feb"], "merchant_refund", 7000)  # outside the range
        return w, {k: v.id for k, v in cases.items()}
