"""Field types the API's request models share (issue 12), read by `dashboard.validation`.

Each is an `Annotated` type: the shape pydantic checks, the JSON Schema the OpenAPI
document shows, and the error code a bad value answers with. Only shapes: whether a
message is long enough or an amount within the payment is the domain's call.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, model_validator

from dashboard.errors import DomainError
from dashboard.limits import EARLIEST, LATEST, time_in_range
from dashboard.validation import ErrorCode, reject, required

# An optional string: null and absent are the same; anything else is 422 invalid_field.
Text = Optional[str]
Message = Optional[str]  # a party's or reviewer's words; the domain says when it is required


def _required_text(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise required()
    return value.strip() if isinstance(value, str) else value  # not text: the str check answers


# Text that must be there and not blank (absent, null or "  " -> 422 `<name>_required`), stripped.
RequiredText = Annotated[str, BeforeValidator(_required_text)]

# An amount in integer minor units (cents): 1999 is 19.99; 12.5, "100" and true are not amounts.
MinorAmount = Annotated[
    Optional[int],
    ErrorCode("invalid_amount", "'{name}' must be a whole number of minor units (e.g. 1999 for 19.99)."),
    Field(json_schema_extra={"description": "Integer minor units (cents): 1999 is 19.99."}),
]


# ----------------------------------------------------------------------- attachments
class Attachment(BaseModel):
    """A file uploaded before the action: `{"id": "file_…"}` (`direct_upload_id` is the same id)."""

    model_config = ConfigDict(extra="ignore")

    id: Optional[str] = None
    direct_upload_id: Optional[str] = None

    @model_validator(mode="before")
    @classmethod
    def _one_id(cls, item: Any) -> Any:
        file_id = item.get("id") or item.get("direct_upload_id") if isinstance(item, dict) else None
        if not isinstance(file_id, str) or not file_id:
            raise reject("Each attachment must be an object with the file's 'id'.")
        return {"id": file_id}

    @property
    def file_id(self) -> str:
        return self.id or self.direct_upload_id or ""


def _attachment_list(value: Any) -> Any:
    if value is None:
        return []
    if not isinstance(value, list):
        raise reject("'attachments' must be a list of {\"id\": \"file_…\"} objects.")
    return value


class AttachmentList(RootModel[list[Attachment]]):
    """The files an action attaches, in the order sent."""

    @property
    def file_ids(self) -> list[str]:
        return [a.file_id for a in self.root]


Attachments = Annotated[
    AttachmentList,
    BeforeValidator(_attachment_list),
    ErrorCode("invalid_attachments", "'attachments' must be a list of {\"id\": \"file_…\"} objects."),
]


def no_attachments() -> AttachmentList:
    return AttachmentList([])


def _or_null(schema: dict[str, Any]) -> None:
    # null is read as no attachments, so the document allows it (a fuzzer sending null must not
    # expect a refusal).
    kept = {k: v for k, v in schema.items() if k not in ("default", "title")}
    for key in list(schema):
        if key not in ("default", "title"):
            del schema[key]
    schema["anyOf"] = [kept, {"type": "null"}]


def attachments_field() -> Any:
    """`attachments: Attachments = attachments_field()`: absent (or null) is an empty list."""
    return Field(default_factory=no_attachments, json_schema_extra=_or_null)


# ---------------------------------------------------------------------------- times
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
        raise DomainError("time_out_of_range", out_of_range_message(name), detail={"parameter": name})
    return in_range


def out_of_range_message(name: str) -> str:
    return (f"'{name}' must be between {EARLIEST.date()} and {(LATEST - dt.timedelta(days=1)).date()} (UTC).")


def iso_time(unreadable: str):
    """A before-validator reading ISO 8601 (see `parse_time`); `unreadable` is the message
    for text that is not a time (`{name}` is the field)."""

    def read(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = parse_time(value)
        except DomainError:
            raise reject(out_of_range_message("{name}"), code="time_out_of_range", status=400,
                         detail_key="parameter")
        if parsed is None:
            raise reject(unreadable)
        return parsed

    return BeforeValidator(read)


# A query time: `created_after=2026-03-01T00:00:00Z`.
QueryTime = Annotated[Optional[dt.datetime],
                      iso_time("'{name}' must be an ISO 8601 time, e.g. 2026-03-01T00:00:00Z.")]
