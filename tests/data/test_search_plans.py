"""Plan tests for staff search (PostgreSQL): each kind of query reads through its index.

A data set big enough that the planner prefers an index to reading a table (40,000 people,
2,000 companies, 20,000 cases) is written straight into the tables and VACUUM ANALYZEd.
Each test runs `data.read.search.search` once, records the statements it sent and EXPLAINs
them (tests/data/test_query_plans.py's helpers): the index named must appear, and no
statement may read the cases by a sequential scan. No timing is asserted.
"""
from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from data.models import Base, Case, Company, Payment, User
from data.read import search
from tests import _dbs
from tests.data.test_query_plans import explain, indexes_of, recorded, seq_scanned

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
PEOPLE, COMPANIES, CASES = 40_000, 2_000, 20_000


def _generate(conn) -> None:
    rnd = random.Random(11)
    t = dt.timedelta
    conn.execute(sa.insert(Company), [{"id": f"biz_{i:016d}", "name": f"Firm {i:05d} Holdings",
                                       "created_at": NOW - t(days=900)} for i in range(COMPANIES)])
    conn.execute(sa.insert(User), [{"id": f"user_{i:016d}", "email": f"person{i}@mail{i % 7}.test",
                                    "name": f"Person {i:05d}", "role": "customer", "is_active": True,
                                    "session_epoch": 0, "created_at": NOW - t(days=900)} for i in range(PEOPLE)])
    payments, cases = [], []
    for i in range(CASES):
        created = NOW - t(days=700) + t(seconds=int(700 * 86400 * i / CASES))
        pid, company, customer = f"pay_{i:016d}", f"biz_{rnd.randrange(COMPANIES):016d}", f"user_{rnd.randrange(PEOPLE):016d}"
        amount = rnd.choice((999, 1999, 4900, 9900, 19900, 49900))
        payments.append({"id": pid, "company_id": company, "customer_id": customer, "provider": "stripe",
                         "amount_minor": amount, "currency": "USD", "paid_at": created, "refunded_minor": 0,
                         "refunded_externally": False, "created_at": created})
        status = "closed" if i % 10 else "awaiting_merchant"
        cases.append({"id": f"reso_{i:016d}", "payment_id": pid, "company_id": company, "customer_id": customer,
                      "reason": "fraudulent", "message": "m", "amount_minor": amount, "currency": "USD",
                      "stage": status, "status": status, "escalated": False, "final_review": False,
                      "customer_appealed": False, "merchant_appealed": False, "final": status == "closed",
                      "merchant_info_requests": 0, "refunded_minor": 0, "credited_minor": 0, "version": 1,
                      "created_at": created, "updated_at": created})
    conn.execute(sa.insert(Payment), payments)
    conn.execute(sa.insert(Case), cases)


@pytest.fixture(scope="module")
def planned(engine):
    tables = list(Base.metadata.sorted_tables)
    _dbs.wipe_tables(engine, tables)
    with engine.begin() as conn:
        _generate(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    yield engine
    _dbs.wipe_tables(engine, tables)


def plans_for(engine, text: str):
    with sessionmaker(bind=engine)() as s, recorded(engine) as sent:
        page = search.search(s, text, visibility=sa.true(), exponents={"JPY": 0})
    return page, [(stmt, explain(engine, stmt, params)) for stmt, params in sent]


def assert_reads(plans, index: str) -> None:
    used = set().union(*(indexes_of(p) for _, p in plans))
    assert index in used, f"{index} not used; indexes {sorted(used)}:\n" + "\n\n".join(s[:400] for s, _ in plans)
    for stmt, plan in plans:
        assert "cases" not in seq_scanned(plan), stmt[:400]


@pytest.mark.parametrize("text, index", [
    ("person 04711", "ix_users_name_trgm"),    # a customer's name ("04711" alone is an amount)
    ("04711 person", "ix_users_name_trgm"),
    ("firm 01234", "ix_companies_name_trgm"),  # a company's name
    ("person4711@mail", "ix_users_email_prefix"),  # an email's prefix
    ("person4711@mail0.test", "ix_users_email_prefix"),
    ("$199", "ix_cases_amount_created"),
    ("reso_0000000000000042", "cases_pkey"),
    ("pay_0000000000000042", "cases_payment_id_key"),
    ("zzqx nobody", "ix_users_name_trgm"),     # no match: the index says so, no table is read
])
def test_each_kind_of_search_reads_its_index(planned, text, index):
    page, plans = plans_for(planned, text)
    assert plans
    assert_reads(plans, index)
    if text.startswith(("reso_", "pay_")):
        assert [r.id for r in page.rows] == ["reso_0000000000000042"]


def test_a_dropped_trigram_index_fails_the_check(planned):
    with planned.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_users_name_trgm")
    try:
        _page, plans = plans_for(planned, "person 04711")
        with pytest.raises(AssertionError):
            assert_reads(plans, "ix_users_name_trgm")
    finally:
        with planned.begin() as conn:
            conn.exec_driver_sql("CREATE INDEX ix_users_name_trgm ON users USING gin (lower(name) gin_trgm_ops)")
