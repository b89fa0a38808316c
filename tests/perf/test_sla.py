"""The metrics screen's SLA section and staffing forecast (callbacks/metrics_sla.py), each read
whole, against the bare SQL that answers the same from the cases:

    sla.weekly_90d     the default 90 days, every company: the decisions in range (both partial
                       indexes on decided_at / final_decided_at), their weeks and totals, and the
                       cases open now past or near their target (the queue's waiting indexes)
    sla.reviewers_90d  the same decisions, per reviewer (with their names)
    forecast.14d       the next 14 days' deadlines (ix_cases_open_due) and appeal windows
                       (ix_cases_appeal_open), the rates from the rollups, the last 28 days'
                       decisions per reviewer, and the past 14 days' escalations (rollups)

The bare SQL groups in PostgreSQL (date_trunc, FILTER, percentile_disc) what the read models
group in Python; both read the same rows.
"""
from __future__ import annotations

import datetime as dt

import pytest

from data.read import forecast, metrics, sla

TARGETS = dict(review_hours=48, final_hours=72)

DECIDED = """decided_at IS NOT NULL AND decided_at >= %(start)s AND decided_at < %(end)s
             AND coalesce(escalated_at, appealed_at) IS NOT NULL"""
FINAL = """final_decided_at IS NOT NULL AND final_decided_at >= %(start)s AND final_decided_at < %(end)s
           AND appealed_at IS NOT NULL"""
WEEKLY_SQL = (
    f"""SELECT date_trunc('week', decided_at AT TIME ZONE 'UTC') AS w, count(*),
               count(*) FILTER (WHERE decided_at - coalesce(escalated_at, appealed_at) <= interval '48 hours'),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY decided_at - coalesce(escalated_at, appealed_at)),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY first_platform_action_at - coalesce(escalated_at, appealed_at))
        FROM cases WHERE {DECIDED} GROUP BY w ORDER BY w""",
    f"""SELECT date_trunc('week', final_decided_at AT TIME ZONE 'UTC') AS w, count(*),
               count(*) FILTER (WHERE final_decided_at - appealed_at <= interval '72 hours')
        FROM cases WHERE {FINAL} GROUP BY w ORDER BY w""",
    """SELECT count(*) FILTER (WHERE coalesce(escalated_at, updated_at) < %(now)s - interval '48 hours'),
              count(*) FILTER (WHERE coalesce(escalated_at, updated_at) >= %(now)s - interval '48 hours')
       FROM cases WHERE stage = 'under_review' AND coalesce(escalated_at, updated_at) < %(now)s - interval '36 hours'""",
    """SELECT count(*) FILTER (WHERE coalesce(appealed_at, updated_at) < %(now)s - interval '72 hours'),
              count(*) FILTER (WHERE coalesce(appealed_at, updated_at) >= %(now)s - interval '72 hours')
       FROM cases WHERE stage = 'final_review' AND coalesce(appealed_at, updated_at) < %(now)s - interval '60 hours'""",
)
REVIEWERS_SQL = (
    f"""WITH d AS (SELECT decided_by_id AS r, decided_at - coalesce(escalated_at, appealed_at) AS waited,
                          decided_at - coalesce(escalated_at, appealed_at) <= interval '48 hours' AS within
                   FROM cases WHERE {DECIDED}
                   UNION ALL
                   SELECT final_decided_by_id, final_decided_at - appealed_at,
                          final_decided_at - appealed_at <= interval '72 hours'
                   FROM cases WHERE {FINAL})
        SELECT d.r, u.name, count(*), count(*) FILTER (WHERE within),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY waited)
        FROM d JOIN users u ON u.id = d.r GROUP BY d.r, u.name ORDER BY count(*) DESC, u.name""",
)
FORECAST_SQL = (
    """SELECT date_trunc('day', greatest(response_due_at, %(today)s) AT TIME ZONE 'UTC') AS d, count(*) FROM cases
       WHERE status IN ('awaiting_merchant', 'awaiting_customer') AND NOT escalated AND response_due_at < %(end)s
       GROUP BY d ORDER BY d""",
    """SELECT date_trunc('day', appeal_due_at AT TIME ZONE 'UTC') AS d, count(*) FROM cases
       WHERE final IS false AND appeal_due_at > %(now)s AND appeal_due_at < %(end)s AND decision IS NOT NULL
         AND NOT final_review AND status = 'closed' GROUP BY d""",
    # The rates, straight from the cases: escalated of those no longer waiting on a party ...
    """SELECT count(*) FILTER (WHERE escalated OR escalated_at IS NOT NULL),
              count(*) FILTER (WHERE status NOT IN ('awaiting_merchant', 'awaiting_customer'))
       FROM cases WHERE created_at >= %(rate_start)s AND created_at < %(rate_end)s""",
    # ... and appealed of the appealable platform decisions.
    """SELECT count(*) FILTER (WHERE final_review),
              count(*) FILTER (WHERE decision IS NOT NULL AND (final_review OR NOT (customer_appealed OR merchant_appealed)))
       FROM cases WHERE created_at >= %(appeal_start)s AND created_at < %(appeal_end)s""",
    """SELECT r, count(*) FROM (SELECT decided_by_id AS r FROM cases WHERE decided_at >= %(since)s AND decided_at < %(now)s
                               UNION ALL SELECT final_decided_by_id FROM cases
                               WHERE final_decided_at >= %(since)s AND final_decided_at < %(now)s) x
       WHERE r IS NOT NULL GROUP BY r""",
    # What arrived: escalated cases by opening day, 7 days back.
    """SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS d, count(*) FILTER (WHERE escalated) FROM cases
       WHERE created_at >= %(past_start)s AND created_at < %(past_end)s GROUP BY d""",
)


def _bare(statements, params):
    def run(bare):
        return [bare.run(s, params) for s in statements]
    return run


@pytest.fixture(scope="module")
def f90(world):
    return metrics.parse_filter(today=world.now.date())


def _window_params(f, now):
    win = sla.window(f)
    return {"start": win.start_at, "end": win.end_before, "now": now}


def test_weekly_90d(f90, bench_session, world, recorder):
    def weekly():
        with bench_session() as s:
            rows = sla.decisions(s, f90, **TARGETS)
            return (sla.weekly(rows, f90), sla.totals(rows),
                    sla.open_now(s, f90, now=world.now, warning_hours=12, **TARGETS))

    ours, bare = recorder.bench("sla.weekly_90d", weekly, sql=_bare(WEEKLY_SQL, _window_params(f90, world.now)),
                                days=90)
    weeks, totals, open_now = ours.result
    assert totals.decided == sum(r[1] for r in bare.result[0]) > 0
    assert totals.within == sum(r[2] for r in bare.result[0])
    assert totals.final_decided == sum(r[1] for r in bare.result[1])
    assert (open_now.review_overdue, open_now.review_due_soon) == tuple(bare.result[2][0])
    assert (open_now.final_overdue, open_now.final_due_soon) == tuple(bare.result[3][0])
    print(f"bench: sla 90 days: {totals.decided:,} decisions, {totals.final_decided:,} final, "
          f"{len(weeks)} weeks; open now {open_now}")


def test_reviewers_90d(f90, bench_session, world, recorder):
    def reviewers():
        with bench_session() as s:
            return sla.by_reviewer(s, sla.decisions(s, f90, **TARGETS))

    ours, bare = recorder.bench("sla.reviewers_90d", reviewers,
                                sql=_bare(REVIEWERS_SQL, _window_params(f90, world.now)), days=90)
    got = {r.reviewer_id: (r.decisions, r.within, r.median_to_decision) for r in ours.result}
    assert got and got == {row[0]: (row[2], row[3], row[4]) for row in bare.result[0]}


def test_forecast_14d(bench_session, world, recorder):
    now, day = world.now, dt.timedelta(days=1)
    today = dt.datetime.combine(now.date(), dt.time(), dt.timezone.utc)
    rate_end = today - 7 * day
    params = {"now": now, "today": today, "end": today + 14 * day, "since": now - 28 * day,
              "rate_start": rate_end - 28 * day, "rate_end": rate_end,
              "appeal_start": today - 28 * day - 56 * day, "appeal_end": today - 28 * day,
              "past_start": today - 21 * day, "past_end": today - 7 * day}

    def run():
        with bench_session() as s:
            return forecast.forecast(s, now=now, zone="UTC", response_days=7)

    ours, bare = recorder.bench("forecast.14d", run, sql=_bare(FORECAST_SQL, params), days=14)
    f = ours.result
    assert sum(d.deadlines for d in f.days) == sum(r[1] for r in bare.result[0])
    assert f.capacity.decisions == sum(r[1] for r in bare.result[4])
    assert f.capacity.reviewers == len(bare.result[4])
    if f.escalation_rate.days == 28:
        assert (f.escalation_rate.part, f.escalation_rate.whole) == tuple(bare.result[2][0])
    assert sum(n for _, n in f.arrived) == sum(r[1] for r in bare.result[5])
    print(f"bench: forecast: {sum(d.deadlines for d in f.days):,} deadlines, escalation rate "
          f"{f.escalation_rate}, appeal rate {f.appeal_rate}, capacity {f.capacity}; "
          f"expected {sum(d.expected for d in f.days):.1f} over 14 days")
