"""Read model for the managers' metrics screen and its CSV export (SPEC §9).

Everything is aggregated in SQL: counts with `FILTER (WHERE ...)`, time buckets and
histogram bins computed by the database, medians by the database. Only aggregates
(a few dozen rows) come back, never the cases themselves — except `export_rows`,
which pages through them by keyset for a streamed download.

One filter (`MetricsFilter`) narrows every query the same way: cases opened in the
date range (UTC days, both ends included), of the chosen companies, providers and
reasons. Who may see which cases is passed in as a WHERE clause (`visible`).

Dialects: PostgreSQL and SQLite differ in date bucketing, interval arithmetic and
percentiles; the three small helpers below hide that and nothing else does.
Medians: PostgreSQL has `percentile_cont`; SQLite has no percentile aggregate, so it
ranks the values with window functions and returns only the one or two middle rows
(interpolated like `percentile_cont`). We do not fetch the durations themselves:
the filter bounds them, but 90 days of a busy marketplace is still many rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Literal, Optional, Sequence

from sqlalchemy import (ColumnElement, Float, Integer, Select, and_, cast, extract, func, not_, or_, select,
                        true, tuple_)
from sqlalchemy.orm import Session

from data.models import Case, Company, MoneyMovement, Payment, User

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[str, ...] = ("day", "week", "month")
PROVIDERS = ("stripe", "paypal", "crypto", "coinbase_commerce")
REASONS = ("fraudulent", "product_not_received", "not_as_described", "product_unacceptable",
           "subscription_canceled")
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
MAX_CHOICES = 50


# ----------------------------------------------------------------------------- filter
@dataclass(frozen=True)
class MetricsFilter:
    start: dt.date
    end: dt.date  # included
    company_ids: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.timezone.utc)

    @property
    def end_before(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), dt.timezone.utc)


def _date(value, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return fallback


def _choices(values, allowed: Optional[Sequence[str]] = None) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values or ():
        if isinstance(v, str) and v and len(v) <= 40 and (allowed is None or v in allowed) and v not in out:
            out.append(v)
    return tuple(out[:MAX_CHOICES])


def parse_filter(start=None, end=None, company_ids=None, providers=None, reasons=None, *,
                 today: dt.date) -> MetricsFilter:
    """A filter from what a browser sent: bad dates fall back to the last 90 days,
    unknown providers and reasons are dropped, the range is capped at three years."""
    end_d = _date(end, today)
    start_d = _date(start, end_d - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start_d > end_d:
        start_d, end_d = end_d, start_d
    start_d = max(start_d, end_d - dt.timedelta(days=MAX_DAYS))
    return MetricsFilter(start_d, end_d, _choices(company_ids), _choices(providers, PROVIDERS),
                         _choices(reasons, REASONS))


def _where(f: MetricsFilter, visible: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    clauses = [visible, Case.created_at >= f.start_at, Case.created_at < f.end_before]
    if f.company_ids:
        clauses.append(Case.company_id.in_(f.company_ids))
    if f.providers:
        clauses.append(Payment.provider.in_(f.providers))
    if f.reasons:
        clauses.append(Case.reason.in_(f.reasons))
    return clauses


def _cases(f: MetricsFilter, visible: ColumnElement[bool], *columns, payments: bool = False) -> Select:
    """The filtered cases, joined to their payment only when the provider filter or the
    caller (`payments=True`, for a payments column) needs it. Every case has exactly one
    payment (`payment_id` is required and unique), so the join never changes what is
    counted; it only costs a scan of every payment and a hash join."""
    stmt = select(*columns).select_from(Case)
    if payments or f.providers:
        stmt = stmt.join(Payment, Payment.id == Case.payment_id)
    return stmt.where(*_where(f, visible))


# ------------------------------------------------------------------ dialect helpers
def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def date_bucket(dialect: str, column, unit: str) -> tuple[ColumnElement, ColumnElement[str]]:
    """(what to group and order by, its label): the UTC day, ISO week (Monday) or month that
    `column` falls in, labelled 'YYYY-MM-DD'. On PostgreSQL the key is the truncated
    timestamp and the label is formatted once per group: grouping on the text would format
    and sort a string for every case, which cost more than reading the cases."""
    if unit not in BUCKETS:
        raise ValueError(f"unknown bucket {unit!r}")
    if dialect == "postgresql":
        # timezone('UTC', timestamptz) is the UTC wall time, whatever the session's zone.
        key = func.date_trunc(unit, func.timezone("UTC", column))
        return key, func.to_char(key, "YYYY-MM-DD")
    # SQLite stores our datetimes as naive UTC text (see data.models.UTCDateTime).
    if unit == "day":
        label = func.date(column)
    elif unit == "week":
        label = func.date(column, "weekday 0", "-6 days")  # the Sunday on/after, back to Monday
    else:
        label = func.strftime("%Y-%m-01", column)
    return label, label


def seconds_between(dialect: str, later, earlier) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _floor(dialect: str, value) -> ColumnElement[int]:
    # CAST truncates on SQLite (our values are >= 0) but rounds on PostgreSQL.
    return cast(func.floor(value), Integer) if dialect == "postgresql" else cast(value, Integer)


def _percentile(session: Session, stmt_for, value, q: float) -> Optional[float]:
    """The q-quantile of `value` over the rows `stmt_for(columns...)` selects, interpolated
    like PostgreSQL's percentile_cont; None when there are no rows."""
    if _dialect(session) == "postgresql":
        result = session.scalar(stmt_for(func.percentile_cont(q).within_group(value)))
        return None if result is None else float(result)
    ranked = stmt_for(value.label("v"), func.row_number().over(order_by=value).label("rn"),
                      func.count().over().label("n")).subquery()
    lo = cast(1 + q * (ranked.c.n - 1), Integer)
    rows = session.execute(select(ranked.c.v, ranked.c.rn, ranked.c.n)
                           .where(ranked.c.rn >= lo, ranked.c.rn <= lo + 1).order_by(ranked.c.rn)).all()
    if not rows:
        return None
    pos = 1 + q * (rows[0].n - 1)
    low = rows[0].v
    high = rows[1].v if len(rows) > 1 else low
    return float(low + (pos - int(pos)) * (high - low))


# ------------------------------------------------------------------------ counting
_appealed = or_(Case.customer_appealed.is_(True), Case.merchant_appealed.is_(True))
_closed = Case.status == "closed"
# A platform decision that could be appealed: not the decision on an appealed denial
# (that one is final, §3.4). An appealed decision is one that went to final review.
_appealable_decision = and_(Case.decision.is_not(None), or_(Case.final_review.is_(True), not_(_appealed)))


def _count_columns():
    return [
        func.count().label("cases"),
        func.count().filter(Case.status != "closed").label("open"),
        func.count().filter(Case.first_merchant_response_at.is_not(None)).label("responded"),
        func.count().filter(Case.escalated.is_(True)).label("escalated"),
        func.count().filter(_appealable_decision).label("decisions"),
        func.count().filter(Case.final_review.is_(True)).label("decisions_appealed"),
        func.count().filter(_appealed, Case.final_review.is_(False)).label("denials_appealed"),
        func.count().filter(_closed).label("closed"),
        func.count().filter(_closed, Case.outcome == "customer_won").label("customer_won"),
        func.count().filter(_closed, Case.outcome == "merchant_won").label("merchant_won"),
        func.count().filter(_closed, Case.outcome == "withdrawn").label("withdrawn"),
    ]


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


@dataclass(frozen=True)
class Counts:
    cases: int = 0
    open: int = 0
    responded: int = 0
    escalated: int = 0
    decisions: int = 0
    decisions_appealed: int = 0
    denials_appealed: int = 0
    closed: int = 0
    customer_won: int = 0
    merchant_won: int = 0
    withdrawn: int = 0

    @classmethod
    def of(cls, row) -> "Counts":
        return cls(**{name: int(getattr(row, name) or 0) for name in cls.__dataclass_fields__})

    @property
    def escalation_rate(self) -> Optional[float]:
        return _rate(self.escalated, self.cases)

    @property
    def appeal_rate(self) -> Optional[float]:
        """Share of appealable platform decisions that were appealed."""
        return _rate(self.decisions_appealed, self.decisions)

    @property
    def customer_win_rate(self) -> Optional[float]:
        """Share of closed cases the customer won (withdrawals count as closed)."""
        return _rate(self.customer_won, self.closed)

    @property
    def merchant_win_rate(self) -> Optional[float]:
        return _rate(self.merchant_won, self.closed)


# ----------------------------------------------------------------------------- KPIs
@dataclass(frozen=True)
class Kpis:
    counts: Counts
    median_first_response_s: Optional[float]
    median_resolution_s: Optional[float]
    refunded: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    credited: dict[str, int] = field(default_factory=dict)


def counts(session: Session, visible, f: MetricsFilter) -> Counts:
    return Counts.of(session.execute(_cases(f, visible, *_count_columns())).one())


def _first_response(dialect: str) -> tuple[ColumnElement[float], ColumnElement[bool]]:
    """(seconds from opening to the merchant's first response, the cases that have one)."""
    return (seconds_between(dialect, Case.first_merchant_response_at, Case.created_at),
            Case.first_merchant_response_at.is_not(None))


def _resolution(dialect: str) -> tuple[ColumnElement[float], ColumnElement[bool]]:
    """(seconds from opening to closing, the cases closed now)."""
    return seconds_between(dialect, Case.closed_at, Case.created_at), and_(_closed, Case.closed_at.is_not(None))


def median_first_response(session: Session, visible, f: MetricsFilter) -> Optional[float]:
    """Seconds from opening to the merchant's first response, over cases that have one."""
    value, having = _first_response(_dialect(session))
    return _percentile(session, lambda *c: _cases(f, visible, *c).where(having), value, 0.5)


def median_resolution(session: Session, visible, f: MetricsFilter) -> Optional[float]:
    """Seconds from opening to closing, over cases closed now."""
    value, having = _resolution(_dialect(session))
    return _percentile(session, lambda *c: _cases(f, visible, *c).where(having), value, 0.5)


def money_totals(session: Session, visible, f: MetricsFilter) -> dict[str, dict[str, int]]:
    """{'merchant_refund': {'USD': 1234}, 'customer_credit': {...}} — succeeded movements only."""
    stmt = (_cases(f, visible, MoneyMovement.kind, MoneyMovement.currency, func.sum(MoneyMovement.amount_minor))
            .join(MoneyMovement, MoneyMovement.case_id == Case.id)
            .where(MoneyMovement.status == "succeeded",
                   MoneyMovement.kind.in_(("merchant_refund", "customer_credit")))
            .group_by(MoneyMovement.kind, MoneyMovement.currency))
    out: dict[str, dict[str, int]] = {"merchant_refund": {}, "customer_credit": {}}
    for kind, currency, total in session.execute(stmt):
        out[kind][currency] = int(total)
    return out


def kpis(session: Session, visible, f: MetricsFilter) -> Kpis:
    money = money_totals(session, visible, f)
    d = _dialect(session)
    if d != "postgresql":
        return Kpis(counts(session, visible, f), median_first_response(session, visible, f),
                    median_resolution(session, visible, f), money["merchant_refund"], money["customer_credit"])
    # PostgreSQL: the counts and both medians in one pass over the cases (a FILTER on an
    # ordered-set aggregate keeps each median to its own cases).
    (first, responded), (resolution, resolved) = _first_response(d), _resolution(d)
    row = session.execute(_cases(
        f, visible, *_count_columns(),
        func.percentile_cont(0.5).within_group(first).filter(responded).label("median_first_response"),
        func.percentile_cont(0.5).within_group(resolution).filter(resolved).label("median_resolution"),
    )).one()
    return Kpis(Counts.of(row), _float(row.median_first_response), _float(row.median_resolution),
                money["merchant_refund"], money["customer_credit"])


def _float(value) -> Optional[float]:
    return None if value is None else float(value)


# ------------------------------------------------------------------------- series
def volume_series(session: Session, visible, f: MetricsFilter, *, bucket: str,
                  by: Literal["reason", "provider"]) -> list[tuple[str, str, int]]:
    """(bucket start, reason or provider, cases opened), in time order."""
    b, label = date_bucket(_dialect(session), Case.created_at, bucket)
    key = (Case.reason if by == "reason" else Payment.provider).label("key")
    stmt = (_cases(f, visible, label.label("bucket"), key, func.count(), payments=by == "provider")
            .group_by(b, key).order_by(b, key))
    return [(row[0], row[1], int(row[2])) for row in session.execute(stmt)]


def outcome_series(session: Session, visible, f: MetricsFilter, *, bucket: str) -> list[tuple[str, Counts]]:
    """Per bucket of opening date: the same counts as the KPIs (rates and outcome mix)."""
    b, label = date_bucket(_dialect(session), Case.created_at, bucket)
    stmt = _cases(f, visible, label.label("bucket"), *_count_columns()).group_by(b).order_by(b)
    return [(row.bucket, Counts.of(row)) for row in session.execute(stmt)]


def money_series(session: Session, visible, f: MetricsFilter, *, bucket: str) -> list[tuple[str, str, str, int]]:
    """(bucket of the case's opening date, kind, currency, minor units) of succeeded movements."""
    b, label = date_bucket(_dialect(session), Case.created_at, bucket)
    stmt = (_cases(f, visible, label.label("bucket"), MoneyMovement.kind, MoneyMovement.currency,
                   func.sum(MoneyMovement.amount_minor))
            .join(MoneyMovement, MoneyMovement.case_id == Case.id)
            .where(MoneyMovement.status == "succeeded",
                   MoneyMovement.kind.in_(("merchant_refund", "customer_credit")))
            .group_by(b, MoneyMovement.kind, MoneyMovement.currency)
            .order_by(b, MoneyMovement.kind, MoneyMovement.currency))
    return [(row[0], row[1], row[2], int(row[3])) for row in session.execute(stmt)]


# --------------------------------------------------------------------- histograms
@dataclass(frozen=True)
class Histogram:
    bin_seconds: int
    bins: int  # the last bin (index == bins) holds everything from bins * bin_seconds up
    counts: list[tuple[int, str, int]]  # (bin index, group, count)
    median_s: Optional[float]


def _histogram(session: Session, stmt_for, value, *, bin_seconds: int, bins: int,
               group=None) -> tuple[list[tuple[int, str, int]], Optional[float]]:
    """The bins, as (bin index, group, count), and the median of `value`."""
    d = _dialect(session)
    idx = _floor(d, value / float(bin_seconds))
    # Clamped to 0..bins in one expression: a CASE would work the bin out up to three times a row.
    idx = (func.least(func.greatest(idx, 0), bins) if d == "postgresql"
           else func.min(func.max(idx, 0), bins)).label("bin")
    keys = [idx] if group is None else [idx, group.label("grp")]
    if d != "postgresql":
        stmt = stmt_for(*keys, func.count()).group_by(*keys).order_by(*keys)
        rows = [(int(r[0]), "all" if group is None else r[1], int(r[-1])) for r in session.execute(stmt)]
        return rows, _percentile(session, stmt_for, value, 0.5)
    # PostgreSQL: one pass. The grouping sets give a row per bin and a grand-total row, which
    # carries the median (the medians computed for the bins are not used).
    stmt = (stmt_for(*keys, func.grouping(idx).label("total_row"), func.count().label("n"),
                     func.percentile_cont(0.5).within_group(value).label("median"))
            .group_by(func.grouping_sets(tuple_(*keys), tuple_())).order_by(*keys))
    rows, median = [], None
    for r in session.execute(stmt):
        if r.total_row:
            median = None if r.median is None else float(r.median)
        else:
            rows.append((int(r.bin), "all" if group is None else r.grp, int(r.n)))
    return rows, median


def first_response_histogram(session: Session, visible, f: MetricsFilter, *, bin_hours: int = 12,
                             bins: int = 14) -> Histogram:
    value, having = _first_response(_dialect(session))
    rows, median = _histogram(session, lambda *c: _cases(f, visible, *c).where(having), value,
                              bin_seconds=bin_hours * 3600, bins=bins)
    return Histogram(bin_hours * 3600, bins, rows, median)


def resolution_histogram(session: Session, visible, f: MetricsFilter, *, bin_days: int = 1,
                         bins: int = 30) -> Histogram:
    """Time to resolution of closed cases, in bins of days, split by outcome."""
    value, having = _resolution(_dialect(session))
    rows, median = _histogram(session, lambda *c: _cases(f, visible, *c).where(having), value,
                              bin_seconds=bin_days * 86400, bins=bins, group=func.coalesce(Case.outcome, "unknown"))
    return Histogram(bin_days * 86400, bins, rows, median)


# ----------------------------------------------------------------------- overview
@dataclass(frozen=True)
class Overview:
    kpis: Kpis
    outcomes: list[tuple[str, Counts]]
    money: list[tuple[str, str, str, int]]
    first_response: Histogram
    resolution: Histogram


def overview(session: Session, visible, f: MetricsFilter, *, bucket: str) -> Overview:
    """The overview's KPIs, outcome and money series and both histograms, with the KPIs
    derived rather than queried again: every case in the range falls in exactly one bucket
    of its opening date, so the counts are the sums of the outcome series and the money
    totals the sums of the money series; the medians are the histograms' (same cases,
    same value)."""
    outcomes = outcome_series(session, visible, f, bucket=bucket)
    money = money_series(session, visible, f, bucket=bucket)
    first = first_response_histogram(session, visible, f)
    resolution = resolution_histogram(session, visible, f)
    fields = Counts.__dataclass_fields__
    total = Counts(**{name: sum(getattr(c, name) for _, c in outcomes) for name in fields})
    totals: dict[str, dict[str, int]] = {"merchant_refund": {}, "customer_credit": {}}
    for _, kind, currency, amount in money:
        totals[kind][currency] = totals[kind].get(currency, 0) + amount
    k = Kpis(total, first.median_s, resolution.median_s, totals["merchant_refund"], totals["customer_credit"])
    return Overview(k, outcomes, money, first, resolution)


# --------------------------------------------------------------------- breakdowns
@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    counts: Counts
    payments: Optional[int]  # None where a dispute rate has no meaning (reasons)

    @property
    def dispute_rate(self) -> Optional[float]:
        return None if self.payments is None else _rate(self.counts.cases, self.payments)


def breakdown(session: Session, visible, f: MetricsFilter, *, by: Literal["company", "provider", "reason"],
              payments_visible: ColumnElement[bool] = true(), limit: int = 20) -> list[BreakdownRow]:
    """Counts per company, provider or reason, most cases first (top `limit`).

    Dispute rate = cases opened in the range / payments made in the range (by paid_at),
    with the same company and provider filters.
    """
    if by == "company":
        # Group on the id alone and name only the top companies: grouping on (id, name)
        # would sort every case by two strings.
        top = (_cases(f, visible, Case.company_id.label("key"), *_count_columns()).group_by(Case.company_id)
               .order_by(func.count().desc(), Case.company_id).limit(limit).subquery())
        stmt = (select(top, Company.name.label("label")).join(Company, Company.id == top.c.key)
                .order_by(top.c.cases.desc(), top.c.key))
    elif by in ("provider", "reason"):
        key = Payment.provider if by == "provider" else Case.reason
        stmt = (_cases(f, visible, key.label("key"), key.label("label"), *_count_columns(),
                       payments=by == "provider").group_by(key).order_by(func.count().desc(), key).limit(limit))
    else:
        raise ValueError(f"unknown breakdown {by!r}")
    rows = session.execute(stmt).all()
    payments: dict[str, int] = {}
    if by in ("company", "provider") and rows:
        pkey = Payment.company_id if by == "company" else Payment.provider
        pstmt = (select(pkey, func.count()).where(
            payments_visible, Payment.paid_at >= f.start_at, Payment.paid_at < f.end_before,
            pkey.in_([r.key for r in rows]),
            *([Payment.company_id.in_(f.company_ids)] if f.company_ids else []),
            *([Payment.provider.in_(f.providers)] if f.providers else []),
        ).group_by(pkey))
        payments = {k: int(n) for k, n in session.execute(pstmt)}
    return [BreakdownRow(r.key, r.label, Counts.of(r), payments.get(r.key, 0) if by != "reason" else None)
            for r in rows]


# -------------------------------------------------------------------------- export
def export_rows(session: Session, visible, f: MetricsFilter, *, after: Optional[tuple[dt.datetime, str]] = None,
                limit: int = 1000) -> list:
    """One page of the filtered cases for the CSV, oldest first, after the (created_at, id)
    of the last row of the previous page. Never internal notes or messages."""
    stmt = (_cases(f, visible, Case.id, Case.created_at, Company.name.label("company"),
                   User.email.label("customer_email"), Payment.provider, Case.reason, Case.status, Case.outcome,
                   Case.refund, Case.amount_minor, Case.currency, Case.escalated, Case.customer_appealed,
                   Case.merchant_appealed, Case.closed_at, payments=True)
            .join(Company, Company.id == Case.company_id)
            .join(User, User.id == Case.customer_id)
            .order_by(Case.created_at, Case.id).limit(limit))
    if after is not None:
        at, case_id = after
        stmt = stmt.where(or_(Case.created_at > at, and_(Case.created_at == at, Case.id > case_id)))
    return session.execute(stmt).all()


# ----------------------------------------------------------------- filter options
def company_options(session: Session, *, search: Optional[str] = None, include: Iterable[str] = (),
                    limit: int = 20) -> list[tuple[str, str]]:
    """(id, name) of companies whose name contains `search`, plus the ones in `include`
    (already chosen), by name — for a dropdown that searches on the server."""
    stmt = select(Company.id, Company.name).order_by(Company.name, Company.id).limit(limit)
    if search:
        escaped = search.strip()[:100].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Company.name.ilike(f"%{escaped}%", escape="\\"))
    found = [(i, n) for i, n in session.execute(stmt)]
    chosen = [c for c in _choices(list(include)) if c not in {i for i, _ in found}]
    if chosen:
        found = [(i, n) for i, n in session.execute(select(Company.id, Company.name).where(Company.id.in_(chosen)))] + found
    return found
