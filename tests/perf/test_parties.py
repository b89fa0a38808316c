"""The parties' own pages (data/read/parties.py): the company page of the largest
company as its creator sees it, and the customer page of the customer with the most
payments."""
from __future__ import annotations

import datetime as dt

import pytest

from data.models import User
from data.read import parties
from dashboard.permissions import case_visibility, payment_visibility

GROUP = "parties"
RESPONSE_WINDOW = dt.timedelta(days=7)


@pytest.fixture(scope="module")
def as_user(bench_session):
    """as_user(user_id, fn) -> fn(session, user) in a fresh session, as a callback does."""

    def _call(user_id, fn):
        with bench_session() as s:
            return fn(s, s.get(User, user_id))

    return _call


def test_company_needs_response(as_user, world, recorder):
    t = recorder.run(GROUP, "company: cases awaiting the merchant", lambda: as_user(
        world.creator_id, lambda s, u: parties.cases_awaiting_merchant(s, case_visibility(u))))
    cases = t.result
    assert cases and {c.company_id for c in cases} == {world.company_id}
    assert {c.status for c in cases} == {"awaiting_merchant"}
    dues = [c.response_due_at for c in cases]
    assert dues == sorted(dues)


def test_company_appeal_window(as_user, world, recorder):
    recorder.run(GROUP, "company: cases in the appeal window", lambda: as_user(
        world.creator_id, lambda s, u: parties.cases_in_merchant_appeal_window(s, case_visibility(u), now=world.now)))


def test_company_kpis(as_user, world, recorder):
    t = recorder.run(GROUP, f"company: KPIs ({world.company_cases:,} cases)", lambda: as_user(
        world.creator_id, lambda s, u: parties.company_kpis(s, case_visibility(u), now=world.now,
                                                            response_window=RESPONSE_WINDOW)),
        count=lambda k: 1)
    k = t.result
    assert k.total == world.company_cases and 0 < k.responded <= k.total and k.median_first_response
    assert sum(k.outcomes.values()) == k.total - k.open


def test_company_cases_grid(as_user, world, recorder):
    t = recorder.run(GROUP, "company: all cases, first block", lambda: as_user(
        world.creator_id, lambda s, u: parties.company_cases_page(s, case_visibility(u), start=0, end=50)),
        count=lambda r: len(r[0]))
    rows, total = t.result
    assert len(rows) == 50 and total == world.company_cases
    keys = [(r.updated_at, r.id) for r in rows]
    assert keys == sorted(keys, reverse=True)


def test_company_cases_grid_sorted(as_user, world, recorder):
    sort = [{"colId": "amount", "sort": "desc"}]
    t = recorder.run(GROUP, "company: all cases sorted by amount", lambda: as_user(
        world.creator_id, lambda s, u: parties.company_cases_page(s, case_visibility(u), start=0, end=50,
                                                                  sort_model=sort)),
        count=lambda r: len(r[0]))
    amounts = [r.amount_minor for r in t.result[0]]
    assert len(amounts) == 50 and amounts == sorted(amounts, reverse=True)


def test_whole_company_page(as_user, world, recorder):
    def page(s, u):
        visible = case_visibility(u)
        return (parties.cases_awaiting_merchant(s, visible),
                parties.cases_in_merchant_appeal_window(s, visible, now=world.now),
                parties.company_kpis(s, visible, now=world.now, response_window=RESPONSE_WINDOW),
                parties.company_cases_page(s, visible, start=0, end=50))

    t = recorder.run(GROUP, "company: whole page", lambda: as_user(world.creator_id, page),
                     count=lambda r: len(r[0]) + len(r[1]) + len(r[3][0]))
    assert t.result[2].total == world.company_cases


def test_customer_payments(as_user, world, recorder):
    t = recorder.run(GROUP, f"customer: payments, first 10 of {world.customer_payments}", lambda: as_user(
        world.customer_id, lambda s, u: parties.customer_payments_page(s, payment_visibility(u))),
        count=lambda r: len(r[0]))
    rows, total = t.result
    assert len(rows) == 10 and total == world.customer_payments
    assert {r.payment.customer_id for r in rows} == {world.customer_id}
    paid = [r.payment.paid_at for r in rows]
    assert paid == sorted(paid, reverse=True)


def test_customer_cases(as_user, world, recorder):
    t = recorder.run(GROUP, "customer: cases, first 10", lambda: as_user(
        world.customer_id, lambda s, u: parties.customer_cases_page(s, case_visibility(u))),
        count=lambda r: len(r[0]))
    cases, total = t.result
    assert cases and total >= len(cases) and {c.customer_id for c in cases} == {world.customer_id}
    waiting_first = [c.status == "awaiting_customer" for c in cases]
    assert waiting_first == sorted(waiting_first, reverse=True)
