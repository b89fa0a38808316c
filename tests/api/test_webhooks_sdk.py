"""Webhooks through the official `whop-sdk` client (issue 11): create, list, retrieve,
update and delete exactly as `client.webhooks` calls them; creators limited to their
own company; customers and anonymous callers refused; bad URLs and events refused with
a clear 422 and nothing saved; the secret shown once. Every answer is also validated
against the OpenAPI document (tests/api/contract.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from whop_sdk.core.api_error import ApiError

from data.models import Webhook as WebhookRow
from dashboard.webhooks import EVENT_TYPES, urls

PUBLIC = "93.184.216.34"
ADDRESSES = {"hooks.example.test": [PUBLIC], "intranet.example.test": ["10.1.2.3"],
             "rebind.example.test": [PUBLIC, "127.0.0.1"], "mapped.example.test": ["::ffff:169.254.169.254"]}


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Names resolve as ADDRESSES says (no real DNS in tests); others are not found."""
    def resolve(host, port):
        if host not in ADDRESSES:
            raise OSError("name not known")
        return ADDRESSES[host]

    monkeypatch.setattr(urls, "resolve", resolve)


def hooks(Session) -> int:  # noqa: N803
    with Session() as s:
        return s.scalar(select(func.count()).select_from(WebhookRow))


def error_of(exc: ApiError) -> dict:
    return exc.body["error"]


def test_a_creator_creates_lists_retrieves_updates_and_deletes_their_company_webhook(api, w, Session, now):  # noqa: N803
    client = api.sdk(w.creator)
    created = client.webhooks.create(url="https://hooks.example.test/rc", events=["resolution_center_case.created"])
    assert created.id.startswith("hook_")
    assert created.resource_id == w.company.id  # a creator's default: their company
    assert created.webhook_secret and created.webhook_secret.startswith("ws_")
    assert created.enabled is True and created.api_version == "v1" and created.consecutive_failures == 0
    assert list(created.events) == ["resolution_center_case.created"]
    assert set(created.testable_events) == set(EVENT_TYPES)
    assert created.failing_since is None and created.disabled_at is None and created.disabled_reason is None

    got = client.webhooks.retrieve(created.id)
    assert got.id == created.id and got.url == "https://hooks.example.test/rc"
    assert got.webhook_secret is None  # shown once, at creation

    api.server.extensions["rc"].clock = lambda: now + dt.timedelta(minutes=1)
    second = client.webhooks.create(url="https://hooks.example.test/two")
    assert set(second.events) == set(EVENT_TYPES)  # no events given: all the case events
    listed = [h.id for h in client.webhooks.list()]
    assert listed == [second.id, created.id]  # newest first
    assert all(h.webhook_secret is None for h in client.webhooks.list())
    pages = list(client.webhooks.list(first=1).iter_pages())
    assert [[h.id for h in p.items] for p in pages] == [[second.id], [created.id]]

    updated = client.webhooks.update(created.id, enabled=False, events=list(EVENT_TYPES),
                                     url="https://hooks.example.test/moved", api_version_date="2026-10-15-1")
    assert updated.enabled is False and updated.url == "https://hooks.example.test/moved"
    assert set(updated.events) == set(EVENT_TYPES) and updated.api_version_date == "2026-10-15-1"
    assert updated.disabled_at is None  # the owner disabled it, not us
    unpinned = client.webhooks.update(created.id, api_version_date=None, enabled=True)
    assert unpinned.api_version_date is None and unpinned.enabled is True
    assert unpinned.url == "https://hooks.example.test/moved"  # fields not sent are kept

    deleted = client.webhooks.delete(created.id)
    assert deleted.id == created.id and deleted.deleted is True
    with pytest.raises(ApiError) as gone:
        client.webhooks.retrieve(created.id)
    assert gone.value.status_code == 404
    assert hooks(Session) == 1


def test_creators_of_another_company_see_nothing_of_it(api, w, Session):  # noqa: N803
    mine = api.sdk(w.creator).webhooks.create(url="https://hooks.example.test/a")
    theirs = api.sdk(w.other_creator)
    assert [h.id for h in theirs.webhooks.list()] == []
    for call in (lambda: theirs.webhooks.retrieve(mine.id),
                 lambda: theirs.webhooks.update(mine.id, enabled=False),
                 lambda: theirs.webhooks.delete(mine.id),
                 lambda: theirs.webhooks.list(account_id=w.company.id),
                 lambda: theirs.webhooks.create(url="https://hooks.example.test/b", resource_id=w.company.id)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status_code == 404, call
    # A creator of the same company shares it; nothing changed.
    same = api.sdk(w.creator2).webhooks.retrieve(mine.id)
    assert same.enabled is True and same.url == "https://hooks.example.test/a"
    assert hooks(Session) == 1


def test_staff_and_integration_register_platform_webhooks_and_see_every_webhook(api, w):
    company_hook = api.sdk(w.creator).webhooks.create(url="https://hooks.example.test/a")
    platform = api.sdk(w.integration).webhooks.create(url="https://hooks.example.test/all")
    assert platform.resource_id == "platform"
    by_manager = api.sdk(w.manager).webhooks.create(url="https://hooks.example.test/b", resource_id=w.other_company.id)
    assert by_manager.resource_id == w.other_company.id
    for user in (w.reviewer, w.manager, w.integration):
        assert {h.id for h in api.sdk(user).webhooks.list()} == {company_hook.id, platform.id, by_manager.id}
    assert [h.id for h in api.sdk(w.reviewer).webhooks.list(account_id="platform")] == [platform.id]
    assert [h.id for h in api.sdk(w.reviewer).webhooks.list(account_id=w.company.id)] == [company_hook.id]
    # The creator does not see the platform's.
    assert [h.id for h in api.sdk(w.creator).webhooks.list()] == [company_hook.id]
    with pytest.raises(ApiError) as refused:
        api.sdk(w.creator).webhooks.retrieve(platform.id)
    assert refused.value.status_code == 404
    with pytest.raises(ApiError) as unknown:
        api.sdk(w.manager).webhooks.create(url="https://hooks.example.test/c", resource_id="biz_nope")
    assert unknown.value.status_code == 404 and error_of(unknown.value)["code"] == "resource_not_found"


def test_customers_and_anonymous_callers_are_refused(api, w, Session):  # noqa: N803
    hook = api.sdk(w.creator).webhooks.create(url="https://hooks.example.test/a")
    customer = api.sdk(w.customer)
    for call in (lambda: customer.webhooks.create(url="https://hooks.example.test/x"),
                 lambda: list(customer.webhooks.list()),
                 lambda: customer.webhooks.retrieve(hook.id),
                 lambda: customer.webhooks.update(hook.id, enabled=False),
                 lambda: customer.webhooks.delete(hook.id)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status_code == 403 and error_of(refused.value)["code"] == "role_not_allowed"
    for method, path in (("POST", "/webhooks"), ("GET", "/webhooks"), ("GET", f"/webhooks/{hook.id}"),
                         ("PATCH", f"/webhooks/{hook.id}"), ("DELETE", f"/webhooks/{hook.id}")):
        assert api.request(method, None, path, json={"url": "https://hooks.example.test/x"}).status_code == 401
    assert hooks(Session) == 1
    assert api.sdk(w.creator).webhooks.retrieve(hook.id).enabled is True


@pytest.mark.parametrize("url, words", [
    ("http://hooks.example.test/rc", "https"),
    ("ftp://hooks.example.test/rc", "https://"),
    ("https://intranet.example.test/rc", "10.1.2.3"),
    ("https://rebind.example.test/rc", "127.0.0.1"),
    ("https://mapped.example.test/rc", "169.254.169.254"),
    ("https://127.0.0.1:8443/rc", "loopback"),
    ("https://[::1]/rc", "loopback"),
    ("https://0.0.0.0/rc", "non-public"),
    ("https://nowhere.example.test/rc", "could not be found"),
    ("https://user:pw@hooks.example.test/rc", "password"),
    ("not a url", "https://"),
    ("", "required"),
])
def test_a_bad_url_is_a_clear_422_and_nothing_is_saved(api, w, Session, settings, url, words):  # noqa: N803
    api.server.extensions["rc"].settings = _deployed(settings)
    with pytest.raises(ApiError) as refused:
        api.sdk(w.creator).webhooks.create(url=url)
    assert refused.value.status_code == 422
    error = error_of(refused.value)
    assert error["code"] == ("url_required" if not url else "invalid_url") and error["field"] == "url"
    assert words in error["message"]
    assert hooks(Session) == 0


def test_an_update_to_a_private_url_changes_nothing(api, w, settings):
    api.server.extensions["rc"].settings = _deployed(settings)
    client = api.sdk(w.creator)
    hook = client.webhooks.create(url="https://hooks.example.test/a")
    with pytest.raises(ApiError) as refused:
        client.webhooks.update(hook.id, url="https://intranet.example.test/a", enabled=False)
    assert refused.value.status_code == 422 and error_of(refused.value)["code"] == "invalid_url"
    again = client.webhooks.retrieve(hook.id)
    assert again.url == "https://hooks.example.test/a" and again.enabled is True


def test_private_addresses_and_http_need_webhook_allow_private(api, w, settings):
    api.server.extensions["rc"].settings = _deployed(settings, webhook_allow_private=True)
    hook = api.sdk(w.creator).webhooks.create(url="http://127.0.0.1:9/rc")
    assert hook.url == "http://127.0.0.1:9/rc"


@pytest.mark.parametrize("events, code", [
    (["payment.succeeded"], "unsupported_event"),
    ([], "invalid_events"),
])
def test_unknown_or_no_events_are_refused(api, w, Session, events, code):  # noqa: N803
    response = api.post(w.creator, "/webhooks", {"url": "https://hooks.example.test/a", "events": events})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code
    assert "resolution_center_case" in response.get_json()["error"]["message"] or code == "invalid_events"
    assert hooks(Session) == 0


def test_bad_field_types_are_422(api, w, Session):  # noqa: N803
    for body in ({"url": 5}, {"url": "https://hooks.example.test/a", "enabled": "yes"},
                 {"url": "https://hooks.example.test/a", "api_version_date": "soon"}):
        response = api.post(w.creator, "/webhooks", body)
        assert response.status_code == 422, body
    assert hooks(Session) == 0


def test_create_with_an_idempotency_key_creates_once(api, w, Session):  # noqa: N803
    headers = {"Idempotency-Key": "hook-create-1"}
    first = api.post(w.creator, "/webhooks", {"url": "https://hooks.example.test/a"}, headers=headers)
    again = api.post(w.creator, "/webhooks", {"url": "https://hooks.example.test/a"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert hooks(Session) == 1


def _deployed(settings, **overrides):
    """The settings of a deployment (PostgreSQL, not the embedded SQLite default), where
    only https to public addresses is allowed unless WEBHOOK_ALLOW_PRIVATE is on."""
    import dataclasses

    return dataclasses.replace(settings, database_url="postgresql+psycopg2://db.example/rc", **overrides)


def test_has_failures_filters_on_a_failing_endpoint(api, w, Session, now):  # noqa: N803
    client = api.sdk(w.creator)
    healthy = client.webhooks.create(url="https://hooks.example.test/ok")
    failing = client.webhooks.create(url="https://hooks.example.test/failing")
    with Session.begin() as s:
        s.get(WebhookRow, failing.id).failing_since = now
    assert [h.id for h in client.webhooks.list(has_failures=True)] == [failing.id]
    assert [h.id for h in client.webhooks.list(has_failures=False)] == [healthy.id]
    bad = api.get(w.creator, "/webhooks?has_failures=yes")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "has_failures"
