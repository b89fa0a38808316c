"""Who may register which webhooks, and what changing one does (issue 11).

- A creator manages their own company's webhooks (`resource_id` = its `biz_` id, the
  default); another company's are not found (404), as a case of theirs would be.
- Reviewers, managers and integration users are the platform: they see and manage every
  webhook, and register platform webhooks (`resource_id` omitted, null or `platform`:
  every company's cases) or a company's (its `biz_` id: that company's cases, read as
  its creators read them).
- Customers have no webhooks (403).

Disabling a webhook (by its owner, or by the delivery job after three days of failures)
drops its pending events (status `failed`: they would arrive late and out of context);
enabling it again clears the failure streak, as Whop's does.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import ColumnElement, delete, select, true, update

from data.models import Company, User, Webhook, WebhookAttempt, WebhookEvent
from dashboard.context import Ctx
from dashboard.enums import STAFF_ROLES, Role
from dashboard.errors import Forbidden, NotFound
from dashboard.webhooks import API_VERSION, EVENT_TYPES, PLATFORM, events
from dashboard.webhooks.signing import new_secret
from dashboard.webhooks.urls import check_url

PLATFORM_ROLES = STAFF_ROLES | {Role.INTEGRATION}
DISABLED_DROPPED = "The webhook was disabled before this event was delivered."


def is_platform(user: User) -> bool:
    return user.role in PLATFORM_ROLES


def require_webhook_user(user: User) -> None:
    if is_platform(user) or (user.role == Role.CREATOR and user.company_id):
        return
    raise Forbidden("role_not_allowed", "Webhooks are for creators (their company's cases), platform staff and "
                                        f"integration users; you are signed in as a {user.role} user.")


def webhook_visibility(user: User) -> ColumnElement[bool]:
    if is_platform(user):
        return true()
    return Webhook.company_id == user.company_id


def load_webhook(ctx: Ctx, user: User, webhook_id: str, *, lock: bool = False) -> Webhook:
    require_webhook_user(user)
    stmt = select(Webhook).where(Webhook.id == webhook_id, webhook_visibility(user))
    if lock:
        stmt = stmt.with_for_update()
    hook = ctx.session.scalar(stmt)
    if hook is None:
        raise NotFound("webhook")
    return hook


def resource_company(ctx: Ctx, user: User, resource_id: Optional[str]) -> Optional[str]:
    """The company a new webhook is for (None: the platform's, every company)."""
    if user.role == Role.CREATOR:
        if resource_id in (None, user.company_id):
            return user.company_id
        raise NotFound("company", code="resource_not_found")
    if resource_id in (None, "", PLATFORM):
        return None
    if ctx.session.get(Company, resource_id) is None:
        raise NotFound("company", code="resource_not_found")
    return resource_id


def create_webhook(ctx: Ctx, user: User, *, url: str, events_: Optional[list[str]], enabled: Optional[bool],
                   api_version_date: Optional[str], resource_id: Optional[str],
                   child_resource_events: Optional[bool]) -> Webhook:
    """A new webhook with a fresh `ws_` secret (the caller shows it once)."""
    require_webhook_user(user)
    company_id = resource_company(ctx, user, resource_id)
    check_url(url, ctx.settings)
    hook = Webhook(company_id=company_id, owner_user_id=user.id, url=url.strip(),
                   events=list(events_ or EVENT_TYPES), enabled=True if enabled is None else enabled,
                   api_version=API_VERSION, api_version_date=api_version_date,
                   child_resource_events=bool(child_resource_events), secret=new_secret(), consecutive_failures=0,
                   created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(hook)
    ctx.session.flush()
    events.forget_listeners(ctx)
    return hook


def update_webhook(ctx: Ctx, user: User, webhook_id: str, changes: dict[str, Any]) -> Webhook:
    """Apply the fields sent (`changes`: only those present in the body)."""
    hook = load_webhook(ctx, user, webhook_id, lock=True)
    if changes.get("url") is not None:
        check_url(changes["url"], ctx.settings)
        hook.url = changes["url"].strip()
    if changes.get("events") is not None:
        hook.events = list(changes["events"])
    if "api_version_date" in changes:
        hook.api_version_date = changes["api_version_date"]
    if changes.get("child_resource_events") is not None:
        hook.child_resource_events = changes["child_resource_events"]
    enabled = changes.get("enabled")
    if enabled is True and not hook.enabled:
        enable(hook)
    elif enabled is False and hook.enabled:
        disable(ctx, hook, reason=None)
    hook.updated_at = ctx.now
    ctx.session.flush()
    events.forget_listeners(ctx)
    return hook


def enable(hook: Webhook) -> None:
    hook.enabled = True
    hook.consecutive_failures = 0
    hook.failing_since = hook.disabled_at = hook.disabled_reason = None


def disable(ctx: Ctx, hook: Webhook, *, reason: Optional[str]) -> int:
    """Stop deliveries; `reason` set (`delivery_failures`) when we disabled it, not its
    owner. Returns how many pending events were dropped."""
    hook.enabled = False
    if reason is not None:
        hook.disabled_at, hook.disabled_reason = ctx.now, reason
    hook.updated_at = ctx.now
    dropped = ctx.session.execute(
        update(WebhookEvent).where(WebhookEvent.webhook_id == hook.id, WebhookEvent.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error=DISABLED_DROPPED)
        .execution_options(synchronize_session=False))
    events.forget_listeners(ctx)
    return dropped.rowcount or 0


def delete_webhook(ctx: Ctx, user: User, webhook_id: str) -> str:
    """Delete the webhook with its events and attempts (deleted here, not left to the
    foreign keys' cascade, which SQLite applies only with its pragma on)."""
    hook = load_webhook(ctx, user, webhook_id, lock=True)
    for model in (WebhookAttempt, WebhookEvent):
        ctx.session.execute(delete(model).where(model.webhook_id == hook.id)
                            .execution_options(synchronize_session=False))
    ctx.session.delete(hook)
    ctx.session.flush()
    events.forget_listeners(ctx)
    return webhook_id
