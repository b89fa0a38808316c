"""`/customers/<id>`, `/companies/<id>` and the staff case page's decision context, called
as plain functions by a signed-in user on SQLite and PostgreSQL: staff see the customer's
and the company's numbers and their cases and payments a page at a time (Next page by the
read model's cursor); anyone else, or an id that is no customer's or company's, gets the
not-found state and no rows, never an error; precedent and risk are built for staff only."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import plotly.utils
import pytest

from callbacks import case as case_cb
from callbacks import staff_views as cb
from data.read import context
from dashboard.components.ids import DecisionIds, StaffViewIds as V
from dashboard.context import Ctx
from tests import factories
from tests.factories import days
from tests.metrics_cases import make_case

HIDDEN = {"display": "none"}
H = dt.timedelta(hours=1)
NOT_FOUND = "does not exist or is not yours to see"


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture(autouse=True)
def _fresh_median():
    context.clear_median_cache()
    yield
    context.clear_median_cache()


@pytest.fixture
def w(runtime, now):
    """Zelda (Acme's customer) with 22 cases at Acme and 1 at Other (23: two pages of 20),
    four of them closed at Acme (won, won, lost, withdrawn), and a payment without a case."""
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now - days(200), runtime.settings)
        w = factories.world(ctx)
        w.customer.name, w.customer.email = "Zelda Quartermain", "zelda.q@example.org"
        c = Ctx(s, now, runtime.settings)
        w.cases = []
        outcomes = ["customer_won", "customer_won", "merchant_won", "withdrawn"]
        for i in range(22):
            outcome = outcomes[i] if i < 4 else None
            case = make_case(c, company=w.company, customer=w.customer, created_at=now - days(40 - i),
                             amount=1000 + i, status="closed" if outcome else "awaiting_merchant", outcome=outcome,
                             closed_after=days(1) if outcome else None)
            w.cases.append(case.id)
        w.other_case = make_case(c, company=w.other_company, customer=w.customer, created_at=now - days(2),
                                 status="under_review", escalated=True).id
        w.lone_payment = factories.payment(c, company=w.company, customer=w.customer, amount_minor=777,
                                           paid_at=now - days(1), product="Lone ebook").id
    return w


def call(as_user, user, fn, *args, trigger=None, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": trigger}))
    with as_user(user):
        return fn(*args)


# --------------------------------------------------------------------------- customer
@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_staff_see_the_customer_their_win_rate_and_open_cases(as_user, w, role):
    summary, style = call(as_user, getattr(w, role), cb.load_customer, w.customer.id)
    out = text(summary)
    assert style == {} and "Zelda Quartermain" in out and "zelda.q@example.org" in out
    assert "23" in out and "19 open" in out  # 22 + 1 cases, 4 closed
    assert "50%" in out and "won 2 of 4 closed" in out


def test_the_customers_cases_at_every_company_page_by_page(as_user, w, monkeypatch):
    reviewer = w.reviewer
    table, page, next_style, first_style = call(as_user, reviewer, cb.customer_cases_page, w.customer.id, 0, 0, None,
                                                trigger=V.CUSTOMER_ID, monkeypatch=monkeypatch)
    out = text(table)
    newest = [w.other_case] + list(reversed(w.cases))
    assert all(cid in out for cid in newest[:20]) and not any(cid in out for cid in newest[20:])
    assert "Other Co" in out and f"/companies/{w.other_company.id}" in out  # each case's company, linked
    assert next_style == {} and first_style == HIDDEN and page["at"] is None and page["next"]
    table2, page2, next2, first2 = call(as_user, reviewer, cb.customer_cases_page, w.customer.id, 1, 0, page,
                                        trigger=V.CUSTOMER_CASES_NEXT, monkeypatch=monkeypatch)
    out2 = text(table2)
    assert all(cid in out2 for cid in newest[20:]) and newest[19] not in out2
    assert next2 == HIDDEN and first2 == {} and page2["at"] == page["next"] and page2["next"] is None
    # First page: back to the top, whatever cursor the Store held.
    table3, page3, _n, first3 = call(as_user, reviewer, cb.customer_cases_page, w.customer.id, 1, 1, page2,
                                     trigger=V.CUSTOMER_CASES_FIRST, monkeypatch=monkeypatch)
    assert newest[0] in text(table3) and page3["at"] is None and first3 == HIDDEN


def test_an_open_case_shows_its_status_not_the_outcome_under_appeal(as_user, w, runtime, now, monkeypatch):
    """A denial appealed and under review holds merchant_won until the platform decides."""
    with runtime.Session.begin() as s:
        appealed = make_case(Ctx(s, now, runtime.settings), company=w.company, customer=w.customer,
                             created_at=now - days(1), status="under_review", outcome="merchant_won",
                             escalated=True, customer_appealed=True).id
        lost = make_case(Ctx(s, now, runtime.settings), company=w.company, customer=w.customer,
                         created_at=now - days(1), status="closed", outcome="merchant_won", closed_after=H).id
    table, *_ = call(as_user, w.reviewer, cb.customer_cases_page, w.customer.id, 0, 0, None,
                     trigger=V.CUSTOMER_ID, monkeypatch=monkeypatch)
    rows = {getattr(node, "data-row"): text(node) for node in table._traverse()
            if type(node).__name__ == "Tr" and hasattr(node, "data-row")}
    assert "Under review" in rows[appealed] and "Merchant won" not in rows[appealed]
    assert "Merchant won" in rows[lost]  # a closed case keeps its outcome


def test_the_customers_payments_show_the_case_on_each(as_user, w, monkeypatch):
    table, page, next_style, _ = call(as_user, w.manager, cb.customer_payments_page, w.customer.id, 0, 0, None,
                                      trigger=V.CUSTOMER_ID, monkeypatch=monkeypatch)
    out = text(table)
    assert "Lone ebook" in out and "$7.77" in out and "no case" in out  # the newest: a payment without a case
    assert w.other_case in out and next_style == {}  # 24 payments (23 cases' and the lone one): two pages


def test_a_junk_cursor_starts_from_the_top(as_user, w, monkeypatch):
    table, page, _n, first = call(as_user, w.reviewer, cb.customer_cases_page, w.customer.id, 1, 0,
                                  {"next": "not-a-cursor"}, trigger=V.CUSTOMER_CASES_NEXT, monkeypatch=monkeypatch)
    assert w.other_case in text(table) and first == HIDDEN


@pytest.mark.parametrize("who", ["customer", "creator", "other_creator", "integration"])
def test_anyone_but_staff_gets_not_found_and_no_rows(as_user, w, who, monkeypatch):
    user = getattr(w, who)
    summary, style = call(as_user, user, cb.load_customer, w.customer.id)
    assert NOT_FOUND in text(summary) and style == HIDDEN and "zelda" not in text(summary).lower()
    for fn, owner in ((cb.customer_cases_page, w.customer.id), (cb.customer_payments_page, w.customer.id),
                      (cb.company_cases_page, w.company.id), (cb.company_payments_page, w.company.id)):
        assert call(as_user, user, fn, owner, 0, 0, None, trigger=None, monkeypatch=monkeypatch) == cb.NO_LIST
    summary, style = call(as_user, user, cb.load_company, w.company.id)
    assert NOT_FOUND in text(summary) and style == HIDDEN and "Acme" not in text(summary)


@pytest.mark.parametrize("junk", [None, "", 42, ["user_x"], {"id": 1}, "user_doesnotexist", "x" * 500])
def test_unknown_or_malformed_ids_are_not_found(as_user, w, junk, monkeypatch):
    for load in (cb.load_customer, cb.load_company):
        summary, style = call(as_user, w.reviewer, load, junk)
        assert NOT_FOUND in text(summary) and style == HIDDEN
    for fn in (cb.customer_cases_page, cb.customer_payments_page, cb.company_cases_page, cb.company_payments_page):
        assert call(as_user, w.reviewer, fn, junk, 1, 0, {"next": 7}, trigger=None, monkeypatch=monkeypatch) == cb.NO_LIST


def test_a_creator_or_a_company_id_is_no_customer(as_user, w):
    for not_a_customer in (w.creator.id, w.reviewer.id, w.company.id):
        summary, style = call(as_user, w.reviewer, cb.load_customer, not_a_customer)
        assert NOT_FOUND in text(summary) and style == HIDDEN
    summary, _ = call(as_user, w.reviewer, cb.load_company, w.customer.id)
    assert NOT_FOUND in text(summary)


# ---------------------------------------------------------------------------- company
def test_staff_see_the_company_its_rates_and_open_cases_by_status(as_user, w, runtime, now):
    with runtime.Session.begin() as s:  # a decision appealed and overturned, 10 days ago
        c = Ctx(s, now, runtime.settings)
        case = make_case(c, company=w.company, customer=w.other_customer, created_at=now - days(30), status="closed",
                         outcome="customer_won", decision="merchant_wins", final_review=True, customer_appealed=True,
                         closed_after=days(20))
        case.final_decision, case.final_decided_at = "overturn", now - days(10)
    summary, style = call(as_user, w.manager, cb.load_company, w.company.id)
    out = text(summary)
    assert style == {} and "Acme Courses" in out
    # 23 cases at Acme on 23 payments, and the lone one (the world's payment is 200 days old).
    assert "23 cases / 24 payments" in out
    assert "Awaiting merchant 18" in out  # 18 open at Acme, all awaiting the merchant
    assert "18 of 23" in out
    assert "1 of 1 overturned in the last 180 days" in out and "100% of 1 platform decisions appealed" in out
    assert "60% customer won" in out and "20% merchant won" in out and "20% withdrawn" in out  # 3/5, 1/5, 1/5
    assert V.COMPANY_SPARKLINE in out and "23 cases in the last 12 months" in out
    assert "platform median" in out


def test_a_company_at_twice_the_median_is_flagged_in_words(as_user, w, runtime, now):
    with runtime.Session.begin() as s:  # two quiet companies: 100 payments each, no case
        c = Ctx(s, now, runtime.settings)
        for name in ("Quiet One", "Quiet Two"):
            quiet = factories.company(c, name)
            for _ in range(100):
                factories.payment(c, company=quiet, customer=w.other_customer, paid_at=now - days(5))
    # Rates: Acme 23/24, Other 1/1, the quiet ones 0: the median is 23/48, Acme is at 2x.
    summary, _ = call(as_user, w.reviewer, cb.load_company, w.company.id)
    out = text(summary)
    assert "Look closer" in out and "2.0× the platform median" in out and "over 4 companies" in out
    summary, _ = call(as_user, w.reviewer, cb.load_company, w.other_company.id)
    assert "Look closer" in text(summary)  # 1/1
    context.clear_median_cache()
    runtime.settings = dataclasses.replace(runtime.settings, risk_dispute_rate_ratio=2.5)
    summary, _ = call(as_user, w.reviewer, cb.load_company, w.company.id)
    assert "Look closer" not in text(summary)


def test_the_companys_cases_and_payments_page_by_page(as_user, w, monkeypatch):
    table, page, next_style, _ = call(as_user, w.reviewer, cb.company_cases_page, w.company.id, 0, 0, None,
                                      trigger=V.COMPANY_ID, monkeypatch=monkeypatch)
    out = text(table)
    newest = list(reversed(w.cases))
    assert all(cid in out for cid in newest[:20]) and newest[20] not in out and w.other_case not in out
    assert f"/customers/{w.customer.id}" in out and next_style == {}
    table2, page2, next2, _ = call(as_user, w.reviewer, cb.company_cases_page, w.company.id, 1, 0, page,
                                   trigger=V.COMPANY_CASES_NEXT, monkeypatch=monkeypatch)
    assert newest[20] in text(table2) and newest[21] in text(table2) and next2 == HIDDEN
    payments, _p, _n, _f = call(as_user, w.reviewer, cb.company_payments_page, w.company.id, 0, 0, None,
                                trigger=V.COMPANY_ID, monkeypatch=monkeypatch)
    assert "Lone ebook" in text(payments) and "Zelda Quartermain" in text(payments)


# --------------------------------------------------------------- the case page's context
@pytest.fixture
def render(as_user):
    def _render(user, case_id):
        with as_user(user):
            return case_cb.render_case(case_id, 0)
    return _render


def test_staff_see_precedent_and_risk_on_the_case_page(render, w):
    case_id = w.cases[10]  # open, 1010 cents; four closed fraudulent cases at Acme nearby
    staff = render(w.reviewer, case_id)
    precedent, risk = text(staff[DecisionIds.PRECEDENT]), text(staff[DecisionIds.RISK])
    assert "Precedent (staff only)" in precedent and "4 closed" in precedent
    assert "50% customer won · 25% merchant won · 25% withdrawn" in precedent
    similar = [cid for cid in w.cases[:4] if cid in text(staff[DecisionIds.SIMILAR])]
    assert similar == w.cases[:4]  # the four closed ones, all near 1010
    assert "no final decisions" in text(staff[DecisionIds.OVERTURNS])
    # 23 cases in 12 months: flagged, in words, with the customer's name linked to their view.
    assert "Look closer" in risk and "opened 23 cases in the last 12 months" in risk
    assert f"/customers/{w.customer.id}" in risk and f"/companies/{w.company.id}" in risk
    parties = text(staff["case-parties"])
    assert f"/customers/{w.customer.id}" in parties and f"/companies/{w.company.id}" in parties


@pytest.mark.parametrize("who", ["customer", "creator"])
def test_parties_never_get_precedent_or_risk_not_even_read(render, w, who, monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("the decision context was read for a party")

    monkeypatch.setattr(context, "decision_context", refuse)
    out = text(render(getattr(w, who), w.cases[10]))
    assert "case-view" in out  # the page itself is there
    for marker in (DecisionIds.PRECEDENT, DecisionIds.RISK, "Precedent", "Look closer", "/customers/", "/companies/"):
        assert marker not in out, marker
