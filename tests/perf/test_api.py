"""`GET /api/v1/resolution_center_cases` through Flask's test client: authentication, the
keyset page query, eager loads and JSON, as a client pays for it (minus the network).
Keyset paging should make page 21 cost what page 1 costs.

    api.list.first_page   reviewer, first=50, newest first
    api.list.deep_cursor  page 21, by the end_cursor of page 20
"""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.runtime import Runtime
from dashboard.web import create_server

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


# The bare SQL: the page of cases with what a case's JSON shows of its company, buyer and
# payment, newest first, seeking past a (created_at, id) cursor.
LIST_SQL = """
SELECT c.id, c.created_at, c.status, c.amount_minor, b.name AS company, u.email, p.provider, p.paid_at
FROM cases c JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
JOIN payments p ON p.id = c.payment_id
{where}
ORDER BY c.created_at DESC, c.id DESC LIMIT %(n)s
"""


def sql_first_page(bare):
    return bare.run(LIST_SQL.format(where=""), {"n": PAGE + 1})


def sql_after(created_at: dt.datetime, case_id: str):
    def run(bare):
        return bare.run(LIST_SQL.format(where="WHERE (c.created_at, c.id) < (%(t)s, %(id)s)"),
                        {"n": PAGE + 1, "t": created_at, "id": case_id})

    return run


def assert_newest_first(cases: list[dict]) -> None:
    keys = [(c["created_at"], c["id"]) for c in cases]
    assert keys == sorted(keys, reverse=True)
    assert len(set(c["id"] for c in cases)) == len(cases)


def test_first_page(get, world, recorder):
    ours, bare = recorder.bench("api.list.first_page", lambda: get(world.reviewer_token), sql=sql_first_page)
    cases = ours.result["data"]
    assert len(cases) == PAGE and ours.result["page_info"]["has_next_page"]
    assert_newest_first(cases)
    assert [c["id"] for c in cases] == [r[0] for r in bare.result[:PAGE]]


def test_deep_cursor(get, world, recorder):
    seen: list[dict] = []
    cursor = None
    for _ in range(WALK):
        answer = get(world.reviewer_token, **({"after": cursor} if cursor else {}))
        seen += answer["data"]
        cursor = answer["page_info"]["end_cursor"]
    assert len(seen) == WALK * PAGE and cursor
    last = seen[-1]
    last_at = dt.datetime.fromisoformat(last["created_at"].replace("Z", "+00:00"))
    ours, bare = recorder.bench("api.list.deep_cursor", lambda: get(world.reviewer_token, after=cursor),
                                sql=sql_after(last_at, last["id"]), depth=WALK * PAGE)
    deep = ours.result["data"]
    assert len(deep) == PAGE and ours.result["page_info"]["has_previous_page"]
    assert_newest_first(seen + deep)  # continues exactly where page 20 ended
    assert [c["id"] for c in deep] == [r[0] for r in bare.result[:PAGE]]
