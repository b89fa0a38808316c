"""Stripe adapter: refunds through the payment's PaymentIntent, platform reimbursements
as Stripe Connect transfers.

Exactly once (SPEC §6) rests on two things Stripe gives us:

- `Idempotency-Key: <our movement key>` on every POST. Stripe saves the first answer
  for a key (for at least 24 hours) and replays it, so a retry of a refund that was
  made returns that refund instead of making a second.
- Our key is also stored on the object (`metadata[idempotency_key]` on refunds,
  `transfer_group` on transfers), so `lookup` finds a call made with it by listing the
  PaymentIntent's refunds (or the transfers of that group) — also after the 24 hours.

Errors: a network failure, 409 (the same key is still in flight), 429 (rate limit or
`lock_timeout`) and 5xx are transient: the executor retries with the same key. So are
401/403 — a revoked or restricted API key is fixed by configuration, and the movement
must not be given up meanwhile (staff see it once it keeps failing). Any other 4xx
(`charge_already_refunded`, an unknown PaymentIntent, invalid parameters, ...) is final
and carries Stripe's own message for staff.

Transfers need the merchant's connected account (`acct_...`): STRIPE_CONNECTED_ACCOUNTS
maps our company ids to them. A company without one fails its reimbursement (not
transient) so staff can pay it by hand or configure the account and retry.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Union

import httpx

from dashboard.enums import MovementKind
from dashboard.money.gateways import GatewayError, MovementTarget, PaymentDirectory

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
PAGE = 100
_TRANSIENT_CODES = {"lock_timeout", "rate_limit", "idempotency_key_in_use"}
_FINAL_REFUND_STATUSES = {"failed", "canceled"}

HttpClient = Union[httpx.Client, Callable[..., httpx.Client]]


class StripeGateway:
    def __init__(self, api_key: str, base_url: str = "https://api.stripe.com", http: HttpClient = httpx.Client, *,
                 directory: Optional[PaymentDirectory] = None, connected_accounts: Optional[Mapping[str, str]] = None,
                 timeout: httpx.Timeout | float = TIMEOUT):
        """`directory` turns our payment ids into PaymentIntent ids (without one, the
        `payment_id` handed to `refund` must already be Stripe's id); `connected_accounts`
        maps our company ids to Stripe connected accounts for `transfer`."""
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.http = http if isinstance(http, httpx.Client) else http(timeout=timeout)
        self.directory = directory
        self.connected_accounts = dict(connected_accounts or {})

    # ------------------------------------------------------------------ the interface
    def refund(self, *, payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        charge = self.directory.charge(payment_id) if self.directory else payment_id
        if not charge:
            raise GatewayError(f"payment {payment_id} has no Stripe PaymentIntent reference to refund against",
                               transient=False)
        form = {_charge_field(charge): charge, "amount": str(amount_minor),
                "metadata[idempotency_key]": idempotency_key}
        target = self._target(idempotency_key)
        if target is not None:
            form["metadata[case]"] = target.case_id
        refund = self._request("POST", "/v1/refunds", data=form, idempotency_key=idempotency_key, what="refund")
        if refund.get("status") in _FINAL_REFUND_STATUSES:
            raise GatewayError(f"Stripe refund {refund.get('id')} {refund.get('status')}: "
                               f"{refund.get('failure_reason') or 'no reason given'}", transient=False)
        return refund["id"]

    def transfer(self, *, company_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        destination = self.connected_accounts.get(company_id)
        if not destination:
            raise GatewayError(f"no connected Stripe account is configured for company {company_id} "
                               f"(STRIPE_CONNECTED_ACCOUNTS), so the platform cannot pay it", transient=False)
        form = {"amount": str(amount_minor), "currency": currency.lower(), "destination": destination,
                "transfer_group": idempotency_key, "metadata[idempotency_key]": idempotency_key,
                "description": "Resolution Center: reimbursement of an overturned refund"}
        target = self._target(idempotency_key)
        if target is not None:
            form["metadata[case]"] = target.case_id
        transfer = self._request("POST", "/v1/transfers", data=form, idempotency_key=idempotency_key,
                                 what="transfer")
        return transfer["id"]

    def lookup(self, idempotency_key: str) -> Optional[str]:
        target = self._target(idempotency_key)
        if target is None:
            return None
        if target.kind == MovementKind.PLATFORM_REIMBURSEMENT:
            found = self._request("GET", "/v1/transfers", params={"transfer_group": idempotency_key, "limit": "1"},
                                  what="transfer lookup")
            return found["data"][0]["id"] if found.get("data") else None
        if not target.charge:
            return None
        return self._find_refund(target.charge, idempotency_key)

    # ------------------------------------------------------------------ helpers
    def _target(self, idempotency_key: str) -> Optional[MovementTarget]:
        return self.directory.movement(idempotency_key) if self.directory else None

    def _find_refund(self, charge: str, idempotency_key: str) -> Optional[str]:
        params = {_charge_field(charge): charge, "limit": str(PAGE)}
        while True:
            page = self._request("GET", "/v1/refunds", params=params, what="refund lookup")
            for refund in page.get("data", []):
                if (refund.get("metadata") or {}).get("idempotency_key") == idempotency_key \
                        and refund.get("status") not in _FINAL_REFUND_STATUSES:
                    return refund["id"]
            if not page.get("has_more") or not page.get("data"):
                return None
            params["starting_after"] = page["data"][-1]["id"]

    def _request(self, method: str, path: str, *, what: str, data: Optional[dict] = None,
                 params: Optional[dict] = None, idempotency_key: Optional[str] = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = self.http.request(method, self.base_url + path, data=data, params=params, headers=headers)
        except httpx.HTTPError as exc:  # connect/read/timeout: the outcome is unknown, the key makes retrying safe
            raise GatewayError(f"Stripe {what}: network error ({type(exc).__name__}: {exc})", transient=True)
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise GatewayError(f"Stripe {what}: unreadable answer (HTTP {response.status_code})", transient=True)
        raise _error(response, what)


def _charge_field(charge: str) -> str:
    """Refund a PaymentIntent (`pi_...`) or, for older integrations, a Charge (`ch_`/`py_`)."""
    return "charge" if charge.startswith(("ch_", "py_")) else "payment_intent"


def _error(response: httpx.Response, what: str) -> GatewayError:
    try:
        body = response.json().get("error") or {}
    except (ValueError, AttributeError):
        body = {}
    status = response.status_code
    code = body.get("code") or body.get("type") or f"http_{status}"
    message = body.get("message") or response.reason_phrase or "no message"
    transient = (status >= 500 or status in (401, 403, 409, 429) or code in _TRANSIENT_CODES
                 or response.headers.get("Stripe-Should-Retry") == "true")
    return GatewayError(f"Stripe {what} refused ({status} {code}): {message}", transient=transient)
