"""A date alone names no zone: `format.local_date` gives the day in the viewer's zone and
no "GMT"/"CET" after it, and the context panel's other cases and a webhook's "added"
date use it (a time, as in local_time, still names its zone)."""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import plotly.utils

from dashboard.components import case_panels, webhooks_panel
from dashboard.components.format import local_date, local_time

UTC = dt.timezone.utc
LATE = dt.datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # already 21 Nov in Paris and Tokyo
ZONE_NAMES = ("GMT", "UTC", "CET", "JST")


def text(component) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_a_date_is_the_viewers_day_with_no_zone_name():
    assert local_date(LATE, zone=ZoneInfo("UTC")) == "20 Nov 2026"
    assert local_date(LATE, zone=ZoneInfo("Europe/Paris")) == "21 Nov 2026"
    assert local_date(LATE.replace(tzinfo=None), zone=ZoneInfo("Asia/Tokyo")) == "21 Nov 2026"  # naive: UTC
    assert local_date(None) == "—"
    assert local_time(LATE, zone=ZoneInfo("Europe/Paris")).endswith("CET")  # a time keeps its zone


def test_the_context_panel_and_a_webhook_show_dates_without_a_zone():
    other = SimpleNamespace(id="reso_other", outcome=None, status="awaiting_merchant", reason="fraudulent",
                            amount_minor=4900, currency="USD", company_name="Acme", created_at=LATE)
    panel = text(case_panels.context_panel([other], 1, rate=None, show_company=False))
    assert "20 Nov 2026" in panel and not any(f"20 Nov 2026 {z}" in panel for z in ZONE_NAMES)
    hook = SimpleNamespace(url="https://example.test/hook", enabled=True, consecutive_failures=0, failing_since=None,
                           disabled_reason=None, company_name="Acme", events=["case.opened"], created_at=LATE,
                           id="wh_1")
    item = text(webhooks_panel.webhook_item(hook, [], controls=False))
    assert "added 20 Nov 2026" in item and not any(f"added 20 Nov 2026 {z}" in item for z in ZONE_NAMES)
