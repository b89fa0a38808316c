"""Integration sync (companies, users, payments), a customer's payments with their
eligibility, and the managers' metrics."""
from __future__ import annotations

import datetime as dt

from data.models import Payment
from dashboard.cases import party


def test_sync_a_company_its_creator_a_customer_and_a_payment_then_open_a_case(api, w, story):
    company = api.post(w.integration, "/companies", {"name": "Brand New Co", "support_email": "help@new.example"})
    assert company.status_code == 201, company.get_json()
    biz = company.get_json()["id"]
    assert biz.startswith("biz_") and company.get_json()["title"] == "Brand New Co"
    creator = api.post(w.integration, "/users", {"email": "maker@new.example", "name": "Maker", "role": "creator",
                                                 "company_id": biz})
    customer = api.post(w.integration, "/users", {"email": "buyer@new.example", "role": "customer"})
    assert (creator.status_code, customer.status_code) == (201, 201)
    paid_at = (story.clock() - dt.timedelta(days=2)).isoformat()
    payment = api.post(w.integration, "/payments", {
        "company_id": biz, "customer_id": customer.get_json()["id"], "amount": 1999, "currency": "usd",
        "provider": "paypal", "paid_at": paid_at, "product_title": "Ebook"})
    assert payment.status_code == 201, payment.get_json()
    p = payment.get_json()
    assert (p["amount"], p["amount_minor"], p["currency"], p["provider"]) == (19.99, 1999, "usd", "paypal")
    assert p["id"].startswith("pay_") and p["account"] == {"id": biz, "title": "Brand New Co"}


def test_users_sync_refusals(api, w):
    for body, code in (({"email": "x@y.example", "role": "reviewer"}, "invalid_role"),
                       ({"email": "x@y.example", "role": "integration"}, "invalid_role"),
                       ({"email": "not-an-email", "role": "customer"}, "invalid_email"),
                       ({"email": "x@y.example", "role": "creator"}, "company_required")):
        r = api.post(w.integration, "/users", body)
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, code), body
    r = api.post(w.integration, "/users", {"email": w.customer.email, "role": "customer"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "email_taken")


def test_payment_sync_refusals(api, w, story):
    valid = {"company_id": w.company.id, "customer_id": w.customer.id, "amount": 100, "currency": "USD",
             "provider": "stripe"}
    for change, code in (({"company_id": "biz_nope"}, "invalid_company"),
                         ({"customer_id": w.creator.id}, "invalid_customer"),
                         ({"amount": 0}, "invalid_amount"), ({"amount": 10.5}, "invalid_amount"),
                         ({"amount": None}, "invalid_amount"), ({"currency": "dollars"}, "invalid_currency"),
                         ({"provider": "cash"}, "invalid_provider"), ({"paid_at": "next week"}, "invalid_paid_at"),
                         ({"paid_at": "2999-01-01T00:00:00Z"}, "invalid_paid_at")):
        r = api.post(w.integration, "/payments", {**valid, **change})
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, code), (change, r.get_json())
    assert story.count(Payment) == 1  # only the world's own
    assert api.post(w.integration, "/payments", valid).status_code == 201


def test_customer_payments_say_whether_a_case_can_be_opened(api, w, story):
    crypto = story.new_payment(provider="crypto", paid_ago=dt.timedelta(days=3))
    old = story.new_payment(paid_ago=dt.timedelta(days=40))
    disputed = story.new_payment(paid_ago=dt.timedelta(days=2))
    case_id = story.open()
    r = api.get(w.customer, "/payments?first=2")
    assert r.status_code == 200
    first = r.get_json()
    rest = api.get(w.customer, f"/payments?first=2&after={first['page_info']['end_cursor']}").get_json()
    assert rest["page_info"]["end_cursor"] is None
    rows = {p["id"]: p for p in first["data"] + rest["data"]}
    assert list(rows) == [w.payment.id, disputed.id, crypto.id, old.id]  # newest paid first
    assert rows[w.payment.id]["can_open_case"] is True and rows[w.payment.id]["ineligible_reason"] is None
    assert rows[crypto.id]["ineligible_reason"]["code"] == "payment_method_not_eligible"
    assert rows[old.id]["ineligible_reason"]["code"] == "claim_window_expired"
    assert rows[disputed.id]["ineligible_reason"]["code"] == "case_already_exists"
    assert rows[disputed.id]["case_id"] == case_id
    assert all(p["can_open_case"] is False for pid, p in rows.items() if pid != w.payment.id)
    assert api.get(w.other_customer, "/payments").get_json()["data"] == []
    assert api.get(w.creator, "/payments").status_code == 403


def test_metrics_for_managers(api, w, story):
    accepted = story.open()
    api.sdk(w.creator).resolution_center_cases.accept(accepted)
    denied = story.open(payment=story.new_payment(), reason="fraudulent")
    story.do(party.deny, actor=w.creator, case_id=denied, message="No.")
    story.open(payment=story.new_payment(amount_minor=1234))
    m = api.get(w.manager, "/metrics").get_json()
    cases = m["cases"]
    assert cases["total"] == 3 and cases["closed"] == 2
    assert cases["by_status"] == {"awaiting_merchant": 1, "awaiting_customer": 0, "under_review": 0, "closed": 2}
    assert cases["by_outcome"] == {"customer_won": 1, "merchant_won": 1, "withdrawn": 0}
    assert cases["by_reason"]["fraudulent"] == 1 and cases["by_reason"]["product_not_received"] == 2
    assert m["money"]["refunded"] == [{"currency": "usd", "amount": 50.0, "amount_minor": 5000}]
    assert m["money"]["credited"] == []
    assert api.get(w.manager, "/metrics?reason=fraudulent").get_json()["cases"]["total"] == 1
    long_ago = api.get(w.manager, "/metrics?start=2020-01-01&end=2020-01-31").get_json()
    assert long_ago["cases"]["total"] == 0 and long_ago["range"] == {"start": "2020-01-01", "end": "2020-01-31"}
