"""The case page as its callback builds it (callbacks/case.py `case_page`, components
included) for a reviewer: the case, the newest page of its timeline, the actions, the
customer's other cases, the company's dispute rate, money, evidence and the outbox.

    case.page.small   a typical case under review (a handful of events)
    case.page.big     the open case with the most events (the generator's ~500-event cases)

Its statement count must not grow with the events (the timeline is paged).
"""
from __future__ import annotations

import datetime as dt

import flask
import pytest

from callbacks.case import case_page
from data.models import User
from dashboard.context import Ctx

# The bare SQL: the same facts, one statement each, as a DBA would fetch them.
PAGE_SQL = (
    """SELECT c.*, b.name, b.support_email, u.name, u.email, p.provider, p.paid_at, a.name
       FROM cases c JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
       JOIN payments p ON p.id = c.payment_id LEFT JOIN users a ON a.id = c.assignee_id WHERE c.id = %(id)s""",
    """SELECT e.seq, e.id, e.action, e.reporter_type, e.details, e.data, e.created_at, u.name, u.role
       FROM case_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.case_id = %(id)s
       ORDER BY e.seq DESC LIMIT 51""",
    "SELECT f.id, f.filename, f.content_type, f.event_seq FROM files f WHERE f.case_id = %(id)s",
    """SELECT o.id, o.status, o.outcome, o.amount_minor, b.name, o.created_at, count(*) OVER ()
       FROM cases o JOIN companies b ON b.id = o.company_id
       WHERE o.customer_id = (SELECT customer_id FROM cases WHERE id = %(id)s) AND o.id <> %(id)s
       ORDER BY o.created_at DESC, o.id DESC LIMIT 8""",
    """SELECT (SELECT count(*) FROM cases WHERE company_id = %(company)s AND created_at BETWEEN %(since)s AND %(now)s),
              (SELECT count(*) FROM payments WHERE company_id = %(company)s AND paid_at BETWEEN %(since)s AND %(now)s)""",
    "SELECT * FROM money_movements WHERE case_id = %(id)s ORDER BY id",
    """SELECT id, template, recipient, status, attempts, created_at, sent_at, count(*) OVER ()
       FROM outbox_emails WHERE case_id = %(id)s ORDER BY id DESC LIMIT 50""",
)


def sql_case_page(case_id: str, company_id: str, now: dt.datetime):
    params = {"id": case_id, "company": company_id, "now": now, "since": now - dt.timedelta(days=90)}

    def run(bare):
        return [bare.run(sql, params) for sql in PAGE_SQL]

    return run


@pytest.fixture(scope="module")
def render(bench_session, settings_for, bench_engine, world):
    settings = settings_for(bench_engine)
    app = flask.Flask(__name__)

    def _render(case_id: str):
        with app.test_request_context("/cases/" + case_id), bench_session() as s:
            ctx = Ctx(s, world.now, settings)
            return case_page(ctx, s.get(User, world.reviewer_id), case_id)

    return _render


def company_of(bench_session, case_id: str) -> str:
    from data.models import Case

    with bench_session() as s:
        return s.get(Case, case_id).company_id


@pytest.mark.parametrize("which", ["small", "big"])
def test_case_page(which, render, bench_session, world, recorder):
    case_id, events = ((world.typical_case_id, world.typical_case_events) if which == "small"
                       else (world.big_case_id, world.big_case_events))
    ours, bare = recorder.bench(f"case.page.{which}", lambda: render(case_id),
                                sql=sql_case_page(case_id, company_of(bench_session, case_id), world.now),
                                events=events)
    page = str(ours.result)
    assert f"'data-case-id': '{case_id}'" in page or case_id in page
    case_row, timeline = bare.result[0], bare.result[1]
    assert len(case_row) == 1 and len(timeline) == min(events, 51)
