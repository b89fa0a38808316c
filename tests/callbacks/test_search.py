"""`/search` callbacks, called as plain functions by a signed-in user, on SQLite and
PostgreSQL: staff get the matching cases (open and closed, newest first, 25 a page and
"Next page" by the read model's cursor); an exact case or payment id opens the case;
customers and creators get an error and no rows; junk from the browser never raises."""
from __future__ import annotations

import json
import re

import plotly.utils
import pytest

from callbacks import search as cb
from dashboard.cases import opening
from dashboard.context import Ctx
from dashboard.components.ids import SearchIds
from tests import factories
from tests.callbacks.test_ids import page_registry  # noqa: F401  (the pages as Dash registers them)
from tests.factories import days

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime):
    """Acme's customer with 27 cases (two pages) of 12.34 USD, and one case of another
    customer with another company."""
    now = runtime.now()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        w = factories.world(ctx)
        w.customer.name, w.customer.email = "Zelda Quartermain", "zelda.q@example.org"
        w.cases = []
        for i in range(27):
            at = Ctx(s, now - days(27 - i) / 24, runtime.settings)
            pay = factories.payment(at, company=w.company, customer=w.customer, amount_minor=1234, paid_at=at.now)
            w.cases.append((opening.open_case(at, actor=w.customer, payment_id=pay.id, reason="fraudulent",
                                              message="Not me.").case.id, pay.id))
        pay = factories.payment(ctx, company=w.other_company, customer=w.other_customer, amount_minor=999)
        w.other_case = opening.open_case(ctx, actor=w.other_customer, payment_id=pay.id, reason="product_not_received",
                                         message="Never came.").case.id
    return w


def run(as_user, user, query, after=None):
    with as_user(user):
        return cb.search_cases(query, after)


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_staff_get_the_matching_cases_newest_first_and_a_next_page(as_user, w, role):
    alert, results, cursor, next_style, first_style, href = run(as_user, getattr(w, role), "zelda")
    out = text(results)
    assert alert is None and href is cb.no_update
    newest = [case_id for case_id, _ in reversed(w.cases)]
    assert all(case_id in out for case_id in newest[:25]) and newest[25] not in out
    assert out.index(newest[0]) < out.index(newest[1])  # newest first
    assert "Zelda Quartermain" in out and "zelda.q@example.org" in out and "Acme Courses" in out
    assert "$12.34" in out and w.other_case not in out
    assert cursor and next_style == {} and first_style == HIDDEN
    # Next page: the last two, no further page, a way back to the first.
    alert, results, cursor, next_style, first_style, _ = run(as_user, getattr(w, role), "zelda", cursor)
    out = text(results)
    assert newest[25] in out and newest[26] in out and newest[0] not in out
    assert cursor is None and next_style == HIDDEN and first_style == {}


def test_an_amount_and_an_email_find_cases(as_user, w):
    out = text(run(as_user, w.reviewer, "9.99"))
    assert w.other_case in out and w.cases[0][0] not in out
    out = text(run(as_user, w.reviewer, "zelda.q@"))
    assert w.cases[-1][0] in out and w.other_case not in out


@pytest.mark.parametrize("which", ["case", "payment"])
def test_an_exact_case_or_payment_id_opens_the_case(as_user, w, which):
    case_id, payment_id = w.cases[3]
    alert, results, cursor, next_style, first_style, href = run(as_user, w.manager,
                                                                case_id if which == "case" else payment_id)
    assert href == f"/cases/{case_id}" and cursor is None and next_style == HIDDEN


def test_no_match_says_what_can_be_searched_for_without_a_count(as_user, w):
    alert, results, cursor, next_style, first_style, href = run(as_user, w.reviewer, "nobody by this name")
    out = text(alert)
    assert "No cases match this search." in out and "email" in out and "amount" in out
    assert results is None and cursor is None and href is cb.no_update
    assert not re.search(r"\b\d+ (cases|results|matches)", out)  # count-free
    out = text(run(as_user, w.reviewer, "reso_doesnotexist0000")[0])
    assert "No case has this id." in out


def test_a_too_long_query_is_told_so(as_user, w):
    alert, results, *_ = run(as_user, w.reviewer, "x" * 500)
    assert "too long" in text(alert) and results is None


@pytest.mark.parametrize("role", ["customer", "creator", "other_customer", "other_creator"])
def test_parties_get_an_error_and_no_rows(as_user, w, role):
    case_id, payment_id = w.cases[0]
    for query in ("zelda", case_id, payment_id, "12.34"):
        alert, results, cursor, next_style, first_style, href = run(as_user, getattr(w, role), query)
        assert "reviewers and managers" in text(alert)
        assert results is None and cursor is None and href is cb.no_update
        assert case_id not in text(alert, results) and "Zelda" not in text(alert, results)


@pytest.mark.parametrize("query,after", [
    (None, None), (42, None), ({"q": 1}, ["x"]), ("", ""), ("   ", None), ("zelda", "not-a-cursor"),
    ("zelda", 17), ("%_\\", None), ("'; drop table cases; --", None), ("\x00\x1f", None), ("reso_", None),
    ("pay_" + "x" * 60, None), ("1e308", None), ("$", None), ("@", None), ("ÉMILE", None),
])
def test_junk_from_the_browser_never_raises(as_user, w, query, after):
    out = run(as_user, w.reviewer, query, after)
    assert len(out) == 6


def test_the_page_reads_q_into_its_store_and_has_one_h1(page_registry):
    layout = page_registry["pages.search"]["layout"](q="zelda")
    found = text(layout)
    assert '"search-query"' in found and '"zelda"' in found and found.count('"H1"') == 1
    assert SearchIds.NEXT in found
    junk = text(page_registry["pages.search"]["layout"](q=["a", "b"]))
    assert '"data": ""' in junk or '"data":""' in junk


def test_an_outcome_shows_only_once_the_case_is_closed(as_user, w, runtime):
    """An appealed denial under review still holds merchant_won in its outcome column: no
    result yet, so the row shows its status; a closed case shows its outcome."""
    from data.models import Case

    (under_review, _), (closed, _) = w.cases[-1], w.cases[-2]
    with runtime.Session.begin() as s:
        case = s.get(Case, under_review)
        case.stage, case.status, case.outcome, case.escalated = "under_review", "under_review", "merchant_won", True
        case = s.get(Case, closed)
        case.stage, case.status, case.outcome = "closed", "closed", "merchant_won"
    _alert, results, *_ = run(as_user, w.reviewer, "zelda")
    out = text(results)
    assert out.count("Merchant won") == 1 and "Under review" in out
