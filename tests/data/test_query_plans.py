"""Plan tests (PostgreSQL): the lists, the timeline and the sweeps read through their indexes.

A small data set of the marketplace's shape (a few thousand cases, most of them closed; tens
of thousands of events, outbox rows and money movements, nearly all done) is written
straight into the tables and VACUUM ANALYZEd (as autovacuum leaves a table), so the planner chooses with real statistics. Each
test runs the real read model or job once, records the statements it sent, and EXPLAINs
each one (FORMAT JSON, nothing executed twice): the index named must appear in the plan,
and the paged statements must not read the cases table by a sequential scan. Dropping an
index makes its test fail (test_a_dropped_index_fails_its_check proves the check can).
No timing is asserted.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from contextlib import contextmanager

import flask
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from dashboard.components.queue_grid import BLOCK_SIZE, FILTER_LABELS
from data.models import Case, CaseEvent, Company, MoneyMovement, OutboxEmail, Payment, User
from data.read import case_view, parties
from data.read import queue as q
from tests import _dbs

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
CASES = 6000
BIG_CASE = "reso_bigtimeline0000"
OPEN_STAGES = {  # stage -> (status, escalated); the rest of the cases are closed
    "awaiting_merchant": ("awaiting_merchant", False), "awaiting_customer": ("awaiting_customer", False),
    "under_review": ("under_review", True), "final_review": ("under_review", True),
    "review_awaiting_merchant": ("awaiting_merchant", True),
}


def _stage(i: int) -> str:
    r = i % 100
    return ("awaiting_merchant" if r < 8 else "awaiting_customer" if r < 11 else "under_review" if r < 14
            else "final_review" if r < 16 else "review_awaiting_merchant" if r < 17 else "closed")


def _generate(conn) -> None:
    rnd = random.Random(7)
    t = dt.timedelta
    companies = [{"id": f"biz_{i:016d}", "name": f"Company {i:03d}", "created_at": NOW - t(days=800)}
                 for i in range(60)]
    users = [{"id": f"user_{i:016d}", "email": f"c{i}@x.test", "name": f"Customer {i:04d}", "role": "customer",
              "is_active": True, "session_epoch": 0, "created_at": NOW - t(days=800)} for i in range(1500)]
    users += [{"id": f"user_rev{i:013d}", "email": f"r{i}@x.test", "name": f"Reviewer {i}", "role": "reviewer",
               "is_active": True, "session_epoch": 0, "created_at": NOW - t(days=800)} for i in range(4)]
    conn.execute(sa.insert(Company), companies)
    conn.execute(sa.insert(User), users)
    payments, cases = [], []
    for i in range(CASES):
        created = NOW - t(days=730) + t(seconds=int(730 * 86400 * i / CASES))
        stage = _stage(i)
        status, escalated = OPEN_STAGES.get(stage, ("closed", i % 5 == 0))
        company, customer = companies[int(rnd.paretovariate(1.2)) % 60]["id"], users[i % 1500]["id"]
        pid, cid = f"pay_{i:016d}", (BIG_CASE if i == CASES - 50 else f"reso_{i:016d}")
        amount = rnd.randrange(500, 50_000)
        payments.append({"id": pid, "company_id": company, "customer_id": customer, "provider": "stripe",
                         "amount_minor": amount, "currency": "USD", "paid_at": created - t(days=1),
                         "refunded_minor": 0, "refunded_externally": False, "created_at": created})
        waiting = status in ("awaiting_merchant", "awaiting_customer")
        cases.append({
            "id": cid, "payment_id": pid, "company_id": company, "customer_id": customer, "reason": "fraudulent",
            "message": "m", "amount_minor": amount, "currency": "USD", "stage": stage, "status": status,
            "escalated": escalated, "final_review": stage == "final_review", "customer_appealed": False,
            "merchant_appealed": stage == "final_review", "final": stage == "closed",
            "outcome": "merchant_won" if stage == "closed" else None, "merchant_info_requests": 0,
            "refunded_minor": 0, "credited_minor": 0, "version": 1,
            "response_due_at": created + t(days=7) if waiting else None,
            "appeal_due_at": created + t(days=9) if stage == "closed" else None,
            "escalated_at": created + t(days=7) if escalated else None,
            "appealed_at": created + t(days=10) if stage == "final_review" else None,
            "assignee_id": users[1500 + i % 4]["id"] if escalated and i % 3 == 0 else None,
            "created_at": created, "updated_at": created + t(days=rnd.randrange(0, 20)),
        })
    conn.execute(sa.insert(Payment), payments)
    conn.execute(sa.insert(Case), cases)
    events, n = [], 0
    for c in cases:
        for k in range(600 if c["id"] == BIG_CASE else 4):
            n += 1
            events.append({"id": f"revt_{n:016d}", "case_id": c["id"], "action": "responded",
                           "reporter_type": "customer", "viewable_by_customer": True, "viewable_by_merchant": k % 7 != 3,
                           "created_at": c["created_at"] + t(minutes=k)})
    conn.execute(sa.insert(CaseEvent), events)
    outbox = [{"case_id": cases[i % CASES]["id"], "dedupe_key": f"k{i}", "template": "created", "recipient": "a@x.test",
               "subject": "s", "body_text": "b", "body_html": "b", "status": "pending" if i % 200 == 0 else "sent",
               "attempts": 1, "next_attempt_at": NOW - t(minutes=5) if i % 200 == 0 else None,
               "created_at": NOW - t(days=i % 700), "sent_at": None if i % 200 == 0 else NOW - t(days=i % 700)}
              for i in range(20_000)]
    conn.execute(sa.insert(OutboxEmail), outbox)
    money = [{"case_id": cases[i % CASES]["id"], "kind": "merchant_refund", "amount_minor": 100, "currency": "USD",
              "provider": "stripe", "idempotency_key": f"m{i}", "status": "pending" if i % 200 == 0 else "succeeded",
              "attempts": 1, "next_attempt_at": NOW - t(minutes=5) if i % 200 == 0 else None,
              "created_at": NOW - t(days=i % 700)} for i in range(8000)]
    conn.execute(sa.insert(MoneyMovement), money)


@pytest.fixture(scope="module")
def planned(engine):
    """The engine, with the data set written and analyzed; emptied after the module."""
    from data.models import Base

    tables = list(Base.metadata.sorted_tables)
    _dbs.wipe_tables(engine, tables)
    with engine.begin() as conn:
        _generate(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As autovacuum leaves a table: statistics, and a visibility map for index-only scans.
        conn.exec_driver_sql("VACUUM ANALYZE")
    yield engine
    _dbs.wipe_tables(engine, tables)


@pytest.fixture
def session(planned):
    with sessionmaker(bind=planned, expire_on_commit=False)() as s:
        yield s


# ---------------------------------------------------------------------------- plans
@contextmanager
def recorded(engine):
    """The statements (with their parameters) sent while the block runs."""
    sent = []

    def on(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH", "UPDATE"):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", on)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", on)


def explain(engine, statement, parameters) -> dict:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cur.fetchone()[0]
        raw.rollback()
    finally:
        raw.close()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def indexes_of(plan: dict) -> set[str]:
    return {n["Index Name"] for n in nodes(plan) if "Index Name" in n}


def seq_scanned(plan: dict) -> set[str]:
    return {n.get("Relation Name") for n in nodes(plan) if n["Node Type"] == "Seq Scan"}


def plans_of(engine, fn):
    with recorded(engine) as sent:
        result = fn()
    return result, [(stmt, explain(engine, stmt, params)) for stmt, params in sent]


def paged_part(plan: dict) -> dict:
    """The window subquery (`page_ids`) of a queue statement, else the whole plan. The 50
    rows of a window are then joined to the cases: on a few thousand rows a hash join over
    a sequential scan is cheaper than 50 lookups, at a million it is not, so only the part
    that pages is held to its index."""
    for n in nodes(plan):
        if n["Node Type"] == "Subquery Scan" and n.get("Alias") == "page_ids":
            return n
    return plan


def assert_uses(plans, index: str, *, on: str = "cases", no_seq_scan_of: tuple = ("cases",)):
    """One of the statements reads `on` through `index`; none reads `no_seq_scan_of` sequentially."""
    plans = [(s, paged_part(p)) for s, p in plans]
    hits = [(s, p) for s, p in plans if f" {on}" in s and index in indexes_of(p)]
    assert hits, f"no statement used {index}:\n" + "\n\n".join(
        f"{s[:300]}\n -> indexes {sorted(indexes_of(p))}, seq scans {sorted(seq_scanned(p))}" for s, p in plans)
    for s, p in hits:
        assert not (seq_scanned(p) & set(no_seq_scan_of)), (s[:300], seq_scanned(p))


def reviewer_id(session) -> str:
    return session.scalar(sa.select(User.id).where(User.role == "reviewer").order_by(User.id))


def walk_to_block(session, n: int, **kw):
    """The page at block `n`, reached as the grid does (each block's cursor → the next)."""
    page, cursor = None, None
    for b in range(n + 1):
        page = q.queue_page(session, sa.true(), user_id=reviewer_id(session), start=b * BLOCK_SIZE,
                            end=(b + 1) * BLOCK_SIZE, labels=FILTER_LABELS, after=cursor, **kw)
        cursor = page.next_cursor
    assert page.seeked or n == 0
    return cursor


# ------------------------------------------------------------------------ queue tabs
@pytest.mark.parametrize("tab, index", [("escalated", "ix_cases_escalated_waiting"),
                                        ("appealed", "ix_cases_appealed_waiting"),
                                        ("open", "ix_cases_open_due")])
def test_first_block_of_each_tab_reads_its_index(planned, session, tab, index):
    page, plans = plans_of(planned, lambda: q.queue_page(session, sa.true(), tab=tab, user_id=reviewer_id(session),
                                                         end=BLOCK_SIZE, labels=FILTER_LABELS))
    assert page.rows
    assert_uses(plans, index)


@pytest.mark.parametrize("tab, sort, index", [
    ("open", None, "ix_cases_open_due"),
    ("open", [{"colId": "deadline", "sort": "desc"}], "ix_cases_open_due"),
    ("open", [{"colId": "amount", "sort": "desc"}], "ix_cases_open_amount"),
    ("escalated", None, "ix_cases_escalated_waiting"),
])
def test_a_deep_block_is_a_seek_on_the_tabs_index(planned, session, tab, sort, index):
    cursor = walk_to_block(session, 1, tab=tab, sort_model=sort)
    page, plans = plans_of(planned, lambda: q.queue_page(
        session, sa.true(), tab=tab, user_id=reviewer_id(session), start=2 * BLOCK_SIZE, end=3 * BLOCK_SIZE,
        sort_model=sort, labels=FILTER_LABELS, after=cursor, known_total=10_000))
    assert page.seeked and page.rows
    assert_uses(plans, index)
    window = next(s for s, _ in plans if "page_ids" in s)
    assert "OFFSET" not in window.upper()


def test_tab_counts_do_not_scan_the_open_cases(planned, session):
    """For staff the counts come from the counter table (its rows are not the cases': this
    data set was written around the session hooks, so only the plan is checked here)."""
    _counts, plans = plans_of(planned, lambda: q.queue_counts(session, sa.true(), user_id="user_nobody"))
    assert plans and all("cases" not in seq_scanned(p) and not any(ix.startswith("ix_cases") for ix in indexes_of(p))
                         for _, p in plans), [s[:200] for s, _ in plans]
    assert all(not re.search(r"\bFROM cases\b", s) for s, _ in plans)


# ------------------------------------------------------------------ company grid, API
def test_company_grid_pages_seek_on_its_index(planned, session):
    company = session.scalar(sa.select(Case.company_id).group_by(Case.company_id).order_by(sa.func.count().desc()))
    visible = Case.company_id == company
    first = parties.company_cases_page(session, visible, start=0, end=20)
    page, plans = plans_of(planned, lambda: parties.company_cases_page(session, visible, start=20, end=40,
                                                                       after=first.next_cursor, known_total=10_000))
    assert page.seeked and len(page.rows) == 20
    assert_uses(plans, "ix_cases_company_updated")


@pytest.mark.parametrize("order, index", [("created_at", "ix_cases_created_id"), ("response_due_at", "ix_cases_due")])
def test_api_list_deep_cursor_seeks(planned, session, order, index):
    from dashboard.api.cases import case_sort
    from dashboard.api.paging import fetch_page, page_request
    from dashboard.api.schemas.queries import CaseListQuery
    from dashboard.validation import parse

    app = flask.Flask("plans")

    def page(after=None):
        query = f"/?order={order}&direction=asc&first=25" + (f"&after={after}" if after else "")
        with app.test_request_context(query):
            query = parse(CaseListQuery, flask.request.args, source="query")
            tag, keys = case_sort(query)
            return fetch_page(session, sa.select(Case), keys, page_request(tag, keys, query), tag)

    rows, info = page()
    for _ in range(3):
        rows, info = page(info["end_cursor"])
    (rows, info), plans = plans_of(planned, lambda: page(info["end_cursor"]))
    assert len(rows) == 25
    assert_uses(plans, index)


# -------------------------------------------------------------------------- timeline
def test_timeline_page_reads_the_case_events_index_backwards(planned, session):
    from dashboard.enums import Party
    from dashboard.permissions import event_visibility_for

    first = case_view.timeline_page(session, case_id=BIG_CASE, visibility=event_visibility_for(Party.MERCHANT))
    page, plans = plans_of(planned, lambda: case_view.timeline_page(
        session, case_id=BIG_CASE, visibility=event_visibility_for(Party.MERCHANT), before=first.earlier))
    assert len(page.entries) == case_view.TIMELINE_PAGE and page.earlier is not None
    assert_uses(plans, "ix_case_events_case_seq", on="case_events", no_seq_scan_of=("case_events",))


# ---------------------------------------------------------------------------- sweeps
def test_escalation_claim_reads_due_cases_by_deadline(planned, session):
    from dashboard.cases.system import due_case_ids
    from dashboard.context import Ctx
    from dashboard.enums import Action
    ctx = Ctx(session, NOW, None)  # the claim reads only the session and the moment
    ids, plans = plans_of(planned, lambda: due_case_ids(ctx, Action.ESCALATE_OVERDUE, limit=100, skip_locked=True))
    session.rollback()
    assert ids
    assert any(ix in indexes_of(p) for _, p in plans for ix in ("ix_cases_due", "ix_cases_open_due")), \
        [(s[:200], indexes_of(p)) for s, p in plans]
    assert all("cases" not in seq_scanned(p) for _, p in plans)


def test_appeal_window_claim_reads_by_its_deadline(planned, session):
    from dashboard.cases.system import due_case_ids
    from dashboard.context import Ctx
    from dashboard.enums import Action

    ids, plans = plans_of(planned, lambda: due_case_ids(Ctx(session, NOW, None), Action.CLOSE_APPEAL_WINDOW,
                                                        limit=100, skip_locked=True))
    session.rollback()
    assert_uses(plans, "ix_cases_appeal_open")  # open windows only, not every past one


def test_outbox_claim_reads_due_rows_by_index(planned, session):
    from dashboard.notifications.outbox import claim_due

    claimed, plans = plans_of(planned, lambda: claim_due(session, NOW, limit=50))
    assert claimed
    assert_uses(plans, "ix_outbox_due", on="outbox_emails", no_seq_scan_of=("outbox_emails",))


def test_money_claim_reads_due_movements_by_index(planned, session):
    from dashboard.money.executor import claim_due

    claimed, plans = plans_of(planned, lambda: claim_due(session, NOW, limit=20))
    assert claimed
    assert_uses(plans, "ix_money_movements_due", on="money_movements", no_seq_scan_of=("money_movements",))


# -------------------------------------------------------------- the check can fail
def test_a_dropped_index_fails_its_check(planned, session):
    """Drop ix_cases_open_due inside a transaction: the Open tab's plan no longer names it,
    and assert_uses says so. Rolled back: the index is still there afterwards."""
    with recorded(planned) as sent:
        q.queue_page(session, sa.true(), tab="open", user_id=reviewer_id(session), end=BLOCK_SIZE, labels=FILTER_LABELS)
    session.rollback()
    (statement, params), = [(s, p) for s, p in sent if "page_ids" in s]
    raw = planned.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("DROP INDEX ix_cases_open_due")
        cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
        plan = cur.fetchone()[0][0]["Plan"]
        raw.rollback()
    finally:
        raw.close()
    with pytest.raises(AssertionError):
        assert_uses([(statement, plan)], "ix_cases_open_due")
    assert_uses([(statement, explain(planned, statement, params))], "ix_cases_open_due")
