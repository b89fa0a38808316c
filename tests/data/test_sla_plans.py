"""Plan tests (PostgreSQL) for the SLA section and the staffing forecast: each statement they
send reads the cases through its index, never by a sequential scan of the cases.

The data set is tests/data/test_query_plans.py's (6,000 cases over two years, VACUUM
ANALYZEd), with the closed escalated cases given a decision a day after escalating (a few in
each week) and some of those a final decision, then analyzed again. No timing is asserted.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import sessionmaker

from data.read import forecast, metrics, sla
from tests.data.test_query_plans import NOW, assert_uses, planned, plans_of  # noqa: F401  (planned: the data set)

pytestmark = pytest.mark.postgres

TARGETS = dict(review_hours=48, final_hours=72)


@pytest.fixture(scope="module")
def decided(planned):  # noqa: F811
    with planned.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE cases SET decided_at = escalated_at + interval '1 day', first_platform_action_at = escalated_at "
            "+ interval '2 hours', decided_by_id = (SELECT id FROM users WHERE role = 'reviewer' ORDER BY id LIMIT 1) "
            "WHERE status = 'closed' AND escalated_at IS NOT NULL")
        conn.exec_driver_sql(
            "UPDATE cases SET appealed_at = decided_at + interval '2 days', final_decided_at = decided_at "
            "+ interval '4 days' WHERE decided_at IS NOT NULL AND right(id, 1) = '3'")
    with planned.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE cases")
    return planned


@pytest.fixture
def session(decided):
    with sessionmaker(bind=decided, expire_on_commit=False)() as s:
        yield s


F90 = metrics.parse_filter(today=NOW.date())


def _uses(plans, index: str) -> bool:
    try:
        assert_uses(plans, index)
    except AssertionError:
        return False
    return True


def test_sla_decisions_read_the_decision_indexes(session, decided):
    rows, plans = plans_of(decided, lambda: sla.decisions(session, F90, **TARGETS))
    assert rows, "the data set should have decisions in the last 90 days"
    assert_uses(plans, "ix_cases_decided_at")
    assert_uses(plans, "ix_cases_final_decided_at")


def test_sla_with_a_company_still_reads_the_decision_index(session, decided):
    f = metrics.MetricsFilter(F90.start, F90.end, company_ids=("biz_0000000000000001",), reasons=("fraudulent",))
    _, plans = plans_of(decided, lambda: sla.decisions(session, f, **TARGETS))
    assert_uses(plans, "ix_cases_decided_at")


def test_open_now_reads_the_waiting_indexes(session, decided):
    _, plans = plans_of(decided, lambda: sla.open_now(session, F90, now=NOW, warning_hours=12, **TARGETS))
    assert_uses(plans, "ix_cases_escalated_waiting")
    assert_uses(plans, "ix_cases_appealed_waiting")


def test_forecast_reads_the_open_and_appeal_indexes(session, decided):
    f, plans = plans_of(decided, lambda: forecast.forecast(session, now=NOW, zone="UTC", response_days=7))
    assert len(f.days) == 14
    # The deadlines: ix_cases_open_due (partial, the cases waiting on a party) or ix_cases_due;
    # either holds only waiting cases (set_stage clears response_due_at otherwise).
    assert any(_uses(plans, index) for index in ("ix_cases_open_due", "ix_cases_due")), plans
    assert_uses(plans, "ix_cases_appeal_open")
    assert_uses(plans, "ix_cases_decided_at")
    assert_uses(plans, "ix_cases_final_decided_at")
    assert dt.date.fromisoformat(str(f.today)) == NOW.date()
