"""Cursor paging as the published API does it (`first`/`after`/`last`/`before`), by
keyset — never OFFSET — so pages stay fast and stable while cases keep arriving.

A cursor is opaque to clients: base64url of the sort it belongs to and the sort-key
values of one row. Every sort ends with the row's unique id, so the order is total.
Nullable keys (a case's `response_due_at`) sort last in either direction.

`page_info` follows the contract the SDK relies on: `end_cursor` is null on the last
page (the SDK follows any non-null `end_cursor`), `start_cursor` is null on the first.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from sqlalchemy import ColumnElement, Select, and_, false, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from dashboard.api.schemas.queries import PageQuery
from dashboard.errors import DomainError
from dashboard.limits import loads_bounded, time_in_range
from dashboard.validation import parse

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SortKey:
    column: Any  # an ORM attribute, e.g. Case.created_at
    attr: str  # where the value is read on a result row
    descending: bool = False
    nullable: bool = False
    kind: str = "str"  # "dt" | "int" | "str": how the value travels in a cursor


@dataclass(frozen=True)
class PageRequest:
    size: int
    backward: bool  # `last` given: the page is taken from the end of the range
    after: Optional[list]
    before: Optional[list]


# --------------------------------------------------------------------------- cursors
def encode_cursor(tag: str, keys: Sequence[SortKey], row: Any) -> str:
    values = []
    for k in keys:
        v = getattr(row, k.attr)
        values.append(v.isoformat() if isinstance(v, dt.datetime) else v)
    raw = json.dumps([tag, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(tag: str, keys: Sequence[SortKey], cursor: str, name: str) -> list:
    bad = DomainError("invalid_cursor", f"'{name}' is not a cursor from this list with this order; "
                                        f"use page_info.end_cursor or start_cursor unchanged.",
                      detail={"parameter": name})
    try:
        data = loads_bounded(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad
    if not isinstance(data, list) or len(data) != len(keys) + 1 or data[0] != tag:
        raise bad
    values = []
    for k, v in zip(keys, data[1:]):
        if v is None:
            if not k.nullable:
                raise bad
            values.append(None)
        elif k.kind == "dt" and isinstance(v, str):
            try:
                value = time_in_range(dt.datetime.fromisoformat(v))
            except ValueError:
                raise bad
            if value is None:  # a cursor is ours: one with a time we never wrote is forged
                raise bad
            values.append(value)
        elif (k.kind == "int" and isinstance(v, int) and not isinstance(v, bool)) or (k.kind == "str" and isinstance(v, str)):
            values.append(v)
        else:
            raise bad
    return values


def page_request(tag: str, keys: Sequence[SortKey], query: Optional[PageQuery] = None) -> PageRequest:
    """The page asked for: `query` as the route read it (a `PageQuery` or a model that
    extends it), or read from the request's query string here."""
    if query is None:
        from flask import request

        query = parse(PageQuery, request.args, source="query")
    first, last = query.first, query.last
    if first is not None and last is not None:
        raise DomainError("invalid_parameter", "Send either 'first' or 'last', not both.",
                          detail={"parameter": "last"})
    size = last if last is not None else first
    if size is not None and size < 1:
        raise DomainError("invalid_parameter", "Page sizes ('first', 'last') must be at least 1.",
                          detail={"parameter": "last" if last is not None else "first"})
    after, before = query.after or None, query.before or None
    return PageRequest(
        size=min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        backward=last is not None,
        after=decode_cursor(tag, keys, after, "after") if after else None,
        before=decode_cursor(tag, keys, before, "before") if before else None,
    )


# ------------------------------------------------------------------------ conditions
def _eq(k: SortKey, v) -> ColumnElement[bool]:
    return k.column.is_(None) if v is None else k.column == v


def _later(k: SortKey, v) -> Optional[ColumnElement[bool]]:
    """Strictly after `v` in display order on this key (nulls last); None: nothing is."""
    if v is None:
        return None
    cmp = k.column < v if k.descending else k.column > v
    return or_(cmp, k.column.is_(None)) if k.nullable else cmp


def _earlier(k: SortKey, v) -> Optional[ColumnElement[bool]]:
    if v is None:
        return k.column.is_not(None)
    return k.column > v if k.descending else k.column < v  # NULL never compares true


def _simple(keys: Sequence[SortKey]) -> bool:
    return not any(k.nullable for k in keys) and len({k.descending for k in keys}) == 1


def _beyond(keys: Sequence[SortKey], values: list, *, later: bool) -> ColumnElement[bool]:
    """Rows strictly after (or before) the cursor row in display order."""
    if _simple(keys):
        left = tuple_(*(k.column for k in keys))
        right = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values)))
        return (left > right) if later != keys[0].descending else (left < right)
    step = _later if later else _earlier
    ors = []
    for i, k in enumerate(keys):
        cond = step(k, values[i])
        if cond is not None:
            ors.append(and_(*(_eq(keys[j], values[j]) for j in range(i)), cond))
    if not ors:
        return false()
    # The leading key's own bound beside the OR, so a deep page still starts an index
    # range there instead of filtering the index from its first entry.
    bound = _bound(keys[0], values[0], later=later)
    return and_(bound, or_(*ors)) if bound is not None else or_(*ors)


def _bound(k: SortKey, v, *, later: bool) -> Optional[ColumnElement[bool]]:
    """At or beyond `v` on the leading key alone (nulls last); None: no bound narrows it."""
    if later:
        if v is None:
            return k.column.is_(None)
        cmp = k.column <= v if k.descending else k.column >= v
        return or_(cmp, k.column.is_(None)) if k.nullable else cmp
    if v is None:
        return None  # every non-null row and the earlier nulls come before
    return k.column >= v if k.descending else k.column <= v


def _order(keys: Sequence[SortKey], *, reverse: bool) -> list:
    out = []
    for k in keys:
        desc = k.descending != reverse
        clause = k.column.desc() if desc else k.column.asc()
        if k.nullable:
            clause = clause.nulls_first() if reverse else clause.nulls_last()
        out.append(clause)
    return out


def _exists(session: Session, stmt: Select, *conditions) -> bool:
    """Whether any row of `stmt` meets any of `conditions`: one EXISTS per condition in one
    statement, so each can start its own index range (an OR inside one EXISTS made the
    planner filter the whole index from its first entry: 22 ms at 100,000 cases)."""
    return bool(session.scalar(select(or_(*(stmt.where(c).exists() for c in conditions)))))


# ------------------------------------------------------------------------------ page
def fetch_page(session: Session, stmt: Select, keys: Sequence[SortKey], req: PageRequest, tag: str, *,
               options: Sequence = ()) -> tuple[list, dict[str, Any]]:
    """One page of `stmt` (already filtered to what the caller may see) and its page_info.
    `options` are ORM loader options for the rows of the page (kept out of EXISTS checks)."""
    windowed = stmt.options(*options)
    if req.after is not None:
        windowed = windowed.where(_beyond(keys, req.after, later=True))
    if req.before is not None:
        windowed = windowed.where(_beyond(keys, req.before, later=False))
    windowed = windowed.order_by(*_order(keys, reverse=req.backward)).limit(req.size + 1)
    rows = list(session.scalars(windowed).unique())
    more = len(rows) > req.size
    rows = rows[:req.size]
    last_key = keys[-1]
    if req.backward:
        rows.reverse()
        has_previous = more
        has_next = req.before is not None and _exists(
            session, stmt, _beyond(keys, req.before, later=True), last_key.column == req.before[-1])
    else:
        has_next = more
        has_previous = req.after is not None and _exists(
            session, stmt, _beyond(keys, req.after, later=False), last_key.column == req.after[-1])
    return rows, page_info_of(tag, keys, rows, has_next=has_next, has_previous=has_previous)


def page_info_of(tag: str, keys: Sequence[SortKey], rows: Sequence, *, has_next: bool, has_previous: bool) -> dict[str, Any]:
    """The published `page_info` of a page of `rows`: cursors only towards pages that exist."""
    return {
        "has_next_page": has_next,
        "has_previous_page": has_previous,
        "start_cursor": encode_cursor(tag, keys, rows[0]) if rows and has_previous else None,
        "end_cursor": encode_cursor(tag, keys, rows[-1]) if rows and has_next else None,
    }
