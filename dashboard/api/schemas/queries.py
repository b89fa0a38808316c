"""The query parameters of the GET routes, read with `parse(Model, request.args,
source="query")`: a bad value is a 400 `invalid_parameter` naming the parameter.

Fields are declared in the order the routes have always checked them (the first bad one
is the one reported). Page sizes and cursors need the list's sort, so `paging` checks
`first`/`last` against each other and decodes the cursors.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from dashboard.enums import Outcome, Provider, Reason, Status
from dashboard.fields import QueryTime
from dashboard.limits import day_in_range
from dashboard.validation import reject


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _whole_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise reject("'{name}' must be a whole number.")
    return value


def one_of(choices: tuple[str, ...]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value not in choices:
            raise reject("'{name}' must be one of: " + ", ".join(choices) + ".")
        return value

    return BeforeValidator(check)


def known(noun: str, choices: tuple[str, ...]) -> BeforeValidator:
    """Every value of a repeatable parameter one of `choices`."""

    def check(values: Any) -> Any:
        for value in values if isinstance(values, list) else [values]:
            if value not in choices:
                raise reject(f"Unknown {noun} {value!r}. Choose from: " + ", ".join(choices) + ".")
        return values

    return BeforeValidator(check)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(e.value for e in enum)


def enum_list(name: str, enum: type[StrEnum]) -> Any:
    return Annotated[list[enum], known(name, _values(enum))]  # type: ignore[valid-type]


PageSize = Annotated[Optional[int], BeforeValidator(_whole_number), Field(json_schema_extra={"minimum": 1})]


class PageQuery(Query):
    """Cursor paging (`dashboard.api.paging`). The cursors are text here (they cannot fail
    to parse), so `first` is still checked before `last`, and both before the cursors."""

    first: PageSize = Field(None, description="Page size from the start (default 25; above 100 reads as 100)")
    after: Optional[str] = Field(None, description="page_info.end_cursor of the previous page")
    last: PageSize = Field(None, description="Page size from the end (not with `first`)")
    before: Optional[str] = Field(None, description="page_info.start_cursor of the next page")


class CaseFilters(Query):
    account_id: Optional[str] = Field(None, description="Company (`biz_…`)")
    user_id: Optional[str] = Field(None, description="Customer (`user_…`) or `me`")
    status: enum_list("status", Status) = []  # type: ignore[valid-type]
    reason: enum_list("reason", Reason) = []  # type: ignore[valid-type]
    outcome: enum_list("outcome", Outcome) = []  # type: ignore[valid-type]
    created_before: QueryTime = None
    created_after: QueryTime = None


ORDERS = ("created_at", "response_due_at")
DIRECTIONS = ("asc", "desc")


class CaseSort(Query):
    order: Annotated[Literal[ORDERS], one_of(ORDERS)] = "created_at"  # type: ignore[valid-type]
    direction: Annotated[Literal[DIRECTIONS], one_of(DIRECTIONS)] = "desc"  # type: ignore[valid-type]


SEARCH_MAX = 200  # characters (data.read.search.MAX_QUERY)


def _search_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > SEARCH_MAX:
        raise reject(f"'{{name}}' can be at most {SEARCH_MAX} characters.")
    return value


class SearchQuery(Query):
    query: Annotated[Optional[str], BeforeValidator(_search_text)] = Field(
        None, json_schema_extra={"maxLength": SEARCH_MAX},
        description="Platform staff only (reviewers and managers; customers and creators get 403 "
                    "`query_staff_only`): search open and closed cases. A case id (`reso_…`) or payment id "
                    "(`pay_…`) finds that case; text with `@` finds cases of customers whose email is it or "
                    "starts with it; an amount (`199`, `199.00`, `$199`, `199 EUR`; a number alone is an "
                    "amount) finds cases of that amount in their currency; other words find cases whose "
                    "customer's or company's name contains them all. With it, `order` is `created_at` "
                    "(newest first by default); the filters and paging apply as without it.")


class CaseListQuery(SearchQuery, CaseFilters, PageQuery, CaseSort):
    """`GET /resolution_center_cases` (fields: sort, then paging, then filters; the search
    text is read last, after every parameter the list has always checked)."""


GROUPS = ("status", "reason", "outcome")


class GroupsQuery(Query):
    groups: Annotated[list[Literal[GROUPS]], known("group", GROUPS)] = []  # type: ignore[valid-type]


class SummaryQuery(CaseFilters, GroupsQuery):
    """`GET /resolution_center_cases/summary` (the groups, then the filters)."""


def _day(value: Any) -> Any:
    """YYYY-MM-DD between 1900-01-01 and 9998-12-31 (year 9999's end would overflow the
    day after it)."""
    day = day_in_range(value) if isinstance(value, str) and len(value) == 10 else None
    if day is None:
        raise reject("'{name}' must be a date (YYYY-MM-DD) between 1900-01-01 and 9998-12-31.")
    return day


Day = Annotated[Optional[dt.date], BeforeValidator(_day)]


def _listed(choices: tuple[str, ...]) -> WithJsonSchema:
    # Documented as the known values; the metrics filter drops unknown ones (as the screen's does).
    return WithJsonSchema({"type": "array", "items": {"type": "string", "enum": list(choices)}})


class MetricsQuery(Query):
    """`GET /metrics`: UTC days, both included; default the last 90 days."""

    start: Day = None
    end: Day = None
    company_id: list[str] = []
    provider: Annotated[list[str], _listed(_values(Provider))] = []
    reason: Annotated[list[str], _listed(_values(Reason))] = []
