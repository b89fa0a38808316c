"""The reviewer queue's read model (data/read/queue.py) as the grid calls it: tab counts on
every refresh, then blocks of 50 rows (AG Grid's infinite row model), sorted and filtered
in SQL, deeper blocks by the previous block's cursor (keyset) as the grid scrolls.

    queue.counts                  the four tab counts
    queue.escalated.first_block   Escalated tab, longest waiting first
    queue.open.deep_block         Open tab, the block at row DEEP_START (reached block by block)
    queue.open.sorted_amount      Open tab sorted by amount, largest first
    queue.open.filtered_company   Open tab, company name contains the largest company's name
    queue.closed_first_page       Closed tab, last closed first (total from the rollups, no count)
    queue.all_first_page          All tab, newest first (total from the rollups, no count)
    queue.closed_seek             Closed tab, the block at row DEEP_START, reached block by block
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.components.queue_grid import BLOCK_SIZE, FILTER_LABELS
from data.read import queue as q

DEEP_START = 5000


@pytest.fixture(scope="module")
def page(bench_session, world):
    """One block as a reviewer asks for it (staff see every case: visibility `true()`)."""

    def _page(tab="escalated", start=0, end=None, **kw):
        with bench_session() as s:
            return q.queue_page(s, sa.true(), tab=tab, user_id=world.reviewer_id, labels=FILTER_LABELS,
                                start=start, end=start + BLOCK_SIZE if end is None else end, **kw)

    return _page


# ------------------------------------------------------------------ bare SQL
ROWS = """
SELECT c.id, c.stage, c.status, c.reason, c.amount_minor, c.currency, p.provider, b.name, u.name, u.email,
       c.assignee_id, a.name, c.response_due_at, c.escalated_at, c.appealed_at, c.updated_at, c.created_at
FROM cases c JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
JOIN payments p ON p.id = c.payment_id LEFT JOIN users a ON a.id = c.assignee_id
WHERE {where} ORDER BY {order} LIMIT %(n)s
"""
COUNT = "SELECT count(*) FROM cases c {join} WHERE {where}"
OPEN = "c.status IN ('awaiting_merchant', 'awaiting_customer')"


def block_sql(where: str, order: str, *, join: str = "", params: dict | None = None, count: bool = True):
    def run(bare):
        p = {"n": BLOCK_SIZE, **(params or {})}
        rows = bare.run(ROWS.format(where=where, order=order), p)
        total = bare.run(COUNT.format(join=join, where=where), p)[0][0] if count else None
        return rows, total

    return run


def sql_counts(reviewer_id: str):
    def run(bare):
        return bare.run("""
            SELECT count(*) FILTER (WHERE stage = 'under_review'), count(*) FILTER (WHERE stage = 'final_review'),
                   count(*) FILTER (WHERE status IN ('awaiting_merchant', 'awaiting_customer')),
                   count(*) FILTER (WHERE assignee_id = %(me)s)
            FROM cases WHERE status <> 'closed'""", {"me": reviewer_id})[0]

    return run


def ids(rows) -> list[str]:
    return [r.id if hasattr(r, "id") else r[0] for r in rows]


# ---------------------------------------------------------------------- tests
def test_counts(bench_session, world, recorder):
    def counts():
        with bench_session() as s:
            return q.queue_counts(s, sa.true(), user_id=world.reviewer_id)

    ours, bare = recorder.bench("queue.counts", counts, sql=sql_counts(world.reviewer_id))
    assert tuple(ours.result[t] for t in q.TABS) == tuple(bare.result)
    assert ours.result["open"] and ours.result["escalated"]


def test_escalated_first_block(page, recorder):
    ours, bare = recorder.bench("queue.escalated.first_block", lambda: page("escalated"),
                                sql=block_sql("c.stage = 'under_review'",
                                              "coalesce(c.escalated_at, c.updated_at), c.id"))
    rows, total = ours.result
    since = [r.waiting_since for r in rows]
    assert rows and since == sorted(since)  # longest waiting first
    assert ids(rows) == ids(bare.result[0]) and total == bare.result[1]


def test_open_deep_block(page, recorder):
    first = page("open")
    total = first.total
    depth = DEEP_START if total > DEEP_START + BLOCK_SIZE else max(BLOCK_SIZE, (total // 2) // BLOCK_SIZE * BLOCK_SIZE)
    cursor, seen, start = first.next_cursor, list(first.rows), BLOCK_SIZE
    while start < depth:  # as the grid scrolls: each block seeks past the previous one
        block = page("open", start=start, after=cursor, known_total=total)
        seen += block.rows
        cursor, start = block.next_cursor, start + BLOCK_SIZE
    last = seen[-1]
    ours, bare = recorder.bench(
        "queue.open.deep_block", lambda: page("open", start=depth, after=cursor, known_total=total),
        sql=block_sql(f"{OPEN} AND (c.response_due_at, c.id) > (%(due)s, %(id)s)", "c.response_due_at, c.id",
                      params={"due": last.response_due_at, "id": last.id}, count=False),
        depth=depth, rows_in_tab=total)
    rows = ours.result.rows
    assert len(rows) == BLOCK_SIZE
    keys = [(r.response_due_at, r.id) for r in seen + rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # the blocks join up, no overlap
    assert ids(rows) == ids(bare.result[0])


def test_open_sorted_by_amount(page, recorder):
    ours, bare = recorder.bench("queue.open.sorted_amount",
                                lambda: page("open", sort_model=[{"colId": "amount", "sort": "desc"}]),
                                sql=block_sql(OPEN, "c.amount_minor DESC, c.id DESC"))
    rows, total = ours.result
    amounts = [r.amount_minor for r in rows]
    assert len(rows) == BLOCK_SIZE and amounts == sorted(amounts, reverse=True)
    assert amounts == [r[4] for r in bare.result[0]] and total == bare.result[1]


def test_open_filtered_by_company(page, world, recorder):
    text = world.company_name.lower()
    like = {"like": f"%{text}%"}
    ours, bare = recorder.bench(
        "queue.open.filtered_company",
        lambda: page("open", filter_model={"company": {"filterType": "text", "type": "contains", "filter": text}}),
        sql=block_sql(f"{OPEN} AND lower(b.name) LIKE %(like)s", "c.response_due_at, c.id",
                      join="JOIN companies b ON b.id = c.company_id", params=like))
    rows, total = ours.result
    assert rows and all(text in r.company_name.lower() for r in rows)
    assert ids(rows) == ids(bare.result[0]) and total == bare.result[1]


# ------------------------------------------------------------- every case reachable
CLOSED = "c.status = 'closed'"
# The Closed and All tabs' totals: the platform-wide rollup rows, one per month.
REACH_TOTALS = """SELECT coalesce(sum(cases), 0), coalesce(sum(closed), 0) FROM rollup_cases
                  WHERE grain = 'm' AND company_id = '' AND provider = '*' AND reason = '*'"""


def reach_sql(where: str, order: str, *, params: dict | None = None, totals: bool = True):
    def run(bare):
        rows = bare.run(ROWS.format(where=where, order=order), {"n": BLOCK_SIZE, **(params or {})})
        return rows, (bare.run(REACH_TOTALS)[0] if totals else None)

    return run


def test_closed_first_page(page, recorder):
    ours, bare = recorder.bench("queue.closed_first_page", lambda: page("closed"),
                                sql=reach_sql(CLOSED, "c.closed_at DESC, c.id DESC"))
    rows, total = ours.result
    closed = [r.closed_at for r in rows]
    assert len(rows) == BLOCK_SIZE and all(r.status == "closed" for r in rows)
    assert closed == sorted(closed, reverse=True)  # last closed first
    assert ids(rows) == ids(bare.result[0]) and total == bare.result[1][1]


def test_all_first_page(page, recorder):
    ours, bare = recorder.bench("queue.all_first_page", lambda: page("all"),
                                sql=reach_sql("true", "c.created_at DESC, c.id DESC"))
    rows, total = ours.result
    created = [r.created_at for r in rows]
    assert len(rows) == BLOCK_SIZE and created == sorted(created, reverse=True)  # newest first
    assert ids(rows) == ids(bare.result[0]) and total == bare.result[1][0]


def test_closed_seek(page, recorder):
    first = page("closed")
    total = first.total
    depth = DEEP_START if total > DEEP_START + BLOCK_SIZE else max(BLOCK_SIZE, (total // 2) // BLOCK_SIZE * BLOCK_SIZE)
    cursor, seen, start = first.next_cursor, list(first.rows), BLOCK_SIZE
    while start < depth:  # as the grid scrolls: each block seeks past the previous one
        block = page("closed", start=start, after=cursor, known_total=total)
        seen += block.rows
        cursor, start = block.next_cursor, start + BLOCK_SIZE
    last = seen[-1]
    ours, bare = recorder.bench(
        "queue.closed_seek", lambda: page("closed", start=depth, after=cursor, known_total=total),
        sql=reach_sql(f"{CLOSED} AND (c.closed_at, c.id) < (%(at)s, %(id)s)", "c.closed_at DESC, c.id DESC",
                      params={"at": last.closed_at, "id": last.id}, totals=False),
        depth=depth, rows_in_tab=total)
    rows = ours.result.rows
    assert len(rows) == BLOCK_SIZE and ours.result.seeked
    keys = [(r.closed_at, r.id) for r in seen + rows]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)  # the blocks join up, no overlap
    assert ids(rows) == ids(bare.result[0])
