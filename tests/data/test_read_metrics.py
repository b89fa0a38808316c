"""The metrics read model against hand-built cases, on SQLite and PostgreSQL.

Cases are written as rows (tests/metrics_cases.py) so every timestamp, flag and outcome
is exactly what the test says; one test at the end runs a real case through the domain
to check that what the domain records is what the metrics read.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import false, text, true

from data.models import Case
from data.read import metrics as m
from dashboard.context import Ctx
from tests import factories, metrics_cases
from tests.factories import T0, days
from tests.metrics_cases import MARCH, UTC, H, at, make_case, move


@pytest.fixture
def build(Session, tmp_path):  # noqa: N803
    return metrics_cases.builder(Session, tmp_path)


@pytest.fixture
def scenario(build):
    return metrics_cases.scenario(build)


def test_counts_rates_and_medians_over_the_range(Session, scenario):  # noqa: N803
    with Session() as s:
        k = m.kpis(s, MARCH)
    c = k.counts
    assert (c.cases, c.open, c.responded, c.escalated, c.closed) == (7, 3, 3, 3, 4)
    assert (c.customer_won, c.merchant_won, c.withdrawn) == (2, 1, 1)
    # Appealable platform decisions: c (appealed at final review) and d; f appealed a denial.
    assert (c.decisions, c.decisions_appealed, c.denials_appealed) == (2, 1, 1)
    assert c.escalation_rate == pytest.approx(3 / 7)
    assert c.appeal_rate == pytest.approx(0.5)
    assert c.customer_win_rate == pytest.approx(2 / 4)
    # First responses 2h, 4h, 10h -> 4h; resolutions of closed cases 1d, 2d, 3d, 5d -> the
    # lower middle case, 2d (medians are a real case's wait, to the hour).
    assert k.median_first_response_s == 4 * 3600
    assert k.median_resolution_s == 2 * 86400
    assert k.refunded == {"USD": 5000}
    assert k.credited == {"USD": 2000}


def test_empty_range_gives_zeros_and_no_medians(Session, scenario):  # noqa: N803
    f = m.MetricsFilter(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    with Session() as s:
        k = m.kpis(s, f)
        assert m.outcome_series(s, f, bucket="week") == []
        assert m.first_response_histogram(s, f).counts == []
    assert k.counts == m.Counts()
    assert k.counts.escalation_rate is None and k.counts.appeal_rate is None
    assert (k.median_first_response_s, k.median_resolution_s, k.refunded, k.credited) == (None, None, {}, {})


@pytest.mark.parametrize("f, expected_cases, expected_refunded", [
    (m.MetricsFilter(MARCH.start, MARCH.end, providers=("paypal",)), {"c", "d"}, {}),
    (m.MetricsFilter(MARCH.start, MARCH.end, reasons=("fraudulent",)), {"a", "b", "f", "g"}, {"USD": 5000}),
    (m.MetricsFilter(dt.date(2026, 3, 3), dt.date(2026, 3, 9)), {"b", "c"}, {"USD": 5000}),
], ids=["provider", "reason", "dates"])
def test_each_filter_narrows_every_aggregate(Session, scenario, f, expected_cases, expected_refunded):  # noqa: N803
    w, ids = scenario
    with Session() as s:
        k = m.kpis(s, f)
        volume = m.volume_series(s, f, bucket="month", by="reason")
        series = m.outcome_series(s, f, bucket="day")
        by_company = m.breakdown(s, f, by="company")
        exported = {r.id for r in m.export_rows(s, true(), f)}
    assert exported == {ids[x] for x in expected_cases}
    assert k.counts.cases == len(expected_cases)
    assert sum(n for _, _, n in volume) == len(expected_cases)
    assert sum(c.cases for _, c in series) == len(expected_cases)
    assert sum(r.counts.cases for r in by_company) == len(expected_cases)
    assert k.refunded == expected_refunded


def test_company_filter_narrows_kpis_money_and_breakdowns(Session, scenario):  # noqa: N803
    w, ids = scenario
    f = m.MetricsFilter(MARCH.start, MARCH.end, company_ids=(w.other_company.id,))
    with Session() as s:
        k = m.kpis(s, f)
        providers = m.breakdown(s, f, by="provider")
        hist = m.resolution_histogram(s, f)
    assert (k.counts.cases, k.counts.escalated, k.counts.customer_won) == (3, 2, 1)
    assert k.refunded == {} and k.credited == {"USD": 2000}
    assert k.median_first_response_s is None  # nobody at Other Co responded
    # Closed at Other Co: d after 1 day, e after 2 days.
    assert sorted((b, g, n) for b, g, n in hist.counts) == [(1, "customer_won", 1), (2, "withdrawn", 1)]
    assert {r.key: (r.counts.cases, r.payments) for r in providers} == {"paypal": (1, 1), "stripe": (2, 2)}


def test_export_applies_the_visibility_clause(Session, scenario):  # noqa: N803
    """The export reads cases, so it takes the caller's visibility; the metrics themselves
    are platform-wide rollups for managers (the role is checked by the screen and the API)."""
    w, ids = scenario
    with Session() as s:
        assert m.export_rows(s, false(), MARCH) == []
        only_acme = {r.id for r in m.export_rows(s, Case.company_id == w.company.id, MARCH)}
        assert m.counts(s, m.MetricsFilter(MARCH.start, MARCH.end, company_ids=(w.company.id,))).cases == 4
    assert only_acme == {ids[x] for x in "abcg"}


def test_range_edges_and_buckets_are_utc_days(Session, build, db_dialect):  # noqa: N803
    with build() as (ctx, w):
        for created in (at(1, 23, 59, 59), at(2, 0, 0, 0), at(8, 23, 59, 59), at(9, 0, 0, 0),
                        at(28, 23, 59, 59, month=2), at(31, 23, 59, 59)):
            make_case(ctx, company=w.company, customer=w.customer, created_at=created)
        make_case(ctx, company=w.company, customer=w.customer, created_at=at(1, 0, 0, 0, month=4))
    with Session() as s:
        if db_dialect == "postgresql":
            # Buckets must not depend on the connection's zone.
            s.execute(text("SET TIME ZONE 'America/New_York'"))
        day = dict((b, c.cases) for b, c in m.outcome_series(s, MARCH, bucket="day"))
        week = dict((b, c.cases) for b, c in m.outcome_series(s, MARCH, bucket="week"))
        month = m.outcome_series(s, MARCH, bucket="month")
        feb_week = m.outcome_series(s, m.MetricsFilter(dt.date(2026, 2, 28), dt.date(2026, 3, 1)),
                                    bucket="week")
    assert day == {"2026-03-01": 1, "2026-03-02": 1, "2026-03-08": 1, "2026-03-09": 1, "2026-03-31": 1}
    # ISO weeks start on Monday: 2 March and 9 March 2026 are Mondays.
    assert week == {"2026-02-23": 1, "2026-03-02": 2, "2026-03-09": 1, "2026-03-30": 1}
    assert [(b, c.cases) for b, c in month] == [("2026-03-01", 5)]
    assert [(b, c.cases) for b, c in feb_week] == [("2026-02-23", 2)]


def test_volume_series_stacks_by_reason_and_provider(Session, scenario):  # noqa: N803
    with Session() as s:
        by_reason = m.volume_series(s, MARCH, bucket="week", by="reason")
        by_provider = m.volume_series(s, MARCH, bucket="month", by="provider")
    assert ("2026-03-02", "fraudulent", 2) in by_reason
    assert ("2026-03-09", "not_as_described", 2) in by_reason
    assert by_provider == [("2026-03-01", "crypto", 1), ("2026-03-01", "paypal", 2), ("2026-03-01", "stripe", 4)]


def test_money_series_counts_only_succeeded_refunds_and_credits(Session, scenario):  # noqa: N803
    with Session() as s:
        series = m.money_series(s, MARCH, bucket="week")
    assert series == [("2026-03-02", "merchant_refund", "USD", 5000), ("2026-03-09", "customer_credit", "USD", 2000)]


def test_money_is_kept_per_currency(Session, build):  # noqa: N803
    with build() as (ctx, w):
        usd = make_case(ctx, company=w.company, customer=w.customer, created_at=at(5))
        eur = make_case(ctx, company=w.company, customer=w.customer, created_at=at(6), currency="EUR")
        eur2 = make_case(ctx, company=w.company, customer=w.customer, created_at=at(7), currency="EUR")
        move(ctx, usd, "merchant_refund", 1000)
        move(ctx, eur, "merchant_refund", 250)
        move(ctx, eur2, "merchant_refund", 125)
        move(ctx, eur2, "platform_reimbursement", 125)  # the platform paying the merchant is not a refund
    with Session() as s:
        k = m.kpis(s, MARCH)
    assert k.refunded == {"USD": 1000, "EUR": 375}


def test_medians_are_the_middle_case_to_the_hour_and_histogram_bins(Session, build):  # noqa: N803
    with build() as (ctx, w):
        for hours in (1, 5, 7, 200):
            make_case(ctx, company=w.company, customer=w.customer, created_at=at(4),
                      first_response=dt.timedelta(hours=hours))
        make_case(ctx, company=w.other_company, customer=w.other_customer, created_at=at(4),
                  first_response=dt.timedelta(hours=6.5))
    only_acme = m.MetricsFilter(MARCH.start, MARCH.end, company_ids=(w.company.id,))
    with Session() as s:
        hist = m.first_response_histogram(s, MARCH, bin_hours=6, bins=28)
        odd = m.median_first_response(s, MARCH)
        even = m.median_first_response(s, only_acme)
    # 1h, 5h -> bin 0; 6.5h, 7h -> bin 1; 200h -> the overflow bin 28.
    assert [(b, n) for b, _, n in hist.counts] == [(0, 2), (1, 2), (28, 1)]
    assert hist.median_s == 6 * 3600  # 6.5h, in the hour that starts at 6h
    assert odd == 6 * 3600
    assert even == 5 * 3600  # 1h, 5h, 7h, 200h: the lower of the two middle cases


def add_payments(Session, w) -> None:  # noqa: N803
    """Four undisputed Acme payments in March and one in April (outside the range)."""
    with Session.begin() as s:
        ctx = Ctx(s, T0)
        for when in (at(1, 0), at(12), at(20), at(31, 23, 59)):
            factories.payment(ctx, company=w.company, customer=w.customer, paid_at=when)
        factories.payment(ctx, company=w.company, customer=w.customer, paid_at=at(1, 0, month=4))


def test_breakdown_by_company_with_dispute_rate(Session, scenario):  # noqa: N803
    w, _ = scenario
    add_payments(Session, w)
    with Session() as s:
        rows = m.breakdown(s, MARCH, by="company")
        reasons = m.breakdown(s, MARCH, by="reason")
    acme, other = rows
    assert (acme.label, acme.counts.cases, other.label, other.counts.cases) == ("Acme Courses", 4, "Other Co", 3)
    # Acme payments paid in March (cases are paid the day before they open): a, b, c, g and the
    # April case's (paid 31 March), the 4 undisputed ones, the world's own (1 March) = 10.
    # Other Co: its 3 disputed payments.
    assert (acme.payments, acme.dispute_rate) == (10, pytest.approx(0.4))
    assert (other.payments, other.dispute_rate) == (3, 1.0)
    assert acme.counts.escalation_rate == pytest.approx(1 / 4)
    assert other.counts.customer_win_rate == pytest.approx(1 / 2)
    assert [(r.key, r.counts.cases, r.payments) for r in reasons][0] == ("fraudulent", 4, None)


def test_export_pages_by_keyset_in_creation_order(Session, scenario):  # noqa: N803
    w, ids = scenario
    with Session() as s:
        first = m.export_rows(s, true(), MARCH, limit=3)
        second = m.export_rows(s, true(), MARCH, after=(first[-1].created_at, first[-1].id), limit=3)
        third = m.export_rows(s, true(), MARCH, after=(second[-1].created_at, second[-1].id), limit=3)
    assert [r.id for r in first + second + third] == [ids[x] for x in "abcdefg"]
    row = first[1]
    assert (row.company, row.customer_email, row.provider, row.outcome, row.refund) == (
        "Acme Courses", w.customer.email, "stripe", "customer_won", "merchant")
    assert row.closed_at == at(3) + days(3)


def test_export_keyset_keeps_rows_with_equal_timestamps(Session, build):  # noqa: N803
    with build() as (ctx, w):
        made = {make_case(ctx, company=w.company, customer=w.customer, created_at=at(5)).id for _ in range(5)}
    seen, after = [], None
    with Session() as s:
        while True:
            page = m.export_rows(s, true(), MARCH, after=after, limit=2)
            if not page:
                break
            seen += [r.id for r in page]
            after = (page[-1].created_at, page[-1].id)
    assert sorted(seen) == sorted(made) and len(seen) == 5


def test_parse_filter_defaults_and_drops_what_it_does_not_know():
    today = dt.date(2026, 3, 31)
    f = m.parse_filter(None, None, None, None, None, today=today)
    assert (f.start, f.end) == (dt.date(2026, 1, 1), today)  # 90 days, both ends included
    assert (f.end - f.start).days + 1 == 90
    f = m.parse_filter("2026-03-10T00:00:00", "2026-03-01", ["biz_1", "", 7, "biz_1"], ["stripe", "bitcoin"],
                       ["fraudulent", "'; drop table cases; --"], today=today)
    assert (f.start, f.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert (f.company_ids, f.providers, f.reasons) == (("biz_1",), ("stripe",), ("fraudulent",))
    f = m.parse_filter("1990-01-01", "2026-03-31", [], [], [], today=today)
    assert (f.end - f.start).days == m.MAX_DAYS
    assert f.start_at == dt.datetime(2023, 3, 29, tzinfo=UTC) and f.end_before == dt.datetime(2026, 4, 1, tzinfo=UTC)


def test_company_options_search_escapes_wildcards_and_keeps_chosen(Session, build):  # noqa: N803
    with build() as (ctx, w):
        pct = factories.company(ctx, "100% Fitness")
    with Session() as s:
        assert [n for _, n in m.company_options(s, search="%")] == ["100% Fitness"]
        assert [n for _, n in m.company_options(s, search="acme")] == ["Acme Courses"]
        chosen = m.company_options(s, search="acme", include=[pct.id])
    assert [n for _, n in chosen] == ["100% Fitness", "Acme Courses"]


def test_real_case_through_the_domain_is_counted(Session, build, tmp_path):  # noqa: N803
    """Accept through the domain, settle through the sandbox: the metrics see what happened."""
    from dashboard.cases import opening, party
    from dashboard.money.executor import settle_due
    from dashboard.money.gateways import GatewayRegistry

    with build() as (ctx, w):
        case = opening.open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent",
                                 message="Not me").case
        case_id = case.id
    settings = factories.test_settings(tmp_path)
    with Session.begin() as s:
        party.accept(Ctx(s, T0 + 3 * H, settings), actor=w.creator, case_id=case_id)
    with Session() as s:
        settle_due(s, GatewayRegistry.sandbox(Session), T0 + 3 * H, settings=settings, case_id=case_id)
    f = m.MetricsFilter(T0.date(), T0.date())
    with Session() as s:
        k = m.kpis(s, f)
    assert (k.counts.cases, k.counts.closed, k.counts.customer_won) == (1, 1, 1)
    assert k.median_first_response_s == pytest.approx(3 * 3600, abs=1)
    assert k.median_resolution_s == pytest.approx(3 * 3600, abs=1)
    assert k.refunded == {"USD": 5000}


# ---------------------------------------------------------------- days in a time zone
def test_a_local_range_is_utc_days_and_the_hours_at_its_edges():
    """March in Paris: 23:00 UTC on 28 February (CET) to 22:00 UTC on 31 March (CEST, from the
    29th): one hour before the UTC days, the days 1..30, and 22 hours of the 31st."""
    f = m.MetricsFilter(dt.date(2026, 3, 1), dt.date(2026, 3, 31), zone="Europe/Paris")
    assert (f.start_at, f.end_before) == (dt.datetime(2026, 2, 28, 23, tzinfo=UTC),
                                          dt.datetime(2026, 3, 31, 22, tzinfo=UTC))
    assert m.total_arms(f) == [
        m.Arm("h", days=(dt.date(2026, 2, 28),), hour_lo=23),
        m.Arm("d", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        m.Arm("h", days=(dt.date(2026, 3, 31),), hour_hi=22),
    ]
    assert m.total_arms(MARCH) == [m.Arm("m", dt.date(2026, 3, 1), dt.date(2026, 4, 1))]


def test_a_half_hour_zone_starts_its_days_on_the_utc_hour_before_local_midnight():
    f = m.MetricsFilter(dt.date(2026, 3, 10), dt.date(2026, 3, 10), zone="Asia/Kolkata")
    # Local midnight is 18:30 UTC the day before: the day starts at 18:00 UTC (23:30 in Kolkata).
    assert (f.start_at, f.end_before) == (dt.datetime(2026, 3, 9, 18, tzinfo=UTC),
                                          dt.datetime(2026, 3, 10, 18, tzinfo=UTC))
    assert m.total_arms(f) == [m.Arm("h", days=(dt.date(2026, 3, 9),), hour_lo=18),
                               m.Arm("h", days=(dt.date(2026, 3, 10),), hour_hi=18)]


def test_a_series_by_local_day_corrects_a_few_hours_per_day_not_twenty_four():
    """New York by day, across the change to summer time (8 March): each boundary's 5 hours
    (4 from the 9th) move from the UTC day they were counted in to the local day before."""
    f = m.MetricsFilter(dt.date(2026, 3, 6), dt.date(2026, 3, 10), zone="America/New_York")
    arms, fixes = m.series_plan(f, "day")
    assert arms[0] == m.Arm("d", dt.date(2026, 3, 6), dt.date(2026, 3, 11))
    assert fixes[(dt.date(2026, 3, 6), 3)] == [(dt.date(2026, 3, 6), -1)]  # before the range: only taken
    assert fixes[(dt.date(2026, 3, 7), 4)] == [(dt.date(2026, 3, 6), 1), (dt.date(2026, 3, 7), -1)]
    assert fixes[(dt.date(2026, 3, 11), 3)] == [(dt.date(2026, 3, 10), 1)]  # after the UTC days: only added
    assert (dt.date(2026, 3, 10), 4) not in fixes  # 00:00 EDT is 04:00 UTC
    assert len(fixes) == 5 + 5 + 5 + 4 + 4 + 4
    utc_arms, utc_fixes = m.series_plan(dt_replace_zone(f, "UTC"), "day")
    assert utc_fixes == {} and utc_arms == [arms[0]]


def dt_replace_zone(f: m.MetricsFilter, zone: str) -> m.MetricsFilter:
    import dataclasses

    return dataclasses.replace(f, zone=zone)


def test_parse_filter_takes_a_zone_and_ignores_junk():
    assert m.parse_filter(today=dt.date(2026, 3, 10), zone="Pacific/Auckland").zone == "Pacific/Auckland"
    assert m.parse_filter(today=dt.date(2026, 3, 10), zone="../../etc/passwd").zone == "UTC"
    assert m.parse_filter(today=dt.date(2026, 3, 10)).zone == "UTC"
