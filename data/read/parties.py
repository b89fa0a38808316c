"""Read models for the parties' own pages: the company page (creators) and the customer
page (`/my-cases`).

Every function takes a session, a visibility clause built by the caller from the
signed-in user (`dashboard.permissions.case_visibility` / `payment_visibility`) and
plain values; it filters, sorts, pages and aggregates in SQL. Status and outcome
values are the public wire strings.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import ColumnElement, and_, func, not_, or_, select
from sqlalchemy.orm import Session, contains_eager

from data.rollups import counts as rollup_counts
from data.models import Case, Payment, User
from data.read import keyset

AWAITING_MERCHANT = "awaiting_merchant"
CLOSED = "closed"


# ----------------------------------------------------------------------- company page
def cases_awaiting_merchant(session: Session, visibility: ColumnElement[bool], *, limit: int = 50) -> list[Case]:
    """Cases waiting on the merchant (first instance or a platform request), most urgent first.

    Cases come with `customer` loaded; a deadline-less row (should not happen) sorts last."""
    stmt = (
        select(Case).join(Case.customer).options(contains_eager(Case.customer))
        .where(visibility, Case.status == AWAITING_MERCHANT)
        .order_by(Case.response_due_at.is_(None), Case.response_due_at, Case.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def cases_in_merchant_appeal_window(session: Session, visibility: ColumnElement[bool], *, now: dt.datetime,
                                    limit: int = 50) -> list[Case]:
    """Closed cases with a platform decision whose appeal window is still open, soonest
    closing first. A narrowing for the screen; the domain's `available_actions` is the
    final word on whether the merchant may appeal."""
    stmt = (
        select(Case).join(Case.customer).options(contains_eager(Case.customer))
        .where(visibility, Case.status == CLOSED, Case.final.is_(False), Case.decided_by_id.is_not(None),
               Case.appeal_due_at > now, Case.customer_appealed.is_(False), Case.merchant_appealed.is_(False))
        .order_by(Case.appeal_due_at, Case.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


# Grid column id -> what it sorts by. Anything else is ignored (never interpolated).
CASE_GRID_SORTS: dict[str, Any] = {
    "case": Case.id,
    "customer": User.name,
    "amount": Case.amount_minor,
    "reason": Case.reason,
    "status": Case.status,
    "outcome": Case.outcome,
    "deadline": Case.response_due_at,
    "updated": Case.updated_at,
    "created": Case.created_at,
}
# Columns holding wire values ("awaiting_merchant"): "Awaiting merchant" typed in a filter matches too.
_WIRE_VALUE_COLUMNS = {"reason": Case.reason, "status": Case.status, "outcome": Case.outcome}


@dataclass(frozen=True)
class CaseGridRow:
    id: str
    customer_name: str
    customer_email: str
    product_title: Optional[str]
    amount_minor: int
    currency: str
    reason: str
    status: str
    escalated: bool
    outcome: Optional[str]
    response_due_at: Optional[dt.datetime]
    updated_at: dt.datetime
    created_at: dt.datetime


def _text_condition(column_id: str, spec: dict) -> Optional[ColumnElement[bool]]:
    """One AG Grid text filter ({"type": "contains", "filter": "..."}) as SQL, or None."""
    kind = spec.get("type") or "contains"
    if kind in ("blank", "notBlank"):
        columns = [_WIRE_VALUE_COLUMNS.get(column_id)] if column_id in _WIRE_VALUE_COLUMNS else []
        if not columns:
            return None
        cond = or_(columns[0].is_(None), columns[0] == "")
        return cond if kind == "blank" else not_(cond)
    text = str(spec.get("filter") or "").strip()
    if not text:
        return None
    if column_id in _WIRE_VALUE_COLUMNS:
        columns = [_WIRE_VALUE_COLUMNS[column_id]]
        text = text.lower().replace(" ", "_")
    elif column_id == "customer":
        columns = [User.name, User.email]
    elif column_id == "case":
        columns = [Case.id]
    else:
        return None

    def one(col):
        if kind == "equals":
            return func.lower(col) == text.lower()
        if kind == "notEqual":
            return func.lower(col) != text.lower()
        if kind == "startsWith":
            return col.istartswith(text, autoescape=True)
        if kind == "endsWith":
            return col.iendswith(text, autoescape=True)
        if kind == "notContains":
            return not_(col.icontains(text, autoescape=True))
        return col.icontains(text, autoescape=True)

    conds = [one(c) for c in columns]
    return and_(*conds) if kind in ("notContains", "notEqual") else or_(*conds)


def grid_filter_clauses(filter_model: Optional[dict]) -> list[ColumnElement[bool]]:
    """AG Grid's filterModel (simple or combined text conditions) as WHERE clauses."""
    clauses = []
    for column_id, spec in (filter_model or {}).items():
        if not isinstance(spec, dict):
            continue
        if spec.get("conditions"):
            parts = [c for c in (_text_condition(column_id, s) for s in spec["conditions"] if isinstance(s, dict))
                     if c is not None]
            if parts:
                clauses.append(or_(*parts) if spec.get("operator") == "OR" else and_(*parts))
            continue
        cond = _text_condition(column_id, spec)
        if cond is not None:
            clauses.append(cond)
    return clauses


def company_grid_keys(sort_model: Optional[list]) -> list[keyset.Key]:
    """The grid's sort, then newest update first, then the id: a total order, and with no
    sort asked for, the order of ix_cases_company_updated (company_id, updated_at desc, id desc)."""
    keys: list[keyset.Key] = []
    for item in sort_model or []:
        col = CASE_GRID_SORTS.get((item or {}).get("colId")) if isinstance(item, dict) else None
        if col is None or any(k.expr is col for k in keys):
            continue
        # Rows without a deadline (closed cases) or outcome (open ones) go last either way.
        keys.append(keyset.Key(col, item.get("sort") == "desc", nullable=col in (Case.response_due_at, Case.outcome)))
        if col is Case.id:
            return keys
    keys += [keyset.Key(Case.updated_at, True)] if all(k.expr is not Case.updated_at for k in keys) else []
    return keys + [keyset.Key(Case.id, True)]


def _grid_tag(keys: list[keyset.Key]) -> str:
    names = {id(col): name for name, col in CASE_GRID_SORTS.items()}
    return "company:" + ",".join(f"{names[id(k.expr)]}:{'d' if k.descending else 'a'}" for k in keys)


def company_cases_page(session: Session, visibility: ColumnElement[bool], *, start: int = 0, end: int = 50,
                       sort_model: Optional[list] = None, filter_model: Optional[dict] = None,
                       max_rows: int = 200, after: Optional[str] = None,
                       known_total: Optional[int] = None) -> keyset.GridPage[CaseGridRow]:
    """Rows `start`..`end` of the visible cases, sorted and filtered as the grid asks,
    and how many match in all (unpacks as `(rows, total)`). Newest update first by default.

    `after` is the `next_cursor` of the block ending at `start` (same sort): the block is
    then a keyset seek; without one it is OFFSET `start`. `known_total` (the first block's
    count) spares deeper blocks the count."""
    start = max(0, int(start or 0))
    end = max(start, min(int(end if end is not None else start + 50), start + max_rows))
    where = [visibility, *grid_filter_clauses(filter_model)]
    keys = company_grid_keys(sort_model)
    tag = _grid_tag(keys)
    seek = keyset.decode(tag, keys, after) if start > 0 else None
    base = select(Case, User.name, User.email, Payment.product_title).join(User, User.id == Case.customer_id) \
        .join(Payment, Payment.id == Case.payment_id).where(*where)
    stmt = base.order_by(*keyset.order_by(keys))
    stmt = stmt.where(keyset.after(keys, seek)) if seek is not None else stmt.offset(start)
    rows, last = [], None
    for case, name, email, product in session.execute(stmt.limit(end - start)):
        last = case
        rows.append(CaseGridRow(
            id=case.id, customer_name=name, customer_email=email, product_title=product,
            amount_minor=case.amount_minor, currency=case.currency, reason=case.reason, status=case.status,
            escalated=case.escalated, outcome=case.outcome, response_due_at=case.response_due_at,
            updated_at=case.updated_at, created_at=case.created_at,
        ))
    next_cursor = None
    if rows and len(rows) == end - start:
        values = [rows[-1].customer_name if k.expr is User.name else getattr(last, k.expr.key) for k in keys]
        next_cursor = keyset.encode(tag, values)
    if len(rows) < end - start and (rows or start == 0):
        total = start + len(rows)
    elif known_total is not None and known_total >= start + len(rows):
        total = int(known_total)
    else:
        # Every case has its customer, so the count joins users only for a filter on the customer.
        counted = select(func.count()).select_from(Case)
        if isinstance(filter_model, dict) and "customer" in filter_model:
            counted = counted.join(User, User.id == Case.customer_id)
        total = int(session.scalar(counted.where(*where)) or 0)
    return keyset.GridPage(rows, total, next_cursor, seek is not None)


# The company page's KPIs come from the rollups (one company's monthly rows, whatever
# the number of its cases): data.rollups.counts.
company_kpis = rollup_counts.company_kpis
CompanyKpis = rollup_counts.CompanyKpis


# ---------------------------------------------------------------------- customer page
@dataclass(frozen=True)
class PaymentRow:
    payment: Payment  # with `company` loaded
    case_id: Optional[str]
    case_status: Optional[str]


def customer_payments_page(session: Session, visibility: ColumnElement[bool], *, offset: int = 0,
                           limit: int = 10) -> tuple[list[PaymentRow], int]:
    """The visible payments, newest first, each with the case opened on it (if any)."""
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 100))
    total = session.scalar(select(func.count()).select_from(Payment).where(visibility)) or 0
    stmt = (
        select(Payment, Case.id, Case.status)
        .join(Payment.company).options(contains_eager(Payment.company))
        .outerjoin(Case, Case.payment_id == Payment.id)
        .where(visibility)
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
        .offset(offset).limit(limit)
    )
    rows = [PaymentRow(p, cid, status) for p, cid, status in session.execute(stmt)]
    return rows, int(total)


def customer_cases_page(session: Session, visibility: ColumnElement[bool], *, offset: int = 0,
                        limit: int = 10) -> tuple[list[Case], int]:
    """The visible cases: those waiting on the viewer first, then the rest by last update.

    Cases come with `company` and `payment` loaded."""
    offset, limit = max(0, int(offset)), max(1, min(int(limit), 100))
    total = session.scalar(select(func.count()).select_from(Case).where(visibility)) or 0
    waiting_on_customer = (Case.status == "awaiting_customer")
    stmt = (
        select(Case)
        .join(Case.company).options(contains_eager(Case.company))
        .join(Case.payment).options(contains_eager(Case.payment))
        .where(visibility)
        .order_by(waiting_on_customer.desc(), Case.status == CLOSED, Case.updated_at.desc(), Case.id.desc())
        .offset(offset).limit(limit)
    )
    return list(session.scalars(stmt)), int(total)


__all__ = [
    "CASE_GRID_SORTS", "CaseGridRow", "CompanyKpis", "PaymentRow", "cases_awaiting_merchant",
    "cases_in_merchant_appeal_window", "company_cases_page", "company_kpis", "customer_cases_page",
    "customer_payments_page", "grid_filter_clauses",
]
