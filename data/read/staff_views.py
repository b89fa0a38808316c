"""Read models for the staff views of one customer (`/customers/<id>`) and one company
(`/companies/<id>`): who they are, their numbers, and their cases and payments a page at a
time. Callers check that the viewer is staff.

What each costs, whatever the number of cases on the platform:
- the company's numbers come from its rollup rows (monthly rows: a few per month), its
  dispute rate and the platform median from `data.read.context`, its overturns from the
  partial index on final decisions;
- a customer's numbers read their own cases (ix_cases_customer_created): a handful;
- every list is a keyset page, newest first, that seeks past the last row of the page
  before it: cases on ix_cases_customer_created / ix_cases_company_created, a customer's
  payments on ix_payments_customer_paid. A company's payments have only an index on
  company_id (no (company_id, paid_at) index yet): that page sorts the company's payments.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, Optional, TypeVar

from sqlalchemy import and_, case as when, func, select
from sqlalchemy.orm import Session

from data.models import Case, Company, Payment, User
from data.read import keyset
from data.read.context import PRECEDENT_DAYS, Overturns
from data.rollups.models import RollupCases

T = TypeVar("T")
PAGE = 20
MAX_ID = 40  # ids are at most 40 characters (String(40)): anything longer is no id of ours
SPARK_MONTHS = 12


def an_id(value) -> Optional[str]:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_ID else None


def is_customer(session: Session, customer_id: str) -> bool:
    return session.scalar(select(User.id).where(User.id == customer_id, User.role == "customer")) is not None


def is_company(session: Session, company_id: str) -> bool:
    return session.scalar(select(Company.id).where(Company.id == company_id)) is not None


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next_cursor: Optional[str]  # None: this is the last page
    seeked: bool = False  # read after a cursor; False: from the top (none given, or one that did not fit)


def _page(rows: list, size: int, tag: str, keys: list[keyset.Key], last_values) -> tuple[list, Optional[str]]:
    more = len(rows) > size
    rows = rows[:size]
    return rows, keyset.encode(tag, last_values(rows[-1])) if more and rows else None


# ---------------------------------------------------------------------- customer
@dataclass(frozen=True)
class CustomerProfile:
    id: str
    name: str
    email: str
    since: dt.datetime
    cases: int
    open: int
    closed: int
    won: int

    @property
    def win_rate(self) -> Optional[float]:
        """Share of their closed cases the customer won (withdrawn ones count as closed)."""
        return self.won / self.closed if self.closed else None


def customer_profile(session: Session, customer_id) -> Optional[CustomerProfile]:
    """The customer and their numbers over all their cases, or None when `customer_id` is
    no customer's id (a creator or staff member has no customer view)."""
    cid = an_id(customer_id)
    if cid is None:
        return None
    user = session.execute(select(User.id, User.name, User.email, User.created_at)
                           .where(User.id == cid, User.role == "customer")).one_or_none()
    if user is None:
        return None
    closed = Case.status == "closed"
    n, open_, shut, won = session.execute(
        select(func.count(), func.coalesce(func.sum(when((closed, 0), else_=1)), 0),
               func.coalesce(func.sum(when((closed, 1), else_=0)), 0),
               func.coalesce(func.sum(when((and_(closed, Case.outcome == "customer_won"), 1), else_=0)), 0))
        .where(Case.customer_id == cid)).one()
    return CustomerProfile(user.id, user.name, user.email, user.created_at, int(n), int(open_), int(shut), int(won))


@dataclass(frozen=True)
class CaseRow:
    id: str
    status: str
    escalated: bool
    outcome: Optional[str]
    reason: str
    amount_minor: int
    currency: str
    created_at: dt.datetime
    company_id: str
    company_name: str
    customer_id: str
    customer_name: str


_CASE_KEYS = [keyset.Key(Case.created_at, True), keyset.Key(Case.id, True)]


def _cases_page(session: Session, where, *, tag: str, after: Optional[str], size: int) -> Page[CaseRow]:
    """Newest first, `size` a page, seeking past the cursor's (created_at, id). The page is
    chosen on the cases alone (the index's order, LIMIT) and only its rows are joined to
    their company and customer, so the join never decides the plan."""
    size = max(1, min(int(size), 100))
    seek = keyset.decode(tag, _CASE_KEYS, after)
    ids = select(Case.id).where(where).order_by(*keyset.order_by(_CASE_KEYS)).limit(size + 1)
    if seek is not None:
        ids = ids.where(keyset.after(_CASE_KEYS, seek))
    page = ids.subquery()
    stmt = (select(Case.id, Case.status, Case.escalated, Case.outcome, Case.reason, Case.amount_minor, Case.currency,
                   Case.created_at, Case.company_id, Company.name.label("company_name"), Case.customer_id,
                   User.name.label("customer_name"))
            .join(page, page.c.id == Case.id)
            .join(Company, Company.id == Case.company_id).join(User, User.id == Case.customer_id)
            .order_by(*keyset.order_by(_CASE_KEYS)))
    rows = [CaseRow(**r._mapping) for r in session.execute(stmt)]
    rows, cursor = _page(rows, size, tag, _CASE_KEYS, lambda r: [r.created_at, r.id])
    return Page(rows, cursor, seek is not None)


def customer_cases(session: Session, customer_id: str, *, after: Optional[str] = None, size: int = PAGE) -> Page[CaseRow]:
    """The customer's cases at every company, on ix_cases_customer_created."""
    return _cases_page(session, Case.customer_id == customer_id, tag="customer-cases", after=after, size=size)


@dataclass(frozen=True)
class PaymentRow:
    id: str
    company_id: str
    company_name: str
    customer_id: str
    customer_name: str
    provider: str
    amount_minor: int
    currency: str
    product_title: Optional[str]
    paid_at: dt.datetime
    refunded_minor: int
    case_id: Optional[str]
    case_status: Optional[str]


_PAYMENT_KEYS = [keyset.Key(Payment.paid_at, True), keyset.Key(Payment.id, True)]


def _payments_page(session: Session, where, *, tag: str, after: Optional[str], size: int) -> Page[PaymentRow]:
    """As `_cases_page`: the page of payments first, then its rows' company, customer and
    case (cases.payment_id is unique: one index probe a row)."""
    size = max(1, min(int(size), 100))
    seek = keyset.decode(tag, _PAYMENT_KEYS, after)
    ids = select(Payment.id).where(where).order_by(*keyset.order_by(_PAYMENT_KEYS)).limit(size + 1)
    if seek is not None:
        ids = ids.where(keyset.after(_PAYMENT_KEYS, seek))
    page = ids.subquery()
    stmt = (select(Payment.id, Payment.company_id, Company.name.label("company_name"), Payment.customer_id,
                   User.name.label("customer_name"), Payment.provider, Payment.amount_minor, Payment.currency,
                   Payment.product_title, Payment.paid_at, Payment.refunded_minor, Case.id.label("case_id"),
                   Case.status.label("case_status"))
            .join(page, page.c.id == Payment.id)
            .join(Company, Company.id == Payment.company_id).join(User, User.id == Payment.customer_id)
            .outerjoin(Case, Case.payment_id == Payment.id)
            .order_by(*keyset.order_by(_PAYMENT_KEYS)))
    rows = [PaymentRow(**r._mapping) for r in session.execute(stmt)]
    rows, cursor = _page(rows, size, tag, _PAYMENT_KEYS, lambda r: [r.paid_at, r.id])
    return Page(rows, cursor, seek is not None)


def customer_payments(session: Session, customer_id: str, *, after: Optional[str] = None,
                      size: int = PAGE) -> Page[PaymentRow]:
    """The customer's payments at every company, on ix_payments_customer_paid."""
    return _payments_page(session, Payment.customer_id == customer_id, tag="customer-payments", after=after, size=size)


# ----------------------------------------------------------------------- company
@dataclass(frozen=True)
class CompanyProfile:
    id: str
    name: str
    support_email: Optional[str]
    since: dt.datetime
    cases: int
    open: int
    by_status: dict[str, int]  # open cases per public status
    closed: int
    outcomes: dict[str, int]
    decisions: int  # platform decisions that could be appealed
    decisions_appealed: int
    escalated: int
    overturns: Overturns  # final decisions of the last PRECEDENT_DAYS days
    monthly: list[tuple[dt.date, int]] = field(default_factory=list)  # cases opened per month, oldest first

    @property
    def appeal_rate(self) -> Optional[float]:
        return self.decisions_appealed / self.decisions if self.decisions else None


_TOTALS = ("cases", "open", "st_awaiting_merchant", "st_awaiting_customer", "st_under_review", "closed",
           "customer_won", "merchant_won", "withdrawn", "decisions", "decisions_appealed", "escalated_ever")


def _month_back(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def company_profile(session: Session, company_id, *, now: dt.datetime) -> Optional[CompanyProfile]:
    """The company and its numbers: all-time counts from its monthly rollup rows (one
    range of the key), cases per month for the last SPARK_MONTHS months (the same rows),
    and its overturns on appeal over the last PRECEDENT_DAYS days."""
    cid = an_id(company_id)
    if cid is None:
        return None
    company = session.execute(select(Company.id, Company.name, Company.support_email, Company.created_at)
                              .where(Company.id == cid)).one_or_none()
    if company is None:
        return None
    mine = and_(RollupCases.grain == "m", RollupCases.company_id == cid)
    t = session.execute(select(*(func.coalesce(func.sum(getattr(RollupCases, n)), 0).label(n) for n in _TOTALS))
                        .where(mine)).one()
    this_month = now.astimezone(dt.timezone.utc).date().replace(day=1)
    first = _month_back(this_month, SPARK_MONTHS - 1)
    per_month = dict(session.execute(select(RollupCases.period, func.sum(RollupCases.cases))
                                     .where(mine, RollupCases.period >= first).group_by(RollupCases.period)).all())
    monthly = [(m, int(per_month.get(m, 0) or 0)) for m in (_month_back(this_month, SPARK_MONTHS - 1 - i)
                                                          for i in range(SPARK_MONTHS))]
    since = now - dt.timedelta(days=PRECEDENT_DAYS)
    n, over = session.execute(
        select(func.count(), func.coalesce(func.sum(when((Case.final_decision == "overturn", 1), else_=0)), 0))
        .where(Case.company_id == cid, Case.final_decision.is_not(None), Case.final_decided_at >= since,
               Case.final_decided_at <= now)).one()
    return CompanyProfile(
        id=company.id, name=company.name, support_email=company.support_email, since=company.created_at,
        cases=int(t.cases), open=int(t.open),
        by_status={"awaiting_merchant": int(t.st_awaiting_merchant), "awaiting_customer": int(t.st_awaiting_customer),
                   "under_review": int(t.st_under_review)},
        closed=int(t.closed),
        outcomes={k: int(getattr(t, k)) for k in ("customer_won", "merchant_won", "withdrawn")},
        decisions=int(t.decisions), decisions_appealed=int(t.decisions_appealed), escalated=int(t.escalated_ever),
        overturns=Overturns(int(n), int(over)), monthly=monthly)


def company_cases(session: Session, company_id: str, *, after: Optional[str] = None, size: int = PAGE) -> Page[CaseRow]:
    """The company's cases, on ix_cases_company_created."""
    return _cases_page(session, Case.company_id == company_id, tag="company-cases", after=after, size=size)


def company_payments(session: Session, company_id: str, *, after: Optional[str] = None,
                     size: int = PAGE) -> Page[PaymentRow]:
    """The company's payments, newest first (sorted: see the module docstring)."""
    return _payments_page(session, Payment.company_id == company_id, tag="company-payments", after=after, size=size)
