"""The parties' read models (company page, customer page) on SQLite and PostgreSQL.

Cases are made through the domain (open, deny, escalate, decide), each step at an
explicit moment, so what the read models see is what the app really writes; a few
timestamps are then set by hand where a number must be exact.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import false

from data.models import Case
from data.read import parties as rp
from dashboard.cases import party, review, system
from dashboard.cases.opening import open_case
from dashboard.context import Ctx
from dashboard.permissions import case_visibility, payment_visibility
from tests import factories
from tests.factories import T0, days

H = dt.timedelta(hours=1)
WEEK = dt.timedelta(days=7)


class Book:
    """Runs domain calls as of a given moment, one committed transaction each."""

    def __init__(self, Session, settings):  # noqa: N803
        self.Session, self.settings = Session, settings
        with Session.begin() as s:
            self.w = factories.world(Ctx(s, T0 - days(60), settings))

    def do(self, fn, at, **kwargs):
        with self.Session.begin() as s:
            return fn(Ctx(s, at, self.settings), **kwargs)

    def open(self, at, *, customer=None, company=None, amount=5000, currency="USD", provider="stripe",
             product="Course") -> str:
        w = self.w
        customer, company = customer or w.customer, company or w.company

        def body(ctx):
            p = factories.payment(ctx, company=company, customer=customer, amount_minor=amount, currency=currency,
                                  provider=provider, paid_at=at - H, product=product)
            return open_case(ctx, actor=customer, payment_id=p.id, reason="product_not_received",
                             message="It never arrived").case.id

        return self.do(body, at)

    def set(self, case_id, **values):
        with self.Session.begin() as s:  # through the ORM, so the rollups see the change
            case = s.get(Case, case_id)
            for name, value in values.items():
                setattr(case, name, value)

    def read(self, fn, **kwargs):
        with self.Session() as s:
            return fn(s, **kwargs)


@pytest.fixture
def book(Session, tmp_path):  # noqa: N803
    return Book(Session, factories.test_settings(tmp_path))


def ids(cases):
    return [c.id for c in cases]


def test_awaiting_merchant_lists_own_company_first_instance_and_platform_requests_most_urgent_first(book):
    w = book.w
    later = book.open(T0 + 2 * H)
    sooner = book.open(T0)
    other_company = book.open(T0 - H, customer=w.other_customer, company=w.other_company)
    asked_customer = book.open(T0)
    book.do(party.merchant_request_info, T0 + H, actor=w.creator, case_id=asked_customer, message="Order number?")
    # A platform request to the merchant: opened earlier, escalated for silence, then asked.
    platform_ask = book.open(T0 - days(8))
    book.do(lambda ctx: system.escalate_overdue(ctx, platform_ask), T0 - H)
    book.do(review.request_info_from, T0 + 3 * H, actor=w.reviewer, case_id=platform_ask, party="merchant",
            message="Please send the delivery proof.")
    closed = book.open(T0)
    book.do(party.accept, T0 + H, actor=w.creator, case_id=closed)

    got = book.read(rp.cases_awaiting_merchant, visibility=case_visibility(w.creator))
    assert ids(got) == [sooner, later, platform_ask]
    assert got[2].escalated and got[2].status == "awaiting_merchant"
    assert got[0].customer.id == w.customer.id  # loaded for the screen
    assert ids(book.read(rp.cases_awaiting_merchant, visibility=case_visibility(w.other_creator))) == [other_company]
    assert book.read(rp.cases_awaiting_merchant, visibility=false()) == []


def test_appeal_window_lists_open_platform_decisions_only(book):
    w = book.w

    def decided(at, outcome="refund"):
        cid = book.open(at - days(8))
        book.do(lambda ctx: system.escalate_overdue(ctx, cid), at - H)
        book.do(review.decide, at, actor=w.reviewer, case_id=cid, outcome=outcome, reason="Looked at it")
        return cid

    late = decided(T0 + H)
    early = decided(T0, outcome="merchant_wins")
    appealed = decided(T0, outcome="credit")  # credit, not a full refund: the customer may appeal it
    book.do(party.appeal, T0 + H, actor=w.customer, case_id=appealed, message="Please look again")
    denied = book.open(T0)  # a merchant's own denial: only the customer may appeal it
    book.do(party.deny, T0 + H, actor=w.creator, case_id=denied, message="Delivered")
    other = book.open(T0 - days(8), customer=w.other_customer, company=w.other_company)
    book.do(lambda ctx: system.escalate_overdue(ctx, other), T0 - H)
    book.do(review.decide, T0, actor=w.reviewer, case_id=other, outcome="refund", reason="ok")

    now = T0 + 2 * H
    assert ids(book.read(rp.cases_in_merchant_appeal_window, visibility=case_visibility(w.creator), now=now)) \
        == [early, late]
    # Once the window has passed, nothing is listed.
    assert book.read(rp.cases_in_merchant_appeal_window, visibility=case_visibility(w.creator),
                     now=T0 + H + WEEK) == []


def test_company_grid_pages_sorts_and_filters_on_the_server(book):
    w = book.w
    amounts = [1000, 5000, 3000, 2000, 4000]
    made = [book.open(T0 + i * H, amount=a) for i, a in enumerate(amounts)]
    book.do(party.accept, T0 + 6 * H, actor=w.creator, case_id=made[1])
    foreign = book.open(T0, customer=w.other_customer, company=w.other_company, amount=9999)
    vis = case_visibility(w.creator)

    rows, total = book.read(rp.company_cases_page, visibility=vis, start=0, end=2,
                            sort_model=[{"colId": "amount", "sort": "asc"}])
    assert total == 5 and [r.amount_minor for r in rows] == [1000, 2000]
    rows, _ = book.read(rp.company_cases_page, visibility=vis, start=2, end=10,
                        sort_model=[{"colId": "amount", "sort": "asc"}])
    assert [r.amount_minor for r in rows] == [3000, 4000, 5000]
    rows, _ = book.read(rp.company_cases_page, visibility=vis, sort_model=[{"colId": "amount", "sort": "desc"}])
    assert rows[0].amount_minor == 5000 and foreign not in [r.id for r in rows]
    # Default: most recently updated first (the accepted one moved last).
    rows, _ = book.read(rp.company_cases_page, visibility=vis)
    assert rows[0].id == made[1] and rows[0].outcome == "customer_won"

    # A label typed into a filter matches the wire value; closed and open split cleanly.
    rows, total = book.read(rp.company_cases_page, visibility=vis,
                            filter_model={"status": {"filterType": "text", "type": "contains", "filter": "Closed"}})
    assert total == 1 and rows[0].id == made[1]
    rows, total = book.read(rp.company_cases_page, visibility=vis, filter_model={
        "outcome": {"filterType": "text", "type": "equals", "filter": "customer won"}})
    assert [r.id for r in rows] == [made[1]]
    _, total = book.read(rp.company_cases_page, visibility=vis, filter_model={
        "customer": {"filterType": "text", "type": "contains", "filter": w.customer.name.upper()}})
    assert total == 5
    # Another company's case id, or SQL in a filter or an unknown column: nothing leaks, nothing breaks.
    _, total = book.read(rp.company_cases_page, visibility=vis,
                         filter_model={"case": {"filterType": "text", "type": "equals", "filter": foreign}})
    assert total == 0
    _, total = book.read(rp.company_cases_page, visibility=vis, sort_model=[{"colId": "1; drop table cases"}],
                         filter_model={"case": {"type": "contains", "filter": "%' OR 1=1 --"},
                                       "no_such_column": {"type": "contains", "filter": "x"}})
    assert total == 0
    rows, total = book.read(rp.company_cases_page, visibility=vis, filter_model={"status": {
        "filterType": "text", "operator": "OR",
        "conditions": [{"type": "equals", "filter": "closed"}, {"type": "startsWith", "filter": "awaiting m"}]}})
    assert total == 5


def test_company_kpis(book):
    w = book.w
    response_times = [1 * H, 3 * H, 5 * H, 9 * days(1)]  # the last one is late (set by hand below)
    made = []
    for i, delay in enumerate(response_times):
        cid = book.open(T0 - days(20) + i * H, currency="EUR" if i == 0 else "USD", amount=1000 * (i + 1))
        book.do(party.deny, T0 - days(20) + i * H + min(delay, 6 * H), actor=w.creator, case_id=cid,
                message="Delivered")
        made.append(cid)
    book.set(made[3], first_merchant_response_at=T0 - days(20) + 3 * H + 9 * days(1))
    silent = book.open(T0 - days(10))  # no answer in the window: escalated, counts against the rate
    book.do(lambda ctx: system.escalate_overdue(ctx, silent), T0 - days(2))
    withdrawn = book.open(T0 - days(9))  # withdrawn before any answer: left out of the rate
    book.do(party.withdraw, T0 - days(9) + H, actor=w.customer, case_id=withdrawn)
    book.open(T0 - H)  # still inside its window: left out of the rate
    book.set(made[0], status="closed", outcome="customer_won", refunded_minor=1000)
    book.set(made[1], outcome="customer_won", refunded_minor=2000)
    book.open(T0, customer=w.other_customer, company=w.other_company)  # not theirs

    k = book.read(rp.company_kpis, company_id=w.company.id, now=T0, response_window=WEEK)
    assert k.total == 7 and k.open == 2
    assert k.responded == 4
    # Sorted waits 1h, 3h, 5h, 9d: the lower of the two middle cases, to the hour.
    assert k.median_first_response == 3 * H
    assert (k.responded_in_window, k.response_window_cases) == (3, 5)
    assert k.response_rate == pytest.approx(0.6)
    assert k.escalated == 1
    assert k.outcomes == {"customer_won": 2, "merchant_won": 2, "withdrawn": 1}
    assert k.refunded == {"EUR": 1000, "USD": 2000}

    book.set(made[3], first_merchant_response_at=None)  # odd count: the middle one
    k = book.read(rp.company_kpis, company_id=w.company.id, now=T0, response_window=WEEK)
    assert k.median_first_response == 3 * H
    empty = book.read(rp.company_kpis, company_id="biz_nobody", now=T0, response_window=WEEK)
    assert (empty.total, empty.median_first_response, empty.response_rate, empty.outcomes) == (0, None, None, {})


def test_customer_payments_newest_first_with_their_case(book):
    w = book.w
    cid = book.open(T0 - days(3))

    def pay(ctx, **kw):
        return factories.payment(ctx, company=w.company, **kw).id

    crypto = book.do(lambda ctx: pay(ctx, customer=w.customer, provider="crypto", paid_at=T0 - days(1)), T0)
    oldest = book.do(lambda ctx: pay(ctx, customer=w.customer, paid_at=T0 - days(80)), T0)
    book.do(lambda ctx: pay(ctx, customer=w.other_customer, paid_at=T0), T0)

    rows, total = book.read(rp.customer_payments_page, visibility=payment_visibility(w.customer), limit=10)
    assert total == 4  # the world's payment, the disputed one, crypto, oldest
    assert [r.payment.paid_at for r in rows] == sorted((r.payment.paid_at for r in rows), reverse=True)
    assert rows[-1].payment.id == oldest and crypto in [r.payment.id for r in rows]
    disputed = [r for r in rows if r.case_id]
    assert [(r.case_id, r.case_status) for r in disputed] == [(cid, "awaiting_merchant")]
    assert rows[0].payment.company.name == "Acme Courses"
    page2, _ = book.read(rp.customer_payments_page, visibility=payment_visibility(w.customer), offset=3, limit=3)
    assert [r.payment.id for r in page2] == [oldest]


def test_customer_cases_waiting_on_them_first(book):
    w = book.w
    plain = book.open(T0 + 2 * H)
    asked = book.open(T0)
    book.do(party.merchant_request_info, T0 + H, actor=w.creator, case_id=asked, message="Which email?")
    book.open(T0, customer=w.other_customer, company=w.other_company)
    closed = book.open(T0 + 3 * H)
    book.do(party.withdraw, T0 + 4 * H, actor=w.customer, case_id=closed)

    got, total = book.read(rp.customer_cases_page, visibility=case_visibility(w.customer))
    assert total == 3 and ids(got) == [asked, plain, closed]
    assert got[0].company.name == "Acme Courses" and got[0].payment.product_title == "Course"
    got, total = book.read(rp.customer_cases_page, visibility=case_visibility(w.customer), offset=1, limit=1)
    assert total == 3 and ids(got) == [plain]


GRID_SORTS = [[], [{"colId": "amount", "sort": "asc"}], [{"colId": "amount", "sort": "desc"}],
              [{"colId": "customer", "sort": "asc"}], [{"colId": "deadline", "sort": "asc"}],
              [{"colId": "deadline", "sort": "desc"}], [{"colId": "outcome", "sort": "asc"}],
              [{"colId": "status", "sort": "desc"}, {"colId": "amount", "sort": "asc"}],
              [{"colId": "updated", "sort": "asc"}], [{"colId": "case", "sort": "desc"}]]


@pytest.mark.parametrize("sort", GRID_SORTS, ids=lambda s: "+".join(f"{i['colId']}-{i['sort']}" for i in s) or "default")
def test_company_grid_pages_by_keyset_exactly_like_offset(book, sort):
    """Page after page, each seeking from the cursor of the one before, gives the rows
    OFFSET gives — with NULL deadlines and outcomes, equal amounts and mixed directions."""
    w = book.w
    made = [book.open(T0 + i * H, amount=(1000, 2000)[i % 2], customer=(w.customer, w.other_customer)[i % 3 == 0])
            for i in range(7)]
    book.do(party.accept, T0 + 8 * H, actor=w.creator, case_id=made[2])
    book.do(party.deny, T0 + 8 * H, actor=w.creator, case_id=made[5], message="Delivered")
    book.set(made[3], updated_at=T0 + 20 * H)
    book.set(made[4], updated_at=T0 + 20 * H)  # equal update times: the id decides
    vis = case_visibility(w.creator)
    everything = [r.id for r in book.read(rp.company_cases_page, visibility=vis, sort_model=sort).rows]
    walked, seeks, cursor = [], [], None
    for start in (0, 3, 6):
        page = book.read(rp.company_cases_page, visibility=vis, start=start, end=start + 3, sort_model=sort,
                         after=cursor)
        walked += [r.id for r in page.rows]
        seeks.append(page.seeked)
        cursor = page.next_cursor
    assert walked == everything and sorted(walked) == sorted(made)
    assert seeks == [False, True, True] and cursor is None  # the last page is short: nothing follows
