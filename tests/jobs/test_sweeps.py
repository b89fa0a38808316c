"""How the jobs work through a backlog: case claims that skip what another worker
holds, outbox and money runs that drain everything due, an outbox batch that hands
back what it could not send within its lease, and stopping between jobs."""
from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import insert, select, text

from data.models import Case, MoneyMovement, OutboxEmail
from dashboard.cases import party, system
from dashboard.context import Ctx
from dashboard.enums import Action
from dashboard.notifications import outbox
from jobs.outbox import drain_outbox
from jobs.money import retry_money
from jobs.runner import JobSpec, Scheduler, run_all_once
from tests.factories import T0, days


def pending_emails(runtime, n: int) -> None:
    with runtime.Session.begin() as s:
        s.execute(insert(OutboxEmail), [
            dict(dedupe_key=f"bulk:{i}", template="created", recipient=f"r{i}@test.example", subject=f"[x] {i}",
                 body_text="text", body_html="<p>html</p>", status="pending", attempts=0, next_attempt_at=T0,
                 created_at=T0) for i in range(n)])


def rows(runtime) -> list[OutboxEmail]:
    with runtime.Session() as s:
        return list(s.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


# ----------------------------------------------------------------------- case claims
def test_due_cases_come_oldest_deadline_first_and_exclude_what_was_passed(runtime, act):
    ids = [act.open(T0 + dt.timedelta(minutes=m), payment=act.new_payment(T0)) for m in (3, 1, 2)]
    with runtime.Session() as s:
        ctx = Ctx(s, T0 + days(8), runtime.settings)
        assert system.due_case_ids(ctx, Action.ESCALATE_OVERDUE) == [ids[1], ids[2], ids[0]]
        assert system.due_case_ids(ctx, Action.ESCALATE_OVERDUE, limit=1, exclude={ids[1]}) == [ids[2]]


@pytest.mark.postgres
def test_a_case_another_worker_holds_is_skipped_not_waited_for(runtime, act):
    held, free = act.open(T0), act.open(T0, payment=act.new_payment(T0))
    with runtime.Session() as other, runtime.Session() as s:
        other.execute(select(Case.id).where(Case.id == held).with_for_update())  # a worker is on it
        ctx = Ctx(s, T0 + days(8), runtime.settings)
        s.execute(text("SET LOCAL lock_timeout = '2s'"))
        assert system.due_case_ids(ctx, Action.ESCALATE_OVERDUE, skip_locked=True) == [free]
        s.rollback()
        assert sorted(system.due_case_ids(ctx, Action.ESCALATE_OVERDUE)) == sorted([held, free])
        other.rollback()


# ---------------------------------------------------------------------------- outbox
def test_one_outbox_run_drains_more_than_a_batch(runtime):
    pending_emails(runtime, 250)
    with runtime.Session() as s:
        counts = drain_outbox(s, T0, settings=runtime.settings, limit=100)
    assert counts == {"claimed": 250, "sent": 250, "retrying": 0, "failed": 0}
    assert len(list(runtime.settings.mail_dir.glob("*.eml"))) == 250


class Down:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg, mail):
        raise outbox.DeliveryError("SMTP server unavailable")


def test_a_run_stops_at_the_first_batch_the_server_refuses(runtime):
    pending_emails(runtime, 250)
    with runtime.Session() as s:
        counts = drain_outbox(s, T0, settings=runtime.settings, transport=Down(), limit=100)
    assert counts == {"claimed": 100, "sent": 0, "retrying": 100, "failed": 0}
    assert sorted({r.attempts for r in rows(runtime)}) == [0, 1]  # the rest was not tried in vain


class Slow:
    def __init__(self):
        self.sent = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg, mail):
        time.sleep(0.05)
        self.sent.append(mail.id)


def test_a_batch_too_slow_for_its_lease_hands_the_rest_back(runtime):
    pending_emails(runtime, 10)
    slow = Slow()
    with runtime.Session() as s:
        counts = outbox.deliver_outbox(s, T0, settings=runtime.settings, transport=slow,
                                       send_within=dt.timedelta(seconds=0.12))
    sent = len(slow.sent)
    assert 1 <= sent < 10
    assert counts == {"claimed": 10, "sent": sent, "retrying": 0, "failed": 0, "released": 10 - sent}
    back = [r for r in rows(runtime) if r.status == "pending"]
    assert len(back) == 10 - sent
    # Due again at once, as if never claimed: another worker (or the next run) sends them.
    assert all(r.attempts == 0 and r.next_attempt_at == T0 for r in back)
    with runtime.Session() as s:
        assert outbox.deliver_outbox(s, T0, settings=runtime.settings)["sent"] == 10 - sent


# ----------------------------------------------------------------------------- money
def test_one_money_run_pays_more_than_a_batch(runtime, act, w):
    for _ in range(5):
        case_id = act.open(T0, payment=act.new_payment(T0))
        act(T0 + days(1), party.accept, actor=w.creator, case_id=case_id)
    with runtime.Session() as s:
        counts = retry_money(s, T0 + days(1), settings=runtime.settings, gateways=runtime.gateways, limit=2)
    assert counts == {"claimed": 5, "succeeded": 5, "failed": 0}
    with runtime.Session() as s:
        assert set(s.scalars(select(MoneyMovement.status))) == {"succeeded"}


# ------------------------------------------------------------------- stopping cleanly
def test_a_stop_between_jobs_skips_the_jobs_not_started(runtime):
    stop, ran = threading.Event(), []

    def first(rt, s, now):
        ran.append("first")
        stop.set()  # SIGTERM arrives while this job runs
        return {"done": 1}

    jobs = (JobSpec("first", 1, first), JobSpec("second", 1, lambda rt, s, now: ran.append("second") or {}))
    assert run_all_once(runtime, T0, stop_event=stop, jobs=jobs) == {"first": {"done": 1}}

    ran.clear()
    stop.clear()
    Scheduler(runtime, clock=lambda: T0, jobs=jobs, lock=None).run_forever(stop, handle_signals=False)
    assert ran == ["first"]
