"""`GET /api/v1/resolution_center_cases` through Flask's test client: authentication,
the keyset page query, eager loads and JSON serialisation, as a client would pay for
it (minus the network). Keyset paging should make page 21 cost what page 1 costs."""
from __future__ import annotations

import pytest

from dashboard.runtime import Runtime
from dashboard.web import create_server

GROUP = "api"
PATH = "/api/v1/resolution_center_cases"
PAGE = 50
WALK = 20


@pytest.fixture(scope="module")
def client(bench_engine, settings_for):
    runtime = Runtime.build(settings_for(bench_engine), engine=bench_engine)
    return create_server(runtime).test_client()


@pytest.fixture(scope="module")
def get(client):
    def _get(token: str, **params) -> dict:
        r = client.get(PATH, query_string={"first": PAGE, **params}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    return _get


def assert_newest_first(cases: list[dict]) -> None:
    keys = [(c["created_at"], c["id"]) for c in cases]
    assert keys == sorted(keys, reverse=True)
    assert len(set(c["id"] for c in cases)) == len(cases)


def data(answer: dict) -> list:
    return answer["data"]


def test_first_page_as_reviewer(get, world, recorder):
    t = recorder.run(GROUP, "first page (reviewer, first=50)", lambda: get(world.reviewer_token), count=data)
    cases = t.result["data"]
    assert len(cases) == PAGE and t.result["page_info"]["has_next_page"]
    assert_newest_first(cases)


def test_status_filter(get, world, recorder):
    t = recorder.run(GROUP, "status=awaiting_merchant (reviewer)",
                     lambda: get(world.reviewer_token, status="awaiting_merchant"), count=data)
    cases = t.result["data"]
    assert len(cases) == PAGE and {c["status"] for c in cases} == {"awaiting_merchant"}
    assert_newest_first(cases)
    recorder.ratio("api: status filter / unfiltered first page", "api: status=awaiting_merchant (reviewer)",
                   "api: first page (reviewer, first=50)")


def test_as_creator_of_largest_company(get, world, recorder):
    name = f"first page (creator, {world.company_cases:,} cases)"
    t = recorder.run(GROUP, name, lambda: get(world.creator_token), count=data)
    cases = t.result["data"]
    assert len(cases) == PAGE and {c["account"]["id"] for c in cases} == {world.company_id}
    assert_newest_first(cases)
    recorder.ratio("api: creator's first page / reviewer's", f"api: {name}", "api: first page (reviewer, first=50)")


def test_deep_page_by_cursor(get, world, recorder):
    seen: list[dict] = []
    cursor = None
    for _ in range(WALK):
        answer = get(world.reviewer_token, **({"after": cursor} if cursor else {}))
        seen += answer["data"]
        cursor = answer["page_info"]["end_cursor"]
    assert len(seen) == WALK * PAGE and cursor
    assert_newest_first(seen)
    name = f"page {WALK + 1} by cursor (after {WALK * PAGE:,} rows)"
    t = recorder.run(GROUP, name, lambda: get(world.reviewer_token, after=cursor), count=data)
    deep = t.result["data"]
    assert len(deep) == PAGE and t.result["page_info"]["has_previous_page"]
    assert_newest_first(seen + deep)  # continues exactly where page 20 ended
    recorder.ratio(f"api: page {WALK + 1} / page 1 (keyset: ~1 expected)", f"api: {name}",
                   "api: first page (reviewer, first=50)")
