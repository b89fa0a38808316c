"""Exactly-once effects with real processes on one PostgreSQL (SPEC §6, §7, §8).

Three scheduler processes (`python -m dashboard jobs --once --as-of ...`, started
together for each round of a simulated clock) race over 240 overdue cases, the email
outbox and the refunds that two gunicorn app workers cause by accepting 60 cases over
the JSON API while the schedulers run. Before the race, one scheduler is killed with
SIGKILL in the middle of its escalation sweep and started again. The SMTP server is
down for the first rounds and comes back; the sandbox gateway refuses the first two
attempts of every refund (SANDBOX_FAILURES=2). The counts at the end are exact: one
escalation (one event, one set of emails) per overdue case, one gateway call per
refund, one delivery per outbox row.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from data.models import Case, CaseEvent, MoneyMovement, OutboxEmail, Payment, SandboxGatewayCall
from dashboard.context import utcnow
from dashboard.notifications.mail import message_id
from jobs.lock import lock_for
from tests.jobs import _procs
from tests.jobs._backlog import open_cases

pytestmark = pytest.mark.postgres

OVERDUE, ACCEPTED = 240, 60
SCHEDULERS = 3
ROUND = dt.timedelta(minutes=5)  # simulated time between rounds: past every backoff so far and every lease


def db_url_of(runtime) -> str:
    return runtime.engine.url.render_as_string(hide_password=False)


def count(runtime, stmt) -> int:
    with runtime.Session() as s:
        return s.scalar(stmt) or 0


def escalated_events(runtime) -> int:
    return count(runtime, select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "escalated"))


def test_three_schedulers_two_app_workers_one_postgres_exact_counts(runtime, tmp_path):
    started = time.monotonic()
    now = utcnow().replace(microsecond=0)
    # 240 cases opened ten days ago (deadlines three days past, a minute apart), 60 yesterday
    backlog = open_cases(runtime, [now - dt.timedelta(days=10, minutes=-i) for i in range(OVERDUE)]
                         + [now - dt.timedelta(days=1, seconds=-i) for i in range(ACCEPTED)])
    overdue_ids = backlog.case_ids[:OVERDUE]
    fresh_cases = [(cid, backlog.tokens[backlog.company_of[cid]]) for cid in backlog.case_ids[OVERDUE:]]
    sink = _procs.SmtpSink()  # not listening yet: the SMTP server is down
    env = _procs.env_for(db_url_of(runtime), tmp_path, SMTP_URL=sink.url, SANDBOX_FAILURES="2")
    app = _procs.Gunicorn(env, tmp_path, workers=2)
    accepts: list[tuple[int, dict]] = []
    try:
        # ---- a scheduler killed with SIGKILL in the middle of its escalation sweep
        as_of = now + ROUND
        victim = _procs.jobs(env, "--once", "--as-of", as_of.isoformat())
        _procs.wait_for(lambda: escalated_events(runtime) >= 40, timeout=60, what="the victim escalating")
        victim.kill()
        victim.wait(10)
        escalated_by_victim = escalated_events(runtime)
        assert victim.returncode == -9 and 40 <= escalated_by_victim < OVERDUE

        # ---- the app workers accept 60 cases over the API while the schedulers race
        app.wait_ready()
        pool = ThreadPoolExecutor(4)
        accepting = [pool.submit(app.post, f"/api/v1/resolution_center_cases/{cid}/accept", token,
                                 {"message": "Sorry, refunding you."}) for cid, token in fresh_cases]

        rounds, reports, sink_up_round = 0, [], 3
        while True:
            rounds += 1
            if rounds == sink_up_round:
                sink.start()  # the SMTP server comes back
            procs = [_procs.jobs(env, "--once", "--as-of", as_of.isoformat()) for _ in range(SCHEDULERS)]
            for proc in procs:
                rc, report, err = _procs.finish(proc)
                assert rc == 0, err[-3000:]
                reports.append(report)
            if rounds >= sink_up_round and all(f.done() for f in accepting) and _settled(runtime):
                break
            assert rounds < 12, "the schedulers did not converge"
            as_of += ROUND
        accepts = [f.result() for f in accepting]
        pool.shutdown()
    finally:
        app.stop()
        sink.stop()
    assert "Traceback" not in app.log(), app.log()[-3000:]
    assert [status for status, _ in accepts] == [200] * ACCEPTED, accepts[:3]
    assert all(r["escalation"]["errors"] == 0 and r["deadlines"]["errors"] == 0 for r in reports)
    assert lock_for(runtime) is None  # PostgreSQL: no scheduler lock is taken

    # ---- every overdue case escalated exactly once: one event, one set of emails
    with runtime.Session() as s:
        per_case = Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "escalated")))
        assert per_case == Counter({cid: 1 for cid in overdue_ids})
        stages = Counter(s.scalars(select(Case.stage).where(Case.id.in_(overdue_ids))))
        assert stages == {"under_review": OVERDUE}
        escalation_mails = Counter(s.scalars(select(OutboxEmail.case_id).where(OutboxEmail.template == "escalated")))
        assert escalation_mails == Counter({cid: 2 for cid in overdue_ids})  # the customer and the creator
    assert sum(r["escalation"]["escalated"] for r in reports) == OVERDUE - escalated_by_victim

    # ---- every refund made exactly once at the gateway, after two refused attempts
    fresh_ids = [cid for cid, _ in fresh_cases]
    with runtime.Session() as s:
        movements = list(s.scalars(select(MoneyMovement)))
        assert len(movements) == ACCEPTED and {m.case_id for m in movements} == set(fresh_ids)
        assert Counter(m.status for m in movements) == {"succeeded": ACCEPTED}
        assert Counter(m.attempts for m in movements) == {3: ACCEPTED}
        calls = list(s.scalars(select(SandboxGatewayCall)))
        assert Counter(c.idempotency_key for c in calls) == Counter({m.idempotency_key: 1 for m in movements})
        assert {m.idempotency_key: m.provider_reference for m in movements} == \
               {c.idempotency_key: c.reference for c in calls}
        refunds = Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "refund_issued")))
        assert refunds == Counter({cid: 1 for cid in fresh_ids})
        paid = dict(s.execute(select(Payment.id, Payment.refunded_minor).join(Case, Case.payment_id == Payment.id)
                              .where(Case.id.in_(fresh_ids))).all())
        amounts = dict(s.execute(select(Payment.id, Payment.amount_minor).join(Case, Case.payment_id == Payment.id)
                                 .where(Case.id.in_(fresh_ids))).all())
        assert paid == amounts

    # ---- every email delivered exactly once, over SMTP, to its recipient
    with runtime.Session() as s:
        rows = list(s.scalars(select(OutboxEmail)))
        sent_events = Counter(e.data["outbox_id"] for e in s.scalars(
            select(CaseEvent).where(CaseEvent.action == "email_sent")))
    assert Counter(r.status for r in rows) == {"sent": len(rows)}
    expected = {message_id(r.dedupe_key, runtime.settings): r for r in rows}
    # opening: the creator and the customer's receipt; escalation: the customer and the creator;
    # the creator's accept: the customer only (nobody is emailed about their own action)
    assert len(expected) == len(rows) == 2 * (OVERDUE + ACCEPTED) + 2 * OVERDUE + ACCEPTED
    assert sink.per_message_id() == Counter({mid: 1 for mid in expected})
    assert sent_events == Counter({r.id: 1 for r in rows})
    for mid, rcpts, msg in sink.deliveries:
        row = expected[mid]
        assert rcpts == [row.recipient] and msg["To"] == row.recipient
        assert row.case_id in msg["Subject"] and msg["X-Resolution-Case"] == row.case_id
        text, html = msg.iter_parts()
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        link = f"http://rc.test/cases/{row.case_id}"
        assert link in text.get_content() and f'href="{link}"' in html.get_content()
    retried = sum(1 for r in rows if r.attempts > 1)
    assert retried > 0  # the SMTP server was down for what existed in the first rounds

    print(f"\nmulti-process race: {OVERDUE} escalated once each ({escalated_by_victim} by the killed scheduler "
          f"before SIGKILL), {ACCEPTED} refunds = {len(calls)} gateway calls after {2 * ACCEPTED} refused attempts, "
          f"{len(rows)} emails = {len(sink.deliveries)} SMTP deliveries ({retried} retried after the outage), "
          f"{rounds} rounds of {SCHEDULERS} schedulers, {time.monotonic() - started:.1f}s")


def _settled(runtime) -> bool:
    with runtime.Session() as s:
        due = s.scalar(select(func.count()).select_from(Case).where(Case.stage.in_(("awaiting_merchant",
                                                                                    "awaiting_customer")),
                                                                     Case.response_due_at < utcnow()))
        pending_mail = s.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status != "sent"))
        unpaid = s.scalar(select(func.count()).select_from(MoneyMovement).where(MoneyMovement.status != "succeeded"))
    return not (due or pending_mail or unpaid)
