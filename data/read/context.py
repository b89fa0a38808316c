"""Read model for the decision context on the staff case page (issue 10, item 8): what
helps a reviewer decide — precedent (how cases like this one ended) and risk (is this
customer or this company unusual).

Every number is a bounded read, whatever the number of cases:
- outcome rates and dispute rates come from the rollups (`data.rollups`): whole months
  from the monthly rows, the edge days (and, for the 90-day rate, edge hours) from the
  finer ones, so a read costs the periods it covers, never the cases;
- overturn rates read the final decisions of one reason through the partial indexes
  ix_cases_final_reason (platform) and ix_cases_final_company_reason (one company);
- the similar cases are two seeks on ix_cases_precedent, one up and one down from the
  case's amount, at most SIMILAR rows each;
- the customer's record reads their own cases of 12 months on ix_cases_customer_created;
- the platform median of company dispute rates reads every company's monthly rows, the
  one part that grows with the platform: it is cached in this process (`platform_median`).

Callers check that the viewer is staff: nothing here is for the parties.
"""
from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from sqlalchemy import ColumnElement, Select, and_, case as when, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from data.models import Case
from data.read.metrics import Arm, periods, total_arms
from data.rollups.maintain import ALL
from data.rollups.models import RollupCases, RollupPayments

PRECEDENT_DAYS = 180  # outcome and overturn rates: cases of the last 180 days
CUSTOMER_DAYS = 365  # the customer's record: their cases of the last 12 months
DISPUTE_RATE_DAYS = 90  # a company's dispute rate: cases / payments of the last 90 days
SIMILAR = 5  # the most similar closed cases shown
MEDIAN_TTL_SECONDS = 600.0

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def _utc_day(at: dt.datetime) -> dt.date:
    return at.astimezone(UTC).date()


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


# ----------------------------------------------------------------------- precedent
@dataclass(frozen=True)
class OutcomeRates:
    """How the closed cases of a group ended (cases opened in the window, closed now)."""
    closed: int = 0
    customer_won: int = 0
    merchant_won: int = 0
    withdrawn: int = 0

    def share(self, outcome: str) -> Optional[float]:
        return _share(getattr(self, outcome), self.closed)


@dataclass(frozen=True)
class Overturns:
    """Final decisions (on appeal) taken in the window, and how many overturned the first."""
    decided: int = 0
    overturned: int = 0

    @property
    def rate(self) -> Optional[float]:
        return _share(self.overturned, self.decided)


@dataclass(frozen=True)
class Precedent:
    reason: str
    days: int
    company: OutcomeRates
    platform: OutcomeRates
    company_overturns: Overturns
    platform_overturns: Overturns


def _arm_clause(table, arm: Arm, company) -> ColumnElement[bool]:
    """metrics._arm_clause on the table's Core columns: the same rows, built without the
    ORM's attribute machinery (a case page builds a few dozen of these per view)."""
    c = table.c
    if arm.grain == "h":
        return and_(c.grain == "h", company, c.period == arm.days[0], c.hour >= arm.hour_lo, c.hour < arm.hour_hi)
    return and_(c.grain == arm.grain, company, c.period >= arm.lo, c.period < arm.hi)


# Core tables: the reads below are plain SELECTs, spared the ORM's statement machinery.
CASES_T, PAYMENTS_T, CASE_T = RollupCases.__table__, RollupPayments.__table__, Case.__table__


def _day_arms(first: dt.date, last: dt.date) -> list[Arm]:
    """Whole months and the days around them covering first..last (both included)."""
    return [Arm(g, lo, hi) for g, lo, hi in periods(first, last)]


# Each read below is one or more "parts": a SELECT of one row (part name, a, b, c, d),
# so that the case page can send the parts of several reads in one UNION ALL (one round
# trip per table group) while each read also works alone. Every part has its own WHERE,
# so each keeps its own index ranges.
Part = Select


def _part(name: str, *values, where) -> Part:
    values = list(values) + [literal(0)] * (4 - len(values))
    return select(literal(name).label("part"), *(v.label(k) for v, k in zip(values, "abcd"))).where(*where)


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _count_if(cond):
    return func.coalesce(func.sum(when((cond, 1), else_=0)), 0)


def _run(session: Session, parts: list[Part]) -> dict[str, tuple[int, int, int, int]]:
    rows = session.execute(union_all(*parts) if len(parts) > 1 else parts[0])
    return {r.part: (int(r.a), int(r.b), int(r.c), int(r.d)) for r in rows}


def outcome_parts(*, company_id: str, reason: str, now: dt.datetime, days: int = PRECEDENT_DAYS) -> list[Part]:
    """The outcomes of the cases of `reason` opened on the last `days` UTC days (today
    included), from the rollups: the company's own rows ('rc') and the all-companies rows
    ('rp': '' per provider, since the '*' rows have no reason), each arm one range of the
    primary key."""
    today = _utc_day(now)
    arms = _day_arms(today - dt.timedelta(days=days - 1), today)
    t = CASES_T.c
    sums = [_sum(t[n]) for n in ("closed", "customer_won", "merchant_won", "withdrawn")]

    def rows(company):
        return [or_(*(_arm_clause(CASES_T, arm, company) for arm in arms)), t.reason == reason]

    return [_part("rc", *sums, where=rows(t.company_id == company_id)),
            _part("rp", *sums, where=rows(and_(t.company_id == "", t.provider != ALL)))]


def _rates(found) -> tuple[OutcomeRates, OutcomeRates]:
    return OutcomeRates(*found.get("rc", (0, 0, 0, 0))), OutcomeRates(*found.get("rp", (0, 0, 0, 0)))


def outcome_rates(session: Session, *, company_id: str, reason: str, now: dt.datetime,
                  days: int = PRECEDENT_DAYS) -> tuple[OutcomeRates, OutcomeRates]:
    """(this company's, the platform's) outcome rates for `reason` (`outcome_parts`)."""
    return _rates(_run(session, outcome_parts(company_id=company_id, reason=reason, now=now, days=days)))


def overturn_parts(*, company_id: str, reason: str, now: dt.datetime, days: int = PRECEDENT_DAYS) -> list[Part]:
    """Final decisions on `reason` taken in the last `days` days, and how many overturned
    the first decision: the company's ('oc', ix_cases_final_company_reason) and the
    platform's ('op', ix_cases_final_reason, index-only on PostgreSQL). `final_decision IS
    NOT NULL` is spelled out so that both databases can use the partial indexes."""
    c, since = CASE_T.c, now - dt.timedelta(days=days)
    window = (c.final_decision.is_not(None), c.reason == reason, c.final_decided_at >= since, c.final_decided_at <= now)
    counts = (func.count(), _count_if(c.final_decision == "overturn"))
    return [_part("oc", *counts, where=(c.company_id == company_id, *window)),
            _part("op", *counts, where=window)]


def _overturns(found) -> tuple[Overturns, Overturns]:
    return Overturns(*found.get("oc", (0, 0))[:2]), Overturns(*found.get("op", (0, 0))[:2])


def overturns(session: Session, *, company_id: str, reason: str, now: dt.datetime,
              days: int = PRECEDENT_DAYS) -> tuple[Overturns, Overturns]:
    """(this company's, the platform's) overturns on appeal for `reason` (`overturn_parts`)."""
    return _overturns(_run(session, overturn_parts(company_id=company_id, reason=reason, now=now, days=days)))


def precedent(session: Session, *, company_id: str, reason: str, now: dt.datetime,
              days: int = PRECEDENT_DAYS) -> Precedent:
    company, platform = outcome_rates(session, company_id=company_id, reason=reason, now=now, days=days)
    company_over, platform_over = overturns(session, company_id=company_id, reason=reason, now=now, days=days)
    return Precedent(reason, days, company, platform, company_over, platform_over)


# ----------------------------------------------------------------- similar cases
@dataclass(frozen=True)
class SimilarCase:
    id: str
    amount_minor: int
    currency: str
    outcome: Optional[str]
    created_at: dt.datetime
    closed_at: dt.datetime  # when it closed (its opening, for a row that lacks it)
    distance: int  # |amount - the case's amount|, in minor units


def similar_cases(session: Session, *, company_id: str, reason: str, amount_minor: int, currency: str,
                  exclude_case_id: str, limit: int = SIMILAR) -> list[SimilarCase]:
    """The `limit` closed cases of this company and reason nearest in amount (same
    currency: an amount in another one is not comparable), nearest first; at an equal
    distance the one closed most recently first, then the id (descending), so the answer
    is one and the same on both databases.

    Two seeks on ix_cases_precedent (company_id, reason, amount_minor) WHERE closed, in
    one statement: up from the amount and down from it, `limit` rows each. The nearest
    `limit` overall are among those, since each side's rows come in order of distance.
    The tie-break is on when the case closed (not in any index) on purpose: ordered by
    (amount, created_at, id), the down seek matched ix_cases_amount_created exactly and
    PostgreSQL walked that one, across every company, for a small company's case."""
    limit = max(1, min(int(limit), 20))
    c = CASE_T.c
    base = (c.company_id == company_id, c.reason == reason, c.status == "closed", c.currency == currency,
            c.id != exclude_case_id)
    closed = func.coalesce(c.closed_at, c.created_at)
    cols = (c.id, c.amount_minor, c.currency, c.outcome, c.created_at, closed.label("closed_at"))
    up = (select(*cols).where(*base, c.amount_minor >= amount_minor)
          .order_by(c.amount_minor, closed.desc(), c.id.desc()).limit(limit).subquery())
    down = (select(*cols).where(*base, c.amount_minor < amount_minor)
            .order_by(c.amount_minor.desc(), closed.desc(), c.id.desc()).limit(limit).subquery())
    rows = session.execute(union_all(select(up), select(down))).all()
    found = [SimilarCase(r.id, int(r.amount_minor), r.currency, r.outcome, _aware(r.created_at),
                         _aware(r.closed_at), abs(int(r.amount_minor) - amount_minor)) for r in rows]
    # Stable sorts, last key first: id (descending), then the latest closed, then distance.
    found.sort(key=lambda c: c.id, reverse=True)
    found.sort(key=lambda c: c.closed_at, reverse=True)
    found.sort(key=lambda c: c.distance)
    return found[:limit]


def _aware(at) -> dt.datetime:
    # coalesce() loses the column's type: SQLite hands back its text, PostgreSQL a datetime.
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --------------------------------------------------------------------------- risk
@dataclass(frozen=True)
class CustomerRecord:
    """The customer's cases opened in the last `days` days, across every company."""
    cases: int
    closed: int
    won: int
    days: int = CUSTOMER_DAYS

    @property
    def win_rate(self) -> Optional[float]:
        """Share of their closed cases the customer won (withdrawn ones count as closed)."""
        return _share(self.won, self.closed)


def customer_parts(*, customer_id: str, now: dt.datetime, days: int = CUSTOMER_DAYS) -> list[Part]:
    """('cu': cases, closed, won) of one range of ix_cases_customer_created: a customer's cases are few."""
    c = CASE_T.c
    closed = c.status == "closed"
    return [_part("cu", func.count(), _count_if(closed), _count_if(and_(closed, c.outcome == "customer_won")),
                  where=(c.customer_id == customer_id, c.created_at >= now - dt.timedelta(days=days),
                         c.created_at <= now))]


def _customer(found, days: int = CUSTOMER_DAYS) -> CustomerRecord:
    n, closed, won, _ = found.get("cu", (0, 0, 0, 0))
    return CustomerRecord(n, closed, won, days)


def customer_record(session: Session, *, customer_id: str, now: dt.datetime, days: int = CUSTOMER_DAYS) -> CustomerRecord:
    return _customer(_run(session, customer_parts(customer_id=customer_id, now=now, days=days)), days)


@dataclass(frozen=True)
class CompanyRate:
    """Cases opened against a company / payments it took, over a window."""
    cases: int
    payments: int
    days: int = DISPUTE_RATE_DAYS

    @property
    def rate(self) -> Optional[float]:
        return _share(self.cases, self.payments)


class _Window:
    """The [start_at, end_before) that metrics.total_arms splits into months, days and hours."""

    def __init__(self, start_at: dt.datetime, end_before: dt.datetime):
        self.start_at, self.end_before = start_at, end_before


def _hour_floor(at: dt.datetime) -> dt.datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def dispute_rate_parts(*, company_id: str, now: dt.datetime, days: int = DISPUTE_RATE_DAYS) -> list[Part]:
    """The company's cases ('dc') and payments ('dp') of the last `days` days, to the
    hour (from the hour the window starts in to the end of the current one), from its
    rollup rows: whole months, days and the edge hours, each one range of the key."""
    window = _Window(_hour_floor(now - dt.timedelta(days=days)), _hour_floor(now) + HOUR)
    arms = total_arms(window)  # type: ignore[arg-type]

    def rows(table):
        return [or_(*(_arm_clause(table, arm, table.c.company_id == company_id) for arm in arms))]

    return [_part("dc", _sum(CASES_T.c.cases), where=rows(CASES_T)),
            _part("dp", _sum(PAYMENTS_T.c.n), where=rows(PAYMENTS_T))]


def _dispute_rate(found, days: int = DISPUTE_RATE_DAYS) -> CompanyRate:
    return CompanyRate(found.get("dc", (0,))[0], found.get("dp", (0,))[0], days)


def company_dispute_rate(session: Session, *, company_id: str, now: dt.datetime,
                         days: int = DISPUTE_RATE_DAYS) -> CompanyRate:
    return _dispute_rate(_run(session, dispute_rate_parts(company_id=company_id, now=now, days=days)), days)


@dataclass(frozen=True)
class PlatformMedian:
    """The median company's dispute rate over whole UTC months first..last (None when no
    company took a payment then), over `companies` companies with at least one payment."""
    rate: Optional[float]
    companies: int
    first_month: dt.date
    last_month: dt.date


def median_months(now: dt.datetime, days: int = DISPUTE_RATE_DAYS) -> tuple[dt.date, dt.date]:
    """The whole UTC months that overlap the last `days` days: the first day of the first
    and of the last (the current month)."""
    today = _utc_day(now)
    return (today - dt.timedelta(days=days - 1)).replace(day=1), today.replace(day=1)


def compute_platform_median(session: Session, *, now: dt.datetime, days: int = DISPUTE_RATE_DAYS) -> PlatformMedian:
    """Every company's cases / payments over the months overlapping the last `days` days,
    from the monthly rows alone (a few per company, whatever its cases), and the median
    of those rates (the mean of the middle two for an even count). A company without a
    payment in those months has no rate and is left out; one with payments and no case
    counts at 0."""
    first, last = median_months(now, days)
    after = (last + dt.timedelta(days=32)).replace(day=1)

    def months(model):
        return and_(model.grain == "m", model.period >= first, model.period < after, model.company_id != "")

    paid = (select(RollupPayments.company_id.label("company_id"), func.sum(RollupPayments.n).label("n"))
            .where(months(RollupPayments)).group_by(RollupPayments.company_id).subquery())
    opened = (select(RollupCases.company_id.label("company_id"), func.sum(RollupCases.cases).label("n"))
              .where(months(RollupCases)).group_by(RollupCases.company_id).subquery())
    pairs = session.execute(
        select(func.coalesce(opened.c.n, 0), paid.c.n)
        .select_from(paid.outerjoin(opened, opened.c.company_id == paid.c.company_id))
        .where(paid.c.n > 0)).all()
    rates = [Fraction(int(c), int(p)) for c, p in pairs]
    median = float(statistics.median(rates)) if rates else None
    return PlatformMedian(median, len(rates), first, last)


# Why a cache, and why keyed on the day: the median reads every company's monthly rows
# (tens of thousands at 10k companies), the only part of the context whose cost grows with
# the platform, and it is a reference value that a single case or payment barely moves. So
# each process computes it at most once per MEDIAN_TTL_SECONDS and shares it between every
# case page. The key is the database and the UTC day of `now`: the day decides which months
# the window covers, so a page rendered as of another day (a test clock, a process running
# past midnight) never reads another day's median. Ten minutes is how stale it may get.
_median_cache: dict[tuple[str, dt.date, int], tuple[float, PlatformMedian]] = {}
_median_lock = threading.Lock()
_monotonic: Callable[[], float] = time.monotonic


def platform_median(session: Session, *, now: dt.datetime, days: int = DISPUTE_RATE_DAYS) -> PlatformMedian:
    bind = session.get_bind()
    key = (bind.url.render_as_string(hide_password=True), _utc_day(now), days)
    with _median_lock:
        hit = _median_cache.get(key)
        if hit is not None and _monotonic() - hit[0] < MEDIAN_TTL_SECONDS:
            return hit[1]
    value = compute_platform_median(session, now=now, days=days)
    with _median_lock:
        if len(_median_cache) > 64:  # old days and databases: never many
            _median_cache.clear()
        _median_cache[key] = (_monotonic(), value)
    return value


def clear_median_cache() -> None:
    with _median_lock:
        _median_cache.clear()


@dataclass(frozen=True)
class Risk:
    customer: CustomerRecord
    company: CompanyRate
    median: PlatformMedian
    customer_cases_at_least: int  # the thresholds the flags were raised against
    rate_ratio: float

    @property
    def customer_flagged(self) -> bool:
        return self.customer.cases >= self.customer_cases_at_least

    @property
    def company_ratio(self) -> Optional[float]:
        return rate_ratio_of(self.company, self.median)

    @property
    def company_flagged(self) -> bool:
        return rate_flagged(self.company, self.median, self.rate_ratio)


def rate_ratio_of(rate: CompanyRate, median: PlatformMedian) -> Optional[float]:
    """The company's rate as a multiple of the median (None when either is unknown or the median is 0)."""
    if rate.rate is None or not median.rate:
        return None
    return rate.rate / median.rate


def rate_flagged(rate: CompanyRate, median: PlatformMedian, ratio: float) -> bool:
    """A company's dispute rate at or above `ratio` times the platform median."""
    if rate.rate is None or median.rate is None:
        return False
    if median.rate == 0:  # most companies had no case: any case at all stands out
        return rate.cases > 0
    return rate.rate >= ratio * median.rate


def risk(session: Session, *, customer_id: str, company_id: str, now: dt.datetime, customer_cases_at_least: int,
         rate_ratio: float) -> Risk:
    found = _run(session, customer_parts(customer_id=customer_id, now=now)
                 + dispute_rate_parts(company_id=company_id, now=now))
    return Risk(_customer(found), _dispute_rate(found), platform_median(session, now=now),
                int(customer_cases_at_least), float(rate_ratio))


# ------------------------------------------------------------------------ all of it
@dataclass(frozen=True)
class DecisionContext:
    precedent: Precedent
    similar: list[SimilarCase]
    risk: Risk


def decision_context(session: Session, case, *, now: dt.datetime, customer_cases_at_least: int,
                     rate_ratio: float) -> DecisionContext:
    """Everything the staff case page shows beside the case (`case`: a loaded Case), in
    three statements while the median is cached: the rollup parts in one, the cases'
    parts (overturns, the customer's record) in another, and the two seeks."""
    rollups = _run(session, outcome_parts(company_id=case.company_id, reason=case.reason, now=now)
                   + dispute_rate_parts(company_id=case.company_id, now=now))
    cases = _run(session, overturn_parts(company_id=case.company_id, reason=case.reason, now=now)
                 + customer_parts(customer_id=case.customer_id, now=now))
    similar = similar_cases(session, company_id=case.company_id, reason=case.reason, amount_minor=case.amount_minor,
                            currency=case.currency, exclude_case_id=case.id)
    company, platform = _rates(rollups)
    company_over, platform_over = _overturns(cases)
    return DecisionContext(
        Precedent(case.reason, PRECEDENT_DAYS, company, platform, company_over, platform_over),
        similar,
        Risk(_customer(cases), _dispute_rate(rollups), platform_median(session, now=now),
             int(customer_cases_at_least), float(rate_ratio)),
    )
