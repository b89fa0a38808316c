"""Reading and opening cases: the published list, summary, create, retrieve and events."""
from __future__ import annotations

from typing import Any, Optional

from flask import request
from sqlalchemy import ColumnElement, func, literal, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from data.models import Case, CaseEvent, User
from dashboard.api.auth import CUSTOMERS
from dashboard.api.paging import PageRequest, SortKey, fetch_page, page_info_of, page_request
from dashboard.api.params import json_body
from dashboard.api.schemas.bodies import CreateCase
from dashboard.api.schemas.queries import GROUPS as GROUP_NAMES
from dashboard.api.schemas.cases import Summary, SummaryGroups
from dashboard.api.schemas.queries import CaseFilters, CaseListQuery, CaseSort, SummaryQuery
from dashboard.api.routing import CaseResult, endpoint
from dashboard.api.serializers import case_json, case_page_json, event_page_json
from dashboard.cases.opening import open_case
from dashboard.context import Ctx
from dashboard.enums import Outcome, Reason, Status
from dashboard.errors import DomainError, Forbidden
from dashboard.money.amounts import EXPONENTS as CURRENCY_EXPONENTS
from dashboard.permissions import case_visibility, event_visibility_for, is_staff, load_case, party_of
from dashboard.validation import parse
from data.read import search

CASE_LOAD = (joinedload(Case.company), joinedload(Case.customer), joinedload(Case.payment),
             joinedload(Case.assignee))
GROUPS = {"status": (Case.status, Status), "reason": (Case.reason, Reason), "outcome": (Case.outcome, Outcome)}


def case_filters(user: User, query: CaseFilters) -> list[ColumnElement[bool]]:
    """What the caller may see, narrowed by the published filters."""
    clauses = [case_visibility(user)]
    if query.account_id:
        clauses.append(Case.company_id == query.account_id)
    if query.user_id:
        clauses.append(Case.customer_id == (user.id if query.user_id == "me" else query.user_id))
    for values, column in ((query.status, Case.status), (query.reason, Case.reason), (query.outcome, Case.outcome)):
        if values:
            clauses.append(column.in_([v.value for v in values]))
    if query.created_before is not None:
        clauses.append(Case.created_at < query.created_before)
    if query.created_after is not None:
        clauses.append(Case.created_at > query.created_after)
    return clauses


def case_sort(query: CaseSort) -> tuple[str, list[SortKey]]:
    order = query.order
    desc = query.direction == "desc"
    first = (SortKey(Case.created_at, "created_at", desc, kind="dt") if order == "created_at" else
             SortKey(Case.response_due_at, "response_due_at", desc, nullable=True, kind="dt"))
    return f"cases:{order}:{'desc' if desc else 'asc'}", [first, SortKey(Case.id, "id", desc)]


@endpoint("/resolution_center_cases")
def list_cases(ctx: Ctx, user: User) -> dict[str, Any]:
    query = parse(CaseListQuery, request.args, source="query")
    text = search_text(user, query)
    tag, keys = case_sort(query)
    req = page_request(tag, keys, query)
    if text is not None:
        rows, page_info = search_page(ctx, user, query, text, tag, keys, req)
        return case_page_json(ctx, rows, user, page_info)
    stmt = select(Case).where(*case_filters(user, query))
    rows, page_info = fetch_page(ctx.session, stmt, keys, req, tag, options=CASE_LOAD)
    return case_page_json(ctx, rows, user, page_info)


# ------------------------------------------------------------------ staff search
def search_text(user: User, query: CaseListQuery) -> Optional[str]:
    """The search text if there is one, after the checks only a search has: staff only,
    newest-first order. Blank text is no search."""
    try:
        text = search.normalise(query.query)
    except search.QueryTooLong as exc:  # the query model's bound already refuses this
        raise DomainError("invalid_parameter", str(exc), detail={"parameter": "query"}) from None
    if not text:
        return None
    if not is_staff(user):
        raise Forbidden("query_staff_only", "Searching all cases ('query') is for platform staff only; filter "
                                            "your own cases with the other parameters instead.",
                        detail={"parameter": "query"})
    if query.order != "created_at":
        raise DomainError("invalid_parameter", "With 'query', results are in order of creation: send "
                                               "order=created_at (or leave 'order' out).", detail={"parameter": "order"})
    return text


def _seek(keys: list[SortKey], values: list, *, later: bool) -> ColumnElement[bool]:
    """Rows after (`later`) or before the cursor row in display order. The search's sort
    is (created_at, id), both never null and in one direction: one row-value comparison."""
    left = tuple_(*(k.column for k in keys))
    right = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values)))
    return (left > right) if later != keys[0].descending else (left < right)


def search_page(ctx: Ctx, user: User, query: CaseListQuery, text: str, tag: str, keys: list[SortKey],
                req: PageRequest) -> tuple[list[Case], dict[str, Any]]:
    """One page of the search (data.read.search.matching: every match branch an index range
    with its own LIMIT), paged with the list's own cursors and page_info rules."""
    q = search.interpret(text)
    newest_first = keys[0].descending
    filters = case_filters(user, query)
    bounds = []
    if req.after is not None:
        bounds.append(_seek(keys, req.after, later=True))
    if req.before is not None:
        bounds.append(_seek(keys, req.before, later=False))

    def matches(where: list[ColumnElement[bool]], limit: int, *, reverse: bool = False) -> list[str]:
        found = search.matching(ctx.session, q, where=filters + where, limit=limit,
                                newest_first=newest_first != reverse, exponents=CURRENCY_EXPONENTS)
        return [case_id for case_id, _ in found]

    ids = matches(bounds, req.size + 1, reverse=req.backward)
    more, ids = len(ids) > req.size, ids[:req.size]
    if req.backward:
        ids.reverse()
        has_previous = more
        # As fetch_page: something at or after the `before` row (it may have gone since).
        has_next = req.before is not None and bool(
            matches([~_seek(keys, req.before, later=False)], 1))
    else:
        has_next = more
        has_previous = req.after is not None and bool(
            matches([~_seek(keys, req.after, later=True)], 1, reverse=True))
    loaded = {c.id: c for c in ctx.session.scalars(
        select(Case).options(*CASE_LOAD).where(Case.id.in_(ids))).unique()} if ids else {}
    rows = [loaded[i] for i in ids if i in loaded]
    return rows, page_info_of(tag, keys, rows, has_next=has_next, has_previous=has_previous)


@endpoint("/resolution_center_cases/summary")
def summarize_cases(ctx: Ctx, user: User) -> dict[str, Any]:
    query = parse(SummaryQuery, request.args, source="query")
    wanted = query.groups or list(GROUP_NAMES)
    filters = case_filters(user, query)
    total = ctx.session.scalar(select(func.count()).select_from(Case).where(*filters)) or 0
    groups: dict[str, dict[str, int]] = {}
    for name in dict.fromkeys(wanted):
        column, enum = GROUPS[name]
        counts = {e.value: 0 for e in enum}
        stmt = select(column, func.count()).where(*filters, column.is_not(None)).group_by(column)
        for value, n in ctx.session.execute(stmt):
            if value in counts:
                counts[value] = int(n)
        groups[name] = counts
    return Summary(total=int(total), groups=SummaryGroups(**groups)).wire()


@endpoint("/resolution_center_cases", methods=("POST",), roles=CUSTOMERS)
def create_case(ctx: Ctx, user: User) -> CaseResult:
    """`receipt_id` is our payment id (`pay_…`)."""
    body = parse(CreateCase, json_body())
    opened = open_case(ctx, actor=user, payment_id=body.receipt_id, reason=body.reason, message=body.message,
                       file_ids=body.attachments.file_ids)
    # Accepted under the company's auto-refund threshold: the refund moves right after the commit.
    return CaseResult(opened.case.id, status=201, settle=bool(opened.movements))


@endpoint("/resolution_center_cases/<case_id>")
def retrieve_case(ctx: Ctx, user: User, case_id: str) -> dict[str, Any]:
    return case_json(ctx, load_case(ctx, user, case_id), user)


@endpoint("/resolution_center_cases/<case_id>/events")
def list_events(ctx: Ctx, user: User, case_id: str) -> dict[str, Any]:
    """Newest first. A party sees only what it may (never internal notes); staff see all."""
    case = load_case(ctx, user, case_id)
    tag, keys = f"events:{case.id}", [SortKey(CaseEvent.seq, "seq", descending=True, kind="int")]
    req = page_request(tag, keys)  # the events' own query: paging only
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id, event_visibility_for(party_of(user, case)))
    rows, page_info = fetch_page(ctx.session, stmt, keys, req, tag, options=(selectinload(CaseEvent.files),))
    return event_page_json(ctx.settings, rows, page_info)
