"""Webhooks (issue 11): endpoints that hear about cases, as Whop's `client.webhooks`
manages them, and the outbox that delivers to them.

- `manage`   create, update, delete, list what a caller may see (the API's rules)
- `events`   the events a case change writes, in the change's own transaction
- `delivery` lease due events, sign, POST, record, back off, disable a failing webhook
- `signing`  Standard Webhooks headers keyed with the `ws_` secret's literal bytes
- `sender`   one HTTP POST to the checked address (urllib3, 5 s timeouts, no redirects)
- `urls`     which URLs may be called (https, public addresses; resolved at save and send)
"""
from __future__ import annotations

CASE_CREATED = "resolution_center_case.created"
CASE_UPDATED = "resolution_center_case.updated"
CASE_DECIDED = "resolution_center_case.decided"
EVENT_TYPES: tuple[str, ...] = (CASE_CREATED, CASE_UPDATED, CASE_DECIDED)

# What `resource_id` a platform webhook (every company's cases) answers and accepts.
PLATFORM = "platform"
API_VERSION = "v1"
