"""Named queue views per person (issue 10, Deliver 2): a tab, its filters and its sort,
kept under a name ("High-value PayPal") so a reviewer returns to it in one click.

The view state is one small dict with known keys only, the same the queue's URL holds:

    {"tab": "closed", "assigned": "me", "sort": [["amount", "desc"]],
     "filters": {"company": {"type": "contains", "filter": "Acme"}}}
    /queue?tab=closed&assigned=me&sort=amount:desc&f.company=Acme

`clean_state` keeps what it knows and drops the rest (an unknown tab, column, direction or
filter kind, an over-long text), so junk in a URL or a stored row can only ever narrow
the queue to something it could show anyway; it never raises. The grid's own sort and
filter models are translated here too (`from_grid`, `grid_filter_model`).

Saved views belong to one person: every read and write is limited to the caller's rows,
and another person's view id is "not found", exactly like a missing one. Staff only (the
queue is theirs): callers check `is_staff` first, and these functions check it again.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Mapping, Optional
from urllib.parse import parse_qs, urlencode

from sqlalchemy import func, select

from dashboard.context import Ctx
from dashboard.errors import Forbidden, Invalid, NotFound
from dashboard.permissions import is_staff
from data.models import SavedView, User
from data.read.queue import ALL_TABS, ASSIGNED_FILTERS, FILTER_COLUMNS, SORT_COLUMNS

PAGE = "queue"
MAX_VIEWS = 30  # per person
MAX_NAME = 80
MAX_SORT_KEYS = 3
MAX_FILTER_TEXT = 200
# What the queue's text filters offer (components/queue_grid filterOptions) and the URL spells.
FILTER_KINDS = ("contains", "notContains", "equals", "startsWith")
DEFAULT_STATE: dict[str, Any] = {"tab": "escalated", "assigned": "anyone", "sort": [], "filters": {}}


# ------------------------------------------------------------------------ the state
def _text(value: Any) -> Optional[str]:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _clean_filter(spec: Any) -> Optional[dict[str, str]]:
    if not isinstance(spec, Mapping):
        return None
    kind, text = _text(spec.get("type")) or "contains", _text(spec.get("filter"))
    if kind not in FILTER_KINDS or text is None:
        return None
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    if not text or len(text) > MAX_FILTER_TEXT:
        return None
    return {"type": kind, "filter": text}


def clean_state(raw: Any) -> dict[str, Any]:
    """The view state with known keys and values only; anything else is dropped."""
    raw = raw if isinstance(raw, Mapping) else {}
    tab = _text(raw.get("tab"))
    assigned = _text(raw.get("assigned"))
    sort: list[list[str]] = []
    for item in raw.get("sort") if isinstance(raw.get("sort"), (list, tuple)) else []:
        if (isinstance(item, (list, tuple)) and len(item) == 2 and item[0] in SORT_COLUMNS
                and item[1] in ("asc", "desc") and all(item[0] != s[0] for s in sort)):
            sort.append([item[0], item[1]])
    filters: dict[str, dict[str, str]] = {}
    raw_filters = raw.get("filters")
    for column, spec in (raw_filters.items() if isinstance(raw_filters, Mapping) else ()):
        cleaned = _clean_filter(spec) if column in FILTER_COLUMNS else None
        if cleaned is not None:
            filters[column] = cleaned
    return {"tab": tab if tab in ALL_TABS else DEFAULT_STATE["tab"],
            "assigned": assigned if assigned in ASSIGNED_FILTERS else DEFAULT_STATE["assigned"],
            "sort": sort[:MAX_SORT_KEYS], "filters": filters}


def to_query(state: Mapping[str, Any]) -> str:
    """The state as the queue's URL query ("?tab=closed&sort=amount:desc&f.company=Acme"),
    defaults left out ("" for the default view)."""
    state = clean_state(state)
    params: list[tuple[str, str]] = []
    if state["tab"] != DEFAULT_STATE["tab"]:
        params.append(("tab", state["tab"]))
    if state["assigned"] != DEFAULT_STATE["assigned"]:
        params.append(("assigned", state["assigned"]))
    if state["sort"]:
        params.append(("sort", ",".join(f"{c}:{d}" for c, d in state["sort"])))
    for column in sorted(state["filters"]):
        spec = state["filters"][column]
        text = spec["filter"]
        # "contains" is the plain form; another kind, or a text that looks like one, is spelt out.
        plain = spec["type"] == "contains" and text.split(":", 1)[0] not in FILTER_KINDS
        params.append((f"f.{column}", text if plain else f"{spec['type']}:{text}"))
    return "?" + urlencode(params) if params else ""


def from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The state from the URL's parameters (a page layout's keyword arguments, or
    `parse_qs` lists); anything unknown or malformed is ignored."""
    sort = []
    for part in (_text(params.get("sort")) or "").split(",")[:MAX_SORT_KEYS * 2]:
        column, _, direction = part.strip().partition(":")
        sort.append([column, direction or "asc"])
    filters = {}
    for key, value in params.items():
        if isinstance(key, str) and key.startswith("f.") and (text := _text(value)) is not None:
            kind, sep, rest = text.partition(":")
            filters[key[2:]] = {"type": kind, "filter": rest} if sep and kind in FILTER_KINDS else \
                {"type": "contains", "filter": text}
    return clean_state({"tab": params.get("tab"), "assigned": params.get("assigned"), "sort": sort,
                        "filters": filters})


def from_search(search: Any) -> dict[str, Any]:
    """The state from a Location's `search` ("?tab=closed&…")."""
    if not isinstance(search, str) or len(search) > 4000:
        return clean_state(None)
    return from_params(parse_qs(search.lstrip("?"), keep_blank_values=False))


def from_grid(tab: Any, assigned: Any, sort_model: Any, filter_model: Any) -> dict[str, Any]:
    """The state the grid is showing: its tab and "assigned" menu, and AG Grid's own sort
    model ([{colId, sort}]) and filter model ({col: {filterType, type, filter}})."""
    sort = [[i.get("colId"), i.get("sort")] for i in sort_model or [] if isinstance(i, Mapping)] \
        if isinstance(sort_model, list) else []
    return clean_state({"tab": tab, "assigned": assigned, "sort": sort,
                        "filters": filter_model if isinstance(filter_model, Mapping) else {}})


def grid_filter_model(state: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """AG Grid's filter model for the state's filters (text filters)."""
    return {c: {"filterType": "text", "type": f["type"], "filter": f["filter"]}
            for c, f in clean_state(state)["filters"].items()}


# ------------------------------------------------------------------ the saved views
def clean_name(name: Any) -> str:
    if not isinstance(name, str):
        raise Invalid("invalid_view_name", "Give the view a name.")
    name = " ".join("".join(ch for ch in name if unicodedata.category(ch)[0] != "C").split())
    if not name:
        raise Invalid("invalid_view_name", "Give the view a name.")
    if len(name) > MAX_NAME:
        raise Invalid("invalid_view_name", f"A view's name can be at most {MAX_NAME} characters "
                                           f"(this one has {len(name)}).")
    return name


def _staff(user: User) -> None:
    if not is_staff(user):
        raise Forbidden("forbidden", "Saved views are for the platform's reviewers and managers.")


def _mine(user: User):
    return select(SavedView).where(SavedView.user_id == user.id, SavedView.page == PAGE)


def list_views(ctx: Ctx, user: User) -> list[SavedView]:
    """The caller's views, by name (at most MAX_VIEWS rows)."""
    _staff(user)
    return list(ctx.session.scalars(_mine(user).order_by(func.lower(SavedView.name), SavedView.id)
                                    .limit(MAX_VIEWS)))


def get_view(ctx: Ctx, user: User, view_id: Any) -> SavedView:
    """One of the caller's views; someone else's, or none, is not found alike."""
    _staff(user)
    if isinstance(view_id, str) and view_id.isdigit() and len(view_id) < 12:
        view_id = int(view_id)
    # An integer column's range: anything else (a bool, 10**30, an object) names no view.
    if not isinstance(view_id, int) or isinstance(view_id, bool) or not 0 < view_id < 2**31:
        raise NotFound("saved view")
    view = ctx.session.scalar(_mine(user).where(SavedView.id == view_id))
    if view is None:
        raise NotFound("saved view")
    return view


def _named(ctx: Ctx, user: User, name: str) -> Optional[SavedView]:
    # One name per person, whatever its capitals: "high value" saves over "High value".
    return ctx.session.scalar(_mine(user).where(func.lower(SavedView.name) == name.lower()).limit(1))


def save_view(ctx: Ctx, user: User, name: Any, state: Any) -> tuple[SavedView, bool]:
    """Save `state` under `name`: over the caller's view of that name if there is one
    (returns it and False), else as a new view (and True), up to MAX_VIEWS."""
    _staff(user)
    name = clean_name(name)
    state = clean_state(state)
    view = _named(ctx, user, name)
    if view is not None:
        view.name, view.state, view.updated_at = name, state, ctx.now
        ctx.session.flush()
        return view, False
    count = ctx.session.scalar(select(func.count()).select_from(SavedView)
                               .where(SavedView.user_id == user.id, SavedView.page == PAGE)) or 0
    if count >= MAX_VIEWS:
        raise Invalid("too_many_views", f"You already have {MAX_VIEWS} saved views, the most one person keeps. "
                                        "Delete one you no longer use, or save over one by giving its name.")
    view = SavedView(user_id=user.id, page=PAGE, name=name, state=state, created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(view)
    ctx.session.flush()
    return view, True


def rename_view(ctx: Ctx, user: User, view_id: Any, name: Any) -> SavedView:
    view = get_view(ctx, user, view_id)
    name = clean_name(name)
    other = _named(ctx, user, name)
    if other is not None and other.id != view.id:
        raise Invalid("view_name_taken", f"You already have a view called \u201c{other.name}\u201d. "
                                         "Choose another name, or delete that view first.")
    view.name, view.updated_at = name, ctx.now
    ctx.session.flush()
    return view


def overwrite_view(ctx: Ctx, user: User, view_id: Any, state: Any) -> SavedView:
    """Save the current tab, filters and sort into an existing view, keeping its name."""
    view = get_view(ctx, user, view_id)
    view.state, view.updated_at = clean_state(state), ctx.now
    ctx.session.flush()
    return view


def delete_view(ctx: Ctx, user: User, view_id: Any) -> str:
    """Delete one of the caller's views; returns the name it had."""
    view = get_view(ctx, user, view_id)
    name = view.name
    ctx.session.delete(view)
    ctx.session.flush()
    return name
