"""Reading what the client sent: the JSON body, query parameters and attachments.

Type errors are the client's mistake and answer 400 (`invalid_json`) or 422
(`invalid_parameter` / `invalid_field`) with the offending name; value rules (a
message's length, a reason's vocabulary, an amount's bounds) belong to the domain.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Optional, TypeVar

from flask import request

from dashboard.errors import DomainError, Invalid
from dashboard.limits import EARLIEST, LATEST, MAX_JSON_DEPTH, TooDeep, loads_bounded, time_in_range

E = TypeVar("E", bound=StrEnum)


# ------------------------------------------------------------------------------ body
def json_body() -> dict[str, Any]:
    """The JSON object sent, `{}` for an empty body (the SDK's `withdraw` sends none)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = loads_bounded(raw)
    except TooDeep:
        raise DomainError("json_too_deep", f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    except (ValueError, UnicodeDecodeError):
        raise DomainError("invalid_json", "The request body is not valid JSON.")
    if not isinstance(value, dict):
        raise DomainError("invalid_json", "The request body must be a JSON object.")
    return value


def text(body: dict[str, Any], name: str) -> Optional[str]:
    """An optional string field (`null` and absent are the same)."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Invalid("invalid_field", f"'{name}' must be a string.", detail={"field": name})


def required_text(body: dict[str, Any], name: str) -> str:
    value = text(body, name)
    if value is None or not value.strip():
        raise Invalid(f"{name}_required", f"'{name}' is required.", detail={"field": name})
    return value.strip()


def minor_amount(body: dict[str, Any], name: str = "amount") -> Optional[int]:
    """An amount in integer minor units (cents); bounds are the domain's business."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("invalid_amount", f"'{name}' must be a whole number of minor units (e.g. 1999 for 19.99).",
                      detail={"field": name})
    return value


def attachment_ids(body: dict[str, Any]) -> list[str]:
    """`attachments: [{"id": "file_…"}]` (or `direct_upload_id`, which is the same id here)."""
    items = body.get("attachments")
    if items is None:
        return []
    if not isinstance(items, list):
        raise Invalid("invalid_attachments", "'attachments' must be a list of {\"id\": \"file_…\"} objects.")
    ids = []
    for item in items:
        file_id = None
        if isinstance(item, dict):
            file_id = item.get("id") or item.get("direct_upload_id")
        if not isinstance(file_id, str) or not file_id:
            raise Invalid("invalid_attachments", "Each attachment must be an object with the file's 'id'.")
        ids.append(file_id)
    return ids


# ----------------------------------------------------------------------------- query
def query_list(name: str) -> list[str]:
    """A repeatable parameter (`status=a&status=b`); empty values are ignored."""
    return [v for v in request.args.getlist(name) if v != ""]


def query_enum_list(name: str, enum: type[E]) -> list[E]:
    out = []
    for value in query_list(name):
        try:
            out.append(enum(value))
        except ValueError:
            raise _bad_param(name, f"Unknown {name} {value!r}. Choose from: " + ", ".join(e.value for e in enum) + ".")
    return out


def query_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.args.get(name) or default
    if value not in choices:
        raise _bad_param(name, f"'{name}' must be one of: " + ", ".join(choices) + ".")
    return value


def query_int(name: str) -> Optional[int]:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise _bad_param(name, f"'{name}' must be a whole number.")


def query_time(name: str) -> Optional[dt.datetime]:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    parsed = parse_time(value, name=name)
    if parsed is None:
        raise _bad_param(name, f"'{name}' must be an ISO 8601 time, e.g. 2026-03-01T00:00:00Z.")
    return parsed


def parse_time(value: Any, *, name: str = "time") -> Optional[dt.datetime]:
    """ISO 8601 to aware UTC; a time without an offset is read as UTC. None if unreadable;
    400 `time_out_of_range` for a time before 1900 or from 9999 on (it would overflow or
    not be stored)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    in_range = time_in_range(parsed)
    if in_range is None:
        raise DomainError("time_out_of_range", f"'{name}' must be between {EARLIEST.date()} and "
                                               f"{(LATEST - dt.timedelta(days=1)).date()} (UTC).",
                          detail={"parameter": name})
    return in_range


def _bad_param(name: str, message: str) -> DomainError:
    # 400: the published API maps a bad query to BadRequestError.
    return DomainError("invalid_parameter", message, detail={"parameter": name})
