"""`/webhooks`: what `whop-sdk`'s `client.webhooks` calls — create, list, retrieve,
update, delete — with the same paths, parameters and `Webhook` answer. Who may do what
is `dashboard.webhooks.manage`'s; this reads the request and answers.

`webhook_secret` is in the answer that creates the webhook and in no other (a replay of
that create with its Idempotency-Key is that answer again); later reads send null.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import request
from sqlalchemy import false, select

from data.models import User, Webhook
from dashboard.api.auth import PARTIES_AND_STAFF
from dashboard.api.paging import SortKey, fetch_page, page_request
from dashboard.api.params import json_body
from dashboard.api.routing import endpoint
from dashboard.api.schemas import webhooks as sw
from dashboard.api.schemas.common import PageInfo
from dashboard.context import Ctx
from dashboard.enums import Role
from dashboard.errors import NotFound
from dashboard.validation import parse
from dashboard.webhooks import EVENT_TYPES, PLATFORM, manage

WEBHOOK_USERS = PARTIES_AND_STAFF | {Role.INTEGRATION}  # customers are refused by manage (403)
KEYS = [SortKey(Webhook.created_at, "created_at", True, kind="dt"), SortKey(Webhook.id, "id", True)]


def webhook_model(hook: Webhook, *, secret: Optional[str] = None) -> sw.Webhook:
    return sw.Webhook(
        id=hook.id, url=hook.url, events=list(hook.events), enabled=bool(hook.enabled),
        resource_id=hook.company_id or PLATFORM, api_version=hook.api_version,
        api_version_date=hook.api_version_date, child_resource_events=bool(hook.child_resource_events),
        created_at=hook.created_at, consecutive_failures=hook.consecutive_failures or 0,
        failing_since=hook.failing_since, last_failure_at=hook.last_failure_at, disabled_at=hook.disabled_at,
        disabled_reason=hook.disabled_reason, testable_events=list(EVENT_TYPES), webhook_secret=secret)


@endpoint("/webhooks", methods=("POST",), roles=WEBHOOK_USERS)
def create_webhook(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    body = parse(sw.CreateWebhook, json_body())
    hook = manage.create_webhook(ctx, user, url=body.url, events_=body.events, enabled=body.enabled,
                                 api_version_date=body.api_version_date, resource_id=body.resource_id,
                                 child_resource_events=body.child_resource_events)
    return webhook_model(hook, secret=hook.secret).wire(), 201


@endpoint("/webhooks", roles=WEBHOOK_USERS)
def list_webhooks(ctx: Ctx, user: User) -> dict[str, Any]:
    manage.require_webhook_user(user)
    query = parse(sw.WebhookListQuery, request.args, source="query")
    req = page_request("webhooks", KEYS, query)
    stmt = select(Webhook).where(manage.webhook_visibility(user))
    if query.account_id:
        if query.account_id == PLATFORM:
            stmt = stmt.where(Webhook.company_id.is_(None))
        elif not manage.is_platform(user) and query.account_id != user.company_id:
            raise NotFound("company", code="resource_not_found")
        else:
            stmt = stmt.where(Webhook.company_id == query.account_id)
    if query.app_id:
        stmt = stmt.where(false())  # no apps here
    if query.has_failures is not None:
        failing = Webhook.failing_since.is_not(None)
        stmt = stmt.where(failing if query.has_failures else ~failing)
    rows, page_info = fetch_page(ctx.session, stmt, KEYS, req, "webhooks")
    return sw.WebhookPage(data=[webhook_model(h) for h in rows], page_info=PageInfo(**page_info)).wire()


@endpoint("/webhooks/<webhook_id>", roles=WEBHOOK_USERS)
def retrieve_webhook(ctx: Ctx, user: User, webhook_id: str) -> dict[str, Any]:
    return webhook_model(manage.load_webhook(ctx, user, webhook_id)).wire()


@endpoint("/webhooks/<webhook_id>", methods=("PATCH",), roles=WEBHOOK_USERS)
def update_webhook(ctx: Ctx, user: User, webhook_id: str) -> dict[str, Any]:
    manage.load_webhook(ctx, user, webhook_id)  # a stranger's id is a 404 before their body is judged
    body = parse(sw.UpdateWebhook, json_body())
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    return webhook_model(manage.update_webhook(ctx, user, webhook_id, changes)).wire()


@endpoint("/webhooks/<webhook_id>", methods=("DELETE",), roles=WEBHOOK_USERS)
def delete_webhook(ctx: Ctx, user: User, webhook_id: str) -> dict[str, Any]:
    return sw.DeletedWebhook(id=manage.delete_webhook(ctx, user, webhook_id), deleted=True).wire()
