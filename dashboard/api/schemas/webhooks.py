"""Webhook shapes as `whop-sdk`'s `client.webhooks` sends and reads them: the bodies of
create and update, the list's query, and the `Webhook` answer (`webhook_secret` only in
the answer that creates it)."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, WithJsonSchema

from dashboard.api.schemas.bodies import Body
from dashboard.api.schemas.common import Answer, PageInfo, UtcTime
from dashboard.api.schemas.queries import PageQuery
from dashboard.fields import RequiredText
from dashboard.validation import ErrorCode, reject
from dashboard.webhooks import EVENT_TYPES

EventName = Literal[EVENT_TYPES]  # type: ignore[valid-type]
MAX_EVENTS = len(EVENT_TYPES) * 4  # duplicates are folded; anything longer is a mistake


def _event_names(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise reject("'events' must be a list of event names.", code="invalid_events")
    if len(value) > MAX_EVENTS:
        raise reject(f"'events' can name at most {MAX_EVENTS} events.", code="invalid_events")
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise reject(f"Unsupported event {unknown[0]!r}: this server sends " + ", ".join(EVENT_TYPES) + ".",
                     code="unsupported_event")
    if not value:
        raise reject("'events' must name at least one event; to stop deliveries set 'enabled' to false.",
                     code="invalid_events")
    return list(dict.fromkeys(value))


Events = Annotated[Optional[list[EventName]], BeforeValidator(_event_names),  # type: ignore[valid-type]
                   WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)},
                                              "minItems": 1, "maxItems": MAX_EVENTS}, {"type": "null"}]})]
Flag = Annotated[Optional[bool], ErrorCode("invalid_field", "'{name}' must be true or false.")]


def _version_date(value: Any) -> Any:
    if value is None:
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-\d{1,3})?", value):
        raise reject("'api_version_date' must be a dated API version such as 2026-10-15-1.",
                     code="invalid_api_version_date")
    return value


VersionDate = Annotated[Optional[str], BeforeValidator(_version_date),
                        WithJsonSchema({"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}(-\d{1,3})?$"})]


class CreateWebhook(Body):
    """`resource_id`: a creator's own company (`biz_…`, the default for creators); staff
    and integration users omit it (or send `platform`) for every company's cases, or name
    a company for that company's cases only."""

    url: Annotated[RequiredText, ErrorCode("invalid_url", "'url' must be a string.",
                                           required_message="'url' is required.")]
    events: Events = None
    enabled: Flag = None
    api_version_date: VersionDate = None
    resource_id: Optional[str] = None
    child_resource_events: Flag = None


class UpdateWebhook(Body):
    """Only the fields sent change; `api_version_date: null` unpins."""

    url: Annotated[Optional[str], ErrorCode("invalid_url", "'url' must be a string.")] = None
    events: Events = None
    enabled: Flag = None
    api_version_date: VersionDate = None
    child_resource_events: Flag = None


def _flag(value: Any) -> Any:
    """`true` or `false`, as the SDK sends a bool in a query (and nothing else)."""
    if value == "true":
        return True
    if value == "false":
        return False
    raise reject("'{name}' must be true or false.")


QueryFlag = Annotated[Optional[bool], BeforeValidator(_flag)]


class WebhookListQuery(PageQuery):
    """`GET /webhooks`: newest first."""

    account_id: Optional[str] = Field(None, description="A company (`biz_…`), or `platform`")
    app_id: Optional[str] = Field(None, description="No apps here: always an empty list")
    include_app_webhooks: QueryFlag = Field(None, description="Accepted; there are no app webhooks")
    has_failures: QueryFlag = Field(None, description="Only webhooks whose endpoint is failing now")


class Webhook(Answer):
    id: str
    url: str
    events: list[str]
    enabled: bool
    resource_id: str
    api_version: str
    api_version_date: Optional[str]
    child_resource_events: bool
    created_at: UtcTime
    consecutive_failures: int
    failing_since: Optional[UtcTime]
    last_failure_at: Optional[UtcTime]
    disabled_at: Optional[UtcTime]
    disabled_reason: Optional[str]
    testable_events: list[str]
    webhook_secret: Optional[str]


class WebhookPage(Answer):
    data: list[Webhook]
    page_info: PageInfo


class DeletedWebhook(Answer):
    id: str
    deleted: bool


__all__ = ["CreateWebhook", "DeletedWebhook", "UpdateWebhook", "Webhook", "WebhookListQuery", "WebhookPage"]
