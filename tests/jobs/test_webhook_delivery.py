"""Delivering webhook events (issue 11) to a real HTTP receiver on loopback that verifies
EVERY delivery with whop-sdk's own `unwrap` and the secret as shown at creation:

- each event arrives once, signed, with the same `webhook-id` on every attempt;
- the receiver down, then up: every event arrives once, and a case's events in order;
- the retry schedule (1, 2, 4 … minutes, then 12 hours; failed after the 16th attempt);
- every delivery failing for three days disables the webhook, drops its pending events
  and emails its owner;
- three scheduler processes on PostgreSQL deliver each event exactly once, in order.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import pytest
from sqlalchemy import func, select
from whop_sdk.lib.verify_webhook import unwrap

from data.models import Case, OutboxEmail, User, Webhook, WebhookAttempt, WebhookEvent
from dashboard.cases import party
from dashboard.context import Ctx
from dashboard.webhooks import CASE_CREATED, CASE_UPDATED, manage
from dashboard.webhooks.delivery import DISABLED_REASON, MAX_ATTEMPTS, backoff
from jobs.webhooks import deliver_webhooks
from tests.factories import T0, days
from tests.jobs import _procs
from tests.jobs._backlog import open_cases

MINUTE = dt.timedelta(minutes=1)


class Receiver:
    """An endpoint on 127.0.0.1: verifies each delivery with `unwrap(body, headers=…,
    key=secret)`; answers 200, or `status` while failing; `stop()`/`start()` take it
    down (connection refused) and back up on the same port."""

    def __init__(self):
        self.port = _procs.free_port()
        self.secret: Optional[str] = None
        self.status = 200
        self.delay = 0.0  # seconds before answering (a slow endpoint keeps schedulers overlapping)
        self.received: list[dict] = []  # verified bodies, in arrival order
        self.ids: list[str] = []  # webhook-id of every request, verified or not
        self.rejected: list[str] = []
        self.lock = threading.Lock()
        self.server: Optional[ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rc?source=test"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.ids.append(self.headers.get("webhook-id"))
                    try:
                        event = unwrap(body, headers=dict(self.headers), key=receiver.secret)
                    except Exception as exc:  # noqa: BLE001 - recorded, the test fails on it
                        receiver.rejected.append(repr(exc))
                        event = None
                    if event is not None and receiver.status == 200:
                        assert self.path == "/hooks/rc?source=test" and event["id"] == self.headers["webhook-id"]
                        receiver.received.append(event)
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:  # to itself: a followed redirect would be a second request
                    self.send_header("Location", receiver.url)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver():
    r = Receiver()
    r.start()
    yield r
    r.stop()
    assert r.rejected == []  # every delivery verified with the SDK's unwrap


@pytest.fixture
def settings(tmp_path):
    from tests import factories

    return factories.test_settings(tmp_path, webhook_allow_private=True)


def create_hook(runtime, owner, url: str, *, at=T0) -> Webhook:
    with runtime.Session.begin() as s:
        user = s.get(type(owner), owner.id)
        return manage.create_webhook(Ctx(s, at, runtime.settings), user, url=url, events_=None, enabled=None,
                                     api_version_date=None, resource_id=None, child_resource_events=None)


def deliver(runtime, at: dt.datetime) -> dict:
    with runtime.Session() as s:
        return deliver_webhooks(s, at, settings=runtime.settings)


def rows(runtime, model, *where):
    with runtime.Session() as s:
        return list(s.scalars(select(model).where(*where)))


def one_case_story(act, w, at=T0) -> str:
    """Opened, asked for information, answered: three events for the company's webhook."""
    cid = act.open(at, payment=act.new_payment(at))
    act(at + MINUTE, party.merchant_request_info, actor=w.creator, case_id=cid, message="Which email?")
    act(at + 2 * MINUTE, party.reply, actor=w.customer, case_id=cid, message="buyer@example.com")
    return cid


def in_order_per_case(bodies: list[dict]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = defaultdict(list)
    for body in bodies:
        seen[body["data"]["id"]].append(body["data"]["status"])
    return dict(seen)


def test_every_event_arrives_once_signed_and_verifiable(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret  # as shown once at creation
    cid = one_case_story(act, w)
    counts = deliver(runtime, T0 + 3 * MINUTE)
    assert counts["delivered"] == 3 and counts["retrying"] == counts["failed"] == 0
    assert [b["type"] for b in receiver.received] == [CASE_CREATED, CASE_UPDATED, CASE_UPDATED]
    assert in_order_per_case(receiver.received) == {cid: ["awaiting_merchant", "awaiting_customer",
                                                          "awaiting_merchant"]}
    events = rows(runtime, WebhookEvent)
    assert {e.status for e in events} == {"delivered"} and {e.last_status_code for e in events} == {200}
    assert all(e.last_response_ms is not None and e.attempts == 1 for e in events)
    assert sorted(receiver.ids) == sorted(e.id for e in events)
    attempts = rows(runtime, WebhookAttempt)
    assert len(attempts) == 3 and all(a.ok and a.status_code == 200 for a in attempts)
    assert deliver(runtime, T0 + 10 * MINUTE)["claimed"] == 0  # nothing twice


def test_a_wrong_key_does_not_verify(runtime, act, w, receiver):
    """The receiver's check can fail: the same delivery with another secret is rejected."""
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = "ws_" + "0" * 64
    one_case_story(act, w)
    deliver(runtime, T0 + 3 * MINUTE)
    assert len(receiver.rejected) == 3 and receiver.received == []  # none verifies with another key
    receiver.rejected.clear()
    assert hook.secret != receiver.secret


def test_receiver_down_then_up_gets_every_event_once_in_order(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    receiver.stop()
    cases = [one_case_story(act, w) for _ in range(3)]
    at = T0 + 3 * MINUTE
    first = deliver(runtime, at)
    # Only each case's first event is tried; the later ones wait behind it.
    assert first == {"claimed": 3, "delivered": 0, "retrying": 3, "failed": 0}
    for _ in range(2):  # still down at the next two retries
        at += backoff(MAX_ATTEMPTS)
        assert deliver(runtime, at)["retrying"] == 3
    failed_ids = set(receiver.ids)
    receiver.start()
    at += backoff(MAX_ATTEMPTS)
    counts = deliver(runtime, at)
    assert counts["delivered"] == 9
    assert Counter(b["id"] for b in receiver.received) == Counter({e.id: 1 for e in rows(runtime, WebhookEvent)})
    assert in_order_per_case(receiver.received) == {cid: ["awaiting_merchant", "awaiting_customer",
                                                          "awaiting_merchant"] for cid in cases}
    heads = {e.id for e in rows(runtime, WebhookEvent, WebhookEvent.attempts == 4)}
    assert len(heads) == 3 and failed_ids == set()  # down: nothing reached it
    hooked = rows(runtime, Webhook)[0]
    assert hooked.consecutive_failures == 0 and hooked.failing_since is None and hooked.enabled


def test_the_same_webhook_id_on_every_retry(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    act.open(T0, payment=act.new_payment(T0))
    receiver.status = 503
    at = T0 + MINUTE
    for _ in range(3):
        deliver(runtime, at)
        at += backoff(MAX_ATTEMPTS)
    receiver.status = 200
    deliver(runtime, at)
    (event,) = rows(runtime, WebhookEvent)
    assert receiver.ids == [event.id] * 4 and len(receiver.received) == 1
    assert [a.status_code for a in sorted(rows(runtime, WebhookAttempt), key=lambda a: a.attempt)] == [503] * 3 + [200]
    assert event.status == "delivered" and event.attempts == 4


def test_backoff_then_failed_after_the_last_attempt(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    receiver.status = 500
    cid = act.open(T0, payment=act.new_payment(T0))
    waits = []
    at = T0
    for n in range(1, MAX_ATTEMPTS + 1):
        deliver(runtime, at)
        (event,) = rows(runtime, WebhookEvent)
        assert event.attempts == n and event.last_status_code == 500
        if event.status == "failed":
            break
        waits.append(event.next_attempt_at - at)
        at = event.next_attempt_at
    assert [int(w_.total_seconds() // 60) for w_ in waits] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] + [720] * 5
    assert event.status == "failed" and event.attempts == MAX_ATTEMPTS and event.next_attempt_at is None
    assert dt.timedelta(days=3) < at - T0 < dt.timedelta(days=3, hours=12)  # about three days of trying
    hooked = rows(runtime, Webhook)[0]
    assert hooked.last_failure_at == at and hooked.consecutive_failures == 1  # retries do not count again
    assert hooked.enabled is False and hooked.disabled_reason == DISABLED_REASON  # failing for 3 days
    assert cid and len(receiver.ids) == MAX_ATTEMPTS


def test_three_days_of_failures_disable_the_webhook_and_email_its_owner(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    receiver.status = 500
    act.open(T0, payment=act.new_payment(T0))
    deliver(runtime, T0)
    hooked = rows(runtime, Webhook)[0]
    assert hooked.failing_since == T0 and hooked.consecutive_failures == 1 and hooked.enabled
    # A second case's event, two days in: its first attempt fails too.
    act.open(T0 + days(2), payment=act.new_payment(T0 + days(2)))
    deliver(runtime, T0 + days(2))
    assert rows(runtime, Webhook)[0].consecutive_failures == 2
    assert rows(runtime, OutboxEmail, OutboxEmail.template == "webhook_disabled") == []
    later = T0 + days(3) + MINUTE
    deliver(runtime, later)
    hooked = rows(runtime, Webhook)[0]
    assert hooked.enabled is False and hooked.disabled_reason == DISABLED_REASON and hooked.disabled_at == later
    assert {e.status for e in rows(runtime, WebhookEvent)} == {"failed"}  # pending ones dropped
    (email,) = rows(runtime, OutboxEmail, OutboxEmail.template == "webhook_disabled")
    assert email.recipient == w.creator.email and email.case_id is None
    assert receiver.url in email.body_text and "failed since" in email.body_text and hook.id in email.body_text
    assert "HTTP 500" in email.body_text and "turn the webhook" in email.body_text
    # Nothing more is written or sent while it is off.
    before = len(receiver.ids)
    act.open(later, payment=act.new_payment(later))
    assert deliver(runtime, later + days(1))["claimed"] == 0 and len(receiver.ids) == before
    assert len(rows(runtime, WebhookEvent)) == 2
    # Turned on again: the streak is cleared and new events flow.
    receiver.status = 200
    with runtime.Session.begin() as s:
        manage.update_webhook(Ctx(s, later + days(1), runtime.settings), s.get(type(w.creator), w.creator.id),
                              hook.id, {"enabled": True})
    hooked = rows(runtime, Webhook)[0]
    assert hooked.enabled and hooked.disabled_at is None and hooked.consecutive_failures == 0
    act.open(later + days(1), payment=act.new_payment(later + days(1)))
    assert deliver(runtime, later + days(1))["delivered"] == 1


def test_a_name_that_turns_private_is_refused_at_delivery(runtime, act, w, receiver, monkeypatch):
    """DNS rebinding: public when saved, loopback when sent — refused, nothing sent."""
    from dashboard.webhooks import urls

    deployed = dataclasses.replace(runtime.settings, webhook_allow_private=False,
                                   database_url="postgresql+psycopg2://db.example/rc")
    answers = {"hooks.example.test": ["93.184.216.34"]}
    monkeypatch.setattr(urls, "resolve", lambda host, port: answers[host])
    with runtime.Session.begin() as s:
        hook = manage.create_webhook(Ctx(s, T0, deployed), s.get(type(w.creator), w.creator.id),
                                     url="https://hooks.example.test/rc", events_=None, enabled=None,
                                     api_version_date=None, resource_id=None, child_resource_events=None)
    act.open(T0, payment=act.new_payment(T0))
    answers["hooks.example.test"] = ["127.0.0.1"]
    with runtime.Session() as s:
        counts = deliver_webhooks(s, T0, settings=deployed)
    assert counts["retrying"] == 1 and receiver.ids == []
    (event,) = rows(runtime, WebhookEvent)
    assert "127.0.0.1" in event.last_error and event.last_status_code is None and hook.id


@pytest.mark.postgres
def test_three_scheduler_processes_on_postgresql_deliver_each_event_once_in_order(runtime, tmp_path, receiver):
    start = T0
    backlog = open_cases(runtime, [start + i * dt.timedelta(seconds=1) for i in range(60)], companies=3)
    with runtime.Session.begin() as s:
        creators = {u.company_id: u for u in s.scalars(select(User).where(User.role == "creator"))}
        hooks = [manage.create_webhook(Ctx(s, start, runtime.settings), creators[c], url=receiver.url,
                                       events_=None, enabled=None, api_version_date=None, resource_id=None,
                                       child_resource_events=None) for c in sorted(creators)]
        # Every hook shares the receiver, so they share one secret for it to verify with.
        for h in hooks:
            h.secret = hooks[0].secret
        receiver.secret = hooks[0].secret
    # Two events per case after the webhooks exist (asked, answered), so order matters.
    for i, cid in enumerate(backlog.case_ids):
        with runtime.Session.begin() as s:
            ctx = Ctx(s, start + dt.timedelta(minutes=5), runtime.settings)
            creator = creators[backlog.company_of[cid]]
            party.merchant_request_info(ctx, actor=s.get(User, creator.id), case_id=cid, message=f"Which email ({i})?")
        with runtime.Session.begin() as s:
            ctx = Ctx(s, start + dt.timedelta(minutes=6), runtime.settings)
            customer = s.get(User, s.get(Case, cid).customer_id)
            party.reply(ctx, actor=customer, case_id=cid, message=f"buyer{i}@example.com")
    with runtime.Session() as s:
        total = s.scalar(select(func.count()).select_from(WebhookEvent))
    assert total == 120
    env = _procs.env_for(runtime.engine.url.render_as_string(hide_password=False), tmp_path,
                         WEBHOOK_ALLOW_PRIVATE="on")
    at = start + dt.timedelta(minutes=10)
    receiver.delay = 0.03  # 120 events take each scheduler seconds: they overlap
    procs = [_procs.jobs(env, "--once", "--as-of", at.isoformat()) for _ in range(3)]
    delivered = []
    for proc in procs:
        rc, report, err = _procs.finish(proc)
        assert rc == 0, err[-3000:]
        delivered.append(report["webhooks"]["delivered"])
    assert sum(delivered) == total and sum(1 for n in delivered if n) >= 2, delivered  # they raced, none twice
    assert Counter(receiver.ids) == Counter({e.id: 1 for e in rows(runtime, WebhookEvent)})
    assert len(receiver.received) == total
    assert in_order_per_case(receiver.received) == {cid: ["awaiting_customer", "awaiting_merchant"]
                                                    for cid in backlog.case_ids}
    assert {(e.status, e.attempts) for e in rows(runtime, WebhookEvent)} == {("delivered", 1)}
    assert json.loads(json.dumps(receiver.received[0]))["api_version"] == "v1"


def test_the_probe_sees_only_claimable_events(runtime, act, w, receiver):
    """The scheduler's probe (jobs.probe.webhooks) is the claim's own condition: due events
    of enabled webhooks at the head of their case's line."""
    from jobs import probe

    def due(at) -> bool:
        with runtime.engine.connect() as c:
            return bool(c.execute(select(probe.webhooks(at))).scalar())

    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    assert not due(T0)
    one_case_story(act, w)
    assert due(T0 + 3 * MINUTE)
    receiver.status = 500
    deliver(runtime, T0 + 3 * MINUTE)  # the head fails and waits a minute; the others wait behind it
    assert not due(T0 + 3 * MINUTE + 30 * dt.timedelta(seconds=1))
    assert due(T0 + 4 * MINUTE)
    with runtime.Session.begin() as s:
        manage.update_webhook(Ctx(s, T0 + 4 * MINUTE, runtime.settings), s.get(User, w.creator.id), hook.id,
                              {"enabled": False})
    assert not due(T0 + days(1))
    assert {e.status for e in rows(runtime, WebhookEvent)} == {"failed"}  # dropped when disabled


def test_a_redirect_is_not_followed_and_counts_as_a_failure(runtime, act, w, receiver):
    hook = create_hook(runtime, w.creator, receiver.url)
    receiver.secret = hook.secret
    receiver.status = 302
    act.open(T0, payment=act.new_payment(T0))
    assert deliver(runtime, T0)["retrying"] == 1
    (event,) = rows(runtime, WebhookEvent)
    assert event.status == "pending" and event.last_status_code == 302 and "not followed" in event.last_error
    assert len(receiver.ids) == 1  # one request, no second one to wherever it pointed
