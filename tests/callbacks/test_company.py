"""`/company` callbacks, called as plain functions by a signed-in user.

Callbacks act as of the real clock, so cases are opened at moments relative to now."""
from __future__ import annotations

import datetime as dt
import json

import plotly.utils
import pytest
from sqlalchemy import update

from callbacks import company as cb
from data.models import User
from data.read import parties
from dashboard.cases import party, review, system
from dashboard.cases.opening import open_case
from dashboard.context import Ctx
from tests import factories
from tests.factories import days

H = dt.timedelta(hours=1)
HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(40), runtime.settings))


@pytest.fixture
def cases(runtime, w, now):
    """Cases of both companies in the states the page cares about, keyed by name."""

    def at(moment, fn):
        with runtime.Session.begin() as s:
            return fn(Ctx(s, moment, runtime.settings))

    def opened(moment, *, customer=w.customer, company=w.company, amount=5000):
        def body(ctx):
            p = factories.payment(ctx, company=company, customer=customer, amount_minor=amount, paid_at=moment - H)
            return open_case(ctx, actor=customer, payment_id=p.id, reason="not_as_described",
                             message="Not what the page said").case.id
        return at(moment, body)

    out = {
        "overdue": opened(now - days(8)),  # the scheduler has not escalated it yet
        "soon": opened(now - days(7) + 5 * H),
        "fresh": opened(now - H, amount=1234),
        "foreign": opened(now - days(8), customer=w.other_customer, company=w.other_company),
        "platform_ask": opened(now - days(12)),
        "decided": opened(now - days(12)),
        "asked_customer": opened(now - days(2)),
    }
    at(now - days(4), lambda ctx: system.escalate_overdue(ctx, out["platform_ask"]))
    at(now - days(1), lambda ctx: review.request_info_from(ctx, actor=w.reviewer, case_id=out["platform_ask"],
                                                           party="merchant", message="Delivery proof, please."))
    at(now - days(4), lambda ctx: system.escalate_overdue(ctx, out["decided"]))
    at(now - days(1), lambda ctx: review.decide(ctx, actor=w.reviewer, case_id=out["decided"], outcome="refund",
                                                reason="No proof of delivery", amount=2500))
    at(now - days(1), lambda ctx: party.merchant_request_info(ctx, actor=w.creator, case_id=out["asked_customer"],
                                                              message="Which email did you use?"))
    return out


def grid(request=None, book=None):
    """The grid's answer alone (the callback also returns the cursor book for the Store)."""
    return grid_and_book(request, book)[0]


def grid_and_book(request=None, book=None):
    return cb.grid_rows({"startRow": 0, "endRow": 20, "sortModel": [], "filterModel": {}, **(request or {})}, book)


def test_creator_sees_what_needs_their_response_most_urgent_first(as_user, w, cases):
    with as_user(w.creator):
        subtitle, alert, style, needs, needs_count, appeals, appeals_count = cb.load_worklists(0)
    assert alert is None and style == {} and "Acme Courses" in text(subtitle)
    out = text(needs)
    # By deadline: overdue, due in 5 h, the platform's request (due in 6 days), the new case (7 days).
    positions = [out.index(cases[k]) for k in ("overdue", "soon", "platform_ask", "fresh")]
    assert positions == sorted(positions)
    assert needs_count == "4"
    assert cases["asked_customer"] not in out and cases["decided"] not in out and cases["foreign"] not in out
    assert '"data-deadline": "overdue"' in out and '"data-deadline": "soon"' in out
    assert "The platform asked you for information" in out and "Accept, deny or ask" in out
    assert f"/cases/{cases['fresh']}" in out and "overdue by" in out
    # The platform's refund decision may still be appealed by the merchant.
    assert cases["decided"] in text(appeals) and appeals_count == "1" and "Refund of $25.00" in text(appeals)


def test_other_company_creator_sees_only_theirs(as_user, w, cases):
    with as_user(w.other_creator):
        out = cb.load_worklists(0)
        rows = grid()
    assert cases["foreign"] in text(out)
    assert [r["id"] for r in rows["rowData"]] == [cases["foreign"]] and rows["rowCount"] == 1
    for key, value in cases.items():
        if key != "foreign":
            assert value not in text(out, rows)


def test_grid_pages_sorts_and_filters_their_cases(as_user, w, cases):
    with as_user(w.creator, tz="Europe/Paris"):
        everything = grid()
        page = grid({"startRow": 2, "endRow": 4, "sortModel": [{"colId": "amount", "sort": "asc"}]})
        fresh_first = grid({"sortModel": [{"colId": "amount", "sort": "asc"}]})
        closed = grid({"filterModel": {"status": {"filterType": "text", "type": "contains", "filter": "closed"}}})
        crafted = grid({"filterModel": {"case": {"filterType": "text", "type": "equals", "filter": cases["foreign"]}}})
    ids = [r["id"] for r in everything["rowData"]]
    assert everything["rowCount"] == 6 and sorted(ids) == sorted(v for k, v in cases.items() if k != "foreign")
    assert len(page["rowData"]) == 2 and page["rowCount"] == 6
    first = fresh_first["rowData"][0]
    assert first["id"] == cases["fresh"] and first["amount"] == "$12.34"
    assert first["case"] == f"[{cases['fresh']}](/cases/{cases['fresh']})"
    assert first["status"] == "Awaiting merchant" and first["deadline_state"] == "ok"
    assert "CET" in first["updated"] or "CEST" in first["updated"]  # the viewer's zone
    assert [r["id"] for r in closed["rowData"]] == [cases["decided"]] and closed["rowData"][0]["outcome"] == "Customer won"
    assert crafted == {"rowData": [], "rowCount": 0}


def test_next_page_seeks_from_where_the_last_one_ended(as_user, w, cases, monkeypatch):
    real, seen = parties.company_cases_page, []

    def spy(*args, **kwargs):
        page = real(*args, **kwargs)
        seen.append(page.seeked)
        return page

    monkeypatch.setattr(parties, "company_cases_page", spy)
    sort = [{"colId": "amount", "sort": "asc"}]
    with as_user(w.creator):
        all_at_once = [r["id"] for r in grid({"sortModel": sort})["rowData"]]
        book, walked = None, []
        for start in (0, 2, 4):
            response, book = grid_and_book({"startRow": start, "endRow": start + 2, "sortModel": sort}, book)
            walked += [r["id"] for r in response["rowData"]]
            assert response["rowCount"] == 6
    with as_user(w.other_creator):  # another company's creator with this book: still their own cases only
        theirs = grid({"startRow": 2, "endRow": 4, "sortModel": sort}, book)
    assert walked == all_at_once and seen[1:4] == [False, True, True]
    assert cases["foreign"] not in walked
    assert {r["id"] for r in theirs["rowData"]} <= {cases["foreign"]}


def test_kpis_are_their_own(as_user, w, cases):
    with as_user(w.creator):
        cards = cb.load_kpis(0)
    out = text(cards)
    assert "company-kpi-median" in out and "Median first response" in out
    # One merchant answer so far (the request for information, after a day): its wait is the median.
    assert "1d 0h" in out
    assert "Escalated to the platform" in out and "of 6 cases" in out
    assert "company-outcome-donut" in out and "Customer won" in out


@pytest.mark.parametrize("role", ["customer", "reviewer", "manager", "integration"])
def test_other_roles_get_nothing(as_user, w, cases, role):
    user = {"customer": w.customer, "reviewer": w.reviewer, "manager": w.manager, "integration": w.integration}[role]
    with as_user(user):
        worklists = cb.load_worklists(0)
        kpis = cb.load_kpis(0)
        rows = grid()
    assert worklists[2] == HIDDEN and "for creators" in text(worklists[1])
    assert kpis is None and rows == {"rowData": [], "rowCount": 0}
    for value in cases.values():
        assert value not in text(worklists, kpis, rows)


def test_creator_without_a_company_gets_nothing(as_user, runtime, w, cases):
    with runtime.Session.begin() as s:  # e.g. a creator whose company link was removed
        loner = factories.user(Ctx(s, runtime.now(), runtime.settings), "creator", company_id=w.company.id)
        s.execute(update(User).where(User.id == loner.id).values(company_id=None))
    with as_user(loner):
        worklists, rows = cb.load_worklists(0), grid()
    assert worklists[2] == HIDDEN and rows["rowCount"] == 0


def test_signed_out_gets_an_actionable_error(as_user, cases):
    with as_user(None):
        worklists, rows, kpis = cb.load_worklists(0), grid(), cb.load_kpis(0)
    assert "Sign in again" in text(worklists[1]) and worklists[2] == HIDDEN
    assert rows["rowCount"] == 0 and "Sign in again" in text(kpis)
