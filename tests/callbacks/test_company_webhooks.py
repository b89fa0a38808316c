"""The webhooks screens (issue 11 item 3): the card on `/company` (creators, their own
company's webhooks) and the webhooks card of `/deliveries` (staff: every webhook and
delivery, retry), called as plain functions by a signed-in user. Also the domain they
call (`dashboard.webhooks.console`): test events and retries."""
from __future__ import annotations

import json
from contextlib import contextmanager
from unittest import mock

import plotly.utils
import pytest
from sqlalchemy import select

from callbacks import company_webhooks as cb
from callbacks import deliveries as deliveries_cb
from data.models import Webhook, WebhookEvent
from dashboard.context import Ctx
from dashboard.webhooks import EVENT_TYPES, console, manage, urls
from tests import factories

URL = "https://hooks.example.test/rc"


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    monkeypatch.setattr(urls, "resolve", lambda host, port: ["93.184.216.34"] if host.endswith(".example.test")
                        else (_ for _ in ()).throw(OSError("name not known")))


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now, runtime.settings))


@contextmanager
def clicked(kind, hook_id):
    """What Dash's callback context says when one row's button was clicked."""
    trigger = {"type": kind, "id": hook_id}
    with mock.patch.object(cb, "dash_ctx") as fake:
        fake.triggered_id = trigger
        fake.triggered = [{"prop_id": json.dumps(trigger) + ".n_clicks", "value": 1}]
        yield


def make_hook(runtime, w, *, creator=None, company=None):
    with runtime.Session.begin() as s:
        ctx = Ctx(s, runtime.now(), runtime.settings)
        user = s.get(type(w.creator), (creator or w.creator).id)
        hook = manage.create_webhook(ctx, user, url=URL, events_=None, enabled=True, api_version_date=None,
                                     resource_id=(company or w.company).id, child_resource_events=None)
        return hook.id


def hook_row(runtime, hook_id):
    with runtime.Session() as s:
        return s.get(Webhook, hook_id)


def events_of(runtime, hook_id):
    with runtime.Session() as s:
        return s.scalars(select(WebhookEvent).where(WebhookEvent.webhook_id == hook_id)).all()


def test_a_creator_adds_a_webhook_and_sees_its_secret_once(as_user, w, runtime):
    with as_user(w.creator):
        notice, invalid, error, url_value, bump = cb.create_webhook(1, URL, list(EVENT_TYPES), 0)
        listed = cb.load_webhooks(bump)
    with runtime.Session() as s:
        hook = s.scalar(select(Webhook))
    assert (invalid, error, url_value, bump) == (False, None, "", 1)
    assert hook.company_id == w.company.id and hook.secret in text(notice) and "shown this once" in text(notice)
    assert URL in text(listed) and hook.secret not in text(listed)


@pytest.mark.parametrize("url,events,said", [
    ("ftp://hooks.example.test/rc", list(EVENT_TYPES), "https"),
    ("https://user:pw@hooks.example.test/rc", list(EVENT_TYPES), "user name or password"),
    ("https://intranet.local.test/x", list(EVENT_TYPES), "could not be found"),
    ("", list(EVENT_TYPES), "Enter the https address"),
    (URL, [], "at least one kind of event"),
    (URL, ["resolution_center_case.nope"], "at least one kind of event"),
])
def test_a_bad_webhook_is_explained_and_nothing_is_saved(as_user, w, runtime, url, events, said):
    with as_user(w.creator):
        notice, invalid, error, _value, bump = cb.create_webhook(1, url, events, 0)
    assert notice is None and invalid is True and said.lower() in error.lower()
    with runtime.Session() as s:
        assert s.scalar(select(Webhook)) is None


def test_people_who_are_not_the_companys_creators_get_nothing_here(as_user, w, runtime):
    hook_id = make_hook(runtime, w)
    for who in (w.customer, w.other_creator):
        with as_user(who):
            assert URL not in text(cb.load_webhooks(0))
            for kind, fn in ((cb.WebhookIds.TOGGLE, cb.toggle_webhook), (cb.WebhookIds.TEST, cb.send_test)):
                with clicked(kind, hook_id):
                    alert, _ = fn([1], 0)
                assert "not found" in text(alert).lower() or "webhooks are for" in text(alert).lower()
            with clicked(cb.WebhookIds.DELETE, hook_id):
                assert cb.ask_delete([1])[0] is False
            with mock.patch.object(cb, "dash_ctx") as fake:
                fake.triggered_id = cb.WebhookIds.CONFIRM_OK
                cb.confirm_delete(1, None, hook_id, 0)
    row = hook_row(runtime, hook_id)
    assert row is not None and row.enabled is True and events_of(runtime, hook_id) == []
    with as_user(w.customer):
        notice, invalid, *_ = cb.create_webhook(1, URL, list(EVENT_TYPES), 0)
    assert notice is None and invalid is True
    with as_user(w.other_creator):  # a creator's new webhook is always for their own company
        cb.create_webhook(1, URL + "/other", list(EVENT_TYPES), 0)
    with runtime.Session() as s:
        assert {(h.url, h.company_id) for h in s.scalars(select(Webhook))} == {
            (URL, w.company.id), (URL + "/other", w.other_company.id)}


def test_turn_off_and_on_send_a_test_and_delete(as_user, w, runtime):
    hook_id = make_hook(runtime, w)
    with as_user(w.creator):
        with clicked(cb.WebhookIds.TOGGLE, hook_id):
            alert, _ = cb.toggle_webhook([1], 0)
        assert "Turned off" in text(alert) and hook_row(runtime, hook_id).enabled is False
        with clicked(cb.WebhookIds.TEST, hook_id):
            alert, _ = cb.send_test([1], 0)
        assert "enable it first" in text(alert) and events_of(runtime, hook_id) == []
        with clicked(cb.WebhookIds.TOGGLE, hook_id):
            cb.toggle_webhook([1], 0)
        with clicked(cb.WebhookIds.TEST, hook_id):
            alert, _ = cb.send_test([1], 0)
            again, _ = cb.send_test([2], 0)  # a double click sends one
        [event] = events_of(runtime, hook_id)
        assert event.id in text(alert) and "already on its way" in text(again)
        assert json.loads(event.body)["test"] is True and event.status == "pending"
        with clicked(cb.WebhookIds.DELETE, hook_id):
            is_open, body, deleting = cb.ask_delete([1])
        assert is_open and URL in text(body) and deleting == hook_id
        with mock.patch.object(cb, "dash_ctx") as fake:
            fake.triggered_id = cb.WebhookIds.CONFIRM_CANCEL
            assert cb.confirm_delete(None, 1, hook_id, 0)[0] is False
        assert hook_row(runtime, hook_id) is not None  # cancelled: still there
        with mock.patch.object(cb, "dash_ctx") as fake:
            fake.triggered_id = cb.WebhookIds.CONFIRM_OK
            _open, alert, _ = cb.confirm_delete(1, None, hook_id, 0)
    assert "deleted" in text(alert) and hook_row(runtime, hook_id) is None


def test_a_test_event_carries_the_newest_case_as_the_webhook_would_hear_of_it(w, runtime, now):
    from dashboard.cases.opening import open_case

    hook_id = make_hook(runtime, w)
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        case_id = open_case(ctx, actor=s.get(type(w.customer), w.customer.id), payment_id=w.payment.id,
                            reason="fraudulent", message="Not me").case.id
        event = console.send_test_event(ctx, s.get(type(w.creator), w.creator.id), hook_id)
        body = json.loads(event.body)
    assert (body["type"], body["test"], body["data"]["id"]) == ("resolution_center_case.updated", True, case_id)
    assert event.case_id is None  # not chained behind the case's own events


def test_staff_see_every_webhook_and_retry_a_failed_delivery(as_user, w, runtime, now):
    hook_id = make_hook(runtime, w)
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        event = console.send_test_event(ctx, s.get(type(w.creator), w.creator.id), hook_id)
        event.status, event.attempts, event.last_error = "failed", 16, "HTTP 500"
        event_id = event.id
    with as_user(w.reviewer):
        events_html, hooks_html = deliveries_cb.load_webhook_deliveries("failed", 0, None)
    assert event_id in text(events_html) and "HTTP 500" in text(events_html) and URL in text(hooks_html)
    with as_user(w.creator):  # not staff: the Deliveries card shows nothing
        events_html, hooks_html = deliveries_cb.load_webhook_deliveries("failed", 0, None)
        assert event_id not in text(events_html, hooks_html)
    button = {"type": "deliveries-retry", "kind": "webhook", "id": event_id}
    for who, allowed in ((w.creator, False), (w.reviewer, True)):
        with as_user(who), mock.patch.object(deliveries_cb, "dash_ctx") as fake:
            fake.triggered_id = button
            alert, _changed = deliveries_cb.retry_delivery([1])
        [row] = events_of(runtime, hook_id)
        assert (row.status == "pending") is allowed, text(alert)
    assert (row.attempts, row.id) == (0, event_id)  # the same webhook-id, a fresh backoff
    with as_user(w.reviewer), mock.patch.object(deliveries_cb, "dash_ctx") as fake:
        fake.triggered_id = button
        alert, _ = deliveries_cb.retry_delivery([2])
    assert "Only a failed delivery" in text(alert)


def test_a_failing_webhook_says_what_happens_next_and_test_deliveries_are_named(as_user, w, runtime, now):
    import datetime as dt

    from data.models import WebhookAttempt

    hook_id = make_hook(runtime, w)
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)
        event = console.send_test_event(ctx, s.get(type(w.creator), w.creator.id), hook_id)
        s.add(WebhookAttempt(webhook_id=hook_id, event_id=event.id, attempt=1, at=now, ok=False, status_code=500,
                             response_ms=12, error="HTTP 500"))
        hook = s.get(Webhook, hook_id)
        hook.consecutive_failures, hook.failing_since = 3, now - dt.timedelta(hours=5)
    with as_user(w.creator):
        listed = text(cb.load_webhooks(0))
    assert "Failing since" in listed and "turned off on" in listed and "you are emailed" in listed
    assert "Test event" in listed and "500" in listed and "12 ms" in listed
