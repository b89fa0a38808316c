"""`/queue` callbacks, called as plain functions by a signed-in user.

Callbacks act as of the real clock, so cases are opened at moments relative to now."""
from __future__ import annotations

import json

import plotly.utils
import pytest
from dash import no_update

from callbacks import queue as cb
from callbacks import queue_bulk as bulk
from dashboard import saved_views
from data.models import Case
from dashboard.context import Ctx
from tests import factories
from tests.factories import days
from tests.callbacks.test_ids import page_registry  # noqa: F401  (the pages as Dash registers them)
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
        for tab in ("escalated", "mine", "open", "appealed", "closed", "all"):
            for case_id in (cases["escalated"], cases["foreign"]):
                response = load_rows(request(filters={"id": {"type": "contains", "filter": case_id}}),
                                        tab, "anyone")
                assert response == {"rowData": [], "rowCount": 0}
    assert body == HIDDEN and assign == HIDDEN and options == []
    assert "does not exist or is not yours" in text(gate)
    assert list(labels) == ["Escalated", "Appealed", "Open", "Mine", "Closed", "All", ""]
    assert cases["escalated"] not in text(gate, labels)


# ---------------------------------------------------------------------- counts and rows
def test_counts_in_the_tab_labels(as_user, w, cases, qc, now):
    qc.claim(cases["final"], w.reviewer, at=now - H)
    with as_user(w.reviewer):
        *labels, refreshed = cb.refresh_counts(None, None, 0)
    # Closed and All from the rollups: none of these cases is closed yet.
    assert labels == ["Escalated (2)", "Appealed (1)", "Open (3)", "Mine (1)", "Closed (0)", "All (6)"]
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
    # Escalated a day ago: 48 h to decide, so a day left ("ok", no colour), not "Deadline —".
    assert row["status"] == "Under review" and row["deadline_state"] == "ok" and row["waiting"].startswith("1d")
    assert row["deadline"].startswith("Decide by ") and "(in 1d" in row["deadline"]
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


# ------------------------------------------------------------ closed and all, SLA cells
def test_closed_and_all_tabs_show_every_case(as_user, w, cases, qc, now):
    decided = qc.decided(at=now - days(10))
    with as_user(w.reviewer):
        closed = load_rows(request(), "closed", "anyone")
        every = load_rows(request(), "all", "anyone")
        *labels, _ = cb.refresh_counts(None, None, 0)
    assert [r["id"] for r in closed["rowData"]] == [decided] and closed["rowCount"] == 1
    row = closed["rowData"][0]
    assert row["status"] == "Closed · Merchant won" and row["deadline"].startswith("Closed ")
    assert row["waiting"] == "—" and row["deadline_state"] == "none" and "Closed" in row["card"]
    assert every["rowCount"] == 7 and [r["id"] for r in every["rowData"]][:2] == [cases["fresh"], cases["soon"]]
    assert labels[4:] == ["Closed (1)", "All (7)"]


def test_decide_by_is_amber_when_near_and_red_once_missed(as_user, w, qc, now):
    near = qc.under_review(at=now - days(7) - 40 * H)   # escalated 40 h ago: 8 h of 48 left
    missed = qc.under_review(at=now - days(7) - 50 * H)  # 2 h past the target
    final = qc.final_review(at=now - days(7) - 2 * H)   # appealed just now: 72 h
    with as_user(w.reviewer, tz="Asia/Tokyo"):
        rows = {r["id"]: r for r in load_rows(request(), "escalated", "anyone")["rowData"]}
        by_due = load_rows(request(sort=[{"colId": "deadline", "sort": "asc"}]), "escalated", "anyone")
        appealed = load_rows(request(), "appealed", "anyone")["rowData"][0]
    assert rows[near]["deadline_state"] == "soon" and "(in 8h" in rows[near]["deadline"]
    assert rows[missed]["deadline_state"] == "overdue" and "(2h" in rows[missed]["deadline"]
    assert "late" in rows[missed]["deadline"] and "missed by 2h" in rows[missed]["deadline_full"]
    assert "48 h review target" in rows[near]["deadline_full"] and "JST" in rows[near]["deadline_full"]
    assert rows[near]["card"].splitlines()[3].startswith("Decide by ")
    assert [r["id"] for r in by_due["rowData"]] == [missed, near]  # soonest decide-by first
    assert appealed["id"] == final and appealed["deadline_state"] == "ok"
    assert "72 h final review target" in appealed["deadline_full"]


# ------------------------------------------------------------------ the view in the URL
def grid_request(sort=None, filters=None, start=0):
    return {"startRow": start, "endRow": start + 50, "sortModel": sort or [], "filterModel": filters or {}}


def test_the_grids_view_becomes_the_url_once_and_only_when_it_changed():
    held = {"state": saved_views.DEFAULT_STATE, "pending": None}
    search, view, menu = cb.keep_url(grid_request([{"colId": "amount", "sort": "desc"}],
                                                  {"company": {"filterType": "text", "type": "contains",
                                                               "filter": "Acme"}}),
                                     "closed", "me", held)
    assert search == "?tab=closed&assigned=me&sort=amount%3Adesc&f.company=Acme"
    assert menu is None  # a view of one's own making: no saved view is open any more
    assert view == {"state": saved_views.from_search(search), "pending": None}
    # The same view again (a refresh, the interval), or a deeper block: no history entry.
    assert cb.keep_url(grid_request([{"colId": "amount", "sort": "desc"}],
                                    {"company": {"filterType": "text", "type": "contains", "filter": "Acme"}}),
                       "closed", "me", view) == (no_update,) * 3
    assert cb.keep_url(grid_request(start=50), "open", "anyone", view) == (no_update,) * 3
    assert cb.keep_url(None, "open", "anyone", view) == (no_update,) * 3
    # A request still in flight as a case page opens: the URL is that page's now.
    assert cb.keep_url(grid_request(), "open", "anyone", view, "/cases/reso_x") == (no_update,) * 3
    # Junk from the browser is cleaned, never echoed.
    junk = grid_request([{"colId": "password", "sort": "desc"}], {"x": {"filter": "<script>"}})
    assert cb.keep_url(junk, "nope", "everyone", "junk") == (no_update,) * 3  # default, as held
    search, view, _menu = cb.keep_url(junk, "nope", "everyone", view)
    assert search == "" and view["state"] == saved_views.DEFAULT_STATE  # the default view: the bare path


def test_back_or_forward_applies_the_urls_view_and_in_between_views_are_not_written_back():
    held = {"state": saved_views.from_search("?tab=closed"), "pending": None}
    apply, view, tab, assigned = cb.follow_url("?tab=open&assigned=me&sort=deadline:desc", held)
    wanted = saved_views.from_search("?tab=open&assigned=me&sort=deadline:desc")
    assert (tab, assigned) == ("open", "me") and apply["sort"] == [["deadline", "desc"]]
    assert view == {"state": wanted, "pending": wanted, "wait": 0}
    # The grid's first request after the tab moved still has the old sort: not written back.
    assert cb.keep_url(grid_request(), "open", "me", view) == (no_update, {"state": wanted, "pending": wanted,
                                                                           "wait": 1}, no_update)
    # Then the view arrives: the URL already says so (and a saved view opened stays chosen).
    assert cb.keep_url(grid_request([{"colId": "deadline", "sort": "desc"}]), "open", "me", view) == \
        (no_update, {"state": wanted, "pending": None}, no_update)
    # Our own push coming back through the Location changes nothing; nor does another page's URL.
    assert cb.follow_url("?tab=closed", held) == (no_update,) * 4
    assert cb.follow_url("", held, "/cases/reso_x") == (no_update,) * 4
    # A view that never arrives (a phone's cards have no columns to sort) gives way.
    stuck = {"state": wanted, "pending": wanted, "wait": cb.MAX_SETTLING - 1}
    assert cb.keep_url(grid_request(), "open", "me", stuck)[0] == "?tab=open&assigned=me"


@pytest.mark.parametrize("search", ["?tab=%00&sort=;drop&f.company=" + "x" * 5000, "??", None, 7, "?f.=&f..="])
def test_junk_in_the_url_shows_the_default_view(search):
    apply, view, tab, assigned = cb.follow_url(search, {"state": saved_views.from_search("?tab=all")})
    assert (tab, assigned) == ("escalated", "anyone") and apply["sort"] == [] and apply["filter_model"] == {}
    assert view["state"] == saved_views.DEFAULT_STATE


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_the_page_opens_on_the_urls_view(page_registry):
    from dashboard.components.ids import QueueIds

    layout = page_registry["pages.queue"]["layout"]
    tree = layout(**{"tab": "closed", "assigned": "me", "sort": "amount:desc,created:asc",
                          "f.company": "Acme", "f.status": "equals:closed", "utm_source": "mail"})
    assert _find(tree, QueueIds.TABS).active_tab == "closed"
    assert _find(tree, QueueIds.ASSIGNED).value == "me"
    grid = _find(tree, QueueIds.GRID)
    sorted_cols = {c["field"]: (c.get("sort"), c.get("sortIndex")) for c in grid.columnDefs if c.get("sort")}
    assert sorted_cols == {"amount": ("desc", 0), "created": ("asc", 1)}
    assert grid.filterModel == {"company": {"filterType": "text", "type": "contains", "filter": "Acme"},
                                "status": {"filterType": "text", "type": "equals", "filter": "closed"}}
    assert _find(tree, QueueIds.VIEW_STATE).data["state"]["tab"] == "closed"
    assert "Closed cases" in str(_find(tree, QueueIds.TAB_HINT).children)
    junk = layout(**{"tab": ["x", "y"], "sort": "\x00", "f.company": ["a", "b"], "assigned": 3})
    assert _find(junk, QueueIds.TABS).active_tab == "escalated" and _find(junk, QueueIds.ASSIGNED).value == "anyone"
