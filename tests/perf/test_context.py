"""The staff case page's decision context (data/read/context.py) and the staff views of a
customer and a company (data/read/staff_views.py), for an open case of the largest company
(the most rollup rows, the most final decisions, the biggest ties at one amount):

    context.precedent   outcome rates for the case's reason over 180 days (rollups) and the
                        overturns on appeal (partial indexes), company and platform
    context.similar     the five nearest closed cases by amount (two seeks on ix_cases_precedent)
    context.risk        the customer's 12 months and the company's 90-day rate (rollups), the
                        platform median from the in-process cache (as every page but the first
                        in ten minutes reads it)
    context.median      the platform median computed afresh (the cache emptied before each run):
                        what the first page in ten minutes pays on top
    context.total       all of it as the case page reads it (`decision_context`), median cached
    staff.customer      /customers/<id>: the profile and the first page of cases and of payments
    staff.company       /companies/<id>: profile, 90-day rate, the first page of cases and payments

Each is checked against the bare SQL a DBA would write for the same answer, timed in the same
run; nothing asserts on a time.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.read import context, staff_views
from data.read.metrics import periods

UTC = dt.timezone.utc

ARMS = "((grain = 'm' AND period >= %(m_lo)s AND period < %(m_hi)s) OR (grain = 'd' AND ({days})))"
PRECEDENT_SQL = (
    """SELECT company_id, sum(closed), sum(customer_won), sum(merchant_won), sum(withdrawn) FROM rollup_cases
       WHERE company_id IN (%(company)s, '') AND provider <> '*' AND reason = %(reason)s AND {arms}
       GROUP BY company_id""",
    """SELECT count(*) FILTER (WHERE company_id = %(company)s),
              count(*) FILTER (WHERE company_id = %(company)s AND final_decision = 'overturn'),
              count(*), count(*) FILTER (WHERE final_decision = 'overturn')
       FROM cases WHERE final_decision IS NOT NULL AND reason = %(reason)s
        AND final_decided_at BETWEEN %(since180)s AND %(now)s""",
)
SIMILAR_SQL = """
    (SELECT id, amount_minor, outcome FROM cases WHERE company_id = %(company)s AND reason = %(reason)s
      AND status = 'closed' AND currency = %(currency)s AND id <> %(id)s AND amount_minor >= %(amount)s
      ORDER BY amount_minor, coalesce(closed_at, created_at) DESC, id DESC LIMIT 5)
    UNION ALL
    (SELECT id, amount_minor, outcome FROM cases WHERE company_id = %(company)s AND reason = %(reason)s
      AND status = 'closed' AND currency = %(currency)s AND id <> %(id)s AND amount_minor < %(amount)s
      ORDER BY amount_minor DESC, coalesce(closed_at, created_at) DESC, id DESC LIMIT 5)"""
RISK_SQL = (
    """SELECT count(*), count(*) FILTER (WHERE status = 'closed'),
              count(*) FILTER (WHERE status = 'closed' AND outcome = 'customer_won')
       FROM cases WHERE customer_id = %(customer)s AND created_at BETWEEN %(year_ago)s AND %(now)s""",
    # A DBA's 90 days: the day rows (to the day, not to the hour).
    """SELECT (SELECT sum(cases) FROM rollup_cases WHERE grain = 'd' AND company_id = %(company)s
                 AND period >= %(day90)s),
              (SELECT sum(n) FROM rollup_payments WHERE grain = 'd' AND company_id = %(company)s
                 AND period >= %(day90)s)""",
)
MEDIAN_SQL = """
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(c.n, 0)::float8 / p.n), count(*)
    FROM (SELECT company_id, sum(n) AS n FROM rollup_payments WHERE grain = 'm' AND company_id <> ''
            AND period >= %(med_lo)s AND period < %(med_hi)s GROUP BY company_id) p
    LEFT JOIN (SELECT company_id, sum(cases) AS n FROM rollup_cases WHERE grain = 'm' AND company_id <> ''
            AND period >= %(med_lo)s AND period < %(med_hi)s GROUP BY company_id) c USING (company_id)
    WHERE p.n > 0"""
STAFF_SQL = {
    "customer": (
        "SELECT id, name, email, created_at FROM users WHERE id = %(customer)s AND role = 'customer'",
        """SELECT count(*), count(*) FILTER (WHERE status <> 'closed'), count(*) FILTER (WHERE status = 'closed'),
                  count(*) FILTER (WHERE status = 'closed' AND outcome = 'customer_won')
           FROM cases WHERE customer_id = %(customer)s""",
        """SELECT c.id, c.status, c.outcome, c.amount_minor, c.created_at, b.name, u.name FROM cases c
           JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
           WHERE c.customer_id = %(customer)s ORDER BY c.created_at DESC, c.id DESC LIMIT 21""",
        """SELECT p.id, p.amount_minor, p.paid_at, b.name, u.name, c.id FROM payments p
           JOIN companies b ON b.id = p.company_id JOIN users u ON u.id = p.customer_id
           LEFT JOIN cases c ON c.payment_id = p.id
           WHERE p.customer_id = %(customer)s ORDER BY p.paid_at DESC, p.id DESC LIMIT 21""",
    ),
    "company": (
        "SELECT id, name, support_email, created_at FROM companies WHERE id = %(company)s",
        """SELECT sum(cases), sum(open), sum(st_awaiting_merchant), sum(st_awaiting_customer), sum(st_under_review),
                  sum(closed), sum(customer_won), sum(merchant_won), sum(withdrawn), sum(decisions),
                  sum(decisions_appealed), sum(escalated_ever)
           FROM rollup_cases WHERE grain = 'm' AND company_id = %(company)s""",
        """SELECT period, sum(cases) FROM rollup_cases WHERE grain = 'm' AND company_id = %(company)s
             AND period >= %(year_month)s GROUP BY period""",
        """SELECT count(*), count(*) FILTER (WHERE final_decision = 'overturn') FROM cases
           WHERE company_id = %(company)s AND final_decision IS NOT NULL
             AND final_decided_at BETWEEN %(since180)s AND %(now)s""",
        RISK_SQL[1],
        """SELECT c.id, c.status, c.outcome, c.amount_minor, c.created_at, b.name, u.name FROM cases c
           JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
           WHERE c.company_id = %(company)s ORDER BY c.created_at DESC, c.id DESC LIMIT 21""",
        """SELECT p.id, p.amount_minor, p.paid_at, b.name, u.name, c.id FROM payments p
           JOIN companies b ON b.id = p.company_id JOIN users u ON u.id = p.customer_id
           LEFT JOIN cases c ON c.payment_id = p.id
           WHERE p.company_id = %(company)s ORDER BY p.paid_at DESC, p.id DESC LIMIT 21""",
    ),
}


def _arms_sql(today: dt.date) -> tuple[str, dict]:
    """The 180 days as a DBA would cover them: whole months, and the day rows around them."""
    arms = periods(today - dt.timedelta(days=context.PRECEDENT_DAYS - 1), today)
    months = [a for a in arms if a[0] == "m"]
    day_arms = [a for a in arms if a[0] == "d"]
    params = {"m_lo": months[0][1], "m_hi": months[0][2]} if months else {"m_lo": today, "m_hi": today}
    days_sql = []
    for i, (_g, lo, hi) in enumerate(day_arms):
        params[f"d{i}_lo"], params[f"d{i}_hi"] = lo, hi
        days_sql.append(f"(period >= %(d{i}_lo)s AND period < %(d{i}_hi)s)")
    return ARMS.format(days=" OR ".join(days_sql) or "false"), params


@pytest.fixture(scope="module")
def subject(bench_session, world):
    """The newest open case of the largest company, and its facts."""
    with bench_session() as s:
        case_id = s.scalar(sa.text("SELECT id FROM cases WHERE company_id = :c AND status <> 'closed' "
                                   "ORDER BY created_at DESC, id DESC LIMIT 1"), {"c": world.company_id})
        from data.models import Case

        case = s.get(Case, case_id)
        s.expunge(case)
    now = world.now
    arms, arm_params = _arms_sql(now.astimezone(UTC).date())
    first, last = context.median_months(now)
    params = {"id": case.id, "company": case.company_id, "customer": case.customer_id, "reason": case.reason,
              "amount": case.amount_minor, "currency": case.currency, "now": now,
              "since180": now - dt.timedelta(days=context.PRECEDENT_DAYS),
              "year_ago": now - dt.timedelta(days=context.CUSTOMER_DAYS),
              "day90": now.astimezone(UTC).date() - dt.timedelta(days=context.DISPUTE_RATE_DAYS - 1),
              "med_lo": first, "med_hi": (last + dt.timedelta(days=32)).replace(day=1),
              "year_month": (now.astimezone(UTC).date().replace(day=1) - dt.timedelta(days=335)).replace(day=1),
              **arm_params}
    return {"case": case, "params": params, "precedent_sql": (PRECEDENT_SQL[0].format(arms=arms), PRECEDENT_SQL[1])}


def _bare(*statements, params):
    def run(bare):
        return [bare.run(sql, params) for sql in statements]
    return run


def _context_args(case, now):
    return dict(company_id=case.company_id, reason=case.reason, now=now)


def test_precedent(recorder, bench_session, subject, world):
    case, params = subject["case"], subject["params"]
    with bench_session() as s:
        ours, bare = recorder.bench("context.precedent", lambda: context.precedent(s, **_context_args(case, world.now)),
                                    sql=_bare(*subject["precedent_sql"], params=params))
    p = ours.result
    rates = {row[0]: row[1:] for row in bare.result[0]}
    assert (p.company.closed, p.company.customer_won) == tuple(int(x) for x in rates[case.company_id][:2])
    assert (p.platform.closed, p.platform.merchant_won) == (int(rates[""][0]), int(rates[""][2]))
    c_n, c_over, p_n, p_over = bare.result[1][0]
    assert (p.company_overturns.decided, p.company_overturns.overturned) == (c_n, c_over)
    assert (p.platform_overturns.decided, p.platform_overturns.overturned) == (p_n, p_over)
    assert p.platform.closed > 0


def test_similar(recorder, bench_session, subject):
    case, params = subject["case"], subject["params"]
    with bench_session() as s:
        ours, bare = recorder.bench("context.similar", lambda: context.similar_cases(
            s, company_id=case.company_id, reason=case.reason, amount_minor=case.amount_minor,
            currency=case.currency, exclude_case_id=case.id), sql=_bare(SIMILAR_SQL, params=params))
    distances = sorted(abs(r[1] - case.amount_minor) for r in bare.result[0])[:5]
    assert [c.distance for c in ours.result] == distances and len(ours.result) == 5
    assert case.id not in {c.id for c in ours.result}


def test_risk(recorder, bench_session, subject, world, bench_engine):
    case, params = subject["case"], subject["params"]
    with bench_session() as s:
        context.platform_median(s, now=world.now)  # warm: the cache every page after the first reads
        ours, bare = recorder.bench("context.risk", lambda: context.risk(
            s, customer_id=case.customer_id, company_id=case.company_id, now=world.now, customer_cases_at_least=3,
            rate_ratio=2.0), sql=_bare(*RISK_SQL, params=params))
        r = ours.result
        assert (r.customer.cases, r.customer.closed, r.customer.won) == tuple(bare.result[0][0])
        assert r.company.payments > 0 and r.median.companies > 0

        def fresh_median():
            context.clear_median_cache()
            return context.platform_median(s, now=world.now)

        median, bare_median = recorder.bench("context.median", fresh_median, sql=_bare(MEDIAN_SQL, params=params))
    assert median.result.rate == pytest.approx(bare_median.result[0][0][0])
    assert median.result.companies == bare_median.result[0][0][1]


def test_total(recorder, bench_session, subject, world):
    case, params = subject["case"], subject["params"]
    statements = (*subject["precedent_sql"], SIMILAR_SQL, *RISK_SQL)
    with bench_session() as s:
        context.platform_median(s, now=world.now)
        ours, _bare_timing = recorder.bench("context.total", lambda: context.decision_context(
            s, case, now=world.now, customer_cases_at_least=3, rate_ratio=2.0), sql=_bare(*statements, params=params))
    found = ours.result
    assert len(found.similar) == 5 and found.precedent.reason == case.reason
    assert found.risk.customer.cases >= 1  # this case is one of them


def test_staff_views(recorder, bench_session, subject, world):
    case, params = subject["case"], subject["params"]
    with bench_session() as s:
        def customer_view():
            return (staff_views.customer_profile(s, case.customer_id),
                    staff_views.customer_cases(s, case.customer_id), staff_views.customer_payments(s, case.customer_id))

        def company_view():
            return (staff_views.company_profile(s, case.company_id, now=world.now),
                    context.company_dispute_rate(s, company_id=case.company_id, now=world.now),
                    context.platform_median(s, now=world.now),
                    staff_views.company_cases(s, case.company_id), staff_views.company_payments(s, case.company_id))

        context.platform_median(s, now=world.now)
        cust, cust_bare = recorder.bench("staff.customer", customer_view, sql=_bare(*STAFF_SQL["customer"], params=params))
        comp, comp_bare = recorder.bench("staff.company", company_view, sql=_bare(*STAFF_SQL["company"], params=params))
    profile, cases, payments = cust.result
    assert profile.cases == cust_bare.result[1][0][0] and [r.id for r in cases.rows] == [r[0] for r in cust_bare.result[2][:20]]
    company, _rate, _median, ccases, cpayments = comp.result
    assert company.cases == comp_bare.result[1][0][0]
    assert [r.id for r in ccases.rows] == [r[0] for r in comp_bare.result[5][:20]]
    assert [r.id for r in cpayments.rows] == [r[0] for r in comp_bare.result[6][:20]]
