"""Opening a case (SPEC §2) through the SDK's `create`: each refusal with its own code
and status, and nothing created when refused."""
from __future__ import annotations

import datetime as dt

import pytest
from whop_sdk import ConflictError
from whop_sdk.core import ApiError

from data.models import Case
from tests import factories


def refusal(api, user, **kw) -> tuple[int, str]:
    kw.setdefault("reason", "fraudulent")
    kw.setdefault("message", "I did not buy this.")
    with pytest.raises(ApiError) as err:
        api.sdk(user).resolution_center_cases.create(**kw)
    return err.value.status_code, err.value.body["error"]["code"]


def test_unknown_or_someone_elses_payment_is_404(api, w, story):
    assert refusal(api, w.customer, receipt_id="pay_nosuchpayment0") == (404, "payment_not_found")
    assert refusal(api, w.other_customer, receipt_id=w.payment.id) == (404, "payment_not_found")
    assert story.count(Case) == 0


@pytest.mark.parametrize("provider", ["crypto", "coinbase_commerce"])
def test_irreversible_payments_are_refused(api, w, story, provider):
    payment = story.new_payment(provider=provider)
    assert refusal(api, w.customer, receipt_id=payment.id) == (400, "payment_method_not_eligible")


def test_refunded_payment_is_refused(api, w, story):
    story.report_refunded(w.payment)
    assert refusal(api, w.customer, receipt_id=w.payment.id) == (400, "payment_refunded")


def test_payment_older_than_the_claim_window_is_refused(api, w, story):
    old = story.new_payment(paid_ago=dt.timedelta(days=30, hours=1))
    assert refusal(api, w.customer, receipt_id=old.id) == (400, "claim_window_expired")
    recent = story.new_payment(paid_ago=dt.timedelta(days=29, hours=23))
    assert api.sdk(w.customer).resolution_center_cases.create(receipt_id=recent.id, reason="fraudulent",
                                                              message="x").status == "awaiting_merchant"


def test_second_case_on_a_payment_is_409_even_after_closing(api, w, story):
    client = api.sdk(w.customer).resolution_center_cases
    case = client.create(receipt_id=w.payment.id, reason="fraudulent", message="Not me.")
    client.withdraw(case.id)
    with pytest.raises(ConflictError) as err:
        client.create(receipt_id=w.payment.id, reason="fraudulent", message="Not me, really.")
    assert err.value.body["error"]["code"] == "case_already_exists"


@pytest.mark.parametrize("field,value,code", [
    ("reason", "changed_my_mind", "invalid_reason"),
    ("message", "   ", "message_required"),
    ("message", "x" * 5001, "message_too_long"),
])
def test_bad_claims_are_422(api, w, story, field, value, code):
    assert refusal(api, w.customer, receipt_id=w.payment.id, **{field: value}) == (422, code)
    assert story.count(Case) == 0


def test_more_than_three_files_is_refused(api, w, story):
    files = [{"id": api.upload(w.customer)} for _ in range(4)]
    assert refusal(api, w.customer, receipt_id=w.payment.id, attachments=files) == (422, "too_many_files")
    assert story.count(Case) == 0


def test_bad_attachments_are_refused(api, w, story):
    pending = api.post(w.customer, "/files", {"filename": "later.png"}).get_json()["id"]
    assert refusal(api, w.customer, receipt_id=w.payment.id, attachments=[{"id": pending}]) == (422, "file_not_ready")
    theirs = api.upload(w.other_customer)
    assert refusal(api, w.customer, receipt_id=w.payment.id, attachments=[{"id": theirs}]) == (404, "not_found")
    r = api.post(w.customer, "/resolution_center_cases", {"receipt_id": w.payment.id, "reason": "fraudulent",
                                                          "message": "x", "attachments": ["file_x"]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "invalid_attachments")
    assert story.count(Case) == 0


def test_only_customers_open_cases(api, w):
    r = api.post(w.creator, "/resolution_center_cases", {"receipt_id": w.payment.id, "reason": "fraudulent",
                                                         "message": "x"})
    assert r.status_code == 403
    r = api.post(w.customer, "/resolution_center_cases", {"reason": "fraudulent", "message": "x"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "receipt_id_required")


def test_opening_with_evidence_attaches_it_to_the_created_event(api, w):
    file_id = api.upload(w.customer, filename="bank.pdf", data=factories.PDF_BYTES)
    case = api.sdk(w.customer).resolution_center_cases.create(
        receipt_id=w.payment.id, reason="product_not_received", message="Never arrived.",
        attachments=[{"id": file_id}])
    created = list(api.sdk(w.creator).resolution_center_cases.events(case.id))[-1]
    assert [a.id for a in created.attachments] == [file_id]
    assert api.get(w.customer, f"/files/{file_id}").get_json()["case_id"] == case.id
