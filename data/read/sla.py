"""Read model for the SLA section of the managers' metrics screen: how fast the platform
decides once a case reaches it (issue 10, Deliver 4).

Two targets, passed in by the caller (the settings live in `dashboard`, which `data` may
not import): a first decision within `review_hours` of the case reaching the platform
(`decided_at - coalesce(escalated_at, appealed_at)`: escalated by a missed deadline, or by
the customer appealing a merchant's denial), and a final decision within `final_hours` of
the appeal (`final_decided_at - appealed_at`). A decision is "within target" when it came
at or before the target, to the microsecond.

What is counted. The metrics filter's companies, providers and reasons, and its dates read
as the days the decisions were *taken* on (not the days the cases were opened on, as the
rest of the screen counts): a week's share is of the decisions made that week. Days and
weeks are the filter's zone's, from its exact local midnight (these rows are cases, not
hour rollups, so half-hour zones need no rounding).

Cost. Each read is one range of the partial indexes `ix_cases_decided_at` and
`ix_cases_final_decided_at` over the decisions in the range, and the range is capped at
`MAX_DAYS` (the last 92 days of a longer one): about 25,000 decisions at 1,000,000 cases.
A two-year SLA history would need its own rollup by decision hour (see the README's
1M plan); the open-now counts read the queue's waiting indexes (`ix_cases_escalated_waiting`,
`ix_cases_appealed_waiting`), so they grow with the cases in front of the platform only.
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple, Optional

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, select
from sqlalchemy.orm import Session

from data.models import Case, Payment, User
from data.read.metrics import MetricsFilter, bucket_of

MAX_DAYS = 92
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
FIRST, FINAL = "first", "final"


# ------------------------------------------------------------------------- range
@dataclass(frozen=True)
class Window:
    """The decision dates read: the filter's, or its last MAX_DAYS days (`capped`)."""
    start: dt.date
    end: dt.date  # included
    start_at: dt.datetime  # local midnight of `start`, in UTC
    end_before: dt.datetime  # local midnight after `end`, in UTC
    capped: bool


def window(f: MetricsFilter) -> Window:
    start, capped = f.start, False
    if (f.end - f.start).days + 1 > MAX_DAYS:
        start, capped = f.end - dt.timedelta(days=MAX_DAYS - 1), True
    zone = f.tz

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)

    return Window(start, f.end, midnight(start), midnight(f.end + DAY), capped)


# ------------------------------------------------------------------------- rows
US = 1_000_000  # microseconds in a second: every time below is whole microseconds since 1970, UTC


class Decision(NamedTuple):
    """One decision, as plain integers: a 90-day range at 1M cases is ~25,000 of them, and
    integers cost a fraction of what datetimes do to fetch and compare."""
    kind: str  # FIRST | FINAL
    at_us: int  # when it was taken
    reviewer_id: Optional[str]
    waited_us: int  # from reaching the platform (or the appeal) to the decision
    first_action_us: Optional[int]  # from reaching the platform to staff's first action (FIRST only)
    within: bool


def epoch_us(session: Session, column) -> ColumnElement:
    """`column` as whole microseconds since 1970 (UTC), computed by the database, exactly:
    PostgreSQL's epoch is numeric; SQLite's stored text is 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column) * US, BigInteger)
    return cast(func.strftime("%s", column), BigInteger) * US + cast(func.substr(column, 21, 6), BigInteger)


def _filtered(stmt: Select, f: MetricsFilter) -> Select:
    if f.company_ids:
        stmt = stmt.where(Case.company_id.in_(f.company_ids))
    if f.reasons:
        stmt = stmt.where(Case.reason.in_(f.reasons))
    if f.providers:
        stmt = stmt.join(Payment, Payment.id == Case.payment_id).where(Payment.provider.in_(f.providers))
    return stmt


def decisions(session: Session, f: MetricsFilter, *, review_hours: int, final_hours: int) -> list[Decision]:
    """Every first and final decision taken in the window of `f` that matches its filters.

    Two statements, each a range of one partial index (`decided_at IS NOT NULL` is the
    index's predicate, repeated so the planner may use it). A decision whose case has no
    recorded arrival (data from before the SLA columns, never backfilled) is left out: it
    has no clock to be within or outside."""
    w = window(f)
    us = functools.partial(epoch_us, session)
    reached = func.coalesce(Case.escalated_at, Case.appealed_at)
    first = _filtered(select(us(Case.decided_at), Case.decided_by_id, us(reached), us(Case.first_platform_action_at))
                      .where(Case.decided_at.is_not(None), Case.decided_at >= w.start_at,
                             Case.decided_at < w.end_before, reached.is_not(None)), f)
    final = _filtered(select(us(Case.final_decided_at), Case.final_decided_by_id, us(Case.appealed_at))
                      .where(Case.final_decided_at.is_not(None), Case.final_decided_at >= w.start_at,
                             Case.final_decided_at < w.end_before, Case.appealed_at.is_not(None)), f)
    review_target, final_target = review_hours * 3600 * US, final_hours * 3600 * US
    out: list[Decision] = []
    for at, reviewer, start, acted in session.execute(first):
        waited = at - start
        out.append(Decision(FIRST, at, reviewer, waited, None if acted is None else max(acted - start, 0),
                            waited <= review_target))
    for at, reviewer, appealed in session.execute(final):
        waited = at - appealed
        out.append(Decision(FINAL, at, reviewer, waited, None, waited <= final_target))
    return out


def _median(values: list[int]) -> Optional[dt.timedelta]:
    """The middle value (the lower of the two middle ones for an even count), as the
    rollup medians are: a real case's wait."""
    if not values:
        return None
    return dt.timedelta(microseconds=sorted(values)[(len(values) - 1) // 2])


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


# ------------------------------------------------------------------------ weekly
@dataclass(frozen=True)
class Week:
    start: dt.date  # the Monday, in the filter's zone
    decided: int
    within: int
    final_decided: int
    final_within: int

    @property
    def share_within(self) -> Optional[float]:
        """Of every decision that week, first and final, the share within its target."""
        return _share(self.within + self.final_within, self.decided + self.final_decided)


def weekly(rows: list[Decision], f: MetricsFilter) -> list[Week]:
    """Weeks (from Monday, in the filter's zone) with at least one decision, in order: each
    decision is placed by a binary search of the window's week starts (local midnights, as
    microseconds), a handful of weeks however many decisions."""
    zone, win = f.tz, window(f)
    monday = bucket_of(win.start, "week")
    weeks = [monday + dt.timedelta(weeks=i) for i in range((win.end - monday).days // 7 + 1)]
    starts = [int(dt.datetime.combine(w, dt.time(), zone).timestamp()) * US for w in weeks]
    acc = [[0, 0, 0, 0] for _ in weeks]
    for d in rows:
        counts = acc[max(0, bisect.bisect_right(starts, d.at_us) - 1)]
        i = 0 if d.kind == FIRST else 2
        counts[i] += 1
        counts[i + 1] += d.within
    return [Week(w, *counts) for w, counts in zip(weeks, acc) if counts[0] or counts[2]]


# ---------------------------------------------------------------------- reviewers
@dataclass(frozen=True)
class ReviewerRow:
    reviewer_id: str
    name: str
    decisions: int  # first and final together
    within: int
    final_decisions: int
    median_to_decision: Optional[dt.timedelta]

    @property
    def share_within(self) -> Optional[float]:
        return _share(self.within, self.decisions)


def by_reviewer(session: Session, rows: list[Decision]) -> list[ReviewerRow]:
    """Per reviewer who decided (first or final), most decisions first, then by name."""
    grouped: dict[str, list[Decision]] = defaultdict(list)
    for d in rows:
        if d.reviewer_id:
            grouped[d.reviewer_id].append(d)
    if not grouped:
        return []
    names = dict(session.execute(select(User.id, func.coalesce(User.name, User.email))
                                 .where(User.id.in_(list(grouped)))).all())
    out = [ReviewerRow(rid, names.get(rid) or rid, len(ds), sum(d.within for d in ds),
                       sum(d.kind == FINAL for d in ds), _median([d.waited_us for d in ds]))
           for rid, ds in grouped.items()]
    return sorted(out, key=lambda r: (-r.decisions, r.name.lower(), r.reviewer_id))


# ------------------------------------------------------------------------- totals
@dataclass(frozen=True)
class Totals:
    decided: int
    within: int
    final_decided: int
    final_within: int
    median_first_action: Optional[dt.timedelta]  # reaching the platform -> staff's first action
    median_to_decision: Optional[dt.timedelta]  # reaching the platform -> first decision
    median_to_final: Optional[dt.timedelta]  # appeal -> final decision

    @property
    def share_within(self) -> Optional[float]:
        return _share(self.within, self.decided)

    @property
    def final_share_within(self) -> Optional[float]:
        return _share(self.final_within, self.final_decided)


def totals(rows: list[Decision]) -> Totals:
    first = [d for d in rows if d.kind == FIRST]
    final = [d for d in rows if d.kind == FINAL]
    return Totals(len(first), sum(d.within for d in first), len(final), sum(d.within for d in final),
                  _median([d.first_action_us for d in first if d.first_action_us is not None]),
                  _median([d.waited_us for d in first]), _median([d.waited_us for d in final]))


# ----------------------------------------------------------------------- open now
@dataclass(frozen=True)
class OpenNow:
    """Cases in front of the platform now: past their decide-by, or due within the warning."""
    review_overdue: int
    review_due_soon: int
    final_overdue: int
    final_due_soon: int


def _open_counts(session: Session, f: MetricsFilter, stage: str, since, target: dt.timedelta,
                 warning: dt.timedelta, now: dt.datetime) -> tuple[int, int]:
    # The waiting index's own expression and predicate (ix_cases_*_waiting), so each count is
    # one range of it; decide-by = since + target.
    overdue_before, soon_before = now - target, now - target + warning
    stmt = _filtered(select(func.count().filter(since < overdue_before),
                            func.count().filter(since >= overdue_before))
                     .select_from(Case).where(Case.stage == stage, since < soon_before), f)
    overdue, soon = session.execute(stmt).one()
    return int(overdue or 0), int(soon or 0)


def open_now(session: Session, f: MetricsFilter, *, now: dt.datetime, review_hours: int, final_hours: int,
             warning_hours: int) -> OpenNow:
    """Counts under review (decide by reaching + review_hours) and in final review (appeal +
    final_hours) now, with the filter's companies, providers and reasons (its dates do not
    apply: this is the queue as it stands)."""
    warning = dt.timedelta(hours=warning_hours)
    review = _open_counts(session, f, "under_review", func.coalesce(Case.escalated_at, Case.updated_at),
                          dt.timedelta(hours=review_hours), warning, now)
    final = _open_counts(session, f, "final_review", func.coalesce(Case.appealed_at, Case.updated_at),
                         dt.timedelta(hours=final_hours), warning, now)
    return OpenNow(*review, *final)


# ------------------------------------------------------------------------ section
@dataclass(frozen=True)
class Section:
    window: Window
    weeks: list[Week]
    reviewers: list[ReviewerRow]
    totals: Totals
    open_now: OpenNow


def section(session: Session, f: MetricsFilter, *, now: dt.datetime, review_hours: int, final_hours: int,
            warning_hours: int) -> Section:
    """Everything the SLA section shows, from one read of the decisions in the window."""
    rows = decisions(session, f, review_hours=review_hours, final_hours=final_hours)
    return Section(window(f), weekly(rows, f), by_reviewer(session, rows), totals(rows),
                   open_now(session, f, now=now, review_hours=review_hours, final_hours=final_hours,
                            warning_hours=warning_hours))
