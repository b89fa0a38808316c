"""The staff daily digest as the scheduler runs it (jobs.digest, before the outbox job):
over real SMTP (aiosmtpd), at 08:00 in the reviewer's zone, once per local day; and with
two `python -m jobs --once` processes at once on PostgreSQL, still one digest per person."""
from __future__ import annotations

import dataclasses
import datetime as dt
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from data.models import OutboxEmail, StaffNotification, User
from dashboard.cases import system
from dashboard.context import Ctx
from dashboard.runtime import Runtime
from jobs.runner import run_all_once
from tests import factories
from tests.jobs import _procs
from tests.factories import T0

BERLIN = ZoneInfo("Europe/Berlin")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=_procs.free_port())
    ctl.start()
    yield inbox, f"smtp://127.0.0.1:{ctl.port}"
    ctl.stop()


def berlin(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(dt.timezone.utc)


def escalate_one(runtime, act, w, at):
    """A case opened eight days before `at`: overdue at `at`."""
    payment = act.new_payment(at - dt.timedelta(days=8))
    cid = act.open(at - dt.timedelta(days=8), payment=payment)
    return cid


def test_the_scheduler_sends_the_digest_over_smtp_once_a_day_at_eight_in_their_zone(clean_db, settings, w, act,
                                                                                    smtp):
    inbox, url = smtp
    runtime = Runtime.build(dataclasses.replace(settings, smtp_url=url), engine=clean_db)
    with runtime.Session.begin() as s:
        s.execute(update(User).where(User.id == w.reviewer.id).values(notify_mode="digest", time_zone="Europe/Berlin"))
    escalation_at = berlin((T0 + dt.timedelta(days=8)).date(), 15)
    cid = escalate_one(runtime, act, w, escalation_at)
    first = run_all_once(runtime, escalation_at)
    assert first["escalation"]["escalated"] == 1 and first["digest"] == {"sent": 0}
    to_reviewer = [m for rcpt, m in inbox.messages if w.reviewer.email in rcpt]
    to_reviewer2 = [m for rcpt, m in inbox.messages if w.reviewer2.email in rcpt]
    assert to_reviewer == [] and len(to_reviewer2) == 1  # immediate: at once; digest: not yet
    assert "reached the platform" in str(to_reviewer2[0]["Subject"])

    next_day = escalation_at.astimezone(BERLIN).date() + dt.timedelta(days=1)
    assert run_all_once(runtime, berlin(next_day, 7, 55))["digest"] == {"sent": 0}
    assert [m for rcpt, m in inbox.messages if w.reviewer.email in rcpt] == []
    report = run_all_once(runtime, berlin(next_day, 8, 5))
    assert report["digest"] == {"sent": 1} and report["outbox"]["sent"] >= 1  # the same pass sends it
    [digest] = [m for rcpt, m in inbox.messages if w.reviewer.email in rcpt]
    assert "your daily digest: 1 unread notification" in str(digest["Subject"])
    body = digest.get_body(preferencelist=("plain",)).get_content()
    assert f"http://rc.test/cases/{cid}" in body and f"Case {cid} reached the platform" in body
    assert "CET" in body or "CEST" in body  # the notification's time, in Berlin

    assert run_all_once(runtime, berlin(next_day, 12))["digest"] == {"sent": 0}  # once a day
    assert len([m for rcpt, m in inbox.messages if w.reviewer.email in rcpt]) == 1
    with runtime.Session() as s:
        assert s.get(User, w.reviewer.id).digest_sent_at == berlin(next_day, 8, 5)
        assert all(n.emailed_at is not None for n in s.scalars(
            select(StaffNotification).where(StaffNotification.user_id == w.reviewer.id)))


@pytest.mark.postgres
def test_two_scheduler_processes_write_one_digest_per_person(runtime, w, act, tmp_path):
    people = []
    with runtime.Session.begin() as s:
        ctx = Ctx(s, T0, runtime.settings)
        for _ in range(30):
            people.append(factories.user(ctx, "reviewer").id)
        s.execute(update(User).where(User.role == "reviewer").values(notify_mode="digest"))
    at = T0 + dt.timedelta(days=8)
    cid = escalate_one(runtime, act, w, at)
    with runtime.Session.begin() as s:
        system.escalate_overdue(Ctx(s, at, runtime.settings), cid)
    everyone = people + [w.reviewer.id, w.reviewer2.id]
    with runtime.Session() as s:
        told = set(s.scalars(select(StaffNotification.user_id)))
    assert told == set(everyone)
    env = _procs.env_for(runtime.engine.url.render_as_string(hide_password=False), tmp_path)
    next_morning = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(8, 30), tzinfo=dt.timezone.utc)
    procs = [_procs.jobs(env, "--once", "--as-of", next_morning.isoformat()) for _ in range(2)]
    reports = []
    for proc in procs:
        rc, report, err = _procs.finish(proc)
        assert rc == 0, err[-3000:]
        reports.append(report)
    assert sum(r["digest"]["sent"] for r in reports) == len(everyone)
    with runtime.Session() as s:
        digests = list(s.scalars(select(OutboxEmail.recipient).where(OutboxEmail.template == "staff_digest")))
        emails = dict(s.execute(select(User.id, User.email).where(User.id.in_(everyone))).all())
    assert sorted(digests) == sorted(emails.values())  # each person exactly once
