"""POST /payments goes through the domain (`dashboard.payments.record_payment`) with the
same answers as before, plus the provider's own charge reference; GET /payments judges
a whole page of payments without asking about each one's case separately."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.models import Payment


@pytest.fixture
def valid(w):
    return {"company_id": w.company.id, "customer_id": w.customer.id, "amount": 1999, "currency": "usd",
            "provider": "stripe"}


def _stored(story, payment_id) -> Payment:
    with story.Session() as s:
        return s.get(Payment, payment_id)


def test_the_providers_charge_reference_is_kept_for_refunds(api, w, story, valid):
    r = api.post(w.integration, "/payments", {**valid, "provider_reference": "  pi_3Nabc  "})
    assert r.status_code == 201, r.get_json()
    p = _stored(story, r.get_json()["id"])
    assert (p.provider_reference, p.currency, p.amount_minor) == ("pi_3Nabc", "USD", 1999)
    without = api.post(w.integration, "/payments", valid)
    assert _stored(story, without.get_json()["id"]).provider_reference is None


@pytest.mark.parametrize("change, code", [
    ({"company_id": None}, "company_id_required"), ({"company_id": "  "}, "company_id_required"),
    ({"customer_id": None}, "customer_id_required"), ({"currency": None}, "currency_required"),
    ({"company_id": 7}, "invalid_field"), ({"product_title": ["x"]}, "invalid_field"),
    ({"provider": None}, "invalid_provider"), ({"amount": "12"}, "invalid_amount"), ({"amount": True}, "invalid_amount"),
    ({"provider_reference": "x" * 121}, "invalid_provider_reference"), ({"provider_reference": 5}, "invalid_field"),
    # one rule per field, checked in the body's order: the first field's problem is reported
    ({"company_id": "biz_nope", "customer_id": None}, "invalid_company"),
    ({"customer_id": "user_nope", "amount": 0}, "invalid_customer"),
    ({"amount": -1, "currency": "dollars"}, "invalid_amount"),
    ({"currency": "dollars", "provider": "cash"}, "invalid_currency"),
    ({"provider": "cash", "paid_at": "2999-01-01T00:00:00Z"}, "invalid_provider"),
])
def test_payment_sync_refusals_name_the_field(api, w, story, valid, change, code):
    r = api.post(w.integration, "/payments", {**valid, **change})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, code), r.get_json()
    assert story.count(Payment) == 1  # only the world's own


def test_a_payment_a_few_minutes_ahead_of_our_clock_is_accepted(api, w, valid, now):
    ahead = (now + dt.timedelta(minutes=2)).isoformat()
    assert api.post(w.integration, "/payments", {**valid, "paid_at": ahead}).status_code == 201


def test_listing_payments_asks_about_their_cases_once_per_page(api, w, story, runtime):
    for n in range(5):
        story.new_payment(paid_ago=dt.timedelta(days=n + 2))
    story.open()  # one of them has a case
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        r = api.get(w.customer, "/payments?first=10")
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", record)
    rows = r.get_json()["data"]
    assert len(rows) == 6 and sum(p["can_open_case"] for p in rows) == 5
    case_queries = [s for s in statements if "FROM cases" in s]
    assert len(case_queries) == 1, case_queries
