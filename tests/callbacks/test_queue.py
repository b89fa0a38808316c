"""`/queue` callbacks, called as plain functions by a signed-in user.

Callbacks act as of the real clock, so cases are opened at moments relative to now."""
from __future__ import annotations

import json

import plotly.utils
import pytest
from dash import no_update

from callbacks import queue as cb
from callbacks import queue_bulk as bulk
from data.models import Case
from dashboard.context import Ctx
from tests import factories
from tests.factories import days
from tests.queue_cases import H, QueueCases

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


def request(start=0, end=50, sort=None, filters=None):
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": filters or {}}


def load_rows(req, tab, assigned, book=None):
    """The grid's answer alone (the callback also returns the cursor book for the Store)."""
    response, _book = cb.load_rows(req, tab, assigned, book)
    return response


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(40), runtime.settings))


@pytest.fixture
def qc(runtime, w):
    return QueueCases(runtime.Session, runtime.settings, w)


@pytest.fixture
def cases(qc, w, now):
    return dict(
        # Escalated a day ago (opened 8 days ago, escalated on its deadline).
        escalated=qc.under_review(at=now - days(8)),
        foreign=qc.under_review(at=now - days(8) + H, customer=w.other_customer, company=w.other_company),
        final=qc.final_review(at=now - days(9)),
        overdue=qc.open(at=now - days(7) - H),          # deadline passed an hour ago, not yet escalated
        soon=qc.open(at=now - days(7) + 5 * H),         # due in 5 hours
        fresh=qc.open(at=now - H, provider="paypal"),   # due in almost 7 days
    )


def case_row(Session, case_id):  # noqa: N803
    with Session() as s:
        return s.get(Case, case_id)


# ------------------------------------------------------------------------------ access
def test_staff_see_the_queue_and_only_managers_get_the_assign_menu(as_user, w):
    with as_user(w.reviewer):
        gate, body = cb.show_queue(True)
        assign, options = bulk.assign_menu(True)
    assert gate is None and body != HIDDEN and assign == HIDDEN and options == []
    with as_user(w.manager):
        gate, body = cb.show_queue(True)
        assign, options = bulk.assign_menu(True)
    assert gate is None and body != HIDDEN and assign != HIDDEN
    values = {o["value"] for o in options}
    assert {w.reviewer.id, w.reviewer2.id, w.manager.id, bulk.UNASSIGN} <= values
    assert not values & {w.customer.id, w.creator.id, w.integration.id}


@pytest.mark.parametrize("who", ["customer", "creator", "other_creator"])
def test_parties_get_not_found_and_no_data(as_user, w, cases, who):
    user = getattr(w, who)
    with as_user(user):
        gate, body = cb.show_queue(True)
        assign, options = bulk.assign_menu(True)
        labels = cb.refresh_counts(1, 1, 1)
        # A crafted request naming their own (or another company's) case gets nothing either.
        for tab in ("escalated", "mine", "open", "appealed"):
            for case_id in (cases["escalated"], cases["foreign"]):
                response = load_rows(request(filters={"id": {"type": "contains", "filter": case_id}}),
                                        tab, "anyone")
                assert response == {"rowData": [], "rowCount": 0}
    assert body == HIDDEN and assign == HIDDEN and options == []
    assert "does not exist or is not yours" in text(gate)
    assert list(labels) == ["Escalated", "Appealed", "Open", "Mine", ""]
    assert cases["escalated"] not in text(gate, labels)


# ---------------------------------------------------------------------- counts and rows
def test_counts_in_the_tab_labels(as_user, w, cases, qc, now):
    qc.claim(cases["final"], w.reviewer, at=now - H)
    with as_user(w.reviewer):
        *labels, refreshed = cb.refresh_counts(None, None, 0)
    assert labels == ["Escalated (2)", "Appealed (1)", "Open (3)", "Mine (1)"]
    assert refreshed.startswith("Last refreshed ")
    with as_user(w.manager):
        assert cb.refresh_counts(None, None, 0)[3] == "Mine (0)"


def test_rows_for_a_reviewer_with_coloured_deadlines(as_user, w, cases):
    with as_user(w.reviewer):
        response = load_rows(request(), "open", "anyone")
    rows = {r["id"]: r for r in response["rowData"]}
    assert response["rowCount"] == 3
    # Default order of the Open tab: the most urgent deadline first.
    assert [r["id"] for r in response["rowData"]] == [cases["overdue"], cases["soon"], cases["fresh"]]
    assert [rows[c]["deadline_state"] for c in (cases["overdue"], cases["soon"], cases["fresh"])] == \
        ["overdue", "soon", "ok"]
    assert "(1h late)" in rows[cases["overdue"]]["deadline"]
    assert "in 4h" in rows[cases["soon"]]["deadline"] or "in 5h" in rows[cases["soon"]]["deadline"]
    fresh = rows[cases["fresh"]]
    assert fresh["provider"] == "PayPal" and fresh["amount"] == "$50.00"
    assert fresh["status"] == "Awaiting merchant" and fresh["assignee"] == "Unassigned"
    assert fresh["company"] == w.company.name and fresh["customer"] == w.customer.name
    assert fresh["waiting"] in ("1h 0m", "59m")


def test_escalated_and_appealed_tabs(as_user, w, cases):
    with as_user(w.manager):
        escalated = load_rows(request(), "escalated", "anyone")
        appealed = load_rows(request(), "appealed", "anyone")
    assert {r["id"] for r in escalated["rowData"]} == {cases["escalated"], cases["foreign"]}
    row = next(r for r in escalated["rowData"] if r["id"] == cases["escalated"])
    assert row["status"] == "Under review" and row["deadline_state"] == "none" and row["waiting"].startswith("1d")
    assert [r["id"] for r in appealed["rowData"]] == [cases["final"]]
    assert appealed["rowData"][0]["status"] == "Final review"


def test_times_are_shown_in_the_viewers_zone(as_user, w, cases, runtime):
    from zoneinfo import ZoneInfo

    with as_user(w.reviewer, tz="Asia/Tokyo"):
        response = load_rows(request(), "open", "anyone")
    row = next(r for r in response["rowData"] if r["id"] == cases["fresh"])
    due = case_row(runtime.Session, cases["fresh"]).response_due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert row["deadline"].startswith(due.strftime("%d %b %H:%M"))
    assert "JST" in row["deadline_full"] and "JST" in row["waiting_since"]


def test_sort_filter_and_assigned_filter_reach_sql(as_user, w, cases, qc, now):
    qc.claim(cases["soon"], w.reviewer2, at=now - H)
    with as_user(w.reviewer):
        paypal = load_rows(request(filters={"provider": {"type": "contains", "filter": "paypal"}}), "open", "anyone")
        unassigned = load_rows(request(sort=[{"colId": "deadline", "sort": "desc"}]), "open", "unassigned")
        none = load_rows(request(), "open", "me")
    assert [r["id"] for r in paypal["rowData"]] == [cases["fresh"]]
    assert [r["id"] for r in unassigned["rowData"]] == [cases["fresh"], cases["overdue"]]
    assert none == {"rowData": [], "rowCount": 0}


def test_paging_window_and_junk_tab(as_user, w, cases):
    with as_user(w.reviewer):
        first = load_rows(request(0, 2), "open", "anyone")
        second = load_rows(request(2, 4), "open", "anyone")
        junk = load_rows(request(), "closed'; --", "anyone")
        assert cb.load_rows(None, "open", "anyone") == (no_update, no_update)
    assert first["rowCount"] == second["rowCount"] == 3
    assert [r["id"] for r in first["rowData"] + second["rowData"]] == [cases["overdue"], cases["soon"], cases["fresh"]]
    assert {r["id"] for r in junk["rowData"]} == {cases["escalated"], cases["foreign"]}  # falls back to Escalated


def test_scrolling_block_by_block_seeks_with_the_book_the_store_keeps(as_user, w, cases, monkeypatch):
    """Each answer leaves the next block's cursor in the Store; the next request uses it
    (a seek, not OFFSET) and gets the same rows OFFSET would. A book of another view (an
    other sort) is not reused."""
    from data.read import queue as queue_read

    seen = []
    real = queue_read.queue_page

    def spy(*args, **kwargs):
        page = real(*args, **kwargs)
        seen.append((kwargs["start"], kwargs.get("after") is not None, page.seeked, page.total))
        return page

    monkeypatch.setattr(queue_read, "queue_page", spy)
    with as_user(w.reviewer):
        book, ids = None, []
        for start in (0, 1, 2):
            response, book = cb.load_rows(request(start, start + 1), "open", "anyone", book)
            ids += [r["id"] for r in response["rowData"]]
            assert response["rowCount"] == 3
        by_offset = [r["id"] for r in load_rows(request(0, 3), "open", "anyone")["rowData"]]
        # The same book under another sort: its cursors belong to the old order.
        other = cb.load_rows(request(1, 2, sort=[{"colId": "amount", "sort": "desc"}]), "open", "anyone", book)[0]
    assert ids == by_offset == [cases["overdue"], cases["soon"], cases["fresh"]]
    assert [s[:3] for s in seen[:3]] == [(0, False, False), (1, True, True), (2, True, True)]
    assert seen[-1][:3] == (1, False, False) and len(other["rowData"]) == 1


def test_a_forged_cursor_is_ignored_or_stays_within_what_the_viewer_may_see(as_user, w, cases):
    from data.read import keyset

    with as_user(w.reviewer):
        _response, book = cb.load_rows(request(0, 1), "open", "anyone")
    forged = {**book, "seek": {"1": "not-a-cursor"}, "total": 99}
    with as_user(w.reviewer):
        response = load_rows(request(1, 2), "open", "anyone", forged)
    # Garbage falls back to OFFSET; the claimed total of the first block is reused only deeper.
    assert [r["id"] for r in response["rowData"]] == [cases["soon"]] and response["rowCount"] == 99
    with as_user(w.creator):
        assert load_rows(request(1, 2), "open", "anyone", book) == {"rowData": [], "rowCount": 0}
    assert keyset.recall(book, "another view", 1) == (None, None)


# -------------------------------------------------------------------------- navigation
def test_clicking_a_case_id_opens_its_page():
    assert cb.open_case({"colId": "id", "value": "reso_AbC123"}) == "/cases/reso_AbC123"
    assert cb.open_case({"colId": "company", "value": "Acme"}) is no_update
    assert cb.open_case({"colId": "id", "value": "/../logout"}) is no_update
    assert cb.open_case(None) is no_update
