"""Plan tests for the decision context's reads of the cases (PostgreSQL): each reads through
the index it was made for, and none reads the cases sequentially.

The staff search's plan data set (tests/data/test_search_plans.py: 20,000 cases of 2,000
companies, nine in ten closed, six prices) is written straight into the tables, one case in
fifty gets a final decision of the last 180 days, and the tables are VACUUM ANALYZEd. The
rollup reads are primary-key ranges of their own tables and are not planned here.
"""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from data.models import Base
from data.read import context
from tests import _dbs
from tests.data.test_query_plans import indexes_of, plans_of, seq_scanned
from tests.data.test_search_plans import NOW, _generate

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def planned(engine):
    tables = list(Base.metadata.sorted_tables)
    _dbs.wipe_tables(engine, tables)
    with engine.begin() as conn:
        _generate(conn)
        conn.execute(sa.text(
            "UPDATE cases SET final_review = true, final_decision = CASE WHEN right(id, 3)::int % 3 = 0 "
            "THEN 'overturn' ELSE 'uphold' END, final_decided_at = created_at + interval '3 days' "
            "WHERE right(id, 2)::int % 50 = 1 AND status = 'closed'"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    yield engine
    _dbs.wipe_tables(engine, tables)


def _subject(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT id, company_id, customer_id, reason, amount_minor, currency FROM cases "
            "WHERE status = 'closed' AND final_decision IS NOT NULL ORDER BY created_at DESC LIMIT 1")).one()


def _read(engine, parts):
    with sessionmaker(bind=engine)() as s:
        return plans_of(engine, lambda: context._run(s, parts))


def _assert_reads(plans, *indexes):
    used = set().union(*(indexes_of(p) for _, p in plans))
    assert set(indexes) <= used, f"{sorted(set(indexes) - used)} not used; indexes {sorted(used)}"
    for stmt, plan in plans:
        assert "cases" not in seq_scanned(plan), stmt[:400]


def test_the_similar_cases_seek_on_ix_cases_precedent(planned):
    c = _subject(planned)
    with sessionmaker(bind=planned)() as s:
        found, plans = plans_of(planned, lambda: context.similar_cases(
            s, company_id=c.company_id, reason=c.reason, amount_minor=c.amount_minor, currency=c.currency,
            exclude_case_id=c.id))
    assert found and len(plans) == 1
    _assert_reads(plans, "ix_cases_precedent")


def test_overturns_read_the_final_decision_indexes(planned):
    c = _subject(planned)
    now = NOW + dt.timedelta(days=5)  # the newest final decision is 3 days after its opening
    found, plans = _read(planned, context.overturn_parts(company_id=c.company_id, reason=c.reason, now=now))
    assert found["op"][0] > 0 and found["oc"][0] >= 1
    _assert_reads(plans, "ix_cases_final_reason")
    # The platform's arm needs nothing but the index (final_decision is INCLUDEd).
    only = [n for _, p in plans for n in _nodes(p) if n.get("Index Name") == "ix_cases_final_reason"]
    assert any(n["Node Type"] == "Index Only Scan" for n in only)


def test_the_customers_record_reads_ix_cases_customer_created(planned):
    c = _subject(planned)
    found, plans = _read(planned, context.customer_parts(customer_id=c.customer_id, now=NOW))
    assert found["cu"][0] >= 1
    _assert_reads(plans, "ix_cases_customer_created")


def test_a_dropped_index_fails_the_check(planned):
    c = _subject(planned)
    with planned.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_cases_precedent")
    try:
        with sessionmaker(bind=planned)() as s:
            _found, plans = plans_of(planned, lambda: context.similar_cases(
                s, company_id=c.company_id, reason=c.reason, amount_minor=c.amount_minor, currency=c.currency,
                exclude_case_id=c.id))
        with pytest.raises(AssertionError):
            _assert_reads(plans, "ix_cases_precedent")
    finally:
        with planned.begin() as conn:
            conn.exec_driver_sql("CREATE INDEX ix_cases_precedent ON cases (company_id, reason, amount_minor) "
                                 "WHERE status = 'closed'")


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)
