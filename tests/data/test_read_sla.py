"""The SLA read model (data/read/sla.py) against hand-built decisions, on SQLite and PostgreSQL:
within target or missed to the second, per week in the viewer's zone, per reviewer, the
medians, the filters, the cap on the range, and the cases open now past or near their target.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from data.read import sla
from data.read.metrics import MetricsFilter
from tests import metrics_cases
from tests.metrics_cases import MARCH, H, at, make_case

TARGETS = dict(review_hours=48, final_hours=72)
S = dt.timedelta(seconds=1)


@pytest.fixture
def build(Session, tmp_path):  # noqa: N803
    return metrics_cases.builder(Session, tmp_path)


def decided(ctx, w, *, company=None, reached=None, appealed=None, acted=None, at_=None, by=None,
            final_at=None, final_by=None, **kw):
    """A case decided by the platform: `reached` is its escalated_at (None: a denial appealed
    with only appealed_at set, the coalesce's other arm)."""
    c = make_case(ctx, company=company or w.company, customer=w.customer, created_at=(reached or appealed) - H,
                  status="closed", outcome="customer_won", escalated=True, decision="refund", **kw)
    c.escalated_at, c.appealed_at, c.first_platform_action_at = reached, appealed, acted
    c.decided_at, c.decided_by_id = at_, by.id if by else None
    if final_at is not None:
        c.final_review, c.final_decision, c.final_decided_at, c.final_decided_by_id = True, "uphold", final_at, final_by.id
    ctx.session.flush()
    return c


@pytest.fixture
def march(build):
    """Six first decisions and two final ones in March 2026 (UTC), one on 28 Feb at 20:00 UTC
    (1 March in Tokyo) and one in April:

    s1 Acme  stripe fraudulent   reached 2 Mar 10:00, first action +1h, decided +48h exactly (within), reviewer
    s2 Acme  paypal not_as_desc. reached 3 Mar 09:00, first action +4h, decided +48h 1s (missed), reviewer
    s3 Other stripe fraudulent   reached 9 Mar 00:00, +2h, decided +24h (within), reviewer2;
                                 appealed 11 Mar, final +72h exactly (within), reviewer
    s4 Other paypal fraudulent   a denial appealed 16 Mar (appealed_at only), decided +72h (missed), reviewer2
    s5 Acme  stripe not_as_desc. reached 20 Mar, decided +24h (within), reviewer; appealed 22 Mar, final +96h
                                 (missed), reviewer2
    s6 Acme  stripe fraudulent   reached 8 Mar 01:00, +1h, decided 8 Mar 23:30 (Sunday; Monday in Tokyo), reviewer
    """
    with build() as (ctx, w):
        r, r2 = w.reviewer, w.reviewer2
        decided(ctx, w, reached=at(2, 10), acted=at(2, 11), at_=at(4, 10), by=r)
        decided(ctx, w, reached=at(3, 9), acted=at(3, 13), at_=at(5, 9) + S, by=r, provider="paypal",
                reason="not_as_described")
        decided(ctx, w, company=w.other_company, reached=at(9, 0), acted=at(9, 2), at_=at(10, 0), by=r2,
                appealed=at(11, 0), final_at=at(14, 0), final_by=r)
        decided(ctx, w, company=w.other_company, appealed=at(16, 0), at_=at(19, 0), by=r2, provider="paypal")
        decided(ctx, w, reached=at(20, 0), at_=at(21, 0), by=r, appealed=at(22, 0), final_at=at(26, 0), final_by=r2,
                reason="not_as_described")
        decided(ctx, w, reached=at(8, 1), acted=at(8, 2), at_=at(8, 23, 30), by=r)
        decided(ctx, w, reached=at(28, 8, month=2), at_=at(28, 20, month=2), by=r2)
        decided(ctx, w, reached=at(1, 8, month=4), at_=at(1, 20, month=4), by=r2)
    return w


def read(Session, f: MetricsFilter):  # noqa: N803
    with Session() as s:
        rows = sla.decisions(s, f, **TARGETS)
        return rows, sla.weekly(rows, f), sla.by_reviewer(s, rows), sla.totals(rows)


def weeks(ws) -> list[tuple]:
    return [(wk.start.isoformat(), wk.decided, wk.within, wk.final_decided, wk.final_within) for wk in ws]


def test_weekly_within_target_counts_the_boundary_as_within(Session, march, db_dialect):  # noqa: N803
    with Session() as s:
        if db_dialect == "postgresql":  # buckets must not depend on the connection's zone
            s.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        rows = sla.decisions(s, MARCH, **TARGETS)
    assert weeks(sla.weekly(rows, MARCH)) == [
        ("2026-03-02", 3, 2, 0, 0),  # s1 (48h: within), s2 (48h 1s: missed), s6
        ("2026-03-09", 1, 1, 1, 1),  # s3 and its final decision at exactly 72h
        ("2026-03-16", 2, 1, 0, 0),  # s4 missed (72h from the appeal of a denial), s5 within
        ("2026-03-23", 0, 0, 1, 0),  # s5's final decision at 96h
    ]
    assert sla.weekly(rows, MARCH)[0].share_within == pytest.approx(2 / 3)
    assert sla.weekly(rows, MARCH)[1].share_within == 1.0


def test_totals_and_medians(Session, march):  # noqa: N803
    _, _, _, t = read(Session, MARCH)
    assert (t.decided, t.within, t.final_decided, t.final_within) == (6, 4, 2, 1)
    assert t.share_within == pytest.approx(4 / 6) and t.final_share_within == 0.5
    # Waits 22h30, 24h, 24h, 48h, 48h 1s, 72h: the lower middle one.
    assert t.median_to_decision == 24 * H
    assert t.median_first_action == 1 * H  # 1h, 1h, 2h, 4h (s4 and s5 had no first action recorded)
    assert t.median_to_final == 72 * H  # 72h, 96h


def test_per_reviewer_decisions_share_and_median(Session, march):  # noqa: N803
    w = march
    _, _, reviewers, _ = read(Session, MARCH)
    got = [(r.reviewer_id, r.decisions, r.within, r.final_decisions, r.median_to_decision) for r in reviewers]
    assert got == [
        # s1, s2, s5, s6 and s3's final: 48h, 48h 1s, 24h, 22h30, 72h -> 48h
        (w.reviewer.id, 5, 4, 1, 48 * H),
        # s3, s4 and s5's final: 24h, 72h, 96h -> 72h
        (w.reviewer2.id, 3, 1, 1, 72 * H),
    ]
    assert reviewers[0].name == w.reviewer.name and reviewers[0].share_within == pytest.approx(0.8)


def test_weeks_and_range_are_the_viewers_zone(Session, march):  # noqa: N803
    tokyo = MetricsFilter(MARCH.start, MARCH.end, zone="Asia/Tokyo")
    rows, ws, _, t = read(Session, tokyo)
    assert weeks(ws) == [
        ("2026-02-23", 1, 1, 0, 0),  # 28 Feb 20:00 UTC is Sunday 1 March in Tokyo: in the range
        ("2026-03-02", 2, 1, 0, 0),
        ("2026-03-09", 2, 2, 1, 1),  # s6 at 08:30 on Monday 9 March in Tokyo
        ("2026-03-16", 2, 1, 0, 0),
        ("2026-03-23", 0, 0, 1, 0),
    ]
    assert t.decided == 7


@pytest.mark.parametrize("f, expected", [
    (MetricsFilter(MARCH.start, MARCH.end, company_ids=("OTHER",)), (2, 1, 1, 1)),  # s3, s4; s3's final
    (MetricsFilter(MARCH.start, MARCH.end, reasons=("not_as_described",)), (2, 1, 1, 0)),  # s2, s5; s5's final
    (MetricsFilter(MARCH.start, MARCH.end, providers=("paypal",)), (2, 0, 0, 0)),  # s2, s4
    (MetricsFilter(dt.date(2026, 3, 9), dt.date(2026, 3, 15)), (1, 1, 1, 1)),  # s3 and its final
], ids=["company", "reason", "provider", "dates"])
def test_filters_narrow_the_decisions(Session, march, f, expected):  # noqa: N803
    if f.company_ids:
        f = MetricsFilter(f.start, f.end, company_ids=(march.other_company.id,))
    _, _, _, t = read(Session, f)
    assert (t.decided, t.within, t.final_decided, t.final_within) == expected


def test_a_long_range_reads_its_last_92_days(Session, build, march):  # noqa: N803
    october = dt.datetime(2025, 10, 15, 12, tzinfo=dt.timezone.utc)
    with build() as (ctx, w):
        decided(ctx, w, reached=october - 2 * H, at_=october, by=w.reviewer)
    f = MetricsFilter(dt.date(2025, 10, 1), dt.date(2026, 3, 31))
    win = sla.window(f)
    assert win.capped and win.start == dt.date(2025, 12, 30) and win.end == dt.date(2026, 3, 31)
    assert not sla.window(MARCH).capped
    f2 = MetricsFilter(dt.date(2025, 10, 1), dt.date(2026, 3, 12))  # the last 92 days start on 11 Dec
    _, _, _, t = read(Session, f2)
    assert t.decided == 5  # 28 Feb and s1, s2, s6, s3: not the decision of 15 October
    _, _, _, whole = read(Session, MetricsFilter(dt.date(2025, 10, 1), dt.date(2025, 12, 31)))
    assert whole.decided == 1  # which a range of its own finds


def test_no_decisions_give_empty_lists_and_no_medians(Session, march):  # noqa: N803
    rows, ws, reviewers, t = read(Session, MetricsFilter(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    assert rows == [] and ws == [] and reviewers == []
    assert (t.decided, t.share_within, t.median_to_decision, t.median_first_action, t.median_to_final) == (
        0, None, None, None, None)


# ------------------------------------------------------------------------ open now
NOW = at(20, 12)


def waiting(ctx, w, stage: str, since: dt.datetime, company=None):
    c = make_case(ctx, company=company or w.company, customer=w.customer, created_at=since - H,
                  status="under_review", escalated=True)
    c.stage = stage
    if stage == "final_review":
        c.escalated_at, c.appealed_at, c.final_review = since - 100 * H, since, True
    else:
        c.escalated_at = since
    ctx.session.flush()


def test_open_now_past_target_and_due_within_the_warning(Session, build):  # noqa: N803
    with build() as (ctx, w):
        for hours_ago in (50, 40, 10, 48):  # overdue; due in 8h; not yet; decide-by is now (due, not missed)
            waiting(ctx, w, "under_review", NOW - hours_ago * H)
        for hours_ago in (73, 61, 59):  # overdue; due in 11h; due in 13h (outside the 12h warning)
            waiting(ctx, w, "final_review", NOW - hours_ago * H)
        waiting(ctx, w, "under_review", NOW - 100 * H, company=w.other_company)
        done = make_case(ctx, company=w.company, customer=w.customer, created_at=NOW - 200 * H, status="closed",
                         outcome="merchant_won", escalated=True)
        done.escalated_at = NOW - 199 * H  # decided long ago: not waiting
    with Session() as s:
        every = sla.open_now(s, MARCH, now=NOW, warning_hours=12, **TARGETS)
        acme = sla.open_now(s, MetricsFilter(MARCH.start, MARCH.end, company_ids=(w.company.id,)), now=NOW,
                            warning_hours=12, **TARGETS)
    assert every == sla.OpenNow(review_overdue=2, review_due_soon=2, final_overdue=1, final_due_soon=1)
    assert acme == sla.OpenNow(review_overdue=1, review_due_soon=2, final_overdue=1, final_due_soon=1)


def test_section_reads_everything_once(Session, march):  # noqa: N803
    with Session() as s:
        out = sla.section(s, MARCH, now=NOW, warning_hours=12, **TARGETS)
    assert out.totals.decided == 6 and len(out.weeks) == 4 and len(out.reviewers) == 2
    assert out.open_now == sla.OpenNow(0, 0, 0, 0)  # every case of `march` is decided and closed
