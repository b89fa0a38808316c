"""Pieces every answer shares, and the base class that dumps an answer for the wire."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    """UTC, ISO 8601 with a `Z` (what the published API sends)."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


# A moment, sent as `2026-03-01T12:00:00Z`.
UtcTime = Annotated[dt.datetime, PlainSerializer(iso, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date-time"})]


class Answer(BaseModel):
    """An answer's shape. Fields with a default are sent only when the serializer sets
    them (`upload_url` on a new file, `decided_by_id` for staff): `wire()` dumps with
    `exclude_unset`, every other field is always set and so always sent."""

    model_config = ConfigDict(extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class Account(Answer):
    """The company a case or payment belongs to (published `account`)."""

    id: str
    title: str


class Money(Answer):
    """The published `Money` object: `amount` as an exact decimal string."""

    amount: str
    currency: str
    decimals: int
    display_decimals: int


class PageInfo(Answer):
    """`end_cursor` is null on the last page (the SDK follows any non-null one),
    `start_cursor` null on the first."""

    has_next_page: bool
    has_previous_page: bool
    start_cursor: Optional[str]
    end_cursor: Optional[str]
