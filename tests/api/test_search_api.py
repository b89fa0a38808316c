"""Staff search through the API (issue 10): `GET /resolution_center_cases?query=…` for
reviewers and managers, with the list's filters, cursors and page_info; 403
`query_staff_only` for everyone else; bad values 400, never a 500. The official whop-sdk
client sends `query` as an additional query parameter (it has no field for it) and keeps
it on every page it follows."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from whop_sdk.core import ApiError

from dashboard.cases import party
from tests import factories

SEARCH = "/resolution_center_cases?query="


def opened(story, w, n: int, **kw) -> list[str]:
    """n cases on new payments of the world's customer at Acme Courses, a minute apart (oldest first)."""
    start = story.clock() - dt.timedelta(hours=1)
    ids = []
    for i in range(n):
        story.new_payment(paid_ago=dt.timedelta(days=2), **kw)
        ids.append(story.open(at=start + dt.timedelta(minutes=i)))
    return ids


def searched(api, user, text: str, extra: str = "") -> dict:
    r = api.get(user, SEARCH + quote(text, safe="") + extra)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def sdk_search(api, user, text: str, **kw):
    return api.sdk(user).resolution_center_cases.list(
        request_options={"additional_query_parameters": {"query": text}}, **kw)


def test_staff_find_a_case_by_its_id_or_its_payments_open_or_closed(api, w, story):
    open_id, closed_id = opened(story, w, 2)
    story.do(party.withdraw, actor=w.customer, case_id=closed_id)
    for staff in (w.reviewer, w.manager):
        assert [c.id for c in sdk_search(api, staff, open_id).items] == [open_id]
        found = sdk_search(api, staff, closed_id).items
        assert [c.id for c in found] == [closed_id] and found[0].status == "closed"
    with story.Session() as s:
        from data.models import Case

        payment_id = s.get(Case, closed_id).payment_id
    assert [c["id"] for c in searched(api, w.reviewer, payment_id)["data"]] == [closed_id]
    assert searched(api, w.reviewer, "reso_nosuchcase")["data"] == []


def test_by_email_company_name_customer_name_and_amount(api, w, story):
    ids = opened(story, w, 3)
    other = story.open(customer=w.other_customer, payment=story.run(lambda ctx: factories.payment(
        ctx, company=w.other_company, customer=w.other_customer, amount_minor=1999, paid_at=ctx.now)))
    newest_first = ids[::-1]
    ids_of = lambda text, **kw: [c.id for c in sdk_search(api, w.reviewer, text, **kw)]  # noqa: E731
    assert ids_of(w.customer.email) == newest_first
    assert ids_of(w.customer.email.split("@")[0] + "@") == newest_first
    assert ids_of("acme courses") == newest_first
    assert ids_of(w.other_customer.name) == [other]
    assert ids_of("Other Co") == [other]
    assert ids_of("$50") == ids_of("50.00") == newest_first  # factories' payments are 50.00 USD
    assert ids_of("19.99") == [other]
    assert ids_of("nothing matches this") == []


def test_pages_by_the_lists_cursors_forward_and_back(api, w, story):
    ids = opened(story, w, 5)[::-1]  # newest first
    pager = sdk_search(api, w.manager, "acme", first=2)
    assert [c.id for c in pager.items] == ids[:2]
    assert [c.id for c in sdk_search(api, w.manager, "acme", first=2)] == ids  # the SDK follows end_cursor
    first = searched(api, w.manager, "acme", "&first=2")
    assert first["page_info"] == {"has_next_page": True, "has_previous_page": False, "start_cursor": None,
                                  "end_cursor": first["page_info"]["end_cursor"]}
    second = searched(api, w.manager, "acme", "&first=2&after=" + first["page_info"]["end_cursor"])
    assert [c["id"] for c in second["data"]] == ids[2:4]
    assert second["page_info"]["has_previous_page"] is True and second["page_info"]["has_next_page"] is True
    back = searched(api, w.manager, "acme", "&last=2&before=" + second["page_info"]["start_cursor"])
    assert [c["id"] for c in back["data"]] == ids[:2]
    assert back["page_info"]["has_next_page"] is True and back["page_info"]["has_previous_page"] is False
    tail = searched(api, w.manager, "acme", "&last=2")
    assert [c["id"] for c in tail["data"]] == ids[3:] and tail["page_info"]["has_previous_page"] is True
    oldest = searched(api, w.manager, "acme", "&direction=asc&first=2")
    assert [c["id"] for c in oldest["data"]] == ids[::-1][:2]


def test_the_lists_filters_still_apply(api, w, story):
    ids = opened(story, w, 3)
    story.do(party.withdraw, actor=w.customer, case_id=ids[0])
    assert [c["id"] for c in searched(api, w.reviewer, "acme", "&status=closed")["data"]] == [ids[0]]
    assert [c["id"] for c in searched(api, w.reviewer, "acme", "&outcome=withdrawn")["data"]] == [ids[0]]
    assert searched(api, w.reviewer, "acme", f"&account_id={w.other_company.id}")["data"] == []


def test_parties_and_integrations_may_not_search(api, w, story):
    case_id = opened(story, w, 1)[0]
    for party_user in (w.customer, w.creator):
        r = api.get(party_user, SEARCH + case_id)
        body = r.get_json()
        assert r.status_code == 403 and body["error"]["code"] == "query_staff_only", body
        assert "platform staff" in body["error"]["message"] and case_id not in r.get_data(as_text=True)
        with pytest.raises(ApiError) as err:
            sdk_search(api, party_user, case_id).items
        assert err.value.status_code == 403
        assert api.get(party_user, SEARCH + "%20%20").status_code == 200  # blank text: no search, the list
    r = api.get(w.integration, SEARCH + case_id)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "role_not_allowed"


def test_bad_search_parameters_are_400(api, w):
    r = api.get(w.reviewer, SEARCH + "x" * 201)
    err = r.get_json()["error"]
    assert r.status_code == 400 and err["code"] == "invalid_parameter" and err["parameter"] == "query"
    assert "at most 200 characters" in err["message"]
    r = api.get(w.reviewer, SEARCH + "acme&order=response_due_at")
    err = r.get_json()["error"]
    assert r.status_code == 400 and err["code"] == "invalid_parameter" and err["parameter"] == "order"
    r = api.get(w.reviewer, SEARCH + "acme&after=garbage")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_cursor"
    r = api.get(w.reviewer, SEARCH + "x" * 10_240)
    assert r.status_code == 400


@pytest.mark.parametrize("text", ["'", '"', "%", "_", "\\", "%00", "a\x00b", "😀", "日本語", "' OR 1=1 --", "@", "$",
                                  "reso_", "199.999.9", "1e9", "-5"])
def test_junk_is_an_answer_never_a_500(api, w, story, text):
    opened(story, w, 1)
    r = api.get(w.reviewer, SEARCH + quote(text, safe=""))
    assert r.status_code == 200, r.get_json()
    assert isinstance(r.get_json()["data"], list)
