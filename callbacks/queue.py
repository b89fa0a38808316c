"""Callbacks of the reviewer queue (`pages/queue.py`).

Every server callback that reads cases re-reads the user from the session and answers
only reviewers and managers; everyone else gets the not-found state and no rows. Case ids
arriving from the browser (a selected row) are only ever handed to the domain, which
checks them again.

The view (tab, "assigned to", sort, filters) lives in the URL's query, through the page's
own Location (QueueIds.URL, refresh=False: a new history entry, no page rebuild):
    keep_url    each time the grid asks for its first block, the view it shows becomes
                the URL (only when it changed, so a refresh adds no history entry);
    follow_url  Back/Forward, or a saved view opened, changes the URL: the view is
                cleaned (dashboard.saved_views) and applied to the tabs, the menu and the
                grid (APPLY, a clientside step). While it is being applied the grid's
                requests show in-between views (the tab moved, the sort not yet): those
                are not written back (`pending`), so Forward still has somewhere to go.
Both only echo what the browser shows, cleaned; neither reads the database.
"""
from __future__ import annotations

import json
import re
from typing import Optional

from dash import Input, Output, State, callback, clientside_callback, html, no_update

from callbacks._session import acting_user
from dashboard import saved_views
from dashboard.components import phone
from dashboard.components.format import local_time, viewer_zone
from dashboard.components.ids import QueueIds, ShellIds
from dashboard.components.queue_grid import (
    FILTER_LABELS,
    TAB_HINTS,
    TAB_LABELS,
    grid_row,
    tab_label,
)
from dashboard.components.shell import not_found
from dashboard.permissions import case_visibility, is_staff
from data.read import keyset
from data.read import queue as queue_read

TABS = list(TAB_LABELS)
QUEUE_PATH = "/queue"
MAX_SETTLING = 4  # grid requests a pending view may take to arrive before it is given up
CASE_ID = re.compile(r"^reso_[A-Za-z0-9]{1,40}$")
HIDDEN, SHOWN = {"display": "none"}, {}
NO_ROWS = {"rowData": [], "rowCount": 0}


@callback(
    Output(QueueIds.GATE, "children"), Output(QueueIds.BODY, "style"),
    Input(QueueIds.LOAD, "data"),
)
def show_queue(_load):
    """Staff see the queue. Anyone else: not found."""
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return not_found("page"), HIDDEN
        return None, SHOWN


@callback(
    *(Output(QueueIds.tab(tab), "label") for tab in TABS), Output(QueueIds.REFRESHED_AT, "children"),
    Input(QueueIds.INTERVAL, "n_intervals"), Input(QueueIds.REFRESH_BUTTON, "n_clicks"), Input(QueueIds.REFRESH, "data"),
)
def refresh_counts(_tick, _clicks, _bump):
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return *(TAB_LABELS[t] for t in TABS), ""
        visibility = case_visibility(user)
        counts = dict(queue_read.queue_counts(ctx.session, visibility, user_id=user.id))
        counts.update(queue_read.reach_totals(ctx.session, visibility) or {})
        stamp = local_time(ctx.now, fmt="%H:%M:%S")
    return *(tab_label(t, counts.get(t)) for t in TABS), f"Last refreshed {stamp}"


@callback(
    Output(QueueIds.GRID, "getRowsResponse"), Output(QueueIds.GRID_CURSORS, "data"),
    Input(QueueIds.GRID, "getRowsRequest"),
    State(QueueIds.TABS, "active_tab"), State(QueueIds.ASSIGNED, "value"), State(QueueIds.GRID_CURSORS, "data"),
)
def load_rows(request, tab, assigned, book=None):
    """One block of rows for AG Grid's infinite row model: sorted, filtered, paged in SQL.
    An empty answer shows the grid's own overlay (see `queue_grid.EMPTY_TEXT`).

    The grid asks for blocks in order as the user scrolls, one at a time; `book` (a Store
    in the browser) keeps the sort key of the last row of each block answered, so the next
    block is a keyset seek (`data.read.keyset`). It is only a position within what this
    user may see: the query is limited by the server's own visibility clause either way."""
    if not request:
        return no_update, no_update
    tab = tab if tab in TABS else "escalated"
    start = request.get("startRow") or 0
    view = keyset.view_of(tab, assigned, request.get("sortModel"), request.get("filterModel"))
    after, known_total = keyset.recall(book, view, start)
    with acting_user() as (ctx, user):
        if not is_staff(user):
            return NO_ROWS, None
        page = queue_read.queue_page(
            ctx.session, case_visibility(user), tab=tab, user_id=user.id,
            start=start, end=request.get("endRow"),
            sort_model=request.get("sortModel"), filter_model=request.get("filterModel"),
            assigned=assigned, labels=FILTER_LABELS, response_days=ctx.settings.response_days,
            after=after, known_total=known_total,
        )
        zone = viewer_zone()
        data = [grid_row(r, now=ctx.now, zone=zone, viewer_id=user.id, settings=ctx.settings) for r in page.rows]
    return {"rowData": data, "rowCount": page.total}, keyset.remember(book, view, page, start=start)


@callback(
    # href, not pathname: the shell's Location still holds the query the queue was first
    # opened with (the queue's own Location has changed it since), which must not follow.
    Output(ShellIds.URL, "href", allow_duplicate=True),
    Input(QueueIds.GRID, "cellClicked"),
    prevent_initial_call=True,
)
def open_case(cell):
    """A click on a case id (or, on a phone, on the case's card) opens the case page (which
    checks access itself)."""
    if not isinstance(cell, dict) or cell.get("colId") not in ("id", "card"):
        return no_update
    value = cell.get("value") if cell.get("colId") == "id" else cell.get("rowId")
    if not isinstance(value, str) or not CASE_ID.match(value):
        return no_update
    return f"/cases/{value}"


@callback(Output(QueueIds.TAB_HINT, "children"), Input(QueueIds.TABS, "active_tab"))
def tab_hint(tab):
    return TAB_HINTS.get(tab, "")


# --------------------------------------------------------------------- the view in the URL
def _held(view) -> tuple[dict, Optional[dict], int]:
    """(the view the URL holds, the one being applied or None, requests seen since) from
    the VIEW_STATE store, whatever the browser sent."""
    view = view if isinstance(view, dict) else {}
    pending = view.get("pending")
    wait = view.get("wait")
    return (saved_views.clean_state(view.get("state")),
            saved_views.clean_state(pending) if isinstance(pending, dict) else None,
            wait if isinstance(wait, int) and not isinstance(wait, bool) else 0)


@callback(
    Output(QueueIds.URL, "search"), Output(QueueIds.VIEW_STATE, "data"),
    Output(QueueIds.VIEWS, "value", allow_duplicate=True),
    Input(QueueIds.GRID, "getRowsRequest"),
    State(QueueIds.TABS, "active_tab"), State(QueueIds.ASSIGNED, "value"), State(QueueIds.VIEW_STATE, "data"),
    State(QueueIds.URL, "pathname"),
    prevent_initial_call=True,
)
def keep_url(request, tab, assigned, view, pathname=QUEUE_PATH):
    """The grid's first block of a view was asked for: that view becomes the URL (while
    the URL is still the queue's: a request in flight as a case opens changes nothing).
    A view the person made themselves is no saved view any more: the saved views menu is
    cleared, so choosing the saved one again opens it."""
    unchanged = no_update, no_update, no_update
    if pathname != QUEUE_PATH or not isinstance(request, dict) or (request.get("startRow") or 0) != 0:
        return unchanged  # scrolling: the same view
    shown = saved_views.from_grid(tab, assigned, request.get("sortModel"), request.get("filterModel"))
    held, pending, wait = _held(view)
    if pending is not None:
        if shown == pending:  # arrived: the URL already says so
            return no_update, {"state": shown, "pending": None}, no_update
        if wait + 1 < MAX_SETTLING:  # on its way: not a view anyone chose
            return no_update, {"state": held, "pending": pending, "wait": wait + 1}, no_update
        # It never arrived (a phone's card list has no columns to sort): what shows wins.
    elif shown == held:
        return unchanged
    return saved_views.to_query(shown), {"state": shown, "pending": None}, None


@callback(
    Output(QueueIds.APPLY, "data"), Output(QueueIds.VIEW_STATE, "data", allow_duplicate=True),
    Output(QueueIds.TABS, "active_tab"), Output(QueueIds.ASSIGNED, "value"),
    Input(QueueIds.URL, "search"), State(QueueIds.VIEW_STATE, "data"), State(QueueIds.URL, "pathname"),
    prevent_initial_call=True,
)
def follow_url(search, view, pathname=QUEUE_PATH):
    """The URL changed under the page (Back, Forward, a saved view): show its view. A
    change to another page (a case opened) is that page's: the queue is on its way out."""
    if pathname != QUEUE_PATH:
        return no_update, no_update, no_update, no_update
    wanted = saved_views.from_search(search)
    held, _pending, _wait = _held(view)
    if wanted == held:
        return no_update, no_update, no_update, no_update  # our own change, or the same view
    apply = {"sort": wanted["sort"], "filter_model": saved_views.grid_filter_model(wanted),
             "search": search if isinstance(search, str) else ""}
    return apply, {"state": wanted, "pending": wanted, "wait": 0}, wanted["tab"], wanted["assigned"]


# Apply a view's sort and filters to the grid (its tab and menu are plain outputs above).
clientside_callback(
    """
    function(apply) {
        if (!apply) { return dash_clientside.no_update; }
        dash_ag_grid.getApiAsync("@GRID@").then(function (api) {
            const sort = (apply.sort || []).map(function (s, i) { return {colId: s[0], sort: s[1], sortIndex: i}; });
            api.applyColumnState({state: sort, defaultState: {sort: null}});
            api.setFilterModel(apply.filter_model || {});
        });
        return dash_clientside.no_update;
    }
    """.replace("@GRID@", QueueIds.GRID),
    Output(QueueIds.APPLIED, "data"),
    Input(QueueIds.APPLY, "data"),
    prevent_initial_call=True,
)


# The grid keeps blocks of rows in its cache; tell it when they are stale. A new tab or
# "assigned" filter empties it (back to the top); a refresh reloads the blocks in place.
# The script names the ids too: they are filled in from QueueIds (same text as before).
clientside_callback(
    """
    function(tab, assigned, clicks, bump, tick) {
        const trigger = (dash_clientside.callback_context.triggered_id || "");
        const purge = trigger === "@TABS@" || trigger === "@ASSIGNED@";
        dash_ag_grid.getApiAsync("@GRID@").then(function (api) {
            if (purge) {
                // Closed and All hold nearly every case: only index orders are offered there
                // (data.read.queue.REACH_SORTABLE); another column's sort is taken off.
                const reach = tab === "closed" || tab === "all";
                const keep = @REACH_SORTABLE@;
                api.setGridOption("columnDefs", (api.getColumnDefs() || []).map(function (c) {
                    if (!c.field || c.field === "card") { return c; }
                    const ok = !reach || keep.indexOf(c.field) >= 0;
                    return Object.assign({}, c, ok ? {sortable: true} : {sortable: false, sort: null});
                }));
                api.deselectAll();  // the selected case may not be in the new list
                api.purgeInfiniteCache();
            } else {
                api.refreshInfiniteCache();
            }
        });
        return dash_clientside.no_update;
    }
    """.replace("@TABS@", QueueIds.TABS).replace("@ASSIGNED@", QueueIds.ASSIGNED).replace("@GRID@", QueueIds.GRID)
       .replace("@REACH_SORTABLE@", json.dumps(list(queue_read.REACH_SORTABLE))),
    Output(QueueIds.GRID_SYNC, "data"),
    Input(QueueIds.TABS, "active_tab"), Input(QueueIds.ASSIGNED, "value"), Input(QueueIds.REFRESH_BUTTON, "n_clicks"),
    Input(QueueIds.REFRESH, "data"), Input(QueueIds.INTERVAL, "n_intervals"),
    prevent_initial_call=True,
)

# On a phone the grid becomes a list of cards (components/phone.py), decided in the browser
# from its width when the page loads; the server pages the rows either way.
clientside_callback(
    phone.cards_below_phone_width(phone.QUEUE_COLUMN_DEFS, phone.QUEUE_ROW_HEIGHT),
    Output(QueueIds.GRID, "columnDefs"), Output(QueueIds.GRID, "dashGridOptions"),
    Input(QueueIds.LOAD, "data"), State(QueueIds.GRID, "dashGridOptions"),
)
