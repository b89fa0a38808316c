"""`/deliveries` callbacks, called as plain functions by a signed-in user, on SQLite and
PostgreSQL: staff see emails by delivery state (attempts, last error, case link) and
the money not moved yet; anyone else gets the "not for you" state and no rows."""
from __future__ import annotations

import json

import plotly.utils
import pytest
from sqlalchemy import select

from callbacks import deliveries as cb
from data.models import MoneyMovement, OutboxEmail
from dashboard.cases import opening, party
from dashboard.components.shell import NAV_BY_ROLE
from dashboard.context import Ctx
from dashboard.enums import Role
from tests import factories


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime):
    now = runtime.now()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        w = factories.world(ctx)
        cases = []
        for _ in range(3):
            pay = factories.payment(ctx, company=w.company, customer=w.customer, paid_at=now)
            cases.append(opening.open_case(ctx, actor=w.customer, payment_id=pay.id, reason="fraudulent",
                                           message="Not me.").case.id)
        for case_id in cases:
            party.accept(ctx, actor=w.creator, case_id=case_id, message=None, file_ids=())
        s.flush()
        emails = s.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        emails[0].status, emails[0].attempts, emails[0].last_error = "failed", 3, "550 5.1.1 no such user"
        emails[1].status, emails[1].attempts, emails[1].sent_at = "sent", 1, now
        emails[2].attempts, emails[2].last_error = 2, "SMTP server mail:25 unavailable"
        moves = s.scalars(select(MoneyMovement).order_by(MoneyMovement.id)).all()
        moves[0].status, moves[0].attempts, moves[0].last_error = "failed", 1, "card_declined: refund refused"
        moves[1].attempts, moves[1].last_error = 6, "stripe timeout"
        moves[2].status, moves[2].provider_reference = "succeeded", "re_sbx_done"
        w.cases, w.emails, w.moves = cases, [(e.id, e.case_id, e.recipient) for e in emails], [m.case_id for m in moves]
    return w


def load(as_user, user, status="failed", page=1):
    with as_user(user):
        return cb.load_deliveries(status, page, 0, None)


@pytest.mark.parametrize("role", ["reviewer", "manager"])
def test_staff_see_failed_emails_with_attempts_error_and_case(as_user, w, role):
    alert, style, emails, pages, pager, money, unsettled = load(as_user, getattr(w, role))
    assert alert is None and style == {} and pages == 1
    out = text(emails)
    failed_id, failed_case, failed_to = w.emails[0]
    assert failed_to in out and "550 5.1.1 no such user" in out and "3 attempts" in out
    assert f"/cases/{failed_case}" in out and "will not be retried" in out
    assert out.count("deliveries-email-table") == 1 and f'"{failed_id}"' in out
    assert "unavailable" not in out  # the pending one is not listed here
    assert "1 failed" in pager and "1 sent" in pager


def test_the_status_filter(as_user, w):
    total = len(w.emails)
    pending = text(load(as_user, w.reviewer, "pending")[2])
    assert "SMTP server mail:25 unavailable" in pending and "2 attempts" in pending and "next try" in pending
    assert "550 5.1.1" not in pending
    sent = text(load(as_user, w.reviewer, "sent")[2])
    assert "sent " in sent and "550 5.1.1" not in sent and "unavailable" not in sent
    everything = load(as_user, w.reviewer, "all")
    assert f"of {total}" in everything[4]
    # Anything else from the browser falls back to the default filter and the first page.
    default = text(load(as_user, w.reviewer)[2])
    assert text(load(as_user, w.reviewer, "'; drop table outbox_emails; --")[2]) == default
    assert text(load(as_user, w.reviewer, ["failed"], "2; --")[2]) == default


def test_emails_are_paged_on_the_server(as_user, w, runtime, monkeypatch):
    monkeypatch.setattr(cb, "PAGE_SIZE", 2)
    total = len(w.emails)
    first, last = load(as_user, w.manager, "all", 1), load(as_user, w.manager, "all", 99)
    assert first[3] == last[3] == -(-total // 2)
    assert first[4].startswith(f"1–2 of {total}")
    assert last[4].startswith(f"{2 * (first[3] - 1) + 1}–{total} of {total}")  # clamped to the last page


def test_money_not_moved_yet_failed_first(as_user, w):
    *_, money, unsettled = load(as_user, w.reviewer)
    out = text(money)
    assert unsettled == "2"
    assert out.index("card_declined") < out.index("stripe timeout")
    assert "Failed — needs staff" in out and "Failing — retrying" in out and "6 attempts" in out
    assert f"/cases/{w.moves[0]}" in out and f"/cases/{w.moves[1]}" in out
    assert f"/cases/{w.moves[2]}" not in out and "re_sbx_done" not in out  # completed: not listed


@pytest.mark.parametrize("role", ["customer", "creator", "other_creator", "integration"])
def test_everyone_else_gets_nothing(as_user, w, role):
    outputs = load(as_user, getattr(w, role), "all")
    assert outputs[1] == {"display": "none"} and outputs[2] is None and outputs[5] is None
    out = text(outputs)
    assert "reviewers and managers" in out
    for _, case_id, recipient in w.emails:
        assert case_id not in out and recipient not in out
    assert "550" not in out and "card_declined" not in out


def test_signed_out_gets_nothing(as_user, w):
    outputs = load(as_user, None, "all")
    assert outputs[1] == {"display": "none"} and outputs[2] is None and "Sign in again" in text(outputs[0])


def test_the_navbar_offers_it_to_staff_only():
    offered = {role for role, links in NAV_BY_ROLE.items() if ("Deliveries", "/deliveries") in links}
    assert offered == {Role.REVIEWER, Role.MANAGER}


def retry(as_user, user, kind, row_id, monkeypatch):
    monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": {"type": "deliveries-retry", "kind": kind,
                                                                          "id": row_id}})())
    with as_user(user):
        return cb.retry_delivery([1])


def test_staff_retry_a_failed_email_with_fresh_attempts(as_user, w, runtime, monkeypatch):
    email_id = w.emails[0][0]
    alert, changed = retry(as_user, w.reviewer, "email", email_id, monkeypatch)
    assert "back in the outbox" in text(alert) and changed
    with runtime.Session() as s:
        email = s.get(OutboxEmail, email_id)
        assert (email.status, email.attempts) == ("pending", 0)
    # Retrying it again is refused: it is no longer failed.
    alert, changed = retry(as_user, w.reviewer, "email", email_id, monkeypatch)
    assert "has not failed" in text(alert) and changed is cb.no_update


def test_staff_retry_a_failed_movement_keeps_its_key_and_notes_it_for_staff(as_user, w, runtime, monkeypatch):
    from data.models import CaseEvent

    with runtime.Session() as s:
        failed = s.scalars(select(MoneyMovement).where(MoneyMovement.status == "failed")).one()
        failed_id, key = failed.id, failed.idempotency_key
    alert, _changed = retry(as_user, w.manager, "movement", failed_id, monkeypatch)
    assert "queued again" in text(alert)
    with runtime.Session() as s:
        m = s.get(MoneyMovement, failed_id)
        assert (m.status, m.idempotency_key) == ("pending", key)
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == m.case_id,
                                                  CaseEvent.action == "money_retry_requested")).one()
        assert not event.viewable_by_customer and not event.viewable_by_merchant


@pytest.mark.parametrize("role", ["customer", "creator"])
def test_parties_cannot_retry_anything(as_user, w, runtime, monkeypatch, role):
    email_id = w.emails[0][0]
    with runtime.Session() as s:
        failed_id = s.scalars(select(MoneyMovement.id).where(MoneyMovement.status == "failed")).one()
    for kind, row_id in (("email", email_id), ("movement", failed_id)):
        alert, changed = retry(as_user, getattr(w, role), kind, row_id, monkeypatch)
        assert "Only the platform" in text(alert) and changed is cb.no_update
    with runtime.Session() as s:
        assert s.get(OutboxEmail, email_id).status == "failed"
        assert s.get(MoneyMovement, failed_id).status == "failed"
