"""The parties' own pages (data/read/parties.py), everything their callbacks read:

    company.page.largest   the largest company's page as its creator sees it: what needs a
                           response (with each case's available actions), the appeal window,
                           the KPIs and the first block of the all-cases grid
    customer.page          the customer with the most payments: first pages of payments and cases
"""
from __future__ import annotations

import datetime as dt

import pytest

from callbacks.my_cases import PAGE_SIZE
from data.models import User
from data.read import parties
from dashboard.cases.available import available_actions
from dashboard.context import Ctx
from dashboard.permissions import case_visibility, payment_visibility

RESPONSE_WINDOW = dt.timedelta(days=7)

COMPANY_SQL = (
    """SELECT c.*, u.name, u.email FROM cases c JOIN users u ON u.id = c.customer_id
       WHERE c.company_id = %(company)s AND c.status = 'awaiting_merchant' ORDER BY c.response_due_at, c.id LIMIT 50""",
    """SELECT c.*, u.name FROM cases c JOIN users u ON u.id = c.customer_id
       WHERE c.company_id = %(company)s AND c.status = 'closed' AND NOT c.final AND c.decided_by_id IS NOT NULL
         AND c.appeal_due_at > %(now)s AND NOT c.customer_appealed AND NOT c.merchant_appealed
       ORDER BY c.appeal_due_at, c.id LIMIT 50""",
    """SELECT count(*), count(first_merchant_response_at), count(*) FILTER (WHERE escalated),
              count(*) FILTER (WHERE status <> 'closed'), sum(refunded_minor),
              percentile_disc(0.5) WITHIN GROUP (ORDER BY first_merchant_response_at - created_at)
       FROM cases WHERE company_id = %(company)s""",
    """SELECT c.outcome, c.currency, count(*), sum(c.refunded_minor) FROM cases c
       WHERE c.company_id = %(company)s GROUP BY 1, 2""",
    """SELECT c.id, u.name, u.email, p.product_title, c.amount_minor, c.currency, c.reason, c.status, c.escalated,
              c.outcome, c.response_due_at, c.updated_at
       FROM cases c JOIN users u ON u.id = c.customer_id JOIN payments p ON p.id = c.payment_id
       WHERE c.company_id = %(company)s ORDER BY c.updated_at DESC, c.id DESC LIMIT 50""",
)
CUSTOMER_SQL = (
    "SELECT count(*) FROM payments WHERE customer_id = %(customer)s",
    """SELECT p.*, b.name, c.id, c.status FROM payments p JOIN companies b ON b.id = p.company_id
       LEFT JOIN cases c ON c.payment_id = p.id WHERE p.customer_id = %(customer)s
       ORDER BY p.paid_at DESC, p.id DESC LIMIT %(n)s""",
    "SELECT count(*) FROM cases WHERE customer_id = %(customer)s",
    """SELECT c.*, b.name, p.product_title FROM cases c JOIN companies b ON b.id = c.company_id
       JOIN payments p ON p.id = c.payment_id WHERE c.customer_id = %(customer)s
       ORDER BY c.status = 'awaiting_customer' DESC, c.status = 'closed', c.updated_at DESC, c.id DESC LIMIT %(n)s""",
)


def run_all(statements, params):
    def run(bare):
        return [bare.run(sql, params) for sql in statements]

    return run


@pytest.fixture(scope="module")
def as_user(bench_session, world, settings_for, bench_engine):
    """as_user(user_id, fn) -> fn(ctx, user) in a fresh session, as a callback does."""
    settings = settings_for(bench_engine)

    def _call(user_id, fn):
        with bench_session() as s:
            return fn(Ctx(s, world.now, settings), s.get(User, user_id))

    return _call


def company_page(ctx, user):
    s, visible = ctx.session, case_visibility(user)
    needs = [(c, available_actions(ctx, c, user)) for c in parties.cases_awaiting_merchant(s, visible)]
    appeals = [(c, available_actions(ctx, c, user))
               for c in parties.cases_in_merchant_appeal_window(s, visible, now=ctx.now)]
    kpis = parties.company_kpis(s, user.company_id, now=ctx.now, response_window=RESPONSE_WINDOW)
    grid = parties.company_cases_page(s, visible, start=0, end=50)
    return needs, appeals, kpis, grid


def test_company_page(as_user, world, recorder):
    ours, bare = recorder.bench("company.page.largest", lambda: as_user(world.creator_id, company_page),
                                sql=run_all(COMPANY_SQL, {"company": world.company_id, "now": world.now}),
                                company_cases=world.company_cases)
    needs, appeals, kpis, grid = ours.result
    assert kpis.total == world.company_cases == bare.result[2][0][0]
    assert [c.id for c, _ in needs] == [r[0] for r in bare.result[0]]
    rows, total = grid
    assert len(rows) == min(50, world.company_cases) and total == world.company_cases
    assert [r.id for r in rows] == [r[0] for r in bare.result[4]]


def customer_page(ctx, user):
    s = ctx.session
    payments = parties.customer_payments_page(s, payment_visibility(user), offset=0, limit=PAGE_SIZE)
    cases = parties.customer_cases_page(s, case_visibility(user), offset=0, limit=PAGE_SIZE)
    return payments, cases


def test_customer_page(as_user, world, recorder):
    ours, bare = recorder.bench("customer.page", lambda: as_user(world.customer_id, customer_page),
                                sql=run_all(CUSTOMER_SQL, {"customer": world.customer_id, "n": PAGE_SIZE}),
                                payments=world.customer_payments)
    (payments, n_payments), (cases, n_cases) = ours.result
    assert n_payments == world.customer_payments == bare.result[0][0][0]
    assert [r.payment.id for r in payments] == [r[0] for r in bare.result[1]]
    assert n_cases == bare.result[2][0][0] and [c.id for c in cases] == [r[0] for r in bare.result[3]]
