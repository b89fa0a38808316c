"""The audit log (dashboard.audit) and its screen `/audit` (managers): staff decisions are
recorded with their action, in its transaction, from every entry point; internal notes
are not; the screen pages, filters and exports on the server, and refuses everyone
who is not a manager whatever the browser sends."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import plotly.utils
import pytest
from sqlalchemy import func, select

from callbacks import audit as cb
from data.models import AuditEvent
from dashboard import audit
from dashboard.audit_routes import export_audit_csv
from dashboard.cases import opening, review, system
from dashboard.context import Ctx
from dashboard.errors import DomainError
from tests import factories


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, runtime.now(), runtime.settings))


def escalated_case(runtime, w) -> str:
    now = runtime.now()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        pay = factories.payment(ctx, company=w.company, customer=w.customer, paid_at=now)
        case = opening.open_case(ctx, actor=w.customer, payment_id=pay.id, reason="fraudulent", message="Not me.").case
        case_id = case.id
    with runtime.Session.begin() as s:
        system.escalate_overdue(Ctx(s, now + dt.timedelta(days=8), runtime.settings), case_id)
    return case_id


def kinds(runtime, case_id=None) -> list[str]:
    with runtime.Session() as s:
        stmt = select(AuditEvent.kind).order_by(AuditEvent.id)
        if case_id:
            stmt = stmt.where(AuditEvent.case_id == case_id)
        return list(s.scalars(stmt))


def act(runtime, fn, **kw):
    with runtime.Session.begin() as s:
        return fn(Ctx(s, runtime.now() + dt.timedelta(days=9), runtime.settings), **kw)


def test_staff_decisions_are_audited_and_notes_are_not(runtime, w):
    case_id = escalated_case(runtime, w)
    act(runtime, review.claim, actor=w.reviewer, case_id=case_id)
    act(runtime, review.note, actor=w.reviewer, case_id=case_id, message="INTERNAL-ONLY remark")
    act(runtime, review.request_info_from, actor=w.reviewer, case_id=case_id, party="merchant", message="Proof?")
    assert kinds(runtime, case_id) == ["case.assigned", "case.request_info"]
    with runtime.Session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)).all()
    assert {r.actor_id for r in rows} == {w.reviewer.id}
    assert rows[1].details == {"from": "merchant"}
    assert "INTERNAL-ONLY" not in repr([(r.details, r.email) for r in rows])


def test_a_decision_is_audited_with_its_outcome(runtime, w):
    case_id = escalated_case(runtime, w)
    act(runtime, review.decide, actor=w.reviewer, case_id=case_id, outcome="refund", reason="Never delivered.",
        amount=1000)
    with runtime.Session() as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.kind == "case.decided"))
    assert (row.case_id, row.actor_id) == (case_id, w.reviewer.id)
    assert row.details["decision"] == "refund" and row.details["amount"] == 1000


def test_a_refused_decision_leaves_no_audit_row(runtime, w):
    case_id = escalated_case(runtime, w)
    with pytest.raises(DomainError):
        act(runtime, review.decide, actor=w.reviewer, case_id=case_id, outcome="refund", reason="")
    assert kinds(runtime) == []


def _sign_ins(runtime, n: int, *, kind=audit.AuditKind.SIGN_IN_FAILURE, at=None, email="x@y.test"):
    with runtime.Session.begin() as s:
        for i in range(n):
            audit.record(Ctx(s, (at or runtime.now()) - dt.timedelta(seconds=i), runtime.settings), kind,
                         email=email, address="203.0.113.5")


def test_managers_page_through_the_log_newest_first(runtime, w, as_user):
    _sign_ins(runtime, 60)
    _sign_ins(runtime, 1, kind=audit.AuditKind.SIGN_IN_SUCCESS, email="newest@y.test", at=runtime.now() + dt.timedelta(1))
    with as_user(w.manager):
        alert, style, table, pages, pager, href = cb.load_audit(None, None, None, 1)
        assert (alert, style, pages) == (None, {}, 2)
        assert "1–50 of 61 events" in pager
        assert text(table).index("newest@y.test") < text(table).index("x@y.test")
        _, _, table2, _, pager2, _ = cb.load_audit(None, None, None, 2)
        assert "51–61 of 61 events" in pager2 and "newest@y.test" not in text(table2)
        _, _, only, pages, pager, href = cb.load_audit(["sign_in.success"], None, None, 1)
        assert "1–1 of 1 events" in pager and "x@y.test" not in text(only)
        assert href == "/audit/export.csv?kind=sign_in.success"


def test_dates_filter_whole_utc_days(runtime, w, as_user):
    _sign_ins(runtime, 1, email="old@y.test", at=dt.datetime(2026, 1, 10, 23, 59, tzinfo=dt.timezone.utc))
    _sign_ins(runtime, 1, email="new@y.test", at=dt.datetime(2026, 1, 11, 0, 1, tzinfo=dt.timezone.utc))
    with as_user(w.manager):
        out = cb.load_audit(None, "2026-01-11", "2026-01-11", 1)
    assert "new@y.test" in text(out) and "old@y.test" not in text(out)
    assert out[5] == "/audit/export.csv?start=2026-01-11&end=2026-01-11"


@pytest.mark.parametrize("who", ["reviewer", "creator", "customer"])
def test_no_one_else_reads_the_log(runtime, w, as_user, who):
    _sign_ins(runtime, 3)
    with as_user(getattr(w, who)):
        out = cb.load_audit(["sign_in.failure"], "2000-01-01", "2999-01-01", 1)
    assert out[0] is cb.FORBIDDEN and out[1] == cb.HIDDEN and out[2] is None
    assert "x@y.test" not in text(out)


@pytest.mark.parametrize("kinds_, start, end, page", [
    (123, "abc", "0001-01-01", "x"), ([{"a": 1}], 5, None, -3), ("sign_in.failure", "9999-12-31", "", True),
    (None, "2026-13-40", "2026-02-30T00:00", 10 ** 9),
])
def test_nonsense_from_the_browser_is_no_filter_not_an_error(runtime, w, as_user, kinds_, start, end, page):
    _sign_ins(runtime, 2)
    with as_user(w.manager):
        out = cb.load_audit(kinds_, start, end, page)
    assert out[0] is None and "x@y.test" in text(out)


def test_the_csv_export_is_for_managers_and_defuses_formulas(runtime, w, flask_app):
    from flask_login import login_user

    from dashboard.auth import SessionUser

    _sign_ins(runtime, 2, email="=HYPERLINK(\"http://evil\")@y.test")
    case_id = escalated_case(runtime, w)
    act(runtime, review.claim, actor=w.reviewer, case_id=case_id)
    with flask_app.test_request_context("/audit/export.csv?kind=sign_in.failure&kind=case.assigned"):
        login_user(SessionUser(w.manager))
        answer = export_audit_csv()
        rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert rows[0][:3] == ["id", "at", "kind"]
    assert sorted(r[2] for r in rows[1:]) == ["case.assigned", "sign_in.failure", "sign_in.failure"]
    assert all(r[5].startswith("'=") for r in rows[1:] if r[2] == "sign_in.failure")
    for who in (w.reviewer, w.creator):
        with flask_app.test_request_context("/audit/export.csv"):
            login_user(SessionUser(who))
            assert export_audit_csv().status_code == 403


def test_the_export_streams_in_batches(runtime):
    from dashboard.audit_routes import stream_csv

    _sign_ins(runtime, 7)
    chunks = list(stream_csv(runtime.Session, audit.parse_filter(None, None, None), page_size=3))
    assert len(chunks) == 1 + 3  # header, 3 + 3 + 1
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 7
