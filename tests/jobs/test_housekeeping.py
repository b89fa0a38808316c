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
    assert results["housekeeping"] == {"idempotency_records_deleted": 1, "throttle_counters_deleted": 1}
    with runtime.Session() as s:
        assert s.scalars(select(IdempotencyRecord.key)).all() == ["fresh"]
        assert s.scalars(select(LoginThrottle.scope)).all() == ["address:10.0.0.2"]
    again = run_all_once(runtime, T0)  # safe to run twice
    assert again["housekeeping"] == {"idempotency_records_deleted": 0, "throttle_counters_deleted": 0}
    with runtime.Session() as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 1
