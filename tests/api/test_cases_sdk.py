"""The published read and create endpoints through the official whop-sdk client:
list (filters, order, paging across pages), summary, create, retrieve and events."""
from __future__ import annotations

import datetime as dt

import pytest
from whop_sdk import NotFoundError
from whop_sdk.core import ApiError

from data.models import Case
from dashboard.cases import party
from tests import factories


def test_create_and_retrieve_parse_with_every_field(api, w, now):
    client = api.sdk(w.customer)
    case = client.resolution_center_cases.create(receipt_id=w.payment.id, reason="not_as_described",
                                                 message="The course is half empty.")
    assert case.id.startswith("reso_")
    assert (case.status, case.reason, case.outcome, case.refund) == ("awaiting_merchant", "not_as_described",
                                                                     None, None)
    assert case.amount == 50.0 and case.currency == "usd"
    assert case.account.id == w.company.id and case.account.title == "Acme Courses"
    assert case.payment.id == w.payment.id and case.payment.payment_method_type == "card"
    assert case.buyer.user_id == w.customer.id
    assert case.escalated is False and case.customer_appealed is False
    assert case.available_actions == ["withdraw", "add_evidence"]
    assert case.line_items[0].subtotal.amount == "50.00"
    due = dt.datetime.fromisoformat(case.response_due_at)
    assert due == now + dt.timedelta(days=7)  # opened as of the API's clock; the merchant has a week

    as_creator = api.sdk(w.creator).resolution_center_cases.retrieve(case.id)
    assert as_creator.available_actions == ["accept", "deny", "request_info", "add_evidence"]
    assert as_creator.model_extra["assignee"] is None and as_creator.model_extra["decision"] is None


def test_amount_is_rendered_exactly_from_minor_units(api, w, story):
    story.new_payment(amount_minor=1999)
    case_id = story.open()
    case = api.sdk(w.customer).resolution_center_cases.retrieve(case_id)
    assert case.amount == 19.99
    assert case.model_extra["amount_minor"] == 1999
    raw = api.get(w.customer, f"/resolution_center_cases/{case_id}").get_data(as_text=True)
    assert '"amount":19.99' in raw.replace(" ", "")
    story.new_payment(amount_minor=5000, currency="JPY")
    yen = api.sdk(w.customer).resolution_center_cases.retrieve(story.open())
    assert (yen.amount, yen.currency, yen.line_items[0].subtotal.amount) == (5000.0, "jpy", "5000")


def test_a_creator_of_another_company_and_another_customer_get_404(api, w, story):
    case_id = story.open()
    for outsider in (w.other_creator, w.other_customer):
        with pytest.raises(NotFoundError):
            api.sdk(outsider).resolution_center_cases.retrieve(case_id)
        assert api.sdk(outsider).resolution_center_cases.list().items == []


def _open_many(story, w, n: int) -> list[str]:
    """n cases for the world's customer, opened one minute apart (oldest first)."""
    start = story.clock() - dt.timedelta(hours=1)
    ids = []
    for i in range(n):
        story.new_payment(paid_ago=dt.timedelta(days=2))
        ids.append(story.open(at=start + dt.timedelta(minutes=i),
                              reason=["fraudulent", "product_not_received"][i % 2]))
    return ids


def test_list_pages_through_every_case_once_newest_first(api, w, story):
    ids = _open_many(story, w, 5)
    client = api.sdk(w.customer).resolution_center_cases
    pager = client.list(first=2)
    assert [c.id for c in pager.items] == ids[::-1][:2]
    assert pager.response.page_info.has_next_page is True
    assert pager.response.page_info.has_previous_page is False
    assert [c.id for c in client.list(first=2)] == ids[::-1]  # the SDK follows end_cursor
    pages = list(client.list(first=2).iter_pages())
    assert [len(p.items) for p in pages] == [2, 2, 1]
    last = pages[-1].response.page_info
    assert (last.has_next_page, last.end_cursor, last.has_previous_page) == (False, None, True)


def test_list_direction_order_and_backward_paging(api, w, story):
    ids = _open_many(story, w, 4)
    got = api.get(w.customer, "/resolution_center_cases?direction=asc&first=3").get_json()
    assert [c["id"] for c in got["data"]] == ids[:3]
    nxt = api.get(w.customer, f"/resolution_center_cases?direction=asc&first=3&after={got['page_info']['end_cursor']}")
    assert [c["id"] for c in nxt.get_json()["data"]] == ids[3:]
    back = api.get(w.customer, "/resolution_center_cases?direction=asc&last=2").get_json()
    assert [c["id"] for c in back["data"]] == ids[2:]
    assert back["page_info"]["has_previous_page"] is True and back["page_info"]["end_cursor"] is None
    prev = api.get(w.customer, "/resolution_center_cases?direction=asc&last=2&before="
                   + back["page_info"]["start_cursor"]).get_json()
    assert [c["id"] for c in prev["data"]] == ids[:2]
    assert prev["page_info"]["has_next_page"] is True and prev["page_info"]["has_previous_page"] is False
    # a cursor belongs to its order: reusing it with another order is refused
    r = api.get(w.customer, f"/resolution_center_cases?direction=desc&after={got['page_info']['end_cursor']}")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_cursor"


def test_order_by_response_due_at_puts_cases_without_deadline_last(api, w, story):
    ids = _open_many(story, w, 3)
    story.do(party.deny, actor=w.creator, case_id=ids[0], message="Delivered.")  # closed: no deadline
    client = api.sdk(w.customer).resolution_center_cases
    asc = [c.id for c in client.list(order="response_due_at", direction="asc", first=1)]
    desc = [c.id for c in client.list(order="response_due_at", direction="desc", first=1)]
    assert asc == [ids[1], ids[2], ids[0]]
    assert desc == [ids[2], ids[1], ids[0]]


def test_list_filters(api, w, story):
    ids = _open_many(story, w, 4)  # reasons alternate fraudulent / product_not_received
    story.do(party.deny, actor=w.creator, case_id=ids[0], message="No.")
    story.do(party.withdraw, actor=w.customer, case_id=ids[1])
    other = story.open(customer=w.other_customer, payment=story.run(lambda ctx: factories.payment(
        ctx, company=w.company, customer=w.other_customer, paid_at=ctx.now)))
    creator = api.sdk(w.creator).resolution_center_cases
    ids_of = lambda **kw: {c.id for c in creator.list(**kw)}  # noqa: E731
    assert ids_of() == set(ids) | {other}
    assert ids_of(status=["closed"]) == {ids[0], ids[1]}
    assert ids_of(status=["closed", "awaiting_merchant"]) == set(ids) | {other}
    assert ids_of(outcome="withdrawn") == {ids[1]}
    assert ids_of(outcome=["merchant_won", "withdrawn"]) == {ids[0], ids[1]}
    assert ids_of(reason="fraudulent") == {ids[0], ids[2]}
    assert ids_of(user_id=w.other_customer.id) == {other}
    assert ids_of(account_id=w.other_company.id) == set()
    with story.Session() as s:
        cut = s.get(Case, ids[2]).created_at
    iso = cut.isoformat().replace("+00:00", "Z")
    assert ids_of(created_before=iso) == {ids[0], ids[1]}
    assert ids_of(created_after=iso) == {ids[3], other}
    mine = api.sdk(w.customer).resolution_center_cases
    assert {c.id for c in mine.list(user_id="me")} == set(ids)
    assert api.sdk(w.other_customer).resolution_center_cases.list(user_id="me").items[0].id == other


def test_bad_list_parameters_are_400(api, w):
    for query in ("status=open", "reason=bored", "outcome=draw", "order=amount", "direction=up", "first=0",
                  "first=x", "created_after=yesterday", "first=1&last=1", "after=garbage", "before=e30"):
        r = api.get(w.customer, f"/resolution_center_cases?{query}")
        assert r.status_code == 400, (query, r.get_json())
        assert r.get_json()["error"]["code"] in ("invalid_parameter", "invalid_cursor"), query


def test_summary_counts_every_group_with_every_key(api, w, story):
    ids = _open_many(story, w, 3)
    story.do(party.deny, actor=w.creator, case_id=ids[0], message="No.")
    summary = api.sdk(w.creator).resolution_center_cases.summary()
    assert summary.total == 3
    assert summary.groups.status.model_dump() == {"awaiting_customer": 0, "awaiting_merchant": 2, "closed": 1,
                                                  "under_review": 0}
    assert summary.groups.outcome.model_dump() == {"customer_won": 0, "merchant_won": 1, "withdrawn": 0}
    assert summary.groups.reason.fraudulent == 2 and summary.groups.reason.subscription_canceled == 0
    only = api.sdk(w.creator).resolution_center_cases.summary(groups="outcome", status="closed")
    assert only.total == 1 and only.groups.status is None and only.groups.outcome.merchant_won == 1
    assert api.sdk(w.other_creator).resolution_center_cases.summary().total == 0
    r = api.get(w.creator, "/resolution_center_cases/summary?groups=colour")
    assert r.status_code == 400


def test_events_newest_first_paged_with_attachments(api, w, story):
    file_id = api.upload(w.customer, filename="receipt.png")
    case_id = story.open(file_ids=[file_id])
    story.do(party.merchant_request_info, actor=w.creator, case_id=case_id, message="Order number?")
    story.do(party.reply, actor=w.customer, case_id=case_id, message="It is 1234.")
    client = api.sdk(w.customer).resolution_center_cases
    events = list(client.events(case_id, first=2))
    assert [e.action for e in events] == ["responded", "requested_more_info", "created"]
    created = events[-1]
    assert created.reporter_type == "customer" and created.details == "I paid and never got access."
    att = created.attachments[0]
    assert (att.id, att.filename, att.content_type) == (file_id, "receipt.png", "image/png")
    assert att.url.endswith(f"/api/v1/files/{file_id}/content")
    pages = list(client.events(case_id, first=2).iter_pages())
    assert [len(p.items) for p in pages] == [2, 1]
    assert pages[-1].response.page_info.end_cursor is None


def test_internal_notes_and_assignment_never_reach_a_party(api, w, story):
    case_id = story.open()
    story.do(party.deny, actor=w.creator, case_id=case_id, message="No.")
    story.do(party.appeal, actor=w.customer, case_id=case_id, message="Please look again.")
    note = api.post(w.reviewer, f"/resolution_center_cases/{case_id}/notes", {"message": "Looks like fraud SECRET"})
    assert note.status_code == 200, note.get_json()
    assert note.get_json()["assignee"] is None
    api.post(w.reviewer, f"/resolution_center_cases/{case_id}/claim")
    staff = api.sdk(w.reviewer).resolution_center_cases
    staff_actions = [e.action for e in staff.events(case_id)]
    assert "note" in staff_actions and "assigned" in staff_actions
    assert staff.retrieve(case_id).model_extra["assignee"]["id"] == w.reviewer.id
    for who in (w.customer, w.creator):
        events = list(api.sdk(who).resolution_center_cases.events(case_id))
        assert {e.action for e in events} == {"created", "denied", "appealed"}
        raw = api.get(who, f"/resolution_center_cases/{case_id}/events").get_data(as_text=True)
        assert "SECRET" not in raw and "assigned" not in raw
        assert api.sdk(who).resolution_center_cases.retrieve(case_id).model_extra["assignee"] is None


def test_retrieve_unknown_and_malformed_ids_are_404(api, w):
    client = api.sdk(w.reviewer).resolution_center_cases
    with pytest.raises(NotFoundError):
        client.retrieve("reso_doesnotexist00")
    with pytest.raises(ApiError) as err:
        client.retrieve("reso_x/accept")
    assert err.value.status_code in (404, 405)
