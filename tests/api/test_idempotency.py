"""`Idempotency-Key` on every API POST (SPEC §11), through whop-sdk's own
`idempotency_key` option where the SDK has the call: a retry replays the first answer
(same status, same bytes) and changes nothing; the same key on another request is 422
`idempotency_key_reused`; keys are per caller and last 24 hours; two requests with one
key at the same moment execute once (PostgreSQL, real threads)."""
from __future__ import annotations

import datetime as dt
import threading

import httpx
import pytest
from sqlalchemy import select, update
from whop_sdk import Whop, WhopEnvironment
from whop_sdk.core import ApiError

from data.models import Case, CaseEvent, EvidenceFile, IdempotencyRecord
from tests.api.conftest import BASE
from tests.api.test_actions_sdk import escalated

OPEN = "/resolution_center_cases"


def sdk_with_key(api, user, key: str) -> Whop:
    """The official client with its own `idempotency_key` option (sent on every request)."""
    http = httpx.Client(transport=httpx.WSGITransport(app=api.server), base_url=BASE)
    return Whop(environment=WhopEnvironment(api=f"{BASE}/api/v1", vault=f"{BASE}/api/v1"),
                token=api.token(user), max_retries=0, httpx_client=http, idempotency_key=key)


def opening(w) -> dict:
    return {"receipt_id": w.payment.id, "reason": "product_not_received", "message": "It never came."}


def keyed(key: str) -> dict:
    return {"headers": {"Idempotency-Key": key}}


def test_a_retried_case_opening_through_the_sdk_replays_the_case_and_opens_one(api, w, story):
    client = sdk_with_key(api, w.customer, "open-once-1")
    first = client.resolution_center_cases.create(**opening(w))
    again = client.resolution_center_cases.create(**opening(w))
    assert again.id == first.id
    assert again.model_dump() == first.model_dump()
    assert story.count(Case, payment_id=w.payment.id) == 1
    assert story.count(CaseEvent, case_id=first.id, action="created") == 1
    # GETs from the same client carry the key too, and are simply answered.
    assert client.resolution_center_cases.retrieve(first.id).id == first.id


def test_a_retried_file_creation_through_the_sdk_makes_one_file(api, w, story):
    client = sdk_with_key(api, w.customer, "file-once-1")
    first = client.files.create(filename="proof.png")
    again = client.files.create(filename="proof.png")
    assert again.id == first.id
    assert story.count(EvidenceFile, owner_id=w.customer.id) == 1


def test_a_replay_is_the_same_status_and_bytes(api, w, story):
    case_id = escalated(story, w)
    path = f"{OPEN}/{case_id}/notes"
    first = api.post(w.reviewer, path, {"message": "Checked the courier log."}, **keyed("note-1"))
    again = api.post(w.reviewer, path, {"message": "Checked the courier log."}, **keyed("note-1"))
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert story.count(CaseEvent, case_id=case_id, action="note") == 1
    opened = api.post(w.customer, OPEN, {**opening(w), "receipt_id": story.new_payment().id}, **keyed("o-2"))
    reopened = api.post(w.customer, OPEN, {**opening(w), "receipt_id": opened.get_json()["payment"]["id"]},
                        **keyed("o-2"))
    assert (opened.status_code, reopened.status_code) == (201, 201)
    assert reopened.get_data() == opened.get_data()


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api, w, story):
    case_id = escalated(story, w)
    path = f"{OPEN}/{case_id}/notes"
    assert api.post(w.reviewer, path, {"message": "First."}, **keyed("note-2")).status_code == 200
    other = api.post(w.reviewer, path, {"message": "Second."}, **keyed("note-2"))
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    elsewhere = api.post(w.reviewer, f"{OPEN}/{case_id}/claim", {"message": "First."}, **keyed("note-2"))
    assert elsewhere.status_code == 422
    assert story.count(CaseEvent, case_id=case_id, action="note") == 1
    assert story.case(case_id).assignee_id is None


def test_the_sdk_reusing_its_key_for_another_call_gets_422(api, w, story):
    client = sdk_with_key(api, w.customer, "one-key-for-everything")
    case = client.resolution_center_cases.create(**opening(w))
    with pytest.raises(ApiError) as refused:
        client.resolution_center_cases.withdraw(case.id)
    assert refused.value.status_code == 422
    assert refused.value.body["error"]["code"] == "idempotency_key_reused"
    assert story.case(case.id).status == "awaiting_merchant"


def test_keys_belong_to_their_caller(api, w, story):
    mine = api.post(w.customer, OPEN, opening(w), **keyed("shared"))
    other_payment = story.new_payment(customer=w.other_customer, company=w.other_company)
    theirs = api.post(w.other_customer, OPEN, {**opening(w), "receipt_id": other_payment.id}, **keyed("shared"))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]


def test_a_refused_request_keeps_no_answer_and_its_retry_runs_again(api, w, story):
    case_id = escalated(story, w)
    path = f"{OPEN}/{case_id}/decision"
    body = {"outcome": "refund", "reason": "Not delivered."}
    refused = api.post(w.customer, path, body, **keyed("decide-1"))
    assert refused.status_code == 403
    assert story.count(IdempotencyRecord) == 0
    decided = api.post(w.reviewer, path, body, **keyed("decide-1"))  # another caller, so another key
    assert decided.status_code == 200


def test_a_key_expires_after_24_hours(api, w, story, Session):  # noqa: N803
    case_id = escalated(story, w)
    path = f"{OPEN}/{case_id}/notes"
    assert api.post(w.reviewer, path, {"message": "Once."}, **keyed("old")).status_code == 200
    record = story.run(lambda ctx: ctx.session.scalar(select(IdempotencyRecord)))
    assert record.expires_at - record.created_at == dt.timedelta(hours=24)
    with Session.begin() as s:
        s.execute(update(IdempotencyRecord).values(expires_at=story.clock() - dt.timedelta(seconds=1)))
    assert api.post(w.reviewer, path, {"message": "Once."}, **keyed("old")).status_code == 200
    assert story.count(CaseEvent, case_id=case_id, action="note") == 2
    assert story.count(IdempotencyRecord) == 1


def test_a_case_answer_not_rendered_yet_replays_the_case_as_it_is(api, w, story, Session):  # noqa: N803
    first = api.post(w.customer, OPEN, opening(w), **keyed("render-later"))
    with Session.begin() as s:  # as if the first request had stopped right after its commit
        s.execute(update(IdempotencyRecord).values(response_body=None))
    again = api.post(w.customer, OPEN, opening(w), **keyed("render-later"))
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "naïve"])
def test_an_unusable_key_is_400_and_nothing_runs(api, w, story, key):
    answer = api.post(w.customer, OPEN, opening(w), headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert story.count(Case) == 0


def _at_once(api, user, path: str, body: dict, key: str, n: int) -> list:
    api.token(user)
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def act(i):
        client = api.server.test_client()
        barrier.wait()
        r = client.post(f"/api/v1{path}", json=body, headers={**api.headers(user), "Idempotency-Key": key})
        results[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=act, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_open_one_case(api, w, story):
    results = _at_once(api, w.customer, OPEN, opening(w), "race-open", 4)
    assert [status for status, _ in results] == [201] * 4, results
    assert len({body["id"] for _, body in results}) == 1
    assert story.count(Case, payment_id=w.payment.id) == 1
    assert story.count(CaseEvent, action="created") == 1


@pytest.mark.postgres
def test_concurrent_requests_with_one_key_write_one_note(api, w, story):
    case_id = escalated(story, w)
    results = _at_once(api, w.reviewer, f"{OPEN}/{case_id}/notes", {"message": "Only once."}, "race-note", 4)
    assert [status for status, _ in results] == [200] * 4, results
    assert story.count(CaseEvent, case_id=case_id, action="note") == 1


def test_expired_records_are_cleaned_up(api, w, story, Session):  # noqa: N803
    from dashboard.api.idempotency import delete_expired
    from dashboard.context import Ctx

    assert api.post(w.customer, OPEN, opening(w), **keyed("to-clean")).status_code == 201
    now = story.clock()  # the API's
    with Session.begin() as s:
        assert delete_expired(Ctx(s, now + dt.timedelta(hours=23))) == 0
    with Session.begin() as s:
        assert delete_expired(Ctx(s, now + dt.timedelta(hours=25))) == 1
    assert story.count(IdempotencyRecord) == 0
