"""dashboard.notifications.outbox over SMTP (SMTP_URL), against real aiosmtpd servers."""
from __future__ import annotations

import dataclasses
import datetime as dt
import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from data.models import OutboxEmail
from dashboard.notifications import outbox
from dashboard.notifications.mail import SmtpConfig, message_id
from tests.factories import T0

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)


def deliver(runtime, now, smtp_url):
    settings = dataclasses.replace(runtime.settings, smtp_url=smtp_url)
    with runtime.Session() as s:
        return outbox.deliver_outbox(s, now, settings=settings)


def emails(runtime) -> list[OutboxEmail]:
    with runtime.Session() as s:
        return list(s.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that answers RCPT with `rcpt_reply` (None = accept)."""

    def __init__(self, rcpt_reply: str | None = None):
        self.rcpt_reply = rcpt_reply
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """start(port=None, rcpt_reply=None) -> (handler, port); stopped after the test."""
    controllers = []

    def start(port: int | None = None, rcpt_reply: str | None = None):
        handler = Recorder(rcpt_reply)
        port = port or free_port()
        ctl = Controller(handler, hostname="127.0.0.1", port=port)
        ctl.start()
        controllers.append(ctl)
        return handler, port

    yield start
    for ctl in controllers:
        ctl.stop()


def test_delivers_over_smtp(runtime, act, w, smtp_sink):
    case_id = act.open(T0)
    rows = emails(runtime)
    counts = deliver(runtime, T0, f"smtp://{smtp_sink.host}:{smtp_sink.port}")
    assert counts == {"claimed": len(rows), "sent": len(rows), "retrying": 0, "failed": 0}

    messages = smtp_sink.wait_for(len(rows))
    assert sorted(e.rcpt_tos[0] for e in smtp_sink.envelopes) == sorted(r.recipient for r in rows)
    assert {e.mail_from for e in smtp_sink.envelopes} == {"no-reply@resolution.center.test"}
    by_to = {m["To"]: m for m in messages}
    for row in rows:
        msg = by_to[row.recipient]
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
        assert case_id in str(make_header(decode_header(msg["Subject"])))  # subjects are UTF-8 ("·", "—")
        assert msg["Message-ID"] == message_id(row.dedupe_key, runtime.settings)
    assert all(r.status == "sent" for r in emails(runtime))
    assert list(runtime.settings.mail_dir.glob("*.eml")) == []  # SMTP, not files


def test_server_down_then_up(runtime, act, smtp_server):
    act.open(T0)
    n = len(emails(runtime))
    port = free_port()  # nothing listens there yet: connection refused
    url = f"smtp://127.0.0.1:{port}"

    assert deliver(runtime, T0, url) == {"claimed": n, "sent": 0, "retrying": n, "failed": 0}
    for row in emails(runtime):
        assert row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at == T0 + MINUTE  # the first retry, a minute on
        assert "unavailable" in row.last_error

    handler, _ = smtp_server(port)
    assert deliver(runtime, T0 + MINUTE - SECOND, url)["claimed"] == 0  # backing off
    assert deliver(runtime, T0 + MINUTE, url) == {"claimed": n, "sent": n, "retrying": 0, "failed": 0}
    assert len(handler.envelopes) == n
    assert all(r.status == "sent" and r.attempts == 2 and r.last_error is None for r in emails(runtime))


def test_a_5xx_recipient_refusal_is_permanent(runtime, act, smtp_server):
    case_id = act.open(T0)
    _, port = smtp_server(rcpt_reply="550 5.1.1 No such user")
    counts = deliver(runtime, T0, f"smtp://127.0.0.1:{port}")
    assert counts["failed"] == counts["claimed"] > 0
    assert all(r.status == "failed" and "550" in r.last_error for r in emails(runtime))
    assert act.events(case_id, "email_failed")


def test_a_4xx_recipient_refusal_is_retried(runtime, act, smtp_server):
    act.open(T0)
    _, port = smtp_server(rcpt_reply="451 4.7.1 Greylisted, try again later")
    counts = deliver(runtime, T0, f"smtp://127.0.0.1:{port}")
    assert counts["retrying"] == counts["claimed"] > 0
    assert all(r.status == "pending" and "451" in r.last_error for r in emails(runtime))


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", SmtpConfig(False, "mail.example.com", 25, None, None)),
    ("smtp://user:p%40ss@mail.example.com:587", SmtpConfig(False, "mail.example.com", 587, "user", "p@ss")),
    ("smtps://apikey:secret@smtp.example.com", SmtpConfig(True, "smtp.example.com", 465, "apikey", "secret")),
])
def test_smtp_urls(url, expected):
    assert SmtpConfig.parse(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(ValueError):
        SmtpConfig.parse(url)
