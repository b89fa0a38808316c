"""Webhooks for the screens: a company's (or every) webhook with its state, the last
deliveries of each (status code, response time, when), and a page of deliveries for the
Deliveries screen. Reads only; bounded by LIMITs and the webhooks' own indexes, never
by the number of cases."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Company, Webhook, WebhookAttempt, WebhookEvent

TEST_PREFIX = "test:"  # dashboard.webhooks.console's dedupe keys (the read layer does not import the domain)

MAX_WEBHOOKS = 100  # shown on one screen; a company with more manages them through the API


@dataclass(frozen=True)
class WebhookRow:
    id: str
    url: str
    events: list[str]
    enabled: bool
    company_id: Optional[str]
    company_name: Optional[str]
    consecutive_failures: int
    failing_since: Optional[dt.datetime]
    disabled_at: Optional[dt.datetime]
    disabled_reason: Optional[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class AttemptRow:
    webhook_id: str
    event_id: str
    event_type: str
    case_id: Optional[str]
    at: dt.datetime
    ok: bool
    status_code: Optional[int]
    response_ms: Optional[int]
    error: Optional[str]
    test: bool = False  # a "send test event" delivery (dashboard.webhooks.console)


def webhooks(session: Session, *, company_id: Optional[str] = None, every: bool = False) -> list[WebhookRow]:
    """A company's webhooks, or with `every` all of them (staff), newest first."""
    stmt = (select(Webhook.id, Webhook.url, Webhook.events, Webhook.enabled, Webhook.company_id,
                   Company.name.label("company_name"), Webhook.consecutive_failures, Webhook.failing_since,
                   Webhook.disabled_at, Webhook.disabled_reason, Webhook.created_at)
            .outerjoin(Company, Company.id == Webhook.company_id)
            .order_by(Webhook.created_at.desc(), Webhook.id.desc()).limit(MAX_WEBHOOKS))
    if not every:
        stmt = stmt.where(Webhook.company_id == company_id)
    return [WebhookRow(**{**r._mapping, "events": list(r.events or ())}) for r in session.execute(stmt)]


def last_attempts(session: Session, webhook_ids: list[str], *, per_webhook: int = 5) -> dict[str, list[AttemptRow]]:
    """The newest `per_webhook` attempts of each webhook (ix_webhook_attempts_webhook_id)."""
    out: dict[str, list[AttemptRow]] = {}
    for hook_id in webhook_ids:  # at most MAX_WEBHOOKS seeks of a few rows each
        rows = session.execute(
            select(WebhookAttempt.webhook_id, WebhookAttempt.event_id, WebhookEvent.event_type, WebhookEvent.case_id,
                   WebhookAttempt.at, WebhookAttempt.ok, WebhookAttempt.status_code, WebhookAttempt.response_ms,
                   WebhookAttempt.error, WebhookEvent.dedupe_key.startswith(TEST_PREFIX).label("test"))
            .join(WebhookEvent, WebhookEvent.id == WebhookAttempt.event_id)
            .where(WebhookAttempt.webhook_id == hook_id)
            .order_by(WebhookAttempt.id.desc()).limit(per_webhook)).all()
        out[hook_id] = [AttemptRow(**r._mapping) for r in rows]
    return out


@dataclass(frozen=True)
class EventRow:
    id: str
    webhook_id: str
    url: str
    company_name: Optional[str]
    event_type: str
    case_id: Optional[str]
    status: str
    attempts: int
    next_attempt_at: Optional[dt.datetime]
    last_status_code: Optional[int]
    last_response_ms: Optional[int]
    last_error: Optional[str]
    created_at: dt.datetime
    delivered_at: Optional[dt.datetime]


EVENT_STATUSES = ("failed", "pending", "delivered")


def event_counts(session: Session) -> dict[str, int]:
    counts = dict(session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all())
    return {s: int(counts.get(s, 0)) for s in EVENT_STATUSES}


def events(session: Session, *, status: Optional[str], offset: int = 0, limit: int = 25) -> list[EventRow]:
    """One page of webhook deliveries: pending in the order they will be tried, the rest newest first."""
    where = [WebhookEvent.status == status] if status else []
    # Pending in the order they will be tried (ix_webhook_events_due); the others newest first
    # (ix_webhook_events_status_created, read backwards).
    order = ((WebhookEvent.next_attempt_at, WebhookEvent.id) if status == "pending"
             else (WebhookEvent.created_at.desc(), WebhookEvent.id.desc()))
    stmt = (select(WebhookEvent.id, WebhookEvent.webhook_id, Webhook.url, Company.name.label("company_name"),
                   WebhookEvent.event_type, WebhookEvent.case_id, WebhookEvent.status, WebhookEvent.attempts,
                   WebhookEvent.next_attempt_at, WebhookEvent.last_status_code, WebhookEvent.last_response_ms,
                   WebhookEvent.last_error, WebhookEvent.created_at, WebhookEvent.delivered_at)
            .join(Webhook, Webhook.id == WebhookEvent.webhook_id)
            .outerjoin(Company, Company.id == Webhook.company_id)
            .where(*where).order_by(*order).offset(max(0, offset)).limit(limit))
    return [EventRow(**r._mapping) for r in session.execute(stmt)]
