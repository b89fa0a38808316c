"""Staff search (issue 10): one text box that finds any case, open or closed.

`interpret(query)` decides what the text is, in this order:

    reso_…  / pay_…    an exact case id / payment id: that case (`exact=True`: the screen
                       opens it directly)
    contains "@"       an email: cases of customers whose email is it or starts with it
    an amount          "199", "199.00", "$199", "1,999.50", "199 EUR": cases whose amount in
                       minor units is that amount in their currency (19900 for USD, 199 for
                       JPY; `exponents` names the currencies whose minor unit is not a
                       hundredth); an ISO code in the text keeps only that currency. A
                       number alone is an amount, never a word of a name
    anything else      words: cases whose customer's name, or whose company's name, contains
                       every word (case-insensitive; all the words in one of the two names,
                       not some in each); a word of one or two letters only
                       matches at the start of a word of the name ("li" finds "Li Wei", not
                       "Emily")

Results are newest first (created_at, id descending) and paged by keyset (`after` is the
`next_cursor` of the page before): never OFFSET, never more rows than the page. Each way of
matching is one "branch" over the cases (customers by name, companies by name, one amount in
the currencies of one exponent, ...); each branch is its own statement part with its own
ORDER BY and LIMIT, and the page is their UNION, ordered and limited again. A branch is
therefore an index range read from the newest match on, whichever way the planner reaches
it: a few matching customers → their cases through ix_cases_customer_created; half the
customers matching → the cases' own (created_at, id) index, newest first, keeping matches.

The caller's visibility clause is applied inside every branch (staff pass `true()`): the
function cannot be used unfiltered.

PostgreSQL: pg_trgm GIN indexes on lower(users.name) and lower(companies.name) serve the
`LIKE '%word%'` tests, a text_pattern_ops btree on lower(users.email) the email's
`LIKE 'prefix%'`, and ix_cases_amount_created (amount_minor, created_at, id) the amounts
(migration 5ea2c4b1d0f7). Up to FEW matching customers or companies are looked up first and
named in the cases' statement (`_named`), so the planner reads a big company's cases newest
first from its own index range instead of gathering them all to sort.
SQLite, the embedded default: the same SQL with no trigram index, so a name or email search
reads the users and companies tables in full (an id or an amount still uses an index). That
is fine at what SQLite holds here (a demo or a small team: thousands of people, where a scan
is a few milliseconds); a platform at scale runs on PostgreSQL. SQLite's lower() folds ASCII
letters only, so there "Émile" is found by "Émile" or "mile", not by "émile".

Text is bound, never spliced into SQL; LIKE's `%`, `_` and `\\` in the query are escaped
and match themselves. Control characters count as spaces. A query longer than MAX_QUERY
characters is refused (`QueryTooLong`); words beyond MAX_WORDS are ignored.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Mapping, Optional, Sequence

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union
from sqlalchemy.orm import Session, aliased

from data.models import Case, Company, User
from data.read import keyset

MAX_QUERY = 200  # characters; an id, an email or a few words fit with room to spare
MAX_WORDS = 8
MAX_PAGE = 100
KINDS = ("empty", "case_id", "payment_id", "email", "amount", "words")

Customer = aliased(User, name="customer")

_CASE_ID = re.compile(r"reso_[A-Za-z0-9]{1,36}")
_PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{1,36}")
_SYMBOLS = ("CA$", "A$", "US$", "$", "€", "£", "¥")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d{1,15}(?:\.\d{1,3})?")
_CODE = re.compile(r"[A-Za-z]{3}")


class QueryTooLong(ValueError):
    """The text is longer than a search needs; the message says so in a sentence."""


@dataclass(frozen=True)
class Interpretation:
    kind: str  # one of KINDS
    text: str  # the query, normalised (lowercased for email and words)
    words: tuple[str, ...] = ()
    amount: Optional[Decimal] = None  # whole units, for kind "amount"
    currency: Optional[str] = None  # an ISO code typed with the amount

    @property
    def exact(self) -> bool:
        return self.kind in ("case_id", "payment_id")


@dataclass(frozen=True)
class SearchRow:
    id: str
    payment_id: str
    status: str
    stage: str
    outcome: Optional[str]
    reason: str
    amount_minor: int
    currency: str
    company_id: str
    company_name: str
    customer_id: str
    customer_name: str
    customer_email: str
    created_at: dt.datetime


@dataclass(frozen=True)
class SearchPage:
    """One page of matches, newest first. Unpacks as `(rows, next_cursor)`. `exact`: the
    query was a case or payment id and that case is the one row (the screen opens it)."""

    rows: list[SearchRow]
    next_cursor: Optional[str]
    exact: bool = False
    kind: str = "empty"
    query: Interpretation = field(default_factory=lambda: Interpretation("empty", ""))

    def __iter__(self):
        return iter((self.rows, self.next_cursor))

    def __len__(self) -> int:
        return 2


# ---------------------------------------------------------------------- the text
def normalise(query: Optional[str]) -> str:
    """The query with control characters as spaces, runs of spaces as one, trimmed."""
    if not query:
        return ""
    if len(query) > MAX_QUERY:
        raise QueryTooLong(f"A search can be at most {MAX_QUERY} characters; yours has {len(query):,}.")
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in query)
    return " ".join(cleaned.split())


def _amount(text: str) -> tuple[Optional[Decimal], Optional[str]]:
    """(whole units, ISO code or None) if the text is an amount, else (None, None)."""
    rest, code = text, None
    head, _, tail = rest.partition(" ")
    if tail and _CODE.fullmatch(head) and not head.isdigit():
        code, rest = head.upper(), tail.strip()
    else:
        body, _, last = rest.rpartition(" ")
        if body and _CODE.fullmatch(last):
            code, rest = last.upper(), body.strip()
    for symbol in _SYMBOLS:
        if rest.upper().startswith(symbol):
            rest = rest[len(symbol):].strip()
            break
    if not _NUMBER.fullmatch(rest):
        return None, None
    try:
        return Decimal(rest.replace(",", "")), code
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return None, None


def interpret(query: Optional[str]) -> Interpretation:
    text = normalise(query)
    if not text:
        return Interpretation("empty", "")
    if _CASE_ID.fullmatch(text):
        return Interpretation("case_id", text)
    if _PAYMENT_ID.fullmatch(text):
        return Interpretation("payment_id", text)
    if "@" in text and " " not in text:
        return Interpretation("email", text.lower())
    amount, code = _amount(text)
    if amount is not None:
        return Interpretation("amount", text, amount=amount, currency=code)
    words = tuple(dict.fromkeys(w for w in text.lower().split(" ") if w))[:MAX_WORDS]
    return Interpretation("words", text.lower(), words=words)


# ----------------------------------------------------------------- the branches
def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(col, pattern: str) -> ColumnElement[bool]:
    return func.lower(col).like(literal(pattern), escape="\\")


def _has_word(col, word: str) -> ColumnElement[bool]:
    w = _escape(word)
    if len(word) >= 3:
        return _like(col, f"%{w}%")
    # Too short for a trigram: at the start of the name or of one of its words.
    return or_(_like(col, f"{w}%"), _like(col, f"% {w}%"))


def _amount_branches(q: Interpretation, exponents: Mapping[str, int]) -> list[ColumnElement[bool]]:
    """One branch per currency exponent: the amount in minor units and the currencies that
    use it. `exponents` lists the currencies whose minor unit is not a hundredth."""
    assert q.amount is not None
    other = {c.upper(): e for c, e in exponents.items() if e != 2}
    groups: dict[int, Optional[list[str]]] = {}
    if q.currency is not None:
        groups[other.get(q.currency, 2)] = [q.currency]
    else:
        groups[2] = None  # every currency not listed in `other`
        for c, e in sorted(other.items()):
            groups.setdefault(e, []).append(c)  # type: ignore[union-attr]
    out = []
    for e, currencies in groups.items():
        minor = q.amount.scaleb(e)
        if minor != minor.to_integral_value() or minor > 10 ** 15:
            continue  # 19.99 is no amount of yen
        cond = Case.amount_minor == int(minor)
        if currencies is None:
            if other:
                cond = and_(cond, Case.currency.not_in(sorted(other)))
        else:
            cond = and_(cond, Case.currency.in_(currencies))
        out.append(cond)
    return out


FEW = 20  # matching customers or companies named one by one; more are a subquery


def _named(session: Session, ids_stmt, column) -> list[ColumnElement[bool]]:
    """Cases whose `column` (customer_id / company_id) is one of the ids `ids_stmt` selects.

    Up to FEW ids are read first and named in the statement: the planner then knows who they
    are (a company with a tenth of all cases is read newest first from its own index range,
    LIMIT rows, not gathered whole and sorted), and a company gets a branch of its own for
    that range. Past FEW the matches are dense, and the subquery lets the planner read the
    cases newest first and keep the matching ones."""
    few = list(session.scalars(ids_stmt.limit(FEW + 1)))
    if len(few) > FEW:
        return [column.in_(ids_stmt)]
    if not few:
        return []
    if column is Case.company_id:
        return [column == one for one in few]
    return [column.in_(few)]


def branches(q: Interpretation, *, exponents: Mapping[str, int] = {},
             session: Optional[Session] = None) -> list[ColumnElement[bool]]:
    """The ways a case can match `q`, each a condition on the cases alone. With a session,
    the people and companies that match are looked up first when they are few (`_named`)."""
    if q.kind == "case_id":
        return [Case.id == q.text]
    if q.kind == "payment_id":
        return [Case.payment_id == q.text]
    if q.kind == "email":
        people = select(User.id).where(_like(User.email, _escape(q.text) + "%"))
        return _named(session, people, Case.customer_id) if session else [Case.customer_id.in_(people)]
    if q.kind == "amount":
        return _amount_branches(q, exponents)
    if q.kind == "words" and q.words:
        named = select(User.id).where(*(_has_word(User.name, w) for w in q.words))
        companies = select(Company.id).where(*(_has_word(Company.name, w) for w in q.words))
        if session is None:
            return [Case.customer_id.in_(named), Case.company_id.in_(companies)]
        return _named(session, named, Case.customer_id) + _named(session, companies, Case.company_id)
    return []


def _matches(session: Session, q: Interpretation, *, where: Sequence[ColumnElement[bool]], limit: int,
             newest_first: bool, exponents: Mapping[str, int]):
    """The statement of the first `limit` matches' (id, created_at), already ordered and
    limited, or None when nothing can match."""
    parts = branches(q, exponents=exponents, session=session)
    if not parts or limit <= 0:
        return None
    order = ((Case.created_at.desc(), Case.id.desc()) if newest_first else (Case.created_at.asc(), Case.id.asc()))
    selects = [select(Case.id, Case.created_at).where(b, *where).order_by(*order).limit(limit) for b in parts]
    if len(selects) == 1:
        return selects[0]
    # Each branch keeps its own ORDER BY ... LIMIT (a subquery each: SQLite allows neither on
    # a bare arm of a compound select); the union drops a case both branches found.
    arms = [select(s.subquery(f"branch{i}")) for i, s in enumerate(selects)]
    both = union(*arms).subquery("matches")
    outer = ((both.c.created_at.desc(), both.c.id.desc()) if newest_first
             else (both.c.created_at.asc(), both.c.id.asc()))
    return select(both.c.id, both.c.created_at).order_by(*outer).limit(limit)


def matching(session: Session, q: Interpretation, *, where: Sequence[ColumnElement[bool]], limit: int,
             newest_first: bool = True, exponents: Mapping[str, int] = {}) -> list[tuple[str, dt.datetime]]:
    """(id, created_at) of the first `limit` cases matching `q` and every clause of `where`
    (the caller's visibility, filters and seek), newest first or oldest first."""
    stmt = _matches(session, q, where=where, limit=limit, newest_first=newest_first, exponents=exponents)
    return [] if stmt is None else [(r.id, r.created_at) for r in session.execute(stmt)]


# ------------------------------------------------------------------- the screen
KEYS = (keyset.Key(Case.created_at, descending=True), keyset.Key(Case.id, descending=True))


def _tag(q: Interpretation) -> str:
    # A cursor belongs to one query: another query's cursor starts from the top.
    return "search:" + keyset.view_of(q.kind, q.text)


def _display(where: Sequence[ColumnElement[bool]]):
    return (select(Case.id, Case.payment_id, Case.status, Case.stage, Case.outcome, Case.reason, Case.amount_minor,
                   Case.currency, Case.company_id, Company.name.label("company_name"), Case.customer_id,
                   Customer.name.label("customer_name"), Customer.email.label("customer_email"), Case.created_at)
            .join(Company, Company.id == Case.company_id).join(Customer, Customer.id == Case.customer_id)
            .where(*where))


def search(session: Session, query: Optional[str], *, visibility: ColumnElement[bool], after: Optional[str] = None,
           size: int = 25, exponents: Mapping[str, int] = {}) -> SearchPage:
    """One page of the cases matching `query` that `visibility` lets the caller see, newest
    first; `after` is the previous page's `next_cursor` (a cursor of another query, or one
    that does not decode, starts from the top). Raises QueryTooLong for an overlong query."""
    q = interpret(query)
    size = max(1, min(int(size), MAX_PAGE))
    tag = _tag(q)
    seek = keyset.decode(tag, KEYS, after) if after else None
    where = [visibility] + ([keyset.after(KEYS, seek)] if seek is not None else [])
    if q.exact:
        # One case at most (ids are unique): read it with its display fields in one statement.
        rows = [SearchRow(**r._mapping) for r in session.execute(_display([*branches(q), *where]).limit(1))]
        return SearchPage(rows, None, exact=len(rows) == 1 and seek is None, kind=q.kind, query=q)
    matches = _matches(session, q, where=where, limit=size + 1, newest_first=True, exponents=exponents)
    if matches is None:
        return SearchPage([], None, kind=q.kind, query=q)
    # The page's display fields joined onto the matches in the same statement.
    page = matches.subquery("page")
    stmt = (_display([]).join(page, page.c.id == Case.id)
            .order_by(Case.created_at.desc(), Case.id.desc()))
    rows = [SearchRow(**r._mapping) for r in session.execute(stmt)]
    more, rows = len(rows) > size, rows[:size]
    cursor = keyset.encode(tag, [rows[-1].created_at, rows[-1].id]) if more else None  # in KEYS order
    return SearchPage(rows, cursor, kind=q.kind, query=q)
