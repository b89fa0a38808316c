"""Reading what the client sent: the JSON body here; its fields are read as a whole
model of `dashboard.api.schemas` (or the action table's input models) by
`dashboard.validation.parse`, the one place pydantic's errors become our codes.
"""
from __future__ import annotations

from typing import Any

from flask import request

from dashboard.errors import DomainError
from dashboard.limits import MAX_JSON_DEPTH, TooDeep, loads_bounded

__all__ = ["json_body"]


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
