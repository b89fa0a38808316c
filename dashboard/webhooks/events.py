"""The webhook events a case change writes, in the change's own transaction
(`lifecycle.apply` and `cases.opening.open_case` call `record_case_change`), so an event
exists exactly when its change committed.

Which webhooks hear of a change: the enabled ones whose events list names its type
(`created` on opening, `decided` on a platform decision or final decision, `updated` on
every other change), whose owner is still active, and who may see the change:

- a company's webhook: that company's cases, and only changes its creators can see
  (an internal note, an assignment or a staff-only event writes nothing to it); the
  body is the case as a creator of that company reads it through the API;
- a platform webhook of a reviewer or manager: every case and change, as staff read it;
- a platform webhook of an integration user: every case, changes either party can see,
  without the platform's internal fields (who decided, the assignee, the buyer's user id).

The body is built now, the case as it is after this change, and kept as the exact bytes
every attempt signs. The enabled webhooks are read once per `Ctx` (a sweep of thousands
of cases asks once, not once per case) and kept as plain tuples (ORM objects would
reload after each batch's commit), for at most CACHE_SECONDS, so a webhook created while
a long sweep runs is heard of within seconds.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from data.models import Case, CaseEvent, User, Webhook, WebhookEvent, new_id
from dashboard.context import Ctx
from dashboard.enums import STAFF_ROLES, Action, Role
from dashboard.webhooks import API_VERSION, CASE_CREATED, CASE_DECIDED, CASE_UPDATED

CACHE_SECONDS = 5.0
DECIDING = frozenset({Action.DECIDE.value, Action.FINAL_DECIDE.value})
_CACHE_ATTR = "_enabled_webhooks"


@dataclass(frozen=True)
class Listener:
    id: str
    company_id: Optional[str]
    owner_id: str
    owner_role: str
    events: frozenset[str]


def event_type(action: str) -> str:
    if action == "open":
        return CASE_CREATED
    return CASE_DECIDED if action in DECIDING else CASE_UPDATED


def enabled_listeners(ctx: Ctx) -> tuple[Listener, ...]:
    """The enabled webhooks, read once per Ctx (see the module docstring)."""
    cached = getattr(ctx, _CACHE_ATTR, None)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = ctx.session.execute(
        select(Webhook.id, Webhook.company_id, Webhook.owner_user_id, User.role, Webhook.events)
        .join(User, User.id == Webhook.owner_user_id)
        .where(Webhook.enabled.is_(True), User.is_active.is_(True))).all()
    listeners = tuple(Listener(r.id, r.company_id, r.owner_user_id, r.role, frozenset(r.events or ())) for r in rows)
    setattr(ctx, _CACHE_ATTR, (time.monotonic(), listeners))
    return listeners


def forget_listeners(ctx: Ctx) -> None:
    """After a webhook changed in this Ctx: the next change reads them again."""
    if hasattr(ctx, _CACHE_ATTR):
        delattr(ctx, _CACHE_ATTR)


def _hears(listener: Listener, case: Case, event: CaseEvent) -> bool:
    if listener.company_id is not None:
        return listener.company_id == case.company_id and bool(event.viewable_by_merchant)
    if listener.owner_role in STAFF_ROLES:
        return True
    if listener.owner_role == Role.INTEGRATION:
        return bool(event.viewable_by_customer or event.viewable_by_merchant)
    return False  # a platform webhook whose owner is no longer the platform's hears nothing


def viewer_for(listener: Listener) -> User:
    """Whom the body is serialised for. A transient user (never added to the session):
    a company's webhook reads as a creator of the company, whoever registered it; a
    platform webhook as its owner's role."""
    if listener.company_id is not None:
        return User(id=listener.owner_id, role=Role.CREATOR.value, company_id=listener.company_id)
    role = listener.owner_role if listener.owner_role in STAFF_ROLES else Role.INTEGRATION.value
    return User(id=listener.owner_id, role=role, company_id=None)


def envelope(ctx: Ctx, msg_id: str, kind: str, case: Case, viewer: User) -> str:
    # The one import of the API from the domain: the body IS the API's case, built by its
    # serializer for this viewer (.importlinter says so), imported here because the API
    # package imports the domain at its top.
    from dashboard.api.serializers import case_json, iso

    return json.dumps({"id": msg_id, "api_version": API_VERSION, "type": kind, "timestamp": iso(ctx.now),
                       "company_id": case.company_id, "data": case_json(ctx, case, viewer)},
                      separators=(",", ":"), ensure_ascii=False)


def record_case_change(ctx: Ctx, case: Case, action: str, event: CaseEvent) -> list[WebhookEvent]:
    """Queue the webhook events of one change (no flush: the caller's flush writes them)."""
    listeners = enabled_listeners(ctx)
    if not listeners:
        return []
    kind = event_type(str(action))
    written = []
    for listener in listeners:
        if kind not in listener.events or not _hears(listener, case, event):
            continue
        msg_id = new_id("msg_")
        row = WebhookEvent(id=msg_id, webhook_id=listener.id, case_id=case.id, event_type=kind,
                           body=envelope(ctx, msg_id, kind, case, viewer_for(listener)),
                           dedupe_key=f"{listener.id}:{event.id}", seq=event.seq, status="pending", attempts=0,
                           next_attempt_at=ctx.now, created_at=ctx.now)
        ctx.session.add(row)
        written.append(row)
    return written
