"""The staffing forecast (data/read/forecast.py) against hand-built cases, on SQLite and
PostgreSQL: the deadlines of each coming day in the viewer's zone, the escalation rate of the
recent cases no longer waiting on a party (and its wider window when too few), the appeal
windows' expected final reviews, the reviewers needed, and what arrived on the past days.

"Now" is Friday 20 March 2026, 12:00 UTC; answers are due in 7 days.
"""
from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import text

from data.read import forecast as fc
from tests import metrics_cases
from tests.factories import days
from tests.metrics_cases import H, at, make_case

NOW = at(20, 12)
D = dt.timedelta(days=1)


@pytest.fixture
def build(Session, tmp_path):  # noqa: N803
    return metrics_cases.builder(Session, tmp_path)


def case(ctx, w, created, **kw):
    extra = {k: kw.pop(k) for k in list(kw) if k in (
        "response_due_at", "appeal_due_at", "decided_at", "decided_by_id", "final_decided_at", "final_decided_by_id",
        "stage")}
    c = make_case(ctx, company=w.company, customer=w.customer, created_at=created, **kw)
    for k, v in extra.items():
        setattr(c, k, v)
    ctx.session.flush()
    return c


@pytest.fixture
def world(build):
    with build() as (ctx, w):
        r, r2 = w.reviewer.id, w.reviewer2.id
        # The escalation rate's cases: opened 14 Feb .. 12 Mar (first deadline passed), and one on 1 Feb
        # that only the 56-day window reads.
        case(ctx, w, at(1), status="under_review", escalated=True)                                # c1 escalated
        case(ctx, w, at(10), status="closed", outcome="customer_won", escalated=True, decision="refund",
             closed_after=days(9))                                                               # c2 escalated
        case(ctx, w, at(20, month=2), status="closed", outcome="withdrawn", closed_after=days(2))  # c3 closed
        case(ctx, w, at(25, month=2), status="closed", outcome="customer_won", closed_after=days(10))  # c4 closed
        case(ctx, w, at(5), status="awaiting_customer")                                        # c5 still waiting
        case(ctx, w, at(1, month=2), status="under_review", escalated=True,                     # c6, 56 days only
             decided_at=at(10, month=2), decided_by_id=r2)
        # The appeal rate's cases, opened 28 to 84 days ago: four platform decisions, one appealed.
        for appealed in (True, False, False, False):
            case(ctx, w, at(5, month=1), status="closed", outcome="customer_won", escalated=True, decision="refund",
                 final_review=appealed, customer_appealed=appealed, closed_after=days(20))
        # Deadlines, opened after the rate's cases.
        for due in (NOW - 2 * H, at(21, 2), at(21, 10), at(21, 15), at(2, 23, month=4), at(3, 0, month=4)):
            case(ctx, w, at(14), response_due_at=due)
        case(ctx, w, at(14), status="awaiting_customer", escalated=True, response_due_at=at(21))  # a reviewer's ask
        case(ctx, w, at(14), status="closed", outcome="withdrawn", response_due_at=at(21))         # not waiting
        # Appeal windows of platform decisions.
        case(ctx, w, at(14), status="closed", outcome="customer_won", escalated=True, decision="refund",
             appeal_due_at=at(22), decided_at=at(15), decided_by_id=r)                        # open: counts
        case(ctx, w, at(14), status="closed", outcome="customer_won", escalated=True, decision="refund",
             appeal_due_at=NOW - H)                                                           # passed
        case(ctx, w, at(14), status="closed", outcome="merchant_won", appeal_due_at=at(23))      # a denial's
        case(ctx, w, at(14), status="closed", outcome="customer_won", escalated=True, decision="refund",
             final_review=True, customer_appealed=True, appeal_due_at=at(23),
             decided_at=at(10), decided_by_id=r, final_decided_at=at(14), final_decided_by_id=r2)  # appealed already
    return w


def run(Session, zone="UTC", **kw):  # noqa: N803
    with Session() as s:
        return fc.forecast(s, now=NOW, zone=zone, response_days=7, **kw)


def test_deadlines_rate_appeals_and_reviewers_needed(Session, world, db_dialect):  # noqa: N803
    with Session() as s:
        if db_dialect == "postgresql":  # the UTC hours must not depend on the connection's zone
            s.execute(text("SET TIME ZONE 'Asia/Kolkata'"))
        f = fc.forecast(s, now=NOW, zone="UTC", response_days=7, min_sample=4)
    assert f.today == dt.date(2026, 3, 20) and [d.day for d in f.days][-1] == dt.date(2026, 4, 2)
    due = {d.day.isoformat(): d.deadlines for d in f.days if d.deadlines}
    # Today: the overdue one, not yet swept; 2 April 23:00 is the last day's; 3 April is past the 14 days.
    assert due == {"2026-03-20": 1, "2026-03-21": 3, "2026-04-02": 1}
    # c1, c2 escalated of c1 .. c4 (c5 is still waiting on a party): 28 days.
    assert (f.escalation_rate.part, f.escalation_rate.whole, f.escalation_rate.days) == (2, 4, 28)
    assert (f.escalation_rate.lag, f.appeal_rate.lag, f.appeal_rate.days) == (8, 29, 56)
    assert (f.appeal_rate.part, f.appeal_rate.whole) == (1, 4)
    assert (f.capacity.decisions, f.capacity.reviewers) == (3, 2)  # 15 and 10 March (reviewer), 14 March (final)
    per = 3 / 2 / 28
    assert f.capacity.per_reviewer_per_day == pytest.approx(per)
    day = {d.day.isoformat(): d for d in f.days}
    assert day["2026-03-21"].escalations == pytest.approx(1.5)
    # The one open window (closing on 22 March) at 25%, spread over today, 21 and 22 March.
    assert [round(day[x].final_reviews, 6) for x in ("2026-03-20", "2026-03-21", "2026-03-22", "2026-03-23")] == [
        round(0.25 / 3, 6)] * 3 + [0.0]
    assert day["2026-03-21"].reviewers_needed == math.ceil((1.5 + 0.25 / 3) / per) == 30
    assert day["2026-03-20"].reviewers_needed == 11 and day["2026-03-23"].reviewers_needed == 0
    assert sum(d.expected for d in f.days) == pytest.approx(0.5 * 5 + 0.25)


def test_too_few_cases_widen_the_rate_to_56_days(Session, world):  # noqa: N803
    f = run(Session, min_sample=5)
    assert (f.escalation_rate.part, f.escalation_rate.whole, f.escalation_rate.days) == (3, 5, 56)  # and c6
    assert f.escalation_rate.value == pytest.approx(0.6)


def test_days_are_the_viewers(Session, world):  # noqa: N803
    f = run(Session, zone="America/New_York", min_sample=4)
    due = {d.day.isoformat(): d.deadlines for d in f.days if d.deadlines}
    # 21 March 02:00 UTC is the evening of the 20th in New York; 3 April 00:00 UTC is 2 April there.
    assert due == {"2026-03-20": 2, "2026-03-21": 2, "2026-04-02": 2}


def test_arrived_is_the_escalated_cases_first_due_each_past_day(Session, world):  # noqa: N803
    f = run(Session, min_sample=4)
    assert [d for d, _ in f.arrived] == [dt.date(2026, 3, 6) + D * i for i in range(14)]
    assert {d.isoformat(): n for d, n in f.arrived if n} == {"2026-03-08": 1, "2026-03-17": 1}  # c1, c2


def test_nothing_to_read_gives_no_rates_and_no_staffing(Session, build):  # noqa: N803
    f = run(Session)
    assert len(f.days) == 14 and all(d.deadlines == 0 and d.expected == 0 for d in f.days)
    assert f.escalation_rate.value is None and f.appeal_rate.value is None
    assert f.capacity.per_reviewer_per_day is None and all(d.reviewers_needed is None for d in f.days)
    assert all(n == 0 for _, n in f.arrived)
