"""Read model for the managers' metrics screen, `GET /metrics` and the CSV export (SPEC §9).

Every number comes from the rollup tables (`data.rollups`), which are kept true in the
same transaction as every change: a query reads the rows of the chosen period, companies,
providers and reasons — whole months from the monthly rows, the edge days from the daily
ones, the all-companies rows unless companies are chosen — so its cost grows with the days
and groups it covers, never with the cases. Only `export_rows` reads cases, one keyset
page at a time, for a streamed download.

One filter (`MetricsFilter`) narrows everything the same way: cases opened in the date
range (days in the filter's time zone, both ends included; UTC unless the caller names the
viewer's), of the chosen companies, providers and reasons. The metrics are for managers,
who see every case: callers check the role.

Days in a time zone. A local range is a UTC range [a, b) on whole UTC hours: a zone whose
offset is not whole hours (India +5:30, Nepal +5:45, Newfoundland -3:30) has its days start
at the UTC hour before local midnight (23:30 in Kolkata), because the finest rollup is the UTC
hour. A total (KPIs, histograms, breakdowns) reads [a, b) as whole UTC months + whole UTC
days + the hours at its two edges (`total_arms`: at most 23 each). A series by local day,
week or month reads the UTC days of the range, each counted in the bucket of its own date,
and corrects the hours between each bucket's local midnight and that UTC midnight: such an
hour is added to the bucket it belongs to and taken from the one its UTC day was counted
in (`series_plan`: |offset| hours per bucket boundary), so a day bucket costs one day row
and a few hour rows, not 24 hour rows.

Medians come from the hourly histograms: the wait of the middle case (the lower of the two
middle cases for an even count), exact to the hour, as the screen shows it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from collections import defaultdict
from typing import Iterable, Literal, NamedTuple, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Date, Select, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from data.models import Case, Company, Payment, User
from data.rollups.contrib import MONEY_KINDS, median_hours
from data.rollups.maintain import ALL
from data.rollups.models import BINS, COUNTERS, RollupCases, RollupFirstResponse, RollupMoney, RollupPayments, RollupResolution

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[str, ...] = ("day", "week", "month")
PROVIDERS = ("stripe", "paypal", "crypto", "coinbase_commerce")
REASONS = ("fraudulent", "product_not_received", "not_as_described", "product_unacceptable",
           "subscription_canceled")
DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366
MAX_CHOICES = 50


UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# ----------------------------------------------------------------------------- filter
def zone_or_utc(name) -> ZoneInfo:
    """The IANA zone `name` (a ZoneInfo passes through), UTC when unset or unknown."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder name such as "America"
        return ZoneInfo("UTC")


def day_starts_at(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC hour a local day starts in: local midnight, back to its whole UTC hour."""
    at = dt.datetime.combine(day, dt.time(), zone).astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class MetricsFilter:
    start: dt.date
    end: dt.date  # included
    company_ids: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    zone: str = "UTC"  # IANA name: the days start and end are days there

    @property
    def tz(self) -> ZoneInfo:
        return zone_or_utc(self.zone)

    @property
    def start_at(self) -> dt.datetime:
        return day_starts_at(self.start, self.tz)

    @property
    def end_before(self) -> dt.datetime:
        return day_starts_at(self.end + DAY, self.tz)


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
                 today: dt.date, zone=None) -> MetricsFilter:
    """A filter from what a browser sent: bad dates fall back to the last 90 days (to
    `today`, the date in `zone`), unknown providers and reasons are dropped, the range is
    capped at three years; an unknown zone is UTC."""
    end_d = _date(end, today)
    start_d = _date(start, end_d - dt.timedelta(days=DEFAULT_DAYS - 1))
    if start_d > end_d:
        start_d, end_d = end_d, start_d
    start_d = max(start_d, end_d - dt.timedelta(days=MAX_DAYS))
    return MetricsFilter(start_d, end_d, _choices(company_ids), _choices(providers, PROVIDERS),
                         _choices(reasons, REASONS), zone=zone_or_utc(zone).key)


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


# ------------------------------------------------------------------------ rollups
class Arm(NamedTuple):
    """Rollup rows of one grain: periods lo <= period < hi ('d', 'm'), or the hours
    hour_lo <= hour < hour_hi of the days `days` ('h')."""
    grain: str
    lo: Optional[dt.date] = None
    hi: Optional[dt.date] = None
    days: tuple[dt.date, ...] = ()
    hour_lo: int = 0
    hour_hi: int = 24


def _arm_clause(model, arm: Arm, company) -> ColumnElement[bool]:
    if arm.grain == "h":
        return and_(model.grain == "h", company, model.period.in_(arm.days),
                    model.hour >= arm.hour_lo, model.hour < arm.hour_hi)
    return and_(model.grain == arm.grain, company, model.period >= arm.lo, model.period < arm.hi)


def _rows(model, f: MetricsFilter, *, arms: Optional[list[Arm]] = None, company_level: Optional[bool] = None,
          by_dims: bool = False) -> list:
    """WHERE clauses choosing the rollup rows of `model` that add up to exactly the
    filter's cases: `arms`, by default `total_arms` (whole months, days and edge hours);
    the chosen companies' rows, or the all-companies rows ('') when none are chosen
    (`company_level=True`: every company's own rows, for the breakdown by company).

    The all-companies rows come twice: per provider and reason, and once more with both
    '*' (every provider and reason: what the unfiltered platform view reads, a tenth of
    the rows). A provider or reason filter, or grouping by them (`by_dims`), reads the
    former; anything else the latter.

    The company condition is repeated inside each arm so that every arm is one range of
    the primary key (grain, company_id, period, hour, ...)."""
    if f.company_ids:
        company = model.company_id.in_(f.company_ids)
    elif company_level:
        company = model.company_id != ""
    else:
        company = model.company_id == ""
    platform = not f.company_ids and not company_level
    if platform:
        every = not (by_dims or f.providers or (f.reasons and hasattr(model, "reason")))
        company = and_(company, model.provider == ALL if every else model.provider != ALL)
    clauses = [or_(*(_arm_clause(model, arm, company) for arm in (total_arms(f) if arms is None else arms)))]
    if f.providers:
        clauses.append(model.provider.in_(f.providers))
    if f.reasons and hasattr(model, "reason"):
        clauses.append(model.reason.in_(f.reasons))
    return clauses


def total_arms(f: MetricsFilter) -> list[Arm]:
    """The rows covering the filter's UTC range [a, b) exactly once: whole UTC months and
    days from their rows, the hours before the first whole day and after the last from
    the hour rows."""
    a, b = f.start_at, f.end_before
    first_day = a if a.hour == 0 else (a + DAY).replace(hour=0)
    last_day = b.replace(hour=0)
    if first_day > last_day:  # a and b within one UTC day
        return [Arm("h", days=(a.date(),), hour_lo=a.hour, hour_hi=b.hour)]
    arms = []
    if a < first_day:
        arms.append(Arm("h", days=(a.date(),), hour_lo=a.hour))
    if first_day < last_day:
        arms += [Arm(g, lo, hi) for g, lo, hi in periods(first_day.date(), last_day.date() - DAY)]
    if last_day < b:
        arms.append(Arm("h", days=(last_day.date(),), hour_hi=b.hour))
    return arms


# An hour row's corrections in a series: (bucket start, +1 or -1) for each bucket it moves between.
Fixes = dict[tuple[dt.date, int], list[tuple[dt.date, int]]]


@functools.lru_cache(maxsize=64)  # one screen asks for the same plan for each of its series
def series_plan(f: MetricsFilter, unit: str) -> tuple[list[Arm], Fixes]:
    """The rows of a series by local day, week or month (see the module docstring): the
    UTC days of the range (whole months from the monthly rows for a series by month),
    each counted in the bucket of its own date, and the hour rows that correct them.

    At each bucket boundary L (a local date; the range's start and the day after its end
    too) the local day starts at t and the UTC day at u. East of UTC (t < u) the hours
    [t, u) lie on the UTC day before L: they belong to L's bucket but were counted in the
    previous day's. West (u < t) the hours [u, t) lie on L: counted in L's bucket, they
    belong to the one before. A bucket outside the range gets nothing."""
    zone, first, after = f.tz, f.start, f.end + DAY
    arms = ([Arm(g, lo, hi) for g, lo, hi in periods(f.start, f.end)] if unit == "month"
            else [Arm("d", first, after)])
    starts = [first] + [first + DAY * i for i in range(1, (after - first).days)
                        if bucket_of(first + DAY * i, unit) == first + DAY * i] + [after]

    def bucket(day: dt.date) -> Optional[dt.date]:
        return bucket_of(day, unit) if first <= day < after else None

    fixes: Fixes = defaultdict(list)
    for day in starts:
        t, u = day_starts_at(day, zone), dt.datetime.combine(day, dt.time(), UTC)
        if t < u:
            hours, belongs, counted = range((u - t) // HOUR), bucket(day), bucket(day - DAY)
            lo = t
        else:
            hours, belongs, counted = range((t - u) // HOUR), bucket(day - DAY), bucket(day)
            lo = u
        if belongs == counted:
            continue
        for i in hours:
            h = lo + HOUR * i
            if belongs is not None:
                fixes[(h.date(), h.hour)].append((belongs, 1))
            if counted is not None:
                fixes[(h.date(), h.hour)].append((counted, -1))
    # The hour rows to read, one arm per run of hours shared by several days (DST aside,
    # every boundary has the same hours): a handful of arms, whatever the range.
    by_hours: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
    per_day: dict[dt.date, list[int]] = defaultdict(list)
    for day, hour in fixes:
        per_day[day].append(hour)
    for day, hours_ in per_day.items():
        by_hours[(min(hours_), max(hours_) + 1)].append(day)
    arms += [Arm("h", days=tuple(sorted(days)), hour_lo=lo, hour_hi=hi) for (lo, hi), days in sorted(by_hours.items())]
    return arms, dict(fixes)


def _series(session: Session, model, f: MetricsFilter, unit: str, keys: Sequence, values: Sequence,
            *where, **rows) -> dict[tuple, list[int]]:
    """{(bucket start, *keys): [value sums]} of a series (`series_plan`): one statement; the
    days are grouped into buckets by the database, the hour rows folded in here."""
    arms, fixes = series_plan(f, unit)
    at = case((model.grain == "h", model.period), else_=_bucket_sql(session, model.period, unit))
    stmt = (select(model.grain, at, model.hour, *keys, *values).where(*_rows(model, f, arms=arms, **rows), *where)
            .group_by(model.grain, at, model.hour, *keys))
    acc: dict[tuple, list[int]] = {}
    n, width = len(keys), len(values)
    for row in session.execute(stmt):
        day = _day(row[1])
        targets = fixes.get((day, row[2]), ()) if row[0] == "h" else ((day, 1),)
        if not targets:
            continue
        vals = [int(v) if v else 0 for v in row[3 + n:]]
        key = tuple(row[3:3 + n])
        for target, sign in targets:
            sums = acc.get((target, *key))
            if sums is None:
                sums = acc[(target, *key)] = [0] * width
            for i, v in enumerate(vals):
                if v:
                    sums[i] += sign * v
    return acc


def periods(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(grain, first period, period after the last) covering the days start..end (both
    included) exactly once: whole months from the monthly rows, the rest from the daily."""
    after_end = end + dt.timedelta(days=1)
    first_full = start if start.day == 1 else _next_month(start)
    last_full_end = after_end.replace(day=1)  # months before this one end inside the range
    if first_full >= last_full_end:
        return [("d", start, after_end)]
    arms = [("m", first_full, last_full_end)]
    if start < first_full:
        arms.append(("d", start, first_full))
    if last_full_end < after_end:
        arms.append(("d", last_full_end, after_end))
    return arms


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _sums():
    return [func.coalesce(func.sum(getattr(RollupCases, name)), 0).label(name) for name in COUNTERS]


def bucket_of(day: dt.date, unit: str) -> dt.date:
    """The first day of the day, ISO week (Monday) or month that `day` falls in."""
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown bucket {unit!r}")


def _bucket_sql(session: Session, period, unit: str):
    """`bucket_of` in SQL, so a series groups its days into weeks or months in the database
    (two years of days are 730 rows per group; Python building a Counts for each cost more
    than the query)."""
    if unit == "day":
        return period
    if unit not in BUCKETS:
        raise ValueError(f"unknown bucket {unit!r}")
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc(unit, period), Date)
    if unit == "week":
        return func.date(period, "weekday 0", "-6 days")  # the Sunday on/after, back to its Monday
    return func.strftime("%Y-%m-01", period)


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# ------------------------------------------------------------------------ counting
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

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(**{n: getattr(self, n) + getattr(other, n) for n in self.__dataclass_fields__})

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


def counter_totals(session: Session, f: MetricsFilter) -> dict[str, int]:
    """Every counter of `rollup_cases` (models.COUNTERS) summed over the filter."""
    row = session.execute(select(*_sums()).where(*_rows(RollupCases, f))).one()
    return {name: int(getattr(row, name)) for name in COUNTERS}


def counts(session: Session, f: MetricsFilter) -> Counts:
    return Counts.of(session.execute(select(*_sums()).where(*_rows(RollupCases, f))).one())


# ----------------------------------------------------------------------------- KPIs
@dataclass(frozen=True)
class Kpis:
    counts: Counts
    median_first_response_s: Optional[float]
    median_resolution_s: Optional[float]
    refunded: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    credited: dict[str, int] = field(default_factory=dict)


def money_totals(session: Session, f: MetricsFilter) -> dict[str, dict[str, int]]:
    """{'merchant_refund': {'USD': 1234}, 'customer_credit': {...}} — succeeded movements only."""
    stmt = (select(RollupMoney.kind, RollupMoney.currency, func.sum(RollupMoney.amount_minor))
            .where(*_rows(RollupMoney, f), RollupMoney.kind.in_(MONEY_KINDS))
            .group_by(RollupMoney.kind, RollupMoney.currency))
    out: dict[str, dict[str, int]] = {"merchant_refund": {}, "customer_credit": {}}
    for kind, currency, total in session.execute(stmt):
        if total:
            out[kind][currency] = int(total)
    return out


def kpis(session: Session, f: MetricsFilter) -> Kpis:
    money = money_totals(session, f)
    return Kpis(counts(session, f), median_first_response(session, f), median_resolution(session, f),
                money["merchant_refund"], money["customer_credit"])


def _hour_counts(session: Session, model, f: MetricsFilter, *extra) -> dict[tuple, int]:
    stmt = (select(*extra, model.bin, func.sum(model.n)).where(*_rows(model, f))
            .group_by(*extra, model.bin))
    return {tuple(r[:-1]): int(r[-1]) for r in session.execute(stmt) if r[-1]}


def _median_s(hours: dict[int, int]) -> Optional[float]:
    h = median_hours(hours)
    return None if h is None else float(h * 3600)


def median_first_response(session: Session, f: MetricsFilter) -> Optional[float]:
    """Seconds (whole hours) from opening to the merchant's first response: the middle case's."""
    counts_ = _hour_counts(session, RollupFirstResponse, f)
    return _median_s({k[0]: n for k, n in counts_.items()})


def median_resolution(session: Session, f: MetricsFilter) -> Optional[float]:
    """Seconds (whole hours) from opening to closing, over cases closed now: the middle case's."""
    counts_ = _hour_counts(session, RollupResolution, f)
    return _median_s({k[0]: n for k, n in counts_.items()})


# ------------------------------------------------------------------------- series
def volume_series(session: Session, f: MetricsFilter, *, bucket: str,
                  by: Literal["reason", "provider"]) -> list[tuple[str, str, int]]:
    """(bucket start, reason or provider, cases opened), in time order; buckets are days,
    weeks or months in the filter's zone."""
    key = RollupCases.reason if by == "reason" else RollupCases.provider
    acc = _series(session, RollupCases, f, bucket, [key], [func.sum(RollupCases.cases)], by_dims=True)
    return [(d.isoformat(), k, v[0]) for (d, k), v in sorted(acc.items()) if v[0]]


def outcome_series(session: Session, f: MetricsFilter, *, bucket: str) -> list[tuple[str, Counts]]:
    """Per bucket of opening date: the same counts as the KPIs (rates and outcome mix)."""
    acc = _series(session, RollupCases, f, bucket, [], [func.sum(getattr(RollupCases, n)) for n in COUNTERS])
    fields = Counts.__dataclass_fields__
    rows = sorted((d, Counts(**{n: v for n, v in zip(COUNTERS, sums) if n in fields})) for (d,), sums in acc.items())
    return [(d.isoformat(), c) for d, c in rows if c.cases]


def money_series(session: Session, f: MetricsFilter, *, bucket: str) -> list[tuple[str, str, str, int]]:
    """(bucket of the case's opening date, kind, currency, minor units) of succeeded movements."""
    acc = _series(session, RollupMoney, f, bucket, [RollupMoney.kind, RollupMoney.currency],
                  [func.sum(RollupMoney.amount_minor)], RollupMoney.kind.in_(MONEY_KINDS))
    return [(d.isoformat(), kind, cur, v[0]) for (d, kind, cur), v in sorted(acc.items()) if v[0]]


# --------------------------------------------------------------------- histograms
@dataclass(frozen=True)
class Histogram:
    bin_seconds: int
    bins: int  # the last bin (index == bins) holds everything from bins * bin_seconds up
    counts: list[tuple[int, str, int]]  # (bin index, group, count)
    median_s: Optional[float]


def _regroup(hours: dict[tuple, int], *, bin_hours: int, bins: int, grouped: bool) -> list[tuple[int, str, int]]:
    if bin_hours < 1 or bins < 1 or bin_hours * bins > BINS:
        raise ValueError(f"bins of {bin_hours} h x {bins} do not fit the hourly rollup (up to {BINS} h)")
    acc: dict[tuple[int, str], int] = {}
    for key, n in hours.items():
        group, hour = (key[0], key[1]) if grouped else ("all", key[0])
        k = (min(hour // bin_hours, bins), group)
        acc[k] = acc.get(k, 0) + n
    return [(b, g, n) for (b, g), n in sorted(acc.items())]


def first_response_histogram(session: Session, f: MetricsFilter, *, bin_hours: int = 12,
                             bins: int = 14) -> Histogram:
    hours = _hour_counts(session, RollupFirstResponse, f)
    return Histogram(bin_hours * 3600, bins, _regroup(hours, bin_hours=bin_hours, bins=bins, grouped=False),
                     _median_s({k[0]: n for k, n in hours.items()}))


def resolution_histogram(session: Session, f: MetricsFilter, *, bin_days: int = 1,
                         bins: int = 30) -> Histogram:
    """Time to resolution of closed cases, in bins of days, split by outcome."""
    hours = _hour_counts(session, RollupResolution, f, RollupResolution.outcome)
    by_hour: dict[int, int] = {}
    for (_, hour), n in hours.items():
        by_hour[hour] = by_hour.get(hour, 0) + n
    return Histogram(bin_days * 86400, bins, _regroup(hours, bin_hours=bin_days * 24, bins=bins, grouped=True),
                     _median_s(by_hour))


# ----------------------------------------------------------------------- overview
@dataclass(frozen=True)
class Overview:
    kpis: Kpis
    outcomes: list[tuple[str, Counts]]
    money: list[tuple[str, str, str, int]]
    first_response: Histogram
    resolution: Histogram


def overview(session: Session, f: MetricsFilter, *, bucket: str) -> Overview:
    """The overview's KPIs, outcome and money series and both histograms, with the KPIs
    derived rather than queried again: every case in the range falls in exactly one bucket
    of its opening date, so the counts are the sums of the outcome series and the money
    totals the sums of the money series; the medians are the histograms'."""
    outcomes = outcome_series(session, f, bucket=bucket)
    money = money_series(session, f, bucket=bucket)
    first = first_response_histogram(session, f)
    resolution = resolution_histogram(session, f)
    total = sum((c for _, c in outcomes), Counts())
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


def breakdown(session: Session, f: MetricsFilter, *, by: Literal["company", "provider", "reason"],
              limit: int = 20) -> list[BreakdownRow]:
    """Counts per company, provider or reason, most cases first (top `limit`).

    Dispute rate = cases opened in the range / payments made in the range (by paid_at),
    with the same company and provider filters.
    """
    if by not in ("company", "provider", "reason"):
        raise ValueError(f"unknown breakdown {by!r}")
    key = {"company": RollupCases.company_id, "provider": RollupCases.provider, "reason": RollupCases.reason}[by]
    sums = _sums()
    stmt = (select(key.label("key"), *sums)
            .where(*_rows(RollupCases, f, company_level=by == "company", by_dims=by != "company"))
            .group_by(key).having(func.sum(RollupCases.cases) > 0)
            .order_by(func.sum(RollupCases.cases).desc(), key).limit(limit))
    rows = session.execute(stmt).all()
    if not rows:
        return []
    labels = {r.key: r.key for r in rows}
    if by == "company":
        labels = dict(session.execute(select(Company.id, Company.name).where(Company.id.in_(list(labels)))).all())
    payments: dict[str, int] = {}
    if by in ("company", "provider"):
        pkey = RollupPayments.company_id if by == "company" else RollupPayments.provider
        keys = [r.key for r in rows]
        # By company: those companies' own rows (one key range each), whatever was chosen.
        pf = dataclasses.replace(f, company_ids=tuple(keys)) if by == "company" else f
        pstmt = (select(pkey, func.sum(RollupPayments.n))
                 .where(*_rows(RollupPayments, pf, by_dims=True), pkey.in_(keys))
                 .group_by(pkey))
        payments = {k: int(n) for k, n in session.execute(pstmt)}
    return [BreakdownRow(r.key, labels.get(r.key, r.key), Counts.of(r),
                         payments.get(r.key, 0) if by != "reason" else None) for r in rows]


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
