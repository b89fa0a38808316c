"""Signing a delivery as Whop signs it: Standard Webhooks headers, keyed with the literal
bytes of the webhook's `ws_…` secret (not its base64 decoding, which is what the
`standardwebhooks` package does by default — see whop_sdk/lib/verify_webhook.py), so
`whop_sdk.lib.verify_webhook.unwrap(body, headers=…, key=<the secret as shown>)` verifies
every delivery."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "ws_"


def new_secret() -> str:
    """A webhook secret as Whop issues them: `ws_` and 64 hex characters (256 bits)."""
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the secret's bytes."""
    signed = f"{msg_id}.{timestamp}.{body}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers. `msg_id` is the event's id: the same on every
    retry, so receivers can drop a delivery they already processed."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, msg_id, timestamp, body)}
