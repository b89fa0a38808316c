"""Reading what the client sent: the JSON body here, its fields through the models of
`dashboard.api.schemas` and `dashboard.validation.parse` (the one place pydantic's
errors become our codes).

`text`, `required_text`, `minor_amount` and `attachment_ids` read one field of a body
that is not (yet) read as a whole model; each is a one-field model parsed the same way,
so the codes and messages are the models' (400 `invalid_json`, 422 `invalid_field`,
`<name>_required`, `invalid_amount`, `invalid_attachments`).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from flask import request
from pydantic import BaseModel, create_model

from dashboard.errors import DomainError
from dashboard.fields import Attachments, MinorAmount, RequiredText, Text, attachments_field, parse_time
from dashboard.limits import MAX_JSON_DEPTH, TooDeep, loads_bounded
from dashboard.validation import parse

__all__ = ["attachment_ids", "json_body", "minor_amount", "parse_time", "required_text", "text"]


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


FIELD_TYPES: dict[str, tuple[Any, Any]] = {
    "text": (Text, None),
    "required_text": (RequiredText, ...),
    "minor_amount": (MinorAmount, None),
    "attachments": (Attachments, attachments_field()),
}


@lru_cache(maxsize=None)
def _one_field(kind: str, name: str) -> type[BaseModel]:
    return create_model(f"{kind}_{name}", **{name: FIELD_TYPES[kind]})


def _read(kind: str, body: dict[str, Any], name: str) -> Any:
    return getattr(parse(_one_field(kind, name), {name: body[name]} if name in body else {}), name)


def text(body: dict[str, Any], name: str) -> Optional[str]:
    """An optional string field (`null` and absent are the same)."""
    return _read("text", body, name)


def required_text(body: dict[str, Any], name: str) -> str:
    """A string that must be there and not blank; stripped."""
    return _read("required_text", body, name)


def minor_amount(body: dict[str, Any], name: str = "amount") -> Optional[int]:
    """An amount in integer minor units (cents); bounds are the domain's business."""
    return _read("minor_amount", body, name)


def attachment_ids(body: dict[str, Any]) -> list[str]:
    """`attachments: [{"id": "file_…"}]` (or `direct_upload_id`, which is the same id here)."""
    return _read("attachments", body, "attachments").file_ids
