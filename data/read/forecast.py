"""Read model for the staffing forecast on the managers' metrics screen (issue 10, Deliver 8):
the work expected to reach the platform on each of the next 14 days, beside what arrived on
each of the last 14, and the reviewers it would take.

The estimator, and why.

* Escalations. A case waiting on a party before the platform is involved escalates by itself
  when its `response_due_at` passes unanswered (SPEC §3.6), so the work of day D comes from
  the open cases due on D (`ix_cases_open_due`; cases already escalated, waiting on a party
  at a reviewer's request, are not new work and are left out). Not every such case will
  escalate: the merchant may still accept, deny or ask, the customer withdraw. The rate is
  read from the rollups, over the cases opened in the 28 days before the last
  `response_days` (so each has had its first deadline): of those no longer waiting on a
  party, the share that went to the platform (`escalated_ever`). Each waiting case in the
  forecast will stop waiting by its deadline one way or the other, so it is weighed by how
  the recent ones ended. A denial the customer appealed is an escalation too and is in the
  numerator: the deadlines stand for those appeals, on the deadline's day rather than the
  appeal's. (Cases waiting on a party at a reviewer's request are escalated and waiting at
  once, so the share is capped at 1.) Fewer than `MIN_SAMPLE` cases in 28 days widens the
  window to 56.

* Final reviews (appeals of platform decisions). Each open appeal window of a platform
  decision (`ix_cases_appeal_open`) is appealed with the platform's recent appeal rate
  (`decisions_appealed / decisions`, the metrics' appeal rate, over the cases opened 28 to
  84 days ago: their decisions and windows are mostly over), its expectation spread evenly
  over the days left in its window.

* What arrived. The rollups count cases by the day they were opened, not the day they
  escalated, so the past days show the cases whose first deadline fell on that day
  (opened `response_days` earlier) that are escalated now: the same measure the forecast
  makes for the coming days.

* Reviewers needed. The decisions (first and final) of the last 28 days per reviewer who
  made any, per day: a day's expected work divided by that, rounded up.

Cost: a few dozen rollup rows, one grouped range of each of the two open-case indexes
(at most 24 rows per coming day), and the last 28 days of decisions grouped by reviewer
(`ix_cases_decided_at`, `ix_cases_final_decided_at`).
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from data.models import Case
from data.read import metrics
from data.rollups.maintain import ALL
from data.rollups.models import RollupCases

DAYS = 14
RATE_DAYS, WIDER_RATE_DAYS, MIN_SAMPLE = 28, 56, 30
APPEAL_LAG_DAYS, APPEAL_RATE_DAYS = 28, 56
CAPACITY_DAYS = 28
DAY = dt.timedelta(days=1)
AWAITING = ("awaiting_merchant", "awaiting_customer")


@dataclass(frozen=True)
class Rate:
    part: int
    whole: int
    days: int  # the window of cases it was read over: opened `days` days up to `lag` days ago
    lag: int = 0

    @property
    def value(self) -> Optional[float]:
        return min(1.0, self.part / self.whole) if self.whole else None


@dataclass(frozen=True)
class Capacity:
    decisions: int
    reviewers: int
    days: int

    @property
    def per_reviewer_per_day(self) -> Optional[float]:
        return self.decisions / self.reviewers / self.days if self.reviewers and self.decisions else None


@dataclass(frozen=True)
class Day:
    day: dt.date  # in the viewer's zone
    deadlines: int  # open cases due that day, not yet escalated (today: overdue ones too)
    escalations: float  # expected
    final_reviews: float  # expected appeals of platform decisions
    reviewers_needed: Optional[int]

    @property
    def expected(self) -> float:
        return self.escalations + self.final_reviews


@dataclass(frozen=True)
class Forecast:
    today: dt.date
    days: list[Day]
    arrived: list[tuple[dt.date, int]]  # the last DAYS days: escalated, of the cases due first that day
    escalation_rate: Rate
    appeal_rate: Rate
    capacity: Capacity


def _hour(session: Session, column) -> ColumnElement:
    """The UTC hour a timestamp falls in (PostgreSQL: whatever the connection's zone)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _as_utc(value) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _by_local_day(rows, starts: list[dt.datetime], first: dt.date) -> dict[dt.date, int]:
    """{local day: count} from (UTC hour, count) rows; an hour before the first day counts
    on the first (overdue today), an hour on a day's start belongs to that day (days start
    on the whole UTC hour, as the metrics' do)."""
    out: dict[dt.date, int] = defaultdict(int)
    for hour, n in rows:
        i = max(0, bisect.bisect_right(starts, _as_utc(hour)) - 1)
        out[first + DAY * i] += int(n)
    return out


def _rates(session: Session, today: dt.date, response_days: int, min_sample: int) -> tuple[Rate, Rate]:
    """The escalation and appeal rates from the platform's daily rollup rows (every company,
    provider and reason: one range of `ix_rollup_cases_every`), in one statement. The
    windows are UTC days: a rate needs no finer edges than that."""
    lag, appeal_lag = response_days + 1, APPEAL_LAG_DAYS + 1
    windows = {days: (today - DAY * (lag + days - 1), today - DAY * (lag - 1)) for days in (RATE_DAYS, WIDER_RATE_DAYS)}
    appeal = (today - DAY * (appeal_lag + APPEAL_RATE_DAYS - 1), today - DAY * (appeal_lag - 1))
    r = RollupCases
    waiting = r.st_awaiting_merchant + r.st_awaiting_customer
    columns = []
    for lo, hi in windows.values():
        inside = and_(r.period >= lo, r.period < hi)
        columns += [func.sum(r.escalated_ever).filter(inside), func.sum(r.cases - waiting).filter(inside)]
    inside = and_(r.period >= appeal[0], r.period < appeal[1])
    columns += [func.sum(r.decisions_appealed).filter(inside), func.sum(r.decisions).filter(inside)]
    row = [int(v or 0) for v in session.execute(
        select(*columns).where(r.grain == "d", r.company_id == "", r.provider == ALL, r.reason == ALL,
                               r.period >= min(appeal[0], *(lo for lo, _ in windows.values())),
                               r.period < max(appeal[1], *(hi for _, hi in windows.values())))).one()]
    escalation = Rate(row[0], row[1], RATE_DAYS, lag)
    if escalation.whole < min_sample:
        escalation = Rate(row[2], row[3], WIDER_RATE_DAYS, lag)
    return escalation, Rate(row[4], row[5], APPEAL_RATE_DAYS, appeal_lag)


def capacity(session: Session, now: dt.datetime, days: int = CAPACITY_DAYS) -> Capacity:
    """Decisions (first and final) of the last `days` days, and the reviewers who made them."""
    since = now - DAY * days
    per: dict[str, int] = defaultdict(int)
    for at, who in ((Case.decided_at, Case.decided_by_id), (Case.final_decided_at, Case.final_decided_by_id)):
        stmt = (select(who, func.count()).where(at.is_not(None), at >= since, at < now, who.is_not(None))
                .group_by(who))
        for reviewer, n in session.execute(stmt):
            per[reviewer] += int(n)
    return Capacity(sum(per.values()), len(per), days)


def forecast(session: Session, *, now: dt.datetime, zone, response_days: int, days: int = DAYS,
             min_sample: int = MIN_SAMPLE) -> Forecast:
    zone = metrics.zone_or_utc(zone)
    today = now.astimezone(zone).date()
    coming = [today + DAY * i for i in range(days)]
    starts = [metrics.day_starts_at(d, zone) for d in coming]
    end = metrics.day_starts_at(today + DAY * days, zone)

    due_hour = _hour(session, Case.response_due_at)
    due = session.execute(
        select(due_hour, func.count())
        .where(Case.status.in_(AWAITING), Case.response_due_at.is_not(None), Case.response_due_at < end,
               Case.escalated.is_(False))
        .group_by(due_hour))
    deadlines = _by_local_day(due, starts, today)

    window_hour = _hour(session, Case.appeal_due_at)
    windows = session.execute(
        select(window_hour, func.count())
        .where(Case.final.is_(False), Case.appeal_due_at.is_not(None), Case.appeal_due_at > now,
               Case.appeal_due_at < end, Case.decision.is_not(None), Case.final_review.is_(False),
               Case.status == "closed")
        .group_by(window_hour))
    closing = _by_local_day(windows, starts, today)

    (esc, appeal), cap = _rates(session, today, response_days, min_sample), capacity(session, now)
    final_reviews: dict[dt.date, float] = defaultdict(float)
    for closes, n in closing.items():
        left = (closes - today).days + 1  # today (what is left of it) through the day the window closes
        for i in range(left):
            final_reviews[today + DAY * i] += n * (appeal.value or 0.0) / left
    per_day = cap.per_reviewer_per_day
    out = []
    for d in coming:
        e = deadlines.get(d, 0) * (esc.value or 0.0)
        expected = e + final_reviews.get(d, 0.0)
        needed = math.ceil(round(expected / per_day, 6)) if per_day else None
        out.append(Day(d, deadlines.get(d, 0), e, final_reviews.get(d, 0.0), needed))

    # What arrived: the cases first due on each of the last `days` days, escalated now.
    opened = metrics.MetricsFilter(today - DAY * (days + response_days), today - DAY * (1 + response_days),
                                   zone=zone.key)
    series = dict(metrics.outcome_series(session, opened, bucket="day"))
    arrived = []
    for i in range(days, 0, -1):
        day = today - DAY * i
        c = series.get((day - DAY * response_days).isoformat())
        arrived.append((day, c.escalated if c else 0))
    return Forecast(today, out, arrived, esc, appeal, cap)
