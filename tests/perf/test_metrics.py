"""The managers' metrics screen, whole: every read-model call its callbacks make for one
page load (callbacks/metrics.py: the overview's series, histograms and KPIs, the volume
chart, the three breakdowns), by week.

    metrics.screen.all_90d       the default 90 days, every company
    metrics.screen.company_90d   90 days, the largest company
    metrics.screen.all_2y        the two years of the data set, every company
    metrics.screen.all_90d_ny    the default 90 days, every company, in America/New_York: the
                                 edge hours and each week's corrections read hour rows

The bare SQL computes the same figures straight from the cases and payments (what the
screen would cost without maintained rollups).
"""
from __future__ import annotations

import datetime as dt

import pytest

from data.read import metrics

BUCKET = "week"


def whole_screen(s, f):
    o = metrics.overview(s, f, bucket=BUCKET)
    return {"overview": o, "volume": metrics.volume_series(s, f, bucket=BUCKET, by="reason"),
            **{f"by_{by}": metrics.breakdown(s, f, by=by) for by in ("company", "provider", "reason")}}


# ------------------------------------------------------------------ bare SQL
WHERE = "c.created_at >= %(start)s AND c.created_at < %(end)s {company}"
SCREEN_SQL = (
    # outcome series (and the KPI counts, their sum)
    """SELECT date_trunc('week', c.created_at AT TIME ZONE 'UTC') AS b, count(*), count(*) FILTER (WHERE c.status <> 'closed'),
              count(c.first_merchant_response_at), count(*) FILTER (WHERE c.escalated), count(c.decision),
              count(*) FILTER (WHERE c.outcome = 'customer_won' AND c.status = 'closed'),
              count(*) FILTER (WHERE c.outcome = 'merchant_won' AND c.status = 'closed'),
              count(*) FILTER (WHERE c.outcome = 'withdrawn')
       FROM cases c WHERE {where} GROUP BY b ORDER BY b""",
    # money series
    """SELECT date_trunc('week', c.created_at AT TIME ZONE 'UTC') AS b, c.currency, sum(c.refunded_minor), sum(c.credited_minor)
       FROM cases c WHERE {where} GROUP BY b, c.currency ORDER BY b""",
    # first-response and resolution histograms (hours), their medians
    """SELECT floor(extract(epoch FROM c.first_merchant_response_at - c.created_at) / 3600) AS h, count(*)
       FROM cases c WHERE {where} AND c.first_merchant_response_at IS NOT NULL GROUP BY h""",
    """SELECT floor(extract(epoch FROM c.closed_at - c.created_at) / 3600) AS h, count(*)
       FROM cases c WHERE {where} AND c.status = 'closed' GROUP BY h""",
    # volume by reason
    """SELECT date_trunc('week', c.created_at AT TIME ZONE 'UTC') AS b, c.reason, count(*)
       FROM cases c WHERE {where} GROUP BY b, c.reason ORDER BY b""",
    # breakdowns: company (top 20, with their payments), provider (with payments), reason
    """WITH top AS (SELECT c.company_id, count(*) AS n, count(*) FILTER (WHERE c.escalated) AS escalated
                    FROM cases c WHERE {where} GROUP BY c.company_id ORDER BY n DESC, c.company_id LIMIT 20)
       SELECT top.*, b.name, (SELECT count(*) FROM payments p WHERE p.company_id = top.company_id
                              AND p.paid_at >= %(start)s AND p.paid_at < %(end)s)
       FROM top JOIN companies b ON b.id = top.company_id ORDER BY top.n DESC""",
    """SELECT p.provider, count(*), count(*) FILTER (WHERE c.escalated)
       FROM cases c JOIN payments p ON p.id = c.payment_id WHERE {where} GROUP BY p.provider""",
    """SELECT p.provider, count(*) FROM payments p
       WHERE p.paid_at >= %(start)s AND p.paid_at < %(end)s {pcompany} GROUP BY p.provider""",
    """SELECT c.reason, count(*), count(*) FILTER (WHERE c.escalated) FROM cases c WHERE {where} GROUP BY c.reason""",
)


def sql_screen(f: metrics.MetricsFilter):
    company = "AND c.company_id = %(company)s" if f.company_ids else ""
    params = {"start": f.start_at, "end": f.end_before, "company": f.company_ids[0] if f.company_ids else None}
    statements = [sql.format(where=WHERE.format(company=company),
                             pcompany="AND p.company_id = %(company)s" if f.company_ids else "")
                  for sql in SCREEN_SQL]

    def run(bare):
        return [bare.run(sql, params) for sql in statements]

    return run


@pytest.fixture(scope="module")
def filters(world):
    today = world.now.date()
    return {
        "all_90d": metrics.parse_filter(today=today),
        "company_90d": metrics.parse_filter(company_ids=[world.company_id], today=today),
        "all_2y": metrics.parse_filter(start=(today - dt.timedelta(days=729)).isoformat(), today=today),
        "all_90d_ny": metrics.parse_filter(today=today, zone="America/New_York"),
    }


@pytest.mark.parametrize("scope", ["all_90d", "company_90d", "all_2y", "all_90d_ny"])
def test_whole_screen(scope, filters, bench_session, world, recorder):
    f = filters[scope]

    def screen():
        with bench_session() as s:
            return whole_screen(s, f)

    ours, bare = recorder.bench(f"metrics.screen.{scope}", screen, sql=sql_screen(f), days=(f.end - f.start).days + 1)
    o = ours.result["overview"]
    cases = sum(row[1] for row in bare.result[0])
    assert o.kpis.counts.cases == cases > 0
    assert o.kpis.counts.customer_won == sum(row[6] for row in bare.result[0])
    top = ours.result["by_company"]
    assert top and [r.key for r in top][:5] == [row[0] for row in bare.result[5]][:5]
    if scope == "company_90d":
        assert {r.key for r in top} == {world.company_id}
