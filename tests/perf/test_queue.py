"""The reviewer queue's read model (data/read/queue.py) as the grid calls it: tab counts
on every refresh, then blocks of 50 rows (AG Grid's infinite row model), sorted and
filtered in SQL. Paging is OFFSET-based, so a deep block is expected to cost more."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.components.queue_grid import BLOCK_SIZE, FILTER_LABELS
from data.models import Case
from data.read import queue as q

GROUP = "queue"
DEEP_START = 5000


@pytest.fixture(scope="module")
def page(bench_session, world):
    """(rows, total) of one block, as a reviewer asks for it (staff see every case:
    `case_visibility` is `true()` for them)."""

    def _page(tab="escalated", start=0, end=BLOCK_SIZE, **kw):
        with bench_session() as s:
            return q.queue_page(s, sa.true(), tab=tab, user_id=world.reviewer_id, labels=FILTER_LABELS,
                                start=start, end=end, **kw)

    return _page


def rows_of(result) -> list:
    return result[0]


def test_counts(bench_session, world, recorder):
    def counts():
        with bench_session() as s:
            return q.queue_counts(s, sa.true(), user_id=world.reviewer_id)

    t = recorder.run(GROUP, "tab counts (all four)", counts, count=lambda c: sum(c.values()))
    with bench_session() as s:
        def n(*where):
            return s.scalar(sa.select(sa.func.count()).select_from(Case).where(*where))

        expected = {"escalated": n(Case.stage == "under_review"), "appealed": n(Case.stage == "final_review"),
                    "open": n(Case.status.in_(q.AWAITING_STATUSES)),
                    "mine": n(Case.assignee_id == world.reviewer_id, Case.status.in_(q.OPEN_STATUSES))}
    assert t.result == expected and all(expected.values())


@pytest.mark.parametrize("tab", q.TABS)
def test_first_block(page, tab, recorder):
    t = recorder.run(GROUP, f"first block, {tab} tab", lambda: page(tab), count=rows_of)
    rows, total = t.result
    assert rows and total >= len(rows)
    if tab == "open":  # most urgent deadline first
        dues = [r.response_due_at for r in rows]
        assert dues == sorted(dues)
    else:  # longest waiting first
        since = [r.waiting_since for r in rows]
        assert since == sorted(since)


def test_deep_block(page, recorder):
    total = page("open")[1]
    start = DEEP_START if total > DEEP_START + BLOCK_SIZE else (total // 2) // BLOCK_SIZE * BLOCK_SIZE
    name = f"block at startRow {start:,}, open tab ({total:,} rows)"
    t = recorder.run(GROUP, name, lambda: page("open", start=start, end=start + BLOCK_SIZE), count=rows_of)
    rows, _ = t.result
    assert len(rows) == BLOCK_SIZE
    before = page("open", start=start - BLOCK_SIZE, end=start)[0]
    keys = [(r.response_due_at, r.id) for r in before + rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # the blocks join up, no overlap
    recorder.ratio(f"queue: block at {start:,} / first block (OFFSET: grows with depth)", f"queue: {name}",
                   "queue: first block, open tab")


def test_sorted_by_amount(page, recorder):
    t = recorder.run(GROUP, "open tab sorted by amount desc",
                     lambda: page("open", sort_model=[{"colId": "amount", "sort": "desc"}]), count=rows_of)
    rows, _ = t.result
    keys = [(-r.amount_minor, r.id) for r in rows]
    assert len(rows) == BLOCK_SIZE and keys == sorted(keys)
    recorder.ratio("queue: sorted by amount / default order", "queue: open tab sorted by amount desc",
                   "queue: first block, open tab")


def test_filtered_by_company(page, world, recorder):
    text = world.company_name.lower()
    name = f"open tab, company contains '{text}'"
    t = recorder.run(GROUP, name,
                     lambda: page("open", filter_model={"company": {"filterType": "text", "type": "contains",
                                                                    "filter": text}}), count=rows_of)
    rows, total = t.result
    assert rows and all(text in r.company_name.lower() for r in rows)
    dues = [r.response_due_at for r in rows]
    assert dues == sorted(dues) and total < page("open")[1]
    recorder.ratio("queue: company text filter / unfiltered", f"queue: {name}", "queue: first block, open tab")
