"""Reading and opening cases: the published list, summary, create, retrieve and events."""
from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload, selectinload

from data.models import Case, CaseEvent, User
from dashboard.api.auth import CUSTOMERS
from dashboard.api.paging import SortKey, fetch_page, page_request
from dashboard.api.params import (attachment_ids, json_body, query_choice, query_enum_list, query_list, query_time,
                                  required_text, text)
from dashboard.api.routing import CaseResult, endpoint
from dashboard.api.serializers import case_json, event_json
from dashboard.cases.opening import open_case
from dashboard.context import Ctx
from dashboard.enums import Outcome, Reason, Status
from dashboard.errors import DomainError
from dashboard.permissions import case_visibility, event_visibility_for, load_case, party_of

CASE_LOAD = (joinedload(Case.company), joinedload(Case.customer), joinedload(Case.payment),
             joinedload(Case.assignee))
GROUPS = {"status": (Case.status, Status), "reason": (Case.reason, Reason), "outcome": (Case.outcome, Outcome)}


def case_filters(user: User) -> list[ColumnElement[bool]]:
    """What the caller may see, narrowed by the published filters."""
    clauses = [case_visibility(user)]
    account_id = request.args.get("account_id")
    if account_id:
        clauses.append(Case.company_id == account_id)
    user_id = request.args.get("user_id")
    if user_id:
        clauses.append(Case.customer_id == (user.id if user_id == "me" else user_id))
    for name, enum, column in (("status", Status, Case.status), ("reason", Reason, Case.reason),
                               ("outcome", Outcome, Case.outcome)):
        values = query_enum_list(name, enum)
        if values:
            clauses.append(column.in_([v.value for v in values]))
    before, after = query_time("created_before"), query_time("created_after")
    if before is not None:
        clauses.append(Case.created_at < before)
    if after is not None:
        clauses.append(Case.created_at > after)
    return clauses


def case_sort() -> tuple[str, list[SortKey]]:
    order = query_choice("order", ("created_at", "response_due_at"), "created_at")
    desc = query_choice("direction", ("asc", "desc"), "desc") == "desc"
    first = (SortKey(Case.created_at, "created_at", desc, kind="dt") if order == "created_at" else
             SortKey(Case.response_due_at, "response_due_at", desc, nullable=True, kind="dt"))
    return f"cases:{order}:{'desc' if desc else 'asc'}", [first, SortKey(Case.id, "id", desc)]


@endpoint("/resolution_center_cases")
def list_cases(ctx: Ctx, user: User) -> dict[str, Any]:
    tag, keys = case_sort()
    req = page_request(tag, keys)
    stmt = select(Case).where(*case_filters(user))
    rows, page_info = fetch_page(ctx.session, stmt, keys, req, tag, options=CASE_LOAD)
    return {"data": [case_json(ctx, c, user) for c in rows], "page_info": page_info}


@endpoint("/resolution_center_cases/summary")
def summarize_cases(ctx: Ctx, user: User) -> dict[str, Any]:
    wanted = query_list("groups") or list(GROUPS)
    unknown = [g for g in wanted if g not in GROUPS]
    if unknown:
        raise DomainError("invalid_parameter", f"Unknown group {unknown[0]!r}. Choose from: status, reason, outcome.",
                          detail={"parameter": "groups"})
    filters = case_filters(user)
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
    return {"total": int(total), "groups": groups}


@endpoint("/resolution_center_cases", methods=("POST",), roles=CUSTOMERS)
def create_case(ctx: Ctx, user: User) -> CaseResult:
    """`receipt_id` is our payment id (`pay_…`)."""
    body = json_body()
    case = open_case(ctx, actor=user, payment_id=required_text(body, "receipt_id"), reason=text(body, "reason"),
                     message=text(body, "message"), file_ids=attachment_ids(body))
    return CaseResult(case.id, status=201)


@endpoint("/resolution_center_cases/<case_id>")
def retrieve_case(ctx: Ctx, user: User, case_id: str) -> dict[str, Any]:
    return case_json(ctx, load_case(ctx, user, case_id), user)


@endpoint("/resolution_center_cases/<case_id>/events")
def list_events(ctx: Ctx, user: User, case_id: str) -> dict[str, Any]:
    """Newest first. A party sees only what it may (never internal notes); staff see all."""
    case = load_case(ctx, user, case_id)
    tag, keys = f"events:{case.id}", [SortKey(CaseEvent.seq, "seq", descending=True, kind="int")]
    req = page_request(tag, keys)
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id, event_visibility_for(party_of(user, case)))
    rows, page_info = fetch_page(ctx.session, stmt, keys, req, tag, options=(selectinload(CaseEvent.files),))
    return {"data": [event_json(ctx.settings, e) for e in rows], "page_info": page_info}
