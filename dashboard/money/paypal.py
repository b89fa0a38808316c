"""PayPal adapter: refunds of a captured payment through the Payments v2 API.

- Auth: OAuth2 client credentials (`POST /v1/oauth2/token`), the access token cached
  until shortly before it expires and fetched again once if PayPal answers 401.
- Refund: `POST /v2/payments/captures/{capture_id}/refund` with
  `PayPal-Request-Id: <our movement key>`, PayPal's idempotency header: for 45 days a
  request with the same id answers with the refund the first one made instead of
  making another. The amount is rendered exactly from integer minor units
  (`{"value": "19.99", "currency_code": "USD"}`; `"500"` for JPY), and PayPal's own
  whole-unit currencies (HUF, JPY, TWD) are sent without decimals — or refused here if
  the amount has a fraction PayPal cannot take.
- Lookup: PayPal has no read-only way to find a capture's refund by our key (a
  capture's details do not list its refunds; Transaction Search lags by hours), so
  `lookup` answers None and the executor's next step, `refund` with the same
  PayPal-Request-Id, is the lookup: it replays the refund already made.
- Errors: network failures, 409 (the same request id still in flight), 429, 5xx and
  401/403 (credentials: fixed by configuration, never a reason to give up the
  movement) are transient; other 4xx (CAPTURE_FULLY_REFUNDED, REFUND_AMOUNT_EXCEEDED,
  an unknown capture, ...) are final, with PayPal's issue and description for staff.
- PayPal does not pay merchants for the platform: `transfer` is refused (the
  `platform` provider is Stripe or the sandbox).
"""
from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any, Callable, Optional, Union

import httpx

from dashboard.money import amounts
from dashboard.money.gateways import GatewayError, PaymentDirectory

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
TOKEN_MARGIN = 60.0  # seconds: fetch a new token this long before PayPal's expires
WHOLE_UNIT_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})  # PayPal refuses decimals in these
_FINAL_REFUND_STATUSES = {"CANCELLED", "FAILED"}

HttpClient = Union[httpx.Client, Callable[..., httpx.Client]]


def paypal_value(amount_minor: int, currency: str) -> str:
    """Minor units to PayPal's decimal string, exactly: 1999 USD -> "19.99", 500 JPY -> "500"."""
    major = amounts.to_major(amount_minor, currency)
    places = 0 if currency.upper() in WHOLE_UNIT_CURRENCIES else amounts.exponent(currency)
    value = major.quantize(Decimal(1).scaleb(-places))
    if value != major:
        raise GatewayError(f"PayPal takes whole {currency.upper()} only; {major} cannot be refunded through it",
                           transient=False)
    return f"{value:.{places}f}"


class PayPalGateway:
    def __init__(self, client_id: str, secret: str, base_url: str = "https://api-m.paypal.com",
                 http: HttpClient = httpx.Client, *, directory: Optional[PaymentDirectory] = None,
                 timeout: httpx.Timeout | float = TIMEOUT, clock: Callable[[], float] = time.monotonic):
        """`directory` turns our payment ids into PayPal capture ids (without one, the
        `payment_id` handed to `refund` must already be the capture id)."""
        self.client_id = client_id
        self.secret = secret
        self.base_url = base_url.rstrip("/")
        self.http = http if isinstance(http, httpx.Client) else http(timeout=timeout)
        self.directory = directory
        self.clock = clock
        self._token: Optional[str] = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()

    # ------------------------------------------------------------------ the interface
    def refund(self, *, payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        capture = self.directory.charge(payment_id) if self.directory else payment_id
        if not capture:
            raise GatewayError(f"payment {payment_id} has no PayPal capture reference to refund against",
                               transient=False)
        body = {"amount": {"value": paypal_value(amount_minor, currency), "currency_code": currency.upper()},
                "custom_id": idempotency_key}
        refund = self._call("POST", f"/v2/payments/captures/{capture}/refund", json=body, what="refund",
                            headers={"PayPal-Request-Id": idempotency_key, "Prefer": "return=representation"})
        if refund.get("status") in _FINAL_REFUND_STATUSES:
            reason = (refund.get("status_details") or {}).get("reason") or "no reason given"
            raise GatewayError(f"PayPal refund {refund.get('id')} {refund['status']}: {reason}", transient=False)
        return refund["id"]

    def transfer(self, *, company_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        raise GatewayError("PayPal does not pay merchants for the platform; reimbursements go through the "
                           "platform provider", transient=False)

    def lookup(self, idempotency_key: str) -> Optional[str]:
        return None  # see the module docstring: `refund` with the same PayPal-Request-Id replays

    # ------------------------------------------------------------------ HTTP
    def _call(self, method: str, path: str, *, what: str, headers: dict[str, str], json: Any = None) -> dict:
        for fresh_token in (False, True):
            token = self._access_token(force=fresh_token)
            response = self._send(method, self.base_url + path, what=what, json=json,
                                  headers={**headers, "Authorization": f"Bearer {token}"})
            if response.status_code != 401 or fresh_token:
                break
            # The token was revoked or expired early: one more try with a new one.
        if response.is_success:
            return _json(response, what)
        raise _error(response, what)

    def _access_token(self, *, force: bool = False) -> str:
        with self._token_lock:
            if self._token and not force and self.clock() < self._token_expires:
                return self._token
            response = self._send("POST", self.base_url + "/v1/oauth2/token", what="sign-in",
                                  data={"grant_type": "client_credentials"}, auth=(self.client_id, self.secret),
                                  headers={"Accept": "application/json"})
            if not response.is_success:
                raise _error(response, "sign-in")
            body = _json(response, "sign-in")
            self._token = body["access_token"]
            self._token_expires = self.clock() + max(0.0, float(body.get("expires_in", 0)) - TOKEN_MARGIN)
            return self._token

    def _send(self, method: str, url: str, *, what: str, **kw) -> httpx.Response:
        try:
            return self.http.request(method, url, **kw)
        except httpx.HTTPError as exc:  # the outcome is unknown; the request id makes retrying safe
            raise GatewayError(f"PayPal {what}: network error ({type(exc).__name__}: {exc})", transient=True)


def _json(response: httpx.Response, what: str) -> dict:
    try:
        return response.json()
    except ValueError:
        raise GatewayError(f"PayPal {what}: unreadable answer (HTTP {response.status_code})", transient=True)


def _error(response: httpx.Response, what: str) -> GatewayError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = (body.get("details") or [{}])[0] if isinstance(body.get("details"), list) else {}
    status = response.status_code
    # API errors: {name, message, details: [{issue, description}], debug_id};
    # OAuth errors: {error, error_description}.
    code = detail.get("issue") or body.get("name") or body.get("error") or f"HTTP_{status}"
    message = (detail.get("description") or body.get("message") or body.get("error_description")
               or response.reason_phrase or "no message")
    if body.get("debug_id"):
        message += f" (debug_id {body['debug_id']})"
    transient = status >= 500 or status in (401, 403, 409, 429)
    return GatewayError(f"PayPal {what} refused ({status} {code}): {message}", transient=transient)
