"""The reviewer queue's read model (data/read/queue.py) on SQLite and PostgreSQL: which
case sits in which tab, the counts, sorting, filtering, paging windows and visibility.

Cases reach their states through the domain (tests/queue_cases.py), so the tabs are
checked against what the lifecycle really writes."""
from __future__ import annotations

import pytest
from sqlalchemy import false, true

from dashboard.components.queue_grid import FILTER_LABELS
from dashboard.context import Ctx
from dashboard.permissions import case_visibility
from data.read import queue as q
from tests import factories
from tests.factories import T0, days
from tests.queue_cases import H, QueueCases


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def w(Session, settings):  # noqa: N803
    with Session.begin() as s:
        return factories.world(Ctx(s, T0, settings))


@pytest.fixture
def qc(Session, settings, w):  # noqa: N803
    return QueueCases(Session, settings, w)


@pytest.fixture
def page(Session, w):  # noqa: N803
    """page(tab, **kw) -> (ids, total), as the reviewer sees it by default."""

    def _page(tab, *, viewer=None, visibility=None, **kw):
        viewer = viewer or w.reviewer
        with Session() as s:
            rows, total = q.queue_page(s, case_visibility(viewer) if visibility is None else visibility, tab=tab,
                                       user_id=viewer.id, labels=FILTER_LABELS, **kw)
            return [r.id for r in rows], total

    return _page


def counts(Session, user, visibility=None):  # noqa: N803
    with Session() as s:
        return q.queue_counts(s, case_visibility(user) if visibility is None else visibility, user_id=user.id)


# ------------------------------------------------------------------------- membership
@pytest.fixture
def zoo(qc, w):
    """One case in each situation the queue must tell apart."""
    z = dict(
        awaiting_merchant=qc.open(at=T0),
        awaiting_customer=qc.awaiting_customer(at=T0 + H),
        under_review=qc.under_review(at=T0 + 2 * H),
        appealed_denial=qc.appealed_denial(at=T0 + 3 * H),
        review_awaiting_merchant=qc.review_awaiting("merchant", at=T0 + 4 * H),
        final_review=qc.final_review(at=T0 + 5 * H),
        accepted=qc.accepted(at=T0 + 6 * H),
        # Decided by the reviewer: closed and still assigned to them, so never "mine".
        decided_by_reviewer=qc.decided(by=w.reviewer, at=T0 + 7 * H),
    )
    qc.claim(z["under_review"], w.reviewer, at=T0 + days(8))
    qc.claim(z["appealed_denial"], w.reviewer2, at=T0 + days(8))
    return z


def test_each_tab_holds_exactly_its_cases(zoo, page, w):
    def tab(name, **kw):
        return set(page(name, **kw)[0])

    assert tab("escalated") == {zoo["under_review"], zoo["appealed_denial"]}
    assert tab("appealed") == {zoo["final_review"]}
    assert tab("open") == {zoo["awaiting_merchant"], zoo["awaiting_customer"], zoo["review_awaiting_merchant"]}
    # Claimed, plus the case the reviewer holds because they asked the merchant.
    assert tab("mine") == {zoo["under_review"], zoo["review_awaiting_merchant"]}
    assert tab("mine", viewer=w.reviewer2) == {zoo["appealed_denial"]}
    assert tab("mine", viewer=w.manager) == set()


def test_counts_match_the_tabs_in_one_query(zoo, Session, w, page):  # noqa: N803
    got = counts(Session, w.reviewer)
    assert got == {"escalated": 2, "appealed": 1, "open": 3, "mine": 2}
    for tab, n in got.items():
        assert page(tab)[1] == n
    assert counts(Session, w.reviewer2)["mine"] == 1


def test_open_tab_marks_what_the_platform_is_involved_in(zoo, Session, w):  # noqa: N803
    with Session() as s:
        rows, _ = q.queue_page(s, true(), tab="open", user_id=w.reviewer.id)
    escalated = {r.id: r.escalated for r in rows}
    assert escalated == {zoo["awaiting_merchant"]: False, zoo["awaiting_customer"]: False,
                         zoo["review_awaiting_merchant"]: True}


# -------------------------------------------------------------------------- visibility
def test_visibility_clause_limits_rows_and_counts(qc, w, page, Session):  # noqa: N803
    ours = qc.under_review(at=T0)
    theirs = qc.under_review(at=T0 + H, customer=w.other_customer, company=w.other_company)
    assert set(page("escalated")[0]) == {ours, theirs}
    # A creator's clause (were one ever passed) narrows to their company; a closed door shows nothing.
    assert page("escalated", viewer=w.other_creator) == ([theirs], 1)
    assert page("escalated", viewer=w.customer) == ([ours], 1)
    assert page("escalated", visibility=false()) == ([], 0)
    assert counts(Session, w.reviewer, false()) == {"escalated": 0, "appealed": 0, "open": 0, "mine": 0}
    assert counts(Session, w.other_creator)["escalated"] == 1


# ------------------------------------------------------------------------ time waiting
def test_waiting_since_is_when_the_case_came_to_whoever_it_waits_on(zoo, Session, w, settings):  # noqa: N803
    with Session() as s:
        rows = {r.id: r for t in q.TABS
                for r in q.queue_page(s, true(), tab=t, user_id=w.reviewer.id, response_days=7)[0]}
    since = {name: rows[cid].waiting_since for name, cid in zoo.items() if cid in rows}
    assert since["awaiting_merchant"] == T0                              # opened
    assert since["awaiting_customer"] == T0 + H + H                      # the merchant asked an hour later
    assert since["under_review"] == T0 + 2 * H + days(7)                 # escalated; the claim does not reset it
    assert since["appealed_denial"] == T0 + 3 * H + 2 * H                # the denial was appealed
    assert since["review_awaiting_merchant"] == T0 + 4 * H + days(7) + H  # the reviewer asked
    assert since["final_review"] == T0 + 5 * H + days(7) + 2 * H         # the decision was appealed


def test_sorting_by_waiting_in_sql_agrees_with_the_displayed_times(zoo, qc, Session, w):  # noqa: N803
    # Mine mixes states (under review and waiting on a party): one SQL expression orders both.
    qc.claim(zoo["awaiting_merchant"], w.reviewer, at=T0 + days(8))
    qc.claim(zoo["final_review"], w.reviewer, at=T0 + days(8))
    for direction in ("asc", "desc"):
        with Session() as s:
            rows, _ = q.queue_page(s, true(), tab="mine", user_id=w.reviewer.id,
                                   sort_model=[{"colId": "waiting", "sort": direction}])
        assert len(rows) == 4
        waited = [r.waiting_since for r in rows]
        # Longest waiting (earliest since) first when sorting waiting time descending.
        assert waited == sorted(waited, reverse=(direction == "asc"))


# ------------------------------------------------------------------------------ sorting
@pytest.fixture
def many(qc, w):
    """Twelve escalated cases with varied amounts, providers, companies and customers."""
    ids = []
    for i in range(12):
        other = i % 3 == 0
        ids.append(qc.under_review(
            at=T0 + i * H, amount=1000 + (i * 7 % 12) * 100, provider="paypal" if i % 4 == 0 else "stripe",
            customer=w.other_customer if other else w.customer, company=w.other_company if other else w.company,
            reason="not_as_described" if i % 2 else "fraudulent",
        ))
    return ids


def test_sorts_whitelisted_columns_with_a_stable_tie_break(many, Session, w, page):  # noqa: N803
    with Session() as s:
        rows, _ = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, end=50,
                               sort_model=[{"colId": "amount", "sort": "desc"}])
        assert [r.amount_minor for r in rows] == sorted((r.amount_minor for r in rows), reverse=True)
        rows, _ = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, end=50,
                               sort_model=[{"colId": "company", "sort": "asc"}, {"colId": "amount", "sort": "asc"}])
        keys = [(r.company_name, r.amount_minor, r.id) for r in rows]
        assert keys == sorted(keys)
        # Equal providers fall back to the case id, so the order is total and repeatable.
        rows, _ = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, end=50,
                               sort_model=[{"colId": "provider", "sort": "asc"}])
        assert [(r.provider, r.id) for r in rows] == sorted((r.provider, r.id) for r in rows)
    # Default for the escalated tab: longest waiting first (the first opened was escalated first).
    assert page("escalated", end=50)[0][0] == many[0]


def test_unknown_sort_columns_are_ignored_not_interpolated(many, page):
    default = page("escalated", end=50)[0]
    assert page("escalated", end=50, sort_model=[{"colId": "id; DROP TABLE cases", "sort": "asc"},
                                                 {"colId": "message", "sort": "desc"}])[0] == default


def test_deadline_sort_puts_cases_without_one_last(zoo, qc, w, Session):  # noqa: N803
    for cid in (zoo["awaiting_merchant"], zoo["final_review"], zoo["awaiting_customer"]):
        qc.claim(cid, w.reviewer, at=T0 + days(8))
    for direction in ("asc", "desc"):
        with Session() as s:
            rows, _ = q.queue_page(s, true(), tab="mine", user_id=w.reviewer.id,
                                   sort_model=[{"colId": "deadline", "sort": direction}])
        dues = [r.response_due_at for r in rows]
        assert dues[-2:] == [None, None]  # under review and final review have no deadline
        assert dues[:3] == sorted(dues[:3], reverse=(direction == "desc"))


def test_assignee_sort_and_filter(zoo, qc, page, w, Session):  # noqa: N803
    unassigned = qc.under_review(at=T0 + 9 * H)
    for direction in ("asc", "desc"):
        with Session() as s:
            rows, _ = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id,
                                   sort_model=[{"colId": "assignee", "sort": direction}])
        names = [r.assignee_name for r in rows]
        assert names[:2] == sorted(names[:2], reverse=(direction == "desc")) and names[0] != names[1]
        assert rows[-1].id == unassigned  # nobody assigned: last either way
    assert page("open", assigned="unassigned")[0] == [zoo["awaiting_merchant"], zoo["awaiting_customer"]]
    assert page("open", assigned="me") == ([zoo["review_awaiting_merchant"]], 1)
    assert page("escalated", assigned="me", viewer=w.reviewer2) == ([zoo["appealed_denial"]], 1)
    assert page("escalated", assigned="unassigned") == ([unassigned], 1)


# ---------------------------------------------------------------------------- filtering
def text(value, kind="contains"):
    return {"filterType": "text", "type": kind, "filter": value}


def test_text_filters_on_case_company_and_customer(many, page, w):
    theirs = set(many[0::3])
    assert set(page("escalated", end=50, filter_model={"company": text("other")})[0]) == theirs
    assert set(page("escalated", end=50, filter_model={"company": text("OTHER CO", "equals")})[0]) == theirs
    assert set(page("escalated", end=50, filter_model={"company": text("other", "notContains")})[0]) == \
        set(many) - theirs
    # The customer column searches name and email.
    assert set(page("escalated", end=50, filter_model={"customer": text(w.other_customer.email)})[0]) == theirs
    assert page("escalated", end=50, filter_model={"id": text(many[5])})[0] == [many[5]]
    assert page("escalated", end=50, filter_model={"id": text(many[5][-6:], "startsWith")})[0] == []


def test_like_wildcards_in_filters_are_literal(many, page):
    assert page("escalated", filter_model={"company": text("%")}) == ([], 0)
    assert page("escalated", filter_model={"id": text("reso_")})[1] == 12
    assert page("escalated", filter_model={"id": text("re_o")}) == ([], 0)


def test_vocabulary_filters_match_values_and_labels(many, page):
    paypal = set(many[0::4])
    assert set(page("escalated", end=50, filter_model={"provider": text("PayPal")})[0]) == paypal
    assert set(page("escalated", end=50, filter_model={"provider": text("pay")})[0]) == paypal
    assert set(page("escalated", end=50, filter_model={"provider": text("pal", "notContains")})[0]) == \
        set(many) - paypal
    described = set(many[1::2])
    assert set(page("escalated", end=50, filter_model={"reason": text("not as described")})[0]) == described
    assert set(page("escalated", end=50, filter_model={"reason": text("not_as", "startsWith")})[0]) == described
    assert page("escalated", filter_model={"reason": text("nothing like it")}) == ([], 0)
    assert page("escalated", end=50, filter_model={"status": text("under review", "equals")})[1] == 12


def test_combined_conditions_and_several_columns(many, page):
    either = {"filterType": "text", "operator": "OR", "conditions": [text("Acme"), text("Other")]}
    assert page("escalated", end=50, filter_model={"company": either})[1] == 12
    both = {"filterType": "text", "operator": "AND", "conditions": [text("Acme"), text("Other")]}
    assert page("escalated", end=50, filter_model={"company": both})[1] == 0
    ids, total = page("escalated", end=50, filter_model={"company": text("acme"), "provider": text("paypal")})
    assert set(ids) == {many[4], many[8]} and total == 2
    # Junk and unknown columns are ignored rather than failing.
    assert page("escalated", end=50, filter_model={"message": text("x"), "company": "junk", "reason": {}})[1] == 12


# ------------------------------------------------------------------------------- paging
def test_paging_windows_tile_the_sorted_list(many, page):
    sort = [{"colId": "amount", "sort": "asc"}]
    everything, total = page("escalated", end=50, sort_model=sort)
    assert total == 12 and len(everything) == 12
    windows = [page("escalated", start=s, end=s + 5, sort_model=sort) for s in (0, 5, 10)]
    assert [ids for ids, _ in windows] == [everything[0:5], everything[5:10], everything[10:12]]
    # Full windows count in SQL; the short last one knows where the end is. All agree.
    assert [t for _, t in windows] == [12, 12, 12]
    assert page("escalated", start=40, end=45, sort_model=sort) == ([], 12)


def test_window_size_is_capped(many, page):
    ids, total = page("escalated", start=0, end=10_000)
    assert total == 12 and len(ids) == 12
    assert len(page("escalated", start=0, end=q.MAX_WINDOW + 500)[0]) <= q.MAX_WINDOW
    assert page("escalated", start=-5, end=3)[0] == page("escalated", start=0, end=3)[0]


def test_unknown_tab_is_refused():
    with pytest.raises(ValueError):
        q.tab_clause("archived", "user_x")


# ---------------------------------------------------------------- closed and all tabs
@pytest.fixture
def statements(Session):  # noqa: N803
    """The SQL each call sends (to prove what is never run: a count over the cases)."""
    from sqlalchemy import event

    sent: list[str] = []
    bind = Session.kw["bind"]

    def record(conn, cursor, statement, *args):
        sent.append(statement.lower())

    event.listen(bind, "before_cursor_execute", record)
    yield sent
    event.remove(bind, "before_cursor_execute", record)


def _counted_cases(sent) -> list[str]:
    return [x for x in sent if "count(" in x and "from cases" in x]


def test_closed_tab_last_closed_first_and_all_tab_newest_first(zoo, qc, w, Session, page):  # noqa: N803
    from data.models import Case

    late = qc.accepted(at=T0 + days(3))  # opened last, closed last
    with Session() as s:
        closed = s.query(Case).filter(Case.status == "closed").all()
        every = s.query(Case).all()
    by_closing = [c.id for c in sorted(closed, key=lambda c: (c.closed_at, c.id), reverse=True)]
    newest = [c.id for c in sorted(every, key=lambda c: (c.created_at, c.id), reverse=True)]
    assert set(by_closing) == {zoo["accepted"], zoo["decided_by_reviewer"], late}
    assert page("closed") == (by_closing, 3)
    assert page("all") == (newest, 9)
    assert page("closed", sort_model=[{"colId": "amount", "sort": "desc"}])[1] == 3
    # Every row carries what the grid shows for a closed case.
    with Session() as s:
        rows = q.queue_page(s, true(), tab="closed", user_id=w.reviewer.id).rows
    assert all(r.status == "closed" and r.closed_at is not None and r.outcome for r in rows)


def test_closed_and_all_totals_come_from_the_rollups_never_a_count(zoo, w, Session, statements):  # noqa: N803
    with Session() as s:
        assert q.reach_totals(s, true()) == {"all": 8, "closed": 2}
        assert q.reach_totals(s, false()) is None  # a narrower view than staff's: not known
        statements.clear()
        for tab in ("closed", "all"):
            first = q.queue_page(s, true(), tab=tab, user_id=w.reviewer.id, end=2)
            assert len(first.rows) == 2 and first.total == {"closed": 2, "all": 8}[tab]
            deeper = q.queue_page(s, true(), tab=tab, user_id=w.reviewer.id, start=2, end=4,
                                  after=first.next_cursor, known_total=first.total)
            assert deeper.seeked or tab == "closed"  # closed: the window already ended at 2
    assert _counted_cases(statements) == []


def test_a_filtered_closed_or_all_window_answers_more_instead_of_counting(many, qc, w, Session, statements):  # noqa: N803
    for i in range(5):
        qc.accepted(at=T0 + i * H, provider="paypal")
    paypal = {"provider": {"filterType": "text", "type": "contains", "filter": "paypal"}}
    with Session() as s:
        statements.clear()
        full = q.queue_page(s, true(), tab="closed", user_id=w.reviewer.id, end=3, filter_model=paypal,
                            labels=FILTER_LABELS)
        assert len(full.rows) == 3 and full.total == q.UNKNOWN_TOTAL
        rest = q.queue_page(s, true(), tab="closed", user_id=w.reviewer.id, start=3, end=6, filter_model=paypal,
                            labels=FILTER_LABELS, after=full.next_cursor)
        assert len(rest.rows) == 2 and rest.total == 5 and rest.seeked  # a short window knows the end
        past = q.queue_page(s, true(), tab="closed", user_id=w.reviewer.id, start=6, end=9, filter_model=paypal,
                            labels=FILTER_LABELS)
        assert past.rows == [] and past.total == 6  # an empty window past the end stops the grid
        mine = q.queue_page(s, true(), tab="all", user_id=w.reviewer.id, end=3, assigned="unassigned")
        assert len(mine.rows) == 3 and mine.total == q.UNKNOWN_TOTAL
    assert _counted_cases(statements) == []


@pytest.mark.parametrize("tab", ["closed", "all"])
@pytest.mark.parametrize("sort", [[], [{"colId": "amount", "sort": "desc"}], [{"colId": "deadline", "sort": "asc"}],
                                  [{"colId": "created", "sort": "asc"}], [{"colId": "company", "sort": "asc"}]],
                         ids=lambda s: "+".join(f"{i['colId']}-{i['sort']}" for i in s) or "default")
def test_keyset_blocks_of_closed_and_all_join_up_like_offset(qc, w, Session, tab, sort):  # noqa: N803
    for i in range(7):
        (qc.accepted if i % 2 else qc.decided)(at=T0 + i * H, amount=1000 + (i % 3) * 100)
    qc.open(at=T0 + days(1))
    with Session() as s:
        everything = [r.id for r in q.queue_page(s, true(), tab=tab, user_id=w.reviewer.id, end=50,
                                                 sort_model=sort).rows]
    ids, seeks, total = walk(Session, w, tab, sort, size=3)
    assert ids == everything and len(set(ids)) == len(ids) == {"closed": 7, "all": 8}[tab]
    assert seeks[0] is False and all(seeks[1:])


def test_rows_carry_the_sla_clock(zoo, Session, w, settings):  # noqa: N803
    from dashboard import sla

    with Session() as s:
        rows = {r.id: r for tab in ("escalated", "appealed") for r in q.queue_page(s, true(), tab=tab,
                                                                                    user_id=w.reviewer.id).rows}
    denial = rows[zoo["appealed_denial"]]
    # An appealed denial: its clock is the appeal (written as escalated_at too), the 48 h target.
    assert denial.escalated_at == denial.appealed_at == T0 + 3 * H + 2 * H
    assert sla.decide_by(denial, settings) == denial.appealed_at + 48 * H
    final = rows[zoo["final_review"]]
    assert sla.decide_by(final, settings) == final.appealed_at + 72 * H
    assert sla.decide_by(rows[zoo["under_review"]], settings) == T0 + 2 * H + days(7) + 48 * H


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorting_escalated_by_decide_by_is_sorting_by_the_clock(many, qc, w, Session, settings, direction):  # noqa: N803
    from dashboard import sla

    with Session() as s:
        rows = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id,
                            sort_model=[{"colId": "deadline", "sort": direction}]).rows
    due = [sla.decide_by(r, settings) for r in rows]
    assert len(rows) == 12 and due == sorted(due, reverse=direction == "desc")


# ------------------------------------------------------------------------------ keyset
SORTS = [
    [], [{"colId": "amount", "sort": "asc"}], [{"colId": "amount", "sort": "desc"}],
    [{"colId": "company", "sort": "asc"}], [{"colId": "customer", "sort": "desc"}],
    [{"colId": "provider", "sort": "asc"}], [{"colId": "reason", "sort": "desc"}],
    [{"colId": "waiting", "sort": "asc"}], [{"colId": "waiting", "sort": "desc"}],
    [{"colId": "deadline", "sort": "asc"}], [{"colId": "assignee", "sort": "asc"}],
    [{"colId": "assignee", "sort": "desc"}], [{"colId": "created", "sort": "desc"}], [{"colId": "id", "sort": "desc"}],
    [{"colId": "company", "sort": "asc"}, {"colId": "amount", "sort": "desc"}],
    [{"colId": "assignee", "sort": "desc"}, {"colId": "provider", "sort": "asc"}],
]


def walk(Session, w, tab, sort, *, size, filter_model=None):  # noqa: N803
    """Scroll a tab block by block as the grid does, each block seeking from the last."""
    ids, cursor, seeks, start = [], None, [], 0
    while True:
        with Session() as s:
            page = q.queue_page(s, true(), tab=tab, user_id=w.reviewer.id, start=start, end=start + size,
                                sort_model=sort, filter_model=filter_model, labels=FILTER_LABELS, after=cursor)
        ids += [r.id for r in page.rows]
        seeks.append(page.seeked)
        if len(page.rows) < size:
            return ids, seeks, page.total
        start, cursor = start + size, page.next_cursor


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: "+".join(f"{i['colId']}-{i['sort']}" for i in s) or "default")
def test_keyset_blocks_join_up_exactly_like_offset_ones(many, qc, w, Session, sort):  # noqa: N803
    qc.claim(many[1], w.reviewer, at=T0 + days(9))
    qc.claim(many[2], w.reviewer2, at=T0 + days(9))
    qc.claim(many[5], w.reviewer, at=T0 + days(9))  # equal assignee names: the id decides
    with Session() as s:
        everything, total = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, end=50,
                                         sort_model=sort, labels=FILTER_LABELS)
    everything = [r.id for r in everything]
    ids, seeks, walked_total = walk(Session, w, "escalated", sort, size=5)
    assert ids == everything and len(set(ids)) == 12 == total == walked_total
    assert seeks == [False, True, True]  # every block after the first was a seek


def test_keyset_on_the_open_tab_by_deadline_both_ways_and_with_a_filter(qc, w, Session):  # noqa: N803
    opened = [qc.open(at=T0 + i * H, provider="paypal" if i % 2 else "stripe") for i in range(7)]
    for sort in ([], [{"colId": "deadline", "sort": "desc"}], [{"colId": "amount", "sort": "asc"}]):
        ids, seeks, total = walk(Session, w, "open", sort, size=3)
        assert sorted(ids) == sorted(opened) and total == 7 and seeks == [False, True, True]
    assert walk(Session, w, "open", [], size=3)[0] == opened  # oldest deadline first
    assert walk(Session, w, "open", [{"colId": "deadline", "sort": "desc"}], size=3)[0] == opened[::-1]
    paypal = {"provider": {"filterType": "text", "type": "contains", "filter": "paypal"}}
    assert walk(Session, w, "open", [], size=2, filter_model=paypal)[0] == opened[1::2]


def test_a_computed_sort_has_no_cursor_and_pages_by_offset(qc, w, Session):  # noqa: N803
    for i in range(4):
        qc.open(at=T0 + i * H)
    with Session() as s:
        page = q.queue_page(s, true(), tab="open", user_id=w.reviewer.id, end=2,
                            sort_model=[{"colId": "waiting", "sort": "desc"}])
        assert len(page.rows) == 2 and page.next_cursor is None
        default = q.queue_page(s, true(), tab="open", user_id=w.reviewer.id, end=2)
        assert default.next_cursor is not None


def test_a_cursor_of_another_sort_or_a_forged_one_is_not_used(many, w, Session):  # noqa: N803
    with Session() as s:
        first = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, end=4)
        offset = [r.id for r in q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8).rows]
        amount = [{"colId": "amount", "sort": "asc"}]
        for cursor in (first.next_cursor, "garbage", "W10", first.next_cursor[:-3]):
            page = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8, sort_model=amount,
                                after=cursor)
            assert not page.seeked
        by_amount = q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8, sort_model=amount)
        assert [r.id for r in page.rows] == [r.id for r in by_amount.rows]
        # The right cursor, under a closed door, still shows nothing.
        assert q.queue_page(s, false(), tab="escalated", user_id=w.reviewer.id, start=4, end=8,
                            after=first.next_cursor).rows == []
        assert [r.id for r in q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8,
                                           after=first.next_cursor).rows] == offset


def test_a_known_total_is_reused_for_deeper_blocks(many, w, Session):  # noqa: N803
    with Session() as s:
        assert q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8, known_total=40).total == 40
        # Never smaller than what the block itself proves, and a short block knows the end.
        assert q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=4, end=8, known_total=5).total == 12
        assert q.queue_page(s, true(), tab="escalated", user_id=w.reviewer.id, start=8, end=16, known_total=40).total == 12


# ------------------------------------------------------------------------ counts source
def test_open_stages_map_to_their_public_status_as_the_lifecycle_says():
    from dashboard.enums import STAGE_STATUS, Stage

    assert q.OPEN_STAGE_STATUS == {s.value: STAGE_STATUS[s][0].value for s in Stage if s != Stage.CLOSED}


def test_tab_counts_from_stage_counters_equal_the_sql_over_the_cases(zoo, qc, w, Session):  # noqa: N803
    """Counts per (stage, assignee), however obtained, give the tabs exactly what
    tab_clause selects; with the counter tables in place, queue_counts reads them."""
    from sqlalchemy import func, select

    from data.models import Case

    qc.claim(zoo["awaiting_customer"], w.reviewer2, at=T0 + days(8))
    with Session() as s:
        per_stage = {(st, a): n for st, a, n in s.execute(
            select(Case.stage, Case.assignee_id, func.count()).group_by(Case.stage, Case.assignee_id))}
        for viewer in (w.reviewer, w.reviewer2, w.manager):
            sql = q.queue_counts_sql(s, true(), user_id=viewer.id)
            assert q.counts_from_stages(per_stage, viewer.id) == sql
            assert q.queue_counts(s, true(), user_id=viewer.id) == sql
        assert q.counts_from_stages(per_stage, w.reviewer.id)["mine"] == 2
        try:
            from data.rollups import stage_counts
        except ImportError:  # the counter tables are not in this tree: the SQL answered above
            return
        got = {k: v for k, v in stage_counts(s).items() if v}
        assert got == {k: v for k, v in per_stage.items() if k[0] != "closed"}


@pytest.mark.parametrize("tab", q.REACH_TABS)
def test_closed_and_all_sort_only_in_an_index_order(Session, tab):  # noqa: N803
    """A company or customer sort there would sort (nearly) every case per page: ignored,
    the tab's own order kept; the index-backed columns still sort."""
    from data.models import Case

    with Session() as s:
        for col in ("company", "customer", "provider", "reason", "status", "waiting", "assignee"):
            keys = q.sort_keys(s, tab, [{"colId": col, "sort": "asc"}], 7)
            assert keys[0].expr is (Case.closed_at if tab == "closed" else Case.created_at), col
            assert keys[0].descending
        keys = q.sort_keys(s, tab, [{"colId": "amount", "sort": "asc"}], 7)
        assert (keys[0].expr, keys[0].descending) == (Case.amount_minor, False)
