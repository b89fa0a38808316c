"""The managers' metrics read model (data/read/metrics.py) over the default 90 days, by
week, unfiltered and filtered to the largest company: the KPIs, every chart series
and the three breakdowns, then the whole screen as its callbacks query it."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.read import metrics

GROUP = "metrics"
BUCKET = "week"

SERIES = {
    "kpis": lambda s, v, f: metrics.kpis(s, v, f),
    "outcome series": lambda s, v, f: metrics.outcome_series(s, v, f, bucket=BUCKET),
    "volume by reason": lambda s, v, f: metrics.volume_series(s, v, f, bucket=BUCKET, by="reason"),
    "volume by provider": lambda s, v, f: metrics.volume_series(s, v, f, bucket=BUCKET, by="provider"),
    "money series": lambda s, v, f: metrics.money_series(s, v, f, bucket=BUCKET),
    "first-response histogram": lambda s, v, f: metrics.first_response_histogram(s, v, f),
    "resolution histogram": lambda s, v, f: metrics.resolution_histogram(s, v, f),
    "breakdown by company": lambda s, v, f: metrics.breakdown(s, v, f, by="company"),
    "breakdown by provider": lambda s, v, f: metrics.breakdown(s, v, f, by="provider"),
    "breakdown by reason": lambda s, v, f: metrics.breakdown(s, v, f, by="reason"),
}


def size(result) -> int:
    """Rows of aggregates that came back (the KPIs are one row)."""
    if isinstance(result, metrics.Kpis):
        return 1
    if isinstance(result, metrics.Histogram):
        return len(result.counts)
    if isinstance(result, dict):
        return sum(size(v) for v in result.values())
    return len(result)


@pytest.fixture(scope="module")
def filters(world):
    unfiltered = metrics.parse_filter(today=world.now.date())
    company = metrics.parse_filter(company_ids=[world.company_id], today=world.now.date())
    assert (unfiltered.end - unfiltered.start).days == metrics.DEFAULT_DAYS - 1
    return {"90 days": unfiltered, "90 days, largest company": company}


@pytest.fixture(scope="module")
def run(bench_session):
    def _run(what, f):
        with bench_session() as s:
            return SERIES[what](s, sa.true(), f) if isinstance(what, str) else what(s, f)

    return _run


@pytest.mark.parametrize("scope", ["90 days", "90 days, largest company"])
@pytest.mark.parametrize("what", list(SERIES))
def test_series(what, scope, run, filters, world, recorder):
    f = filters[scope]
    t = recorder.run(GROUP, f"{what} ({scope})", lambda: run(what, f), count=size)
    result = t.result
    if what == "kpis":
        c = result.counts
        assert c.cases > 0 and c.closed == c.customer_won + c.merchant_won + c.withdrawn
        assert result.median_first_response_s and result.median_resolution_s and result.refunded["USD"] > 0
    elif what.startswith("breakdown"):
        assert result and all(a.counts.cases >= b.counts.cases for a, b in zip(result, result[1:]))  # most first
        if what == "breakdown by company":
            assert result[0].key == world.company_id
    elif isinstance(result, metrics.Histogram):
        assert result.counts and result.median_s
    else:
        assert result
        buckets = [row[0] for row in result]
        assert buckets == sorted(buckets) and all(dt.date.fromisoformat(b) for b in buckets)
    if scope != "90 days":
        recorder.ratio(f"metrics: {what}, one company / all", f"metrics: {what} ({scope})",
                       f"metrics: {what} (90 days)")


OVERVIEW = ("kpis", "outcome series", "money series", "first-response histogram", "resolution histogram")


def whole_screen(s, f):
    """What the overview, volume and breakdown callbacks query for one page load (the
    overview's KPIs are derived from its series and histograms, metrics.overview)."""
    o = metrics.overview(s, sa.true(), f, bucket=BUCKET)
    out = dict(zip(OVERVIEW, (o.kpis, o.outcomes, o.money, o.first_response, o.resolution)))
    return out | {what: fn(s, sa.true(), f) for what, fn in SERIES.items() if what not in OVERVIEW}


@pytest.mark.parametrize("scope", ["90 days", "90 days, largest company"])
def test_whole_screen(scope, run, filters, recorder):
    t = recorder.run(GROUP, f"whole screen ({scope})", lambda: run(whole_screen, filters[scope]), count=size)
    assert t.result["kpis"].counts.cases > 0
    if scope != "90 days":
        recorder.ratio("metrics: whole screen, one company / all", f"metrics: whole screen ({scope})",
                       "metrics: whole screen (90 days)")
