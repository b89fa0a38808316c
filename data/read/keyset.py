"""Keyset ("seek") paging for the screens' grids (queue tabs, the company grid).

AG Grid's infinite row model asks for blocks in order as the user scrolls. Each block is
answered with a cursor: the sort-key values of its last row. The next block is then
"the rows after that key" — a seek predicate the database starts an index scan from —
instead of OFFSET, which reads and throws away every earlier row, so block 10,000 costs
what block 1 does. A request without a cursor (the first block, or a scrollbar jump to
a block whose predecessor the browser never loaded) falls back to OFFSET.

Every sort ends with the case id, so the key is unique and the order total. Keys that
may be NULL sort last in either direction. A cursor is opaque to the browser:
base64url of JSON `[tag, value...]`; decoding checks the tag (which sort it belongs to)
and each value's type, and a cursor that does not fit is ignored (OFFSET), never trusted:
it only ever narrows a query that is already limited to what the viewer may see.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Generic, Optional, Sequence, TypeVar

from sqlalchemy import BigInteger, ColumnElement, DateTime, Integer, String, and_, false, literal, or_, tuple_

T = TypeVar("T")


@dataclass(frozen=True)
class Key:
    expr: Any  # a SQL expression of the sort
    descending: bool = False
    nullable: bool = False  # NULLs sort last in either direction

    def on(self, expr) -> "Key":
        """The same sort over another expression (a subquery's column)."""
        return Key(expr, self.descending, self.nullable)


@dataclass(frozen=True)
class GridPage(Generic[T]):
    """One block of rows, how many rows match in all, and the cursor that continues after
    its last row (None at the end, or when the sort cannot seek). Unpacks as
    `(rows, total)`, as the grids' read models always answered."""
    rows: list[T]
    total: int
    next_cursor: Optional[str] = None
    seeked: bool = False  # this block was read by a seek, not OFFSET

    def __iter__(self):
        return iter((self.rows, self.total))

    def __getitem__(self, i):
        return (self.rows, self.total)[i]

    def __len__(self):
        return 2


def kind_of(expr) -> Optional[str]:
    """How a key's value travels in a cursor; None: it cannot (a computed float)."""
    t = getattr(expr, "type", None)
    impl = getattr(t, "impl", t)
    if isinstance(impl, DateTime):
        return "dt"
    if isinstance(impl, (Integer, BigInteger)):
        return "int"
    if isinstance(impl, String):
        return "str"
    return None


def seekable(keys: Sequence[Key]) -> bool:
    return all(kind_of(k.expr) is not None for k in keys)


def order_by(keys: Sequence[Key]) -> list:
    out = []
    for k in keys:
        term = k.expr.desc() if k.descending else k.expr.asc()
        out.append(term.nulls_last() if k.nullable else term)
    return out


# --------------------------------------------------------------------------- predicate
def _bind(k: Key, v):
    return literal(v, k.expr.type)


def _eq(k: Key, v) -> ColumnElement[bool]:
    return k.expr.is_(None) if v is None else k.expr == _bind(k, v)


def _strictly_after(k: Key, v) -> Optional[ColumnElement[bool]]:
    if v is None:
        return None  # NULLs are last: nothing comes after them on this key
    cmp = k.expr < _bind(k, v) if k.descending else k.expr > _bind(k, v)
    return or_(cmp, k.expr.is_(None)) if k.nullable else cmp


def _at_or_after(k: Key, v) -> ColumnElement[bool]:
    if v is None:
        return k.expr.is_(None)
    cmp = k.expr <= _bind(k, v) if k.descending else k.expr >= _bind(k, v)
    return or_(cmp, k.expr.is_(None)) if k.nullable else cmp


def after(keys: Sequence[Key], values: Sequence) -> ColumnElement[bool]:
    """Rows strictly after the row whose keys are `values`, in the order of `keys`.

    One direction and no NULLs: a row-value comparison, `(a, id) > (x, y)`, which both
    databases use as an index range. Otherwise the expanded form (a > x OR a = x AND ...),
    with the leading key's bound (a >= x) beside it so an index on it still has a start."""
    if not any(k.nullable for k in keys) and len({k.descending for k in keys}) == 1:
        left = tuple_(*(k.expr for k in keys))
        right = tuple_(*(_bind(k, v) for k, v in zip(keys, values)))
        return left < right if keys[0].descending else left > right
    ors = []
    for i, k in enumerate(keys):
        cond = _strictly_after(k, values[i])
        if cond is not None:
            ors.append(and_(*(_eq(keys[j], values[j]) for j in range(i)), cond))
    if not ors:
        return false()
    return and_(_at_or_after(keys[0], values[0]), or_(*ors))


# ----------------------------------------------------------------------------- cursors
def encode(tag: str, values: Sequence) -> str:
    raw = json.dumps([tag, *(v.isoformat() if isinstance(v, dt.datetime) else v for v in values)],
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(tag: str, keys: Sequence[Key], cursor: Any) -> Optional[list]:
    """The key values in `cursor` if it belongs to this sort (`tag`) and fits its types."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > 4000:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or len(data) != len(keys) + 1 or data[0] != tag:
        return None
    values = []
    for k, v in zip(keys, data[1:]):
        kind = kind_of(k.expr)
        if v is None:
            if not k.nullable:
                return None
            values.append(None)
        elif kind == "dt" and isinstance(v, str):
            try:
                when = dt.datetime.fromisoformat(v)
            except ValueError:
                return None
            if when.tzinfo is None:
                return None
            values.append(when)
        elif (kind == "int" and isinstance(v, int) and not isinstance(v, bool)) or (kind == "str" and isinstance(v, str)):
            values.append(v)
        else:
            return None
    return values


# ------------------------------------------------------------- the browser's cursor book
MAX_REMEMBERED = 64  # blocks whose continuation a grid remembers (AG Grid caches 20)


def view_of(*parts: Any) -> str:
    """A short fingerprint of what a grid shows (tab, filters, sort): cursors and totals
    are only reused for the view they were made in."""
    import hashlib

    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def recall(book: Any, view: str, start: int) -> tuple[Optional[str], Optional[int]]:
    """(cursor for the block starting at `start`, total the first block reported) from a
    grid's `dcc.Store`, or (None, None) for another view or a malformed store."""
    if not isinstance(book, dict) or book.get("view") != view:
        return None, None
    seeks = book.get("seek")
    cursor = seeks.get(str(start)) if isinstance(seeks, dict) else None
    total = book.get("total")
    total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
    return (cursor if isinstance(cursor, str) else None), (None if start == 0 else total)


def remember(book: Any, view: str, page: GridPage, *, start: int) -> dict:
    """The store after answering the block at `start` with `page`: the cursor for the
    block after it, and the total when it was counted for the first block."""
    if not isinstance(book, dict) or book.get("view") != view:
        book = {"view": view, "seek": {}, "total": None}
    seeks = {k: v for k, v in (book.get("seek") or {}).items() if isinstance(k, str) and isinstance(v, str)}
    if start == 0:
        seeks = {}  # a reload from the top: what came after may have moved
    if page.next_cursor is not None:
        seeks.pop(str(start + len(page.rows)), None)
        seeks[str(start + len(page.rows))] = page.next_cursor
    while len(seeks) > MAX_REMEMBERED:
        seeks.pop(next(iter(seeks)))
    total = page.total if start == 0 else book.get("total")
    return {"view": view, "seek": seeks, "total": total}
