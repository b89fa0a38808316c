"""Read model for the reviewer queue (SPEC §9): the tabs, their counts, and one window
of rows sorted and filtered as AG Grid's infinite row model asks.

Tabs, over the stored case fields (`stage` is the internal state, `status` the public one):
    escalated  stage = under_review   first instance, incl. an appealed merchant denial
    appealed   stage = final_review   an appealed platform decision awaiting final review
    open       status awaiting_merchant / awaiting_customer, escalated or not (monitoring)
    mine       assigned to the viewer and not closed
    closed     status closed, last closed first (ix_cases_closed_at)
    all        every case, newest first (ix_cases_created_id)

The Closed and All tabs hold nearly every case, so nothing there is ever counted: their
totals come from the metric rollups (one row per month), and a filtered window that
comes back full answers "more" (-1, AG Grid's unknown last row) instead of a count.

Time waiting is "now − waiting_since", where waiting_since is the moment the case came
to whoever it now waits on:
    awaiting_*      response_due_at − response_days: the lifecycle sets the deadline at
                    exactly that moment, so this is when the party was asked (exact).
    final_review    appealed_at: when the decision was appealed.
    under_review    escalated_at: when the platform took the case on (a missed deadline
                    or the appeal of a denial). A reply to a reviewer's request does not
                    restart the clock: it measures how long the platform has held the case.
updated_at is only the fallback: claims, notes and evidence touch it, so it would reset
the clock whenever anyone looked at a case.

Everything is filtered, sorted, counted and paged in SQL. Paging is by keyset
(`data.read.keyset`): each block returns the sort key of its last row as a cursor, and the
next block seeks past it, so a block deep in the scroll costs what the first one does. A
block asked for without its predecessor's cursor (a scrollbar jump) is LIMIT/OFFSET from
the grid's startRow. Tab counts come from the counter tables for staff (`queue_counts`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select, true
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import True_

from data.models import Case, Company, Payment, User
from data.read import keyset

TABS = ("escalated", "appealed", "open", "mine")  # the work tabs, counted from the open-case counters
REACH_TABS = ("closed", "all")  # every case reachable: totals from the rollups, never a count
ALL_TABS = TABS + REACH_TABS
UNKNOWN_TOTAL = -1  # AG Grid's infinite model: the last row is not known yet, offer more
OPEN_STATUSES = ("awaiting_merchant", "awaiting_customer", "under_review")
AWAITING_STATUSES = ("awaiting_merchant", "awaiting_customer")
ASSIGNED_FILTERS = ("anyone", "unassigned", "me")
MAX_WINDOW = 200  # rows per request, whatever the browser asks for

Customer = aliased(User, name="customer")
Assignee = aliased(User, name="assignee")


def tab_clause(tab: str, user_id: str) -> ColumnElement[bool]:
    # The status test is implied by the stage; it is there so the status index can be used.
    if tab == "escalated":
        return and_(Case.status == "under_review", Case.stage == "under_review")
    if tab == "appealed":
        return and_(Case.status == "under_review", Case.stage == "final_review")
    if tab == "open":
        return Case.status.in_(AWAITING_STATUSES)
    if tab == "mine":
        return and_(Case.assignee_id == user_id, Case.status.in_(OPEN_STATUSES))
    if tab == "closed":
        return Case.status == "closed"
    if tab == "all":
        return true()
    raise ValueError(f"unknown queue tab {tab!r}")


# The public status of each open stage (dashboard.enums.STAGE_STATUS; a test holds them
# equal): how the counter tables' stages map onto the tabs, exactly as `tab_clause` does.
OPEN_STAGE_STATUS = {
    "awaiting_merchant": "awaiting_merchant", "awaiting_customer": "awaiting_customer",
    "under_review": "under_review", "review_awaiting_merchant": "awaiting_merchant",
    "review_awaiting_customer": "awaiting_customer", "final_review": "under_review",
    "final_awaiting_merchant": "awaiting_merchant", "final_awaiting_customer": "awaiting_customer",
}


def _sees_everything(visibility: ColumnElement[bool]) -> bool:
    """Staff's clause is `true()`: only then are the platform-wide counters this viewer's."""
    return isinstance(visibility, True_)


def counts_from_stages(stage_counts: Mapping[tuple[str, Optional[str]], int], user_id: str) -> dict[str, int]:
    """The four tab counts from open-case counts per (stage, assignee id or None)."""
    out = dict.fromkeys(TABS, 0)
    for (stage, assignee_id), n in stage_counts.items():
        status = OPEN_STAGE_STATUS.get(stage)
        if status is None or not n:
            continue  # closed (or unknown): in no tab
        if stage == "under_review":
            out["escalated"] += n
        elif stage == "final_review":
            out["appealed"] += n
        if status in AWAITING_STATUSES:
            out["open"] += n
        if assignee_id is not None and assignee_id == user_id:
            out["mine"] += n
    return {t: int(v) for t, v in out.items()}


def _rollup_counts(session: Session, user_id: str) -> Optional[dict[str, int]]:
    """The tab counts from the counter tables `data.rollups` keeps at every commit (a
    handful of rows, whatever the number of cases), or None where there are none."""
    try:
        from data.rollups import stage_counts
    except ImportError:
        return None
    return counts_from_stages(stage_counts(session), user_id)


def reach_totals(session: Session, visibility: ColumnElement[bool]) -> Optional[dict[str, int]]:
    """How many cases the Closed and All tabs hold, for staff: the platform-wide rollup rows
    (all companies, every provider and reason: one per month, ix_rollup_cases_every), so
    it costs the months, not the cases. None for a narrower clause (never counted then)."""
    if not _sees_everything(visibility):
        return None
    try:
        from data.rollups.maintain import ALL
        from data.rollups.models import RollupCases
    except ImportError:
        return None
    row = session.execute(
        select(func.coalesce(func.sum(RollupCases.cases), 0), func.coalesce(func.sum(RollupCases.closed), 0))
        .where(RollupCases.grain == "m", RollupCases.company_id == "", RollupCases.provider == ALL,
               RollupCases.reason == ALL)).one()
    return {"all": int(row[0]), "closed": int(row[1])}


def queue_counts_sql(session: Session, visibility: ColumnElement[bool], *, user_id: str) -> dict[str, int]:
    """The tab counts by one aggregate over the visible open cases (ix_cases_open_status)."""

    def n(cond):
        return func.coalesce(func.sum(sql_case((cond, 1), else_=0)), 0)

    row = session.execute(
        select(*(n(tab_clause(t, user_id)).label(t) for t in TABS))
        .where(visibility, Case.status.in_(OPEN_STATUSES))
    ).one()
    return {t: int(getattr(row, t)) for t in TABS}


def queue_counts(session: Session, visibility: ColumnElement[bool], *, user_id: str) -> dict[str, int]:
    """How many cases each tab holds. For staff, from the counter tables (no scan of the
    open cases); for a narrower clause, or before those tables exist, by `queue_counts_sql`."""
    if _sees_everything(visibility):
        counts = _rollup_counts(session, user_id)
        if counts is not None:
            return counts
    return queue_counts_sql(session, visibility, user_id=user_id)


# ------------------------------------------------------------------------ time waiting
def _epoch(session: Session, col):
    """Seconds since 1970 of a stored time, in SQL, on PostgreSQL and SQLite alike."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", col)
    return (func.julianday(col) - 2440587.5) * 86400.0


def waiting_since_sql(session: Session, response_days: int):
    """SQL twin of `waiting_since` (epoch seconds), for sorting by time waiting."""
    return sql_case(
        (Case.stage == "final_review", _epoch(session, func.coalesce(Case.appealed_at, Case.updated_at))),
        (Case.stage == "under_review", _epoch(session, func.coalesce(Case.escalated_at, Case.updated_at))),
        (Case.response_due_at.is_not(None), _epoch(session, Case.response_due_at) - response_days * 86400.0),
        else_=_epoch(session, Case.updated_at),
    )


def tab_waiting_since_sql(tab: str):
    """Within the escalated and appealed tabs every case is in one stage, so time waiting is
    one stored time (or its fallback), the expression the partial indexes
    ix_cases_escalated_waiting / ix_cases_appealed_waiting hold in order; None for the others.
    It sorts like `waiting_since_sql` restricted to the tab."""
    if tab == "escalated":
        return func.coalesce(Case.escalated_at, Case.updated_at)
    if tab == "appealed":
        return func.coalesce(Case.appealed_at, Case.updated_at)
    return None


def waiting_since(*, stage: str, response_due_at: Optional[dt.datetime], escalated_at: Optional[dt.datetime],
                  appealed_at: Optional[dt.datetime], updated_at: dt.datetime, response_days: int) -> dt.datetime:
    if stage == "final_review":
        return appealed_at or updated_at
    if stage == "under_review":
        return escalated_at or updated_at
    if response_due_at is not None:
        return response_due_at - dt.timedelta(days=response_days)
    return updated_at


# ----------------------------------------------------------------------------- filters
def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_predicate(kind: str, text: str) -> Callable[[str], bool]:
    """The AG Grid text filter `kind` as a Python test, for columns with a fixed vocabulary."""
    t = text.lower()
    tests = {
        "contains": lambda v: t in v, "notContains": lambda v: t not in v,
        "equals": lambda v: v == t, "notEqual": lambda v: v != t,
        "startsWith": lambda v: v.startswith(t), "endsWith": lambda v: v.endswith(t),
    }
    return tests.get(kind, tests["contains"])


def _free_text_condition(columns: list, kind: str, text: str) -> ColumnElement[bool]:
    pattern = _like_escape(text.lower())

    def one(col):
        low = func.lower(col)
        if kind == "equals":
            return low == text.lower()
        if kind == "notEqual":
            return low != text.lower()
        if kind == "startsWith":
            return low.like(pattern + "%", escape="\\")
        if kind == "endsWith":
            return low.like("%" + pattern, escape="\\")
        if kind == "notContains":
            return not_(low.like("%" + pattern + "%", escape="\\"))
        return low.like("%" + pattern + "%", escape="\\")

    conds = [one(c) for c in columns]
    # A negative test must hold for every searched column ("not containing x" anywhere).
    return and_(*conds) if kind in ("notContains", "notEqual") else or_(*conds)


# Grid column id -> the SQL it filters. Anything else in the filter model is ignored.
FREE_TEXT_FILTERS: dict[str, list] = {
    "id": [Case.id],
    "company": [Company.name],
    "customer": [Customer.name, Customer.email],
}
VOCABULARY_FILTERS: dict[str, Any] = {"provider": Payment.provider, "reason": Case.reason, "status": Case.status}
FILTER_COLUMNS = (*FREE_TEXT_FILTERS, *VOCABULARY_FILTERS)
FILTER_KINDS = ("contains", "notContains", "equals", "notEqual", "startsWith", "endsWith")
# The grid's sortable columns (the keys of `_sorts` a column shows; "closed" has no column).
SORT_COLUMNS = ("id", "company", "customer", "amount", "provider", "reason", "status", "waiting", "deadline",
                "created", "assignee")


def _condition(column_id: str, spec: Mapping, labels: Mapping[str, Mapping[str, str]]) -> Optional[ColumnElement[bool]]:
    kind = spec.get("type") or "contains"
    if kind in ("blank", "notBlank"):
        return None  # every filterable column is always filled in
    text = str(spec.get("filter") or "").strip()[:200]
    if not text:
        return None
    if column_id in FREE_TEXT_FILTERS:
        return _free_text_condition(FREE_TEXT_FILTERS[column_id], kind, text)
    if column_id in VOCABULARY_FILTERS:
        # Match the typed text against each known value and its label ("PayPal", "Not as
        # described"), then filter with IN on the stored value, which the database can use.
        vocabulary = labels.get(column_id) or {}
        test = _text_predicate(kind, text)
        # A negative test must hold for the value and its label; a positive one for either.
        either = all if kind in ("notContains", "notEqual") else any
        values = [v for v, label in vocabulary.items() if either(test(x.lower()) for x in (v, str(label)))]
        return VOCABULARY_FILTERS[column_id].in_(values) if values else false()
    return None


def filter_clauses(filter_model: Optional[Mapping], labels: Optional[Mapping[str, Mapping[str, str]]] = None
                   ) -> list[ColumnElement[bool]]:
    """AG Grid's filterModel (text filters, simple or combined with AND/OR) as WHERE clauses."""
    labels = labels or {}
    clauses = []
    for column_id, spec in (filter_model or {}).items():
        if not isinstance(spec, Mapping):
            continue
        if isinstance(spec.get("conditions"), list):
            parts = [c for c in (_condition(column_id, s, labels) for s in spec["conditions"] if isinstance(s, Mapping))
                     if c is not None]
            if parts:
                clauses.append(or_(*parts) if spec.get("operator") == "OR" else and_(*parts))
            continue
        cond = _condition(column_id, spec, labels)
        if cond is not None:
            clauses.append(cond)
    return clauses


def assigned_clause(assigned: Optional[str], user_id: str) -> Optional[ColumnElement[bool]]:
    if assigned == "unassigned":
        return Case.assignee_id.is_(None)
    if assigned == "me":
        return Case.assignee_id == user_id
    return None


# ------------------------------------------------------------------------------- sorts
def _sorts(session: Session, tab: str, response_days: int) -> dict[str, tuple[Any, bool]]:
    """Grid column id -> (SQL expression, may be NULL). Only these are ever sorted on."""
    waiting = tab_waiting_since_sql(tab)
    return {
        "id": (Case.id, False),
        "company": (Company.name, False),
        "customer": (Customer.name, False),
        "amount": (Case.amount_minor, False),
        "provider": (Payment.provider, False),
        "reason": (Case.reason, False),
        "status": (Case.status, False),
        # Longest waiting first is ascending waiting_since, so the direction flips below.
        "waiting": (waiting_since_sql(session, response_days) if waiting is None else waiting, False),
        # The deadline column: the party's deadline; in the Escalated and Appealed tabs the
        # platform's "decide by" (dashboard.sla), which is the tab's clock plus a constant, so
        # it sorts as time waiting does, over the same index; in the Closed tab when it closed.
        # response_due_at is set exactly while a case waits on a party (lifecycle.set_stage),
        # so never NULL in the Open tab: there the sort is a plain index order over ix_cases_open_due.
        "deadline": ((waiting, False) if waiting is not None else (Case.closed_at, False) if tab == "closed"
                     else (Case.response_due_at, tab != "open")),
        "assignee": (Assignee.name, True),
        "created": (Case.created_at, False),
        # Set while closed (lifecycle.set_stage); NULL for the open cases of the All tab.
        "closed": (Case.closed_at, tab != "closed"),
    }


# The Closed and All tabs hold (nearly) every case: there a sort must be an index's order,
# or each page would sort a million rows. The grid offers only these columns' sorts on
# those tabs (callbacks/queue.py); any other sort sent is ignored and the default kept.
REACH_SORTABLE = ("id", "amount", "deadline", "created", "closed")


def sort_keys(session: Session, tab: str, sort_model: Optional[Iterable], response_days: int) -> list[keyset.Key]:
    """The grid's sort model as keyset keys, ending with the case id (unique: the order is
    total, so blocks never overlap or skip). The id follows the first key's direction,
    so (column, id) is one index order read forwards or backwards."""
    sorts = _sorts(session, tab, response_days)
    if tab in REACH_TABS:  # every case, or every closed one: only index orders (REACH_SORTABLE)
        sorts = {col: sorts[col] for col in REACH_SORTABLE}
    keys: list[keyset.Key] = []
    for item in sort_model or []:
        if not isinstance(item, Mapping) or item.get("colId") not in sorts:
            continue
        expr, nullable = sorts[item["colId"]]
        if any(k.expr is expr for k in keys):
            continue
        desc = item.get("sort") == "desc"
        if item["colId"] == "waiting":
            desc = not desc
        keys.append(keyset.Key(expr, desc, nullable))
        if expr is Case.id:
            return keys  # unique already: anything after it never decides
    if not keys and tab in REACH_TABS:  # last closed / newest first, backwards over their index
        keys = [keyset.Key(Case.closed_at if tab == "closed" else Case.created_at, True)]
    if not keys:  # default: most urgent first
        # The Open tab: the deadline is always set while waiting on a party (index order).
        keys = [keyset.Key(Case.response_due_at if tab == "open" else sorts["waiting"][0])]
    return keys + [keyset.Key(Case.id, keys[0].descending)]


def order_by(session: Session, tab: str, sort_model: Optional[Iterable], response_days: int) -> list:
    return keyset.order_by(sort_keys(session, tab, sort_model, response_days))


def _tag(tab: str, sort_model: Optional[Iterable], sorts: Mapping) -> str:
    """What a cursor belongs to: the tab and the sort (a cursor of another sort is ignored)."""
    used = [f"{i['colId']}:{'d' if i.get('sort') == 'desc' else 'a'}" for i in sort_model or []
            if isinstance(i, Mapping) and i.get("colId") in sorts]
    return f"queue:{tab}:" + ",".join(used)


# -------------------------------------------------------------------------------- page
@dataclass(frozen=True)
class QueueRow:
    id: str
    stage: str
    status: str
    escalated: bool
    reason: str
    amount_minor: int
    currency: str
    provider: str
    company_name: str
    customer_name: str
    customer_email: str
    assignee_id: Optional[str]
    assignee_name: Optional[str]
    response_due_at: Optional[dt.datetime]
    waiting_since: dt.datetime
    created_at: dt.datetime
    escalated_at: Optional[dt.datetime] = None
    appealed_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None
    outcome: Optional[str] = None


def tab_total(session: Session, visibility: ColumnElement[bool], *, tab: str, user_id: str) -> Optional[int]:
    """How many rows an unfiltered tab holds, without counting the cases, when the counter
    tables can tell (staff, who see every case); None otherwise."""
    if not _sees_everything(visibility):
        return None
    if tab in REACH_TABS:
        totals = reach_totals(session, visibility)
        return None if totals is None else totals[tab]
    counts = _rollup_counts(session, user_id)
    return None if counts is None else counts[tab]


def queue_page(session: Session, visibility: ColumnElement[bool], *, tab: str, user_id: str, start: int = 0,
               end: int = 100, sort_model: Optional[Iterable] = None, filter_model: Optional[Mapping] = None,
               assigned: Optional[str] = None, labels: Optional[Mapping[str, Mapping[str, str]]] = None,
               response_days: int = 7, after: Optional[str] = None,
               known_total: Optional[int] = None) -> keyset.GridPage[QueueRow]:
    """Rows `start`..`end` of `tab` and how many rows match in all (unpacks as `(rows, total)`).

    `after` is the `next_cursor` of the block ending at `start` (same tab, sort and filters):
    the block is then read by a seek on the sort key, at the same cost at any depth.
    Without one (the first block, a jump to a block whose predecessor was never read, a
    sort on the computed waiting time of the Open and Mine tabs) it is OFFSET `start`,
    which steps over `start` rows. `known_total` is the total the first block of this
    view reported; deeper blocks reuse it instead of counting again. The total needs a
    count only when the window comes back full; a short window already says where the end is.
    """
    start = max(0, int(start or 0))
    end = max(start, min(int(end if end is not None else start + 100), start + MAX_WINDOW))
    where = [visibility, tab_clause(tab, user_id), *filter_clauses(filter_model, labels)]
    mine = assigned_clause(assigned, user_id)
    if mine is not None:
        where.append(mine)

    def joins(stmt, needed=("company", "customer", "provider", "assignee")):
        if "company" in needed:
            stmt = stmt.join(Company, Company.id == Case.company_id)
        if "customer" in needed:
            stmt = stmt.join(Customer, Customer.id == Case.customer_id)
        if "provider" in needed:
            stmt = stmt.join(Payment, Payment.id == Case.payment_id)
        if "assignee" in needed:
            stmt = stmt.outerjoin(Assignee, Assignee.id == Case.assignee_id)
        return stmt

    def joined(stmt, needed=("company", "customer", "provider", "assignee")):
        return joins(stmt, needed).where(*where)

    # The window's ids first, over the cases and only the tables a filter or the sort refers
    # to (the joins are one row per case, so they never change which cases match): the
    # database seeks (or steps over `start` narrow rows), and joins the other tables for the
    # window alone. The window carries its sort keys, for the outer order and the cursor.
    keys = sort_keys(session, tab, sort_model, response_days)
    tag = _tag(tab, sort_model, _sorts(session, tab, response_days))
    can_seek = keyset.seekable(keys)
    seek = keyset.decode(tag, keys, after) if can_seek and start > 0 else None
    filtered = set(filter_model or {}) if isinstance(filter_model, Mapping) else set()
    sorted_on = {item.get("colId") for item in sort_model or [] if isinstance(item, Mapping)}
    window = joined(select(Case.id, *(k.expr.label(f"k{i}") for i, k in enumerate(keys[:-1]))).select_from(Case),
                    filtered | sorted_on).order_by(*keyset.order_by(keys))
    window = window.where(keyset.after(keys, seek)) if seek is not None else window.offset(start)
    window = window.limit(end - start).subquery("page_ids")
    outer_keys = [k.on(window.c[f"k{i}"]) for i, k in enumerate(keys[:-1])] + [keys[-1].on(window.c.id)]
    stmt = joins(select(
        Case.id, Case.stage, Case.status, Case.escalated, Case.reason, Case.amount_minor, Case.currency,
        Payment.provider, Company.name.label("company_name"), Customer.name.label("customer_name"),
        Customer.email.label("customer_email"), Case.assignee_id, Assignee.name.label("assignee_name"),
        Case.response_due_at, Case.escalated_at, Case.appealed_at, Case.updated_at, Case.created_at,
        Case.closed_at, Case.outcome, *(window.c[f"k{i}"] for i in range(len(keys) - 1)),
    ).select_from(window).join(Case, Case.id == window.c.id)).order_by(*keyset.order_by(outer_keys))
    result = list(session.execute(stmt))
    rows = [
        QueueRow(
            id=r.id, stage=r.stage, status=r.status, escalated=bool(r.escalated), reason=r.reason,
            amount_minor=r.amount_minor, currency=r.currency, provider=r.provider, company_name=r.company_name,
            customer_name=r.customer_name, customer_email=r.customer_email, assignee_id=r.assignee_id,
            assignee_name=r.assignee_name, response_due_at=r.response_due_at, created_at=r.created_at,
            escalated_at=r.escalated_at, appealed_at=r.appealed_at, closed_at=r.closed_at, outcome=r.outcome,
            waiting_since=waiting_since(stage=r.stage, response_due_at=r.response_due_at,
                                        escalated_at=r.escalated_at, appealed_at=r.appealed_at,
                                        updated_at=r.updated_at, response_days=response_days),
        )
        for r in result
    ]
    full = len(rows) == end - start and rows
    next_cursor = None
    if full and can_seek:
        last = result[-1]._mapping
        next_cursor = keyset.encode(tag, [last[f"k{i}"] for i in range(len(keys) - 1)] + [last["id"]])
    if len(rows) < end - start and (rows or start == 0):
        total = start + len(rows)
    elif known_total is not None and known_total >= start + len(rows):
        total = int(known_total)
    else:
        total = None
        if not filtered and mine is None:
            total = tab_total(session, visibility, tab=tab, user_id=user_id)
        if total is None and tab in REACH_TABS:
            # Never count (nearly) every case: the grid offers more rows while blocks come
            # back full, and an empty block past the end tells it where the end is.
            total = UNKNOWN_TOTAL if rows else start
        elif total is None:
            # Count over the cases alone, joining only what a filter refers to.
            total = int(session.scalar(joined(select(func.count()).select_from(Case), filtered)) or 0)
    return keyset.GridPage(rows, total, next_cursor, seek is not None)


def staff_choices(session: Session) -> list[tuple[str, str, str]]:
    """Active reviewers and managers as (id, name, role), for the manager's assign menu."""
    stmt = (select(User.id, User.name, User.role)
            .where(User.role.in_(("reviewer", "manager")), User.is_active.is_(True))
            .order_by(User.name, User.id))
    return [(r.id, r.name, r.role) for r in session.execute(stmt)]
