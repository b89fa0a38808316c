"""dashboard.notifications.outbox with no SMTP_URL: each email becomes an .eml file in MAIL_DIR (SPEC §7)."""
from __future__ import annotations

import datetime as dt
import email
import threading
import time
from email import policy

import pytest
from sqlalchemy import select

from data.models import OutboxEmail
from dashboard.cases import review
from dashboard.notifications import outbox
from jobs.escalation import escalate_overdue
from dashboard.notifications.mail import DeliveryError, FileTransport, message_id
from tests.factories import T0, days

MINUTE = dt.timedelta(minutes=1)
LEASE = 5 * MINUTE  # a claimed email is left alone this long (written out, not read from the code)
# The waits after the 1st ... 11th failed delivery; the 12th failure gives up.
RETRY_WAITS = [1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 32 * MINUTE] + [60 * MINUTE] * 5

SECRET_NOTE = "INTERNAL: merchant has three chargebacks this month"


def deliver(runtime, now, **kwargs):
    with runtime.Session() as s:
        return outbox.deliver_outbox(s, now, settings=runtime.settings, **kwargs)


def emails(runtime) -> list[OutboxEmail]:
    with runtime.Session() as s:
        return list(s.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


@pytest.fixture
def decided_case(runtime, act, w):
    """Opened, escalated, an internal note, decided: emails to the creators and the customer."""
    case_id = act.open(T0)
    with runtime.Session() as s:
        escalate_overdue(s, T0 + days(7), settings=runtime.settings)
    act(T0 + days(7), review.claim, actor=w.reviewer, case_id=case_id)
    act(T0 + days(7), review.note, actor=w.reviewer, case_id=case_id, message=SECRET_NOTE)
    act(T0 + days(8), review.decide, actor=w.reviewer, case_id=case_id, outcome="refund",
        reason="The merchant could not show delivery.")
    return case_id


def test_every_pending_email_becomes_one_eml_file(runtime, act, w, decided_case):
    rows = emails(runtime)
    assert len(rows) >= 5 and all(r.status == "pending" for r in rows)
    now = T0 + days(8)

    assert deliver(runtime, now) == {"claimed": len(rows), "sent": len(rows), "retrying": 0, "failed": 0}
    files = sorted(runtime.settings.mail_dir.glob("*.eml"))
    assert len(files) == len(rows)
    for row in emails(runtime):
        assert (row.status, row.sent_at, row.attempts, row.next_attempt_at) == ("sent", now, 1, None)
        msg = parse(FileTransport(runtime.settings.mail_dir).path_for(row.id))
        assert msg.get_content_type() == "multipart/alternative"
        text, html = [part for part in msg.iter_parts()]
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert msg["To"] == row.recipient
        assert msg["From"] == runtime.settings.mail_from
        assert msg["Subject"] == row.subject and decided_case in msg["Subject"]
        assert msg["Message-ID"] == message_id(row.dedupe_key, runtime.settings)
        link = f"http://rc.test/cases/{decided_case}"
        assert link in text.get_content() and f'href="{link}"' in html.get_content()
        assert SECRET_NOTE not in text.get_content() and SECRET_NOTE not in html.get_content()
    # The parties, and the reviewers told of the escalation (nobody is on duty: every active one).
    assert {r.recipient for r in rows} == {w.customer.email, w.creator.email, w.creator2.email,
                                           w.reviewer.email, w.reviewer2.email}

    # Delivery is on the timeline for staff only, once per email.
    sent_events = act.events(decided_case, "email_sent")
    assert len(sent_events) == len(rows)
    assert not any(e.viewable_by_customer or e.viewable_by_merchant for e in sent_events)

    assert deliver(runtime, now + days(1)) == {"claimed": 0, "sent": 0, "retrying": 0, "failed": 0}
    assert len(list(runtime.settings.mail_dir.glob("*.eml"))) == len(rows)


def test_an_email_is_not_sent_before_it_is_due(runtime, act):
    act.open(T0)
    assert deliver(runtime, T0 - dt.timedelta(seconds=1))["claimed"] == 0
    assert deliver(runtime, T0)["sent"] == len(emails(runtime))


def test_a_crash_after_sending_redelivers_into_the_same_file(runtime, act):
    act.open(T0)
    with runtime.Session() as s:
        claimed = outbox.claim_due(s, T0)  # claimed and sent, then the worker dies before recording
    transport = FileTransport(runtime.settings.mail_dir)
    from dashboard.notifications.mail import build_message

    for mail in claimed:
        transport.send(build_message(mail, runtime.settings), mail)

    assert deliver(runtime, T0 + LEASE - dt.timedelta(seconds=1))["claimed"] == 0  # leased
    assert deliver(runtime, T0 + LEASE)["sent"] == len(claimed)
    assert len(list(runtime.settings.mail_dir.glob("*.eml"))) == len(claimed)
    assert all(r.attempts == 2 for r in emails(runtime))


class BrokenTransport:
    def __init__(self, permanent: bool = False):
        self.permanent, self.calls = permanent, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg, mail):
        self.calls += 1
        raise DeliveryError("450 mailbox busy" if not self.permanent else "550 no such user",
                            permanent=self.permanent)


def test_retries_back_off_then_give_up(runtime, act):
    case_id = act.open(T0)
    n = len(emails(runtime))  # the company's two creators
    now = T0
    for attempt, wait in enumerate(RETRY_WAITS, start=1):
        assert deliver(runtime, now, transport=BrokenTransport()) == {"claimed": n, "sent": 0, "retrying": n,
                                                                       "failed": 0}
        assert deliver(runtime, now + wait - dt.timedelta(seconds=1))["claimed"] == 0
        for row in emails(runtime):
            assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempt, now + wait)
        now += wait
    assert now - T0 == dt.timedelta(hours=6, minutes=3)  # "about six hours of trying"
    assert deliver(runtime, now, transport=BrokenTransport())["failed"] == n
    for row in emails(runtime):
        assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 12, None)  # the 12th attempt gives up
        assert "450" in row.last_error
    assert len(act.events(case_id, "email_failed")) == n
    assert deliver(runtime, now + days(30))["claimed"] == 0


def test_a_permanent_refusal_fails_at_once(runtime, act):
    case_id = act.open(T0)
    counts = deliver(runtime, T0, transport=BrokenTransport(permanent=True))
    assert counts["failed"] == counts["claimed"] > 0
    assert all(r.status == "failed" and "550" in r.last_error for r in emails(runtime))
    [event, *_] = act.events(case_id, "email_failed")
    assert not event.viewable_by_customer and not event.viewable_by_merchant


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 8, 20)] == [1, 2, 4, 8, 60, 60, 60]
    assert [outbox.backoff(n) for n in range(1, 12)] == RETRY_WAITS


def test_a_bad_smtp_url_claims_nothing(runtime, act):
    import dataclasses

    act.open(T0)
    settings = dataclasses.replace(runtime.settings, smtp_url="smtq://typo")
    with runtime.Session() as s, pytest.raises(ValueError):
        outbox.deliver_outbox(s, T0, settings=settings)
    assert all(r.attempts == 0 and r.next_attempt_at == T0 for r in emails(runtime))


class CountingTransport:
    def __init__(self):
        self.sent, self.lock = [], threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def send(self, msg, mail):
        time.sleep(0.01)  # a slow server: the other worker is claiming meanwhile
        with self.lock:
            self.sent.append(mail.id)


@pytest.mark.postgres
def test_two_workers_deliver_each_email_once(runtime, act):
    for _ in range(6):
        act.open(T0, payment=act.new_payment(T0))
    n = len(emails(runtime))
    transport, barrier, results = CountingTransport(), threading.Barrier(2), []

    def worker():
        barrier.wait()
        results.append(deliver(runtime, T0, transport=transport, limit=4))
        results.append(deliver(runtime, T0, transport=transport, limit=4))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    while (more := deliver(runtime, T0, transport=transport))["claimed"]:
        results.append(more)
    assert sorted(transport.sent) == sorted(r.id for r in emails(runtime)) and len(transport.sent) == n
    assert sum(r["sent"] for r in results) == n
    assert all(r.status == "sent" and r.attempts == 1 for r in emails(runtime))


def test_messages_encode_non_ascii_and_cannot_grow_headers():
    from dashboard.notifications.mail import Outgoing, build_message
    from tests.factories import test_settings

    settings = test_settings(mail_from="Résolution Center <no-reply@rc.test>")
    mail = Outgoing(1, "reso_x", "revt_1:a@b.test", "created", "a@b.test",
                    "[reso_x] Café order\r\nBcc: victim@example.com", "Prix: 12 € — merci", "<p>12 €</p>",
                    T0, 1)
    raw = build_message(mail, settings).as_bytes()
    assert raw.isascii() and b"\nBcc:" not in raw
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "[reso_x] Café order Bcc: victim@example.com"
    assert msg["From"].addresses[0].display_name == "Résolution Center"
    text, html = msg.iter_parts()
    assert text.get_content().strip() == "Prix: 12 € — merci" and "12 €" in html.get_content()
