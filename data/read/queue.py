"""Read model for the reviewer queue (SPEC §9): the four tabs, their counts, and one
window of rows sorted and filtered as AG Grid's infinite row model asks.

Tabs, over the stored case fields (`stage` is the internal state, `status` the public one):
    escalated  stage = under_review   first instance, incl. an appealed merchant denial
    appealed   stage = final_review   an appealed platform decision awaiting final review
    open       status awaiting_merchant / awaiting_customer, escalated or not (monitoring)
    mine       assigned to the viewer and not closed

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

Everything is filtered, sorted, counted and paged in SQL. Paging is LIMIT/OFFSET from the
grid's startRow/endRow: the grid asks for arbitrary blocks (a scrollbar jump), which a
keyset cursor cannot serve without the previous block's last row; the cost is O(offset)
per block, fine for queues of thousands (see the note in `queue_page`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from data.models import Case, Company, Payment, User

TABS = ("escalated", "appealed", "open", "mine")
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
    raise ValueError(f"unknown queue tab {tab!r}")


def queue_counts(session: Session, visibility: ColumnElement[bool], *, user_id: str) -> dict[str, int]:
    """How many cases each tab holds, in one aggregate query over the open cases."""

    def n(cond):
        return func.coalesce(func.sum(sql_case((cond, 1), else_=0)), 0)

    row = session.execute(
        select(*(n(tab_clause(t, user_id)).label(t) for t in TABS))
        .where(visibility, Case.status.in_(OPEN_STATUSES))
    ).one()
    return {t: int(getattr(row, t)) for t in TABS}


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
        "deadline": (Case.response_due_at, True),
        "assignee": (Assignee.name, True),
        "created": (Case.created_at, False),
    }


def order_by(session: Session, tab: str, sort_model: Optional[Iterable], response_days: int) -> list:
    sorts = _sorts(session, tab, response_days)
    order = []
    for item in sort_model or []:
        if not isinstance(item, Mapping) or item.get("colId") not in sorts:
            continue
        expr, nullable = sorts[item["colId"]]
        desc = item.get("sort") == "desc"
        if item["colId"] == "waiting":
            desc = not desc
        term = expr.desc() if desc else expr.asc()
        # Rows without a deadline / assignee go last either way.
        order.append(term.nulls_last() if nullable else term)
    if not order:  # default: most urgent first
        if tab == "open":
            order = [Case.response_due_at.asc()]  # always set while waiting on a party: index order
        else:
            order = [sorts["waiting"][0].asc()]
    return order + [Case.id.asc()]  # a stable tie-break, so blocks never overlap or skip


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


def queue_page(session: Session, visibility: ColumnElement[bool], *, tab: str, user_id: str, start: int = 0,
               end: int = 100, sort_model: Optional[Iterable] = None, filter_model: Optional[Mapping] = None,
               assigned: Optional[str] = None, labels: Optional[Mapping[str, Mapping[str, str]]] = None,
               response_days: int = 7) -> tuple[list[QueueRow], int]:
    """Rows `start`..`end` of `tab` and how many rows match in all.

    The total needs a second query only when the window comes back full; a short window
    already says where the end is. OFFSET makes the database step over `start` rows for
    each block: cheap at queue sizes, linear for very deep pages.
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
    # database steps over `start` narrow rows, and joins the other tables for the window alone.
    order = order_by(session, tab, sort_model, response_days)
    filtered = set(filter_model or {}) if isinstance(filter_model, Mapping) else set()
    sorted_on = {item.get("colId") for item in sort_model or [] if isinstance(item, Mapping)}
    window = (joined(select(Case.id).select_from(Case), filtered | sorted_on)
              .order_by(*order).offset(start).limit(end - start).subquery("page_ids"))
    stmt = joins(select(
        Case.id, Case.stage, Case.status, Case.escalated, Case.reason, Case.amount_minor, Case.currency,
        Payment.provider, Company.name.label("company_name"), Customer.name.label("customer_name"),
        Customer.email.label("customer_email"), Case.assignee_id, Assignee.name.label("assignee_name"),
        Case.response_due_at, Case.escalated_at, Case.appealed_at, Case.updated_at, Case.created_at,
    ).select_from(window).join(Case, Case.id == window.c.id)).order_by(*order)
    rows = [
        QueueRow(
            id=r.id, stage=r.stage, status=r.status, escalated=bool(r.escalated), reason=r.reason,
            amount_minor=r.amount_minor, currency=r.currency, provider=r.provider, company_name=r.company_name,
            customer_name=r.customer_name, customer_email=r.customer_email, assignee_id=r.assignee_id,
            assignee_name=r.assignee_name, response_due_at=r.response_due_at, created_at=r.created_at,
            waiting_since=waiting_since(stage=r.stage, response_due_at=r.response_due_at,
                                        escalated_at=r.escalated_at, appealed_at=r.appealed_at,
                                        updated_at=r.updated_at, response_days=response_days),
        )
        for r in session.execute(stmt)
    ]
    if len(rows) < end - start and (rows or start == 0):
        total = start + len(rows)
    else:
        # Count over the cases alone, joining only what a filter refers to.
        total = int(session.scalar(joined(select(func.count()).select_from(Case), filtered)) or 0)
    return rows, total


def staff_choices(session: Session) -> list[tuple[str, str, str]]:
    """Active reviewers and managers as (id, name, role), for the manager's assign menu."""
    stmt = (select(User.id, User.name, User.role)
            .where(User.role.in_(("reviewer", "manager")), User.is_active.is_(True))
            .order_by(User.name, User.id))
    return [(r.id, r.name, r.role) for r in session.execute(stmt)]
