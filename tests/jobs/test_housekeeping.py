"""The hourly housekeeping job: idempotency records past their 24 hours and idle sign-in
throttle counters go; what still matters stays."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data.models import IdempotencyRecord, LoginThrottle
from jobs.runner import JOBS, run_all_once
from tests.factories import T0

H = dt.timedelta(hours=1)


def test_housekeeping_forgets_only_what_expired(runtime):
    with runtime.Session.begin() as s:
        for key, expires in (("old", T0 - H), ("fresh", T0 + H)):
            s.add(IdempotencyRecord(user_id="user_x", key=key, request_hash="0" * 64, method="POST",
                                    path="/api/v1/x", status_code=200, response_body="{}",
                                    content_type="application/json", created_at=expires - 24 * H,
                                    expires_at=expires))
        s.add(LoginThrottle(scope="address:10.0.0.1", failures=3, window_started_at=T0 - 30 * H,
                            locked_until=None, updated_at=T0 - 30 * H))
        s.add(LoginThrottle(scope="address:10.0.0.2", failures=10, window_started_at=T0 - 5 * 60 * dt.timedelta(seconds=1),
                            locked_until=T0 + 10 * 60 * dt.timedelta(seconds=1), updated_at=T0))
    assert "housekeeping" in {job.name for job in JOBS}
    results = run_all_once(runtime, T0)
    assert results["housekeeping"] == {"idempotency_records_deleted": 1, "throttle_counters_deleted": 1,
                                       "webhook_deliveries_deleted": 0}
    with runtime.Session() as s:
        assert s.scalars(select(IdempotencyRecord.key)).all() == ["fresh"]
        assert s.scalars(select(LoginThrottle.scope)).all() == ["address:10.0.0.2"]
    again = run_all_once(runtime, T0)  # safe to run twice
    assert again["housekeeping"] == {"idempotency_records_deleted": 0, "throttle_counters_deleted": 0,
                                     "webhook_deliveries_deleted": 0}
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 1


def test_webhook_deliveries_are_kept_30_days_then_forgotten_with_their_attempts(runtime):
    from data.models import Company, User, Webhook, WebhookAttempt, WebhookEvent

    with runtime.Session.begin() as s:
        s.add(Company(id="biz_hk", name="Hk", created_at=T0))
        s.add(User(id="user_hk", email="hk@x.test", name="Hk", role="creator", company_id="biz_hk", created_at=T0))
        s.flush()
        s.add(Webhook(id="hook_hk", company_id="biz_hk", owner_user_id="user_hk", url="https://h.example.test/",
                      events=["resolution_center_case.created"], enabled=True, secret="ws_" + "0" * 64,
                      created_at=T0, updated_at=T0))
        s.flush()
        rows = {"old_done": ("delivered", 31), "old_failed": ("failed", 31), "old_pending": ("pending", 40),
                "new_done": ("delivered", 29)}
        for name, (status, age) in rows.items():
            s.add(WebhookEvent(id=f"msg_{name}", webhook_id="hook_hk", event_type="resolution_center_case.created",
                               body="{}", dedupe_key=name, status=status, created_at=T0 - age * 24 * H))
        s.flush()
        for name in rows:
            s.add(WebhookAttempt(webhook_id="hook_hk", event_id=f"msg_{name}", attempt=1, at=T0, ok=True))
    results = run_all_once(runtime, T0)
    assert results["housekeeping"]["webhook_deliveries_deleted"] == 2
    with runtime.Session() as s:
        assert sorted(s.scalars(select(WebhookEvent.id)).all()) == ["msg_new_done", "msg_old_pending"]
        assert sorted(s.scalars(select(WebhookAttempt.event_id)).all()) == ["msg_new_done", "msg_old_pending"]
