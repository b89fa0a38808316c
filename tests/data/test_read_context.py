"""data/read/context.py: the decision context's numbers, exact, from hand-built cases on
both databases (the rollups are kept at commit, so every read here is of real rows).

As of tests/conftest.py AS_OF (2026-06-15 12:00 UTC): the 180-day window starts on the
UTC day 2025-12-18, the 90-day rate at 2026-03-17 12:00 UTC (to the hour), and the
median's months are March to June 2026."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from data.read import context
from dashboard.context import Ctx
from tests import factories
from tests.conftest import AS_OF
from tests.factories import days
from tests.metrics_cases import make_case

NOW = AS_OF
UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def _fresh_median():
    context.clear_median_cache()
    yield
    context.clear_median_cache()


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def w(Session, settings):  # noqa: N803
    with Session.begin() as s:
        return factories.world(Ctx(s, NOW - days(400), settings))


def closed(ctx, w, *, company=None, customer=None, created_at, outcome="customer_won", reason="fraudulent",
           amount=5000, currency="USD", closed_after=days(2), final=None, final_at=None):
    c = make_case(ctx, company=company or w.company, customer=customer or w.customer, created_at=created_at,
                  reason=reason, amount=amount, currency=currency, status="closed", outcome=outcome,
                  closed_after=closed_after)
    if final:
        c.final_decision, c.final_decided_at, c.final_review = final, final_at, True
        ctx.session.flush()
    return c


def test_outcome_rates_are_this_reasons_cases_of_the_last_180_utc_days(Session, settings, w):  # noqa: N803
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        closed(ctx, w, created_at=NOW - days(10))
        closed(ctx, w, created_at=NOW - days(100))
        closed(ctx, w, created_at=NOW - days(150), outcome="merchant_won")
        closed(ctx, w, created_at=dt.datetime(2025, 12, 18, 0, 30, tzinfo=UTC), outcome="withdrawn")  # first day: in
        closed(ctx, w, created_at=dt.datetime(2025, 12, 17, 23, 30, tzinfo=UTC))  # the day before: out
        closed(ctx, w, created_at=NOW - days(20), reason="not_as_described")  # another reason
        make_case(ctx, company=w.company, customer=w.customer, created_at=NOW - days(3))  # open: not an outcome
        closed(ctx, w, company=w.other_company, created_at=NOW - days(20), outcome="merchant_won")
        closed(ctx, w, company=w.other_company, created_at=NOW - days(30), outcome="merchant_won")
    with Session() as s:
        company, platform = context.outcome_rates(s, company_id=w.company.id, reason="fraudulent", now=NOW)
        other, _ = context.outcome_rates(s, company_id=w.other_company.id, reason="fraudulent", now=NOW)
        none, _ = context.outcome_rates(s, company_id=w.company.id, reason="subscription_canceled", now=NOW)
    assert company == context.OutcomeRates(closed=4, customer_won=2, merchant_won=1, withdrawn=1)
    assert platform == context.OutcomeRates(closed=6, customer_won=2, merchant_won=3, withdrawn=1)
    assert other == context.OutcomeRates(closed=2, merchant_won=2)
    assert company.share("customer_won") == 0.5 and platform.share("merchant_won") == 0.5
    assert none == context.OutcomeRates() and none.share("customer_won") is None


def test_overturns_count_final_decisions_of_the_reason_in_180_days(Session, settings, w):  # noqa: N803
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        old = NOW - days(300)
        closed(ctx, w, created_at=old, final="overturn", final_at=NOW - days(10))
        closed(ctx, w, created_at=old, final="uphold", final_at=NOW - days(50))
        closed(ctx, w, created_at=old, final="overturn", final_at=NOW - days(181))  # too long ago
        closed(ctx, w, created_at=old, final="overturn", final_at=NOW - days(3), reason="not_as_described")
        closed(ctx, w, company=w.other_company, created_at=old, final="uphold", final_at=NOW - days(5))
        closed(ctx, w, company=w.other_company, created_at=old, final="uphold", final_at=NOW - days(179))
        closed(ctx, w, created_at=old)  # decided once, never appealed
    with Session() as s:
        company, platform = context.overturns(s, company_id=w.company.id, reason="fraudulent", now=NOW)
        p = context.precedent(s, company_id=w.other_company.id, reason="fraudulent", now=NOW)
    assert company == context.Overturns(decided=2, overturned=1) and company.rate == 0.5
    assert platform == context.Overturns(decided=4, overturned=1) and platform.rate == 0.25
    assert p.company_overturns == context.Overturns(decided=2, overturned=0) and p.company_overturns.rate == 0.0
    assert p.platform_overturns == platform


def test_similar_cases_are_the_nearest_five_closed_ones_ties_by_latest_closed(Session, settings, w):  # noqa: N803
    t = NOW - days(60)
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        here = make_case(ctx, company=w.company, customer=w.customer, created_at=NOW - days(1), amount=5000)
        same_early = closed(ctx, w, created_at=t, amount=5000, closed_after=days(1))
        same_late = closed(ctx, w, created_at=t, amount=5000, closed_after=days(5), outcome="merchant_won")
        below = closed(ctx, w, created_at=t, amount=4900, closed_after=days(2))
        above = closed(ctx, w, created_at=t, amount=5100, closed_after=days(3), outcome="withdrawn")  # later: first
        further = closed(ctx, w, created_at=t, amount=5300)
        closed(ctx, w, created_at=t, amount=4000)  # sixth nearest: not shown
        closed(ctx, w, created_at=t, amount=12000)
        make_case(ctx, company=w.company, customer=w.customer, created_at=t, amount=5000)  # open
        closed(ctx, w, created_at=t, amount=5000, reason="not_as_described")
        closed(ctx, w, company=w.other_company, created_at=t, amount=5000)
        closed(ctx, w, created_at=t, amount=5000, currency="EUR")
        mine = closed(ctx, w, created_at=t, amount=5000, closed_after=days(9))  # the case itself: never its own precedent
        ids = {c.id: name for name, c in (("same_early", same_early), ("same_late", same_late), ("below", below),
                                          ("above", above), ("further", further))}
    with Session() as s:
        found = context.similar_cases(s, company_id=w.company.id, reason="fraudulent", amount_minor=5000,
                                      currency="USD", exclude_case_id=mine.id)
        only_above = context.similar_cases(s, company_id=w.company.id, reason="fraudulent", amount_minor=100,
                                           currency="USD", exclude_case_id=here.id, limit=2)
    assert [ids.get(c.id, c.id) for c in found] == ["same_late", "same_early", "above", "below", "further"]
    assert [c.distance for c in found] == [0, 0, 100, 100, 300]
    assert found[0].outcome == "merchant_won" and found[0].closed_at == t + days(5)
    assert found[2].outcome == "withdrawn" and found[2].amount_minor == 5100
    # Nothing below 1.00: the nearest two are the lowest amounts above it.
    assert [c.amount_minor for c in only_above] == [4000, 4900]


def test_customer_record_counts_every_company_over_12_months_and_flags_at_the_threshold(Session, settings, w):  # noqa: N803
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        closed(ctx, w, created_at=NOW - days(30))
        closed(ctx, w, company=w.other_company, created_at=NOW - days(200), outcome="merchant_won")
        here = make_case(ctx, company=w.company, customer=w.customer, created_at=NOW - days(1))
        closed(ctx, w, created_at=NOW - days(366))  # more than 12 months ago
        closed(ctx, w, customer=w.other_customer, created_at=NOW - days(5))
    with Session() as s:
        record = context.customer_record(s, customer_id=w.customer.id, now=NOW)
        flagged = context.risk(s, customer_id=w.customer.id, company_id=w.company.id, now=NOW,
                               customer_cases_at_least=3, rate_ratio=2.0)
        calm = context.risk(s, customer_id=w.customer.id, company_id=w.company.id, now=NOW,
                            customer_cases_at_least=4, rate_ratio=2.0)
        full = context.decision_context(s, here, now=NOW, customer_cases_at_least=3, rate_ratio=2.0)
    assert record == context.CustomerRecord(cases=3, closed=2, won=1) and record.win_rate == 0.5
    assert flagged.customer_flagged and not calm.customer_flagged
    assert full.risk.customer == record and full.risk.customer_flagged
    assert full.risk.company == flagged.company and full.precedent.company.closed == 2  # the other customer's too


def _company_with(ctx, w, name, *, cases: int, payments: int, at: dt.datetime):
    """`cases` cases (each on a payment of its own, paid the day before) and `payments` more payments."""
    co = factories.company(ctx, name)
    for _ in range(cases):
        make_case(ctx, company=co, customer=w.customer, created_at=at)
    for _ in range(payments):
        factories.payment(ctx, company=co, customer=w.customer, paid_at=at - days(1))
    return co


def test_dispute_rate_to_the_hour_and_the_platform_median_of_the_months(Session, settings, w):  # noqa: N803
    recent = NOW - days(10)
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        a = _company_with(ctx, w, "A", cases=4, payments=6, at=recent)  # 4 / 10 over 90 days
        make_case(ctx, company=a, customer=w.customer, created_at=NOW - days(91))  # paid 92 days ago: March, not 90 days
        b = _company_with(ctx, w, "B", cases=1, payments=9, at=recent)  # 1 / 10
        make_case(ctx, company=b, customer=w.customer, created_at=dt.datetime(2026, 2, 20, tzinfo=UTC))  # February
        c = _company_with(ctx, w, "C", cases=2, payments=2, at=recent)  # 2 / 4
        d = _company_with(ctx, w, "D", cases=0, payments=5, at=recent)  # 0 / 5
        factories.payment(ctx, company=d, customer=w.customer, paid_at=NOW - days(90) - dt.timedelta(minutes=30))
        factories.payment(ctx, company=d, customer=w.customer, paid_at=NOW - days(90) + dt.timedelta(minutes=10))
    with Session() as s:
        rates = {co.name: context.company_dispute_rate(s, company_id=co.id, now=NOW) for co in (a, b, c, d)}
        median = context.compute_platform_median(s, now=NOW)
        risk_a = context.risk(s, customer_id=w.customer.id, company_id=a.id, now=NOW, customer_cases_at_least=99,
                              rate_ratio=1.5)
        risk_c = context.risk(s, customer_id=w.customer.id, company_id=c.id, now=NOW, customer_cases_at_least=99,
                              rate_ratio=2.0)
        risk_b = context.risk(s, customer_id=w.customer.id, company_id=b.id, now=NOW, customer_cases_at_least=99,
                              rate_ratio=2.0)
    assert {k: (r.cases, r.payments) for k, r in rates.items()} == {"A": (4, 10), "B": (1, 10), "C": (2, 4),
                                                                    "D": (0, 6)}
    # Median months March-June: A 5/11 (its March case counts there), B 1/10 (February is out),
    # C 2/4, D 0/7; Acme and Other took no payment and have no rate. Middle two: 1/10 and 5/11.
    assert (median.first_month, median.last_month) == (dt.date(2026, 3, 1), dt.date(2026, 6, 1))
    assert median.companies == 4
    assert median.rate == pytest.approx(float((Fraction(1, 10) + Fraction(5, 11)) / 2))
    # A: 0.4 is 1.44x the median (flagged at 1.5x? no); C: 0.5 is 1.8x (not at 2x); B far below.
    assert risk_a.company_ratio == pytest.approx(0.4 / median.rate) and not risk_a.company_flagged
    assert not risk_c.company_flagged and not risk_b.company_flagged
    loose = context.Risk(risk_c.customer, risk_c.company, risk_c.median, 99, 1.8)
    assert loose.company_flagged  # 0.5 >= 1.8 x 0.2773


def test_flags_at_a_zero_median_and_without_a_median():
    record = context.CustomerRecord(0, 0, 0)
    zero = context.PlatformMedian(0.0, 7, dt.date(2026, 3, 1), dt.date(2026, 6, 1))
    none = context.PlatformMedian(None, 0, dt.date(2026, 3, 1), dt.date(2026, 6, 1))
    assert context.Risk(record, context.CompanyRate(1, 10), zero, 3, 2.0).company_flagged
    assert not context.Risk(record, context.CompanyRate(0, 10), zero, 3, 2.0).company_flagged
    assert not context.Risk(record, context.CompanyRate(5, 10), none, 3, 2.0).company_flagged
    assert not context.Risk(record, context.CompanyRate(5, 0), zero, 3, 2.0).company_flagged
    assert context.Risk(record, context.CompanyRate(5, 10), zero, 3, 2.0).company_ratio is None


def test_the_median_is_cached_for_ten_minutes_per_day(Session, settings, w, monkeypatch):  # noqa: N803
    clock = [1000.0]
    monkeypatch.setattr(context, "_monotonic", lambda: clock[0])
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        _company_with(ctx, w, "A", cases=1, payments=1, at=NOW - days(3))  # 1/2
    with Session() as s:
        first = context.platform_median(s, now=NOW)
    with Session.begin() as s:
        _company_with(Ctx(s, NOW, settings), w, "B", cases=0, payments=2, at=NOW - days(3))  # 0/2
    with Session() as s:
        assert first.rate == 0.5 and context.platform_median(s, now=NOW) is first  # cached
        clock[0] += context.MEDIAN_TTL_SECONDS - 1
        assert context.platform_median(s, now=NOW + dt.timedelta(hours=5)) is first  # same UTC day
        tomorrow = context.platform_median(s, now=NOW + days(1))  # another day: its own window
        assert tomorrow is not first and tomorrow.rate == 0.25
        clock[0] += 2  # past ten minutes: read again
        again = context.platform_median(s, now=NOW)
        assert again is not first and (again.rate, again.companies) == (0.25, 2)
