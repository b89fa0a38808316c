"""Recording a payment (`dashboard.payments.record_payment`) and judging a page of
payments without a query per payment (`eligibility.NO_CASE`)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.models import Payment, User
from dashboard.eligibility import NO_CASE, payment_verdict
from dashboard.errors import Invalid
from dashboard.payments import record_payment
from tests.factories import days


def _args(w, **change):
    args = dict(company_id=w.company.id, customer_id=w.customer.id, amount_minor=1500, currency="jpy",
                provider="paypal", paid_at=None, provider_reference=" 7TK53561YB803214S ",
                product_title="  " + "T" * 250)
    args.update(change)
    return args


def test_a_payment_is_recorded_as_given(story, w):
    p = story.run(lambda ctx: record_payment(ctx, **_args(w)))
    assert (p.company_id, p.customer_id, p.amount_minor, p.currency, p.provider) == \
           (w.company.id, w.customer.id, 1500, "JPY", "paypal")
    assert (p.provider_reference, p.product_title, p.paid_at, p.created_at) == \
           ("7TK53561YB803214S", "T" * 200, story.now, story.now)
    assert (p.refunded_minor, p.refunded_at) == (0, None)


@pytest.mark.parametrize("change, code, field", [
    ({"company_id": "biz_nope"}, "invalid_company", "company_id"),
    ({"company_id": " "}, "company_id_required", "company_id"),
    ({"customer_id": "user_nope"}, "invalid_customer", "customer_id"),
    ({"amount_minor": 0}, "invalid_amount", "amount"), ({"amount_minor": 12.5}, "invalid_amount", "amount"),
    ({"amount_minor": True}, "invalid_amount", "amount"), ({"amount_minor": None}, "invalid_amount", "amount"),
    ({"currency": "JP¥"}, "invalid_currency", "currency"), ({"currency": None}, "currency_required", "currency"),
    ({"provider": "cash"}, "invalid_provider", "provider"),
    ({"provider_reference": "x" * 121}, "invalid_provider_reference", "provider_reference"),
    ({"paid_at": dt.datetime(2026, 3, 2, 9, 0)}, "invalid_paid_at", "paid_at"),  # no time zone: ambiguous
])
def test_each_rule_refuses_with_its_own_code(story, w, change, code, field):
    err = story.refuse(record_payment, **_args(w, **change))
    assert (type(err), err.code, err.detail["field"]) == (Invalid, code, field)


def test_a_creator_is_not_a_customer(story, w):
    assert story.refuse(record_payment, **_args(w, customer_id=w.creator.id)).code == "invalid_customer"


def test_paid_at_may_be_a_little_ahead_of_our_clock_but_not_in_the_future(story, w):
    assert story.run(lambda ctx: record_payment(ctx, **_args(w, paid_at=ctx.now + dt.timedelta(minutes=4))))
    assert story.refuse(record_payment, **_args(w, paid_at=story.now + dt.timedelta(minutes=6))).code == \
           "invalid_paid_at"


def test_no_case_spares_the_lookup_and_none_still_looks(story, w, Session):  # noqa: N803
    cid = story.open()
    fresh = story.new_payment(paid_ago=days(2))
    with Session() as s:
        ctx, customer = story.ctx(s), s.get(User, w.customer.id)
        disputed, undisputed = s.get(Payment, w.payment.id), s.get(Payment, fresh.id)
        assert payment_verdict(ctx, customer, disputed).code == "case_already_exists"  # looked up
        assert payment_verdict(ctx, customer, disputed, existing_case_id=cid).code == "case_already_exists"
        assert payment_verdict(ctx, customer, undisputed).eligible
        queries: list[str] = []

        def record(conn, cursor, statement, *args):
            queries.append(statement)

        sa.event.listen(s.get_bind(), "before_cursor_execute", record)
        try:
            verdict = payment_verdict(ctx, customer, undisputed, existing_case_id=NO_CASE)
        finally:
            sa.event.remove(s.get_bind(), "before_cursor_execute", record)
        assert verdict.eligible and queries == []
