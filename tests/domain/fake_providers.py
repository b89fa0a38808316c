"""Local stand-ins for the Stripe and PayPal APIs (they cannot be reached from here),
served over real HTTP on loopback by the `serve_wsgi` fixture.

Each implements just what our adapters use, the way the provider documents it:
idempotent replay of a POST with the same key, Stripe's refund listing with metadata,
PayPal's OAuth2 client-credentials token, and refusals in each provider's own error
shape. `fail_next(...)` scripts outages; `created` counts objects really made, which
is what "paid exactly once" is measured by.
"""
from __future__ import annotations

import base64
import itertools
import threading
import time
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from flask import Flask, jsonify, request


class _Fake:
    def __init__(self):
        self.lock = threading.Lock()
        self.created: Counter[str] = Counter()   # kind -> objects made
        self.posts: Counter[str] = Counter()     # kind -> POSTs received (answered or not)
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers) in order
        self.saved: dict[str, tuple[Any, int, dict]] = {}          # idempotency key -> (params, status, body)
        self._script: list[tuple[int, dict]] = []
        self.slow_answers = 0      # next N creations are made, then answered only after `slow_seconds`
        self.slow_seconds = 0.0
        self._ids = itertools.count(1)
        self.url = ""

    def fail_next(self, n: int, status: int, body: dict) -> None:
        """The next `n` POSTs are refused with `status`/`body` before anything is made."""
        with self.lock:
            self._script.extend([(status, body)] * n)

    def forget_keys(self) -> None:
        """The provider pruned its idempotency keys (Stripe: after 24 hours)."""
        with self.lock:
            self.saved.clear()

    def _scripted(self) -> Optional[tuple[int, dict]]:
        with self.lock:
            return self._script.pop(0) if self._script else None

    def _made(self, status: int, body: dict):
        """Answer a creation, slowly if told to (the object exists either way)."""
        with self.lock:
            slow = self.slow_answers > 0
            self.slow_answers -= slow
        if slow:
            time.sleep(self.slow_seconds)
        return jsonify(body), status


class FakeStripe(_Fake):
    """POST/GET /v1/refunds, POST/GET /v1/transfers, bearer API key."""

    def __init__(self, api_key: str = "sk_test_fake"):
        super().__init__()
        self.api_key = api_key
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict] = []      # oldest first
        self.transfers: list[dict] = []
        self.app = self._build()

    def add_intent(self, intent_id: str, amount: int, currency: str = "usd", refunded: int = 0) -> None:
        self.intents[intent_id] = {"amount": amount, "currency": currency.lower(), "refunded": refunded}

    @staticmethod
    def error(status: int, message: str, *, code: Optional[str] = None, type_: str = "invalid_request_error"):
        body: dict[str, Any] = {"type": type_, "message": message}
        if code:
            body["code"] = code
        return status, {"error": body}

    def _build(self) -> Flask:
        app = Flask("fake_stripe")

        @app.before_request
        def authenticate():
            self.requests.append((request.method, request.path, dict(request.headers)))
            if request.headers.get("Authorization") != f"Bearer {self.api_key}":
                status, body = self.error(401, "Invalid API Key provided.")
                return jsonify(body), status

        def create(kind: str, make):
            with self.lock:
                self.posts[kind] += 1
            scripted = self._scripted()
            if scripted:
                return jsonify(scripted[1]), scripted[0]
            key, params = request.headers.get("Idempotency-Key"), request.form.to_dict()
            with self.lock:
                if key in self.saved:
                    saved_params, status, body = self.saved[key]
                    if saved_params != params:
                        status, body = self.error(400, "Keys for idempotent requests can only be used with the "
                                                       "same parameters they were first used with.",
                                                  type_="idempotency_error")
                        return jsonify(body), status
                    return jsonify(body), status, {"Idempotent-Replayed": "true"}
                status, body = make(params)
                if key:
                    self.saved[key] = (params, status, body)
                if status < 300:
                    self.created[kind] += 1
            return self._made(status, body) if status < 300 else (jsonify(body), status)

        def metadata(params: dict) -> dict:
            return {k[len("metadata["):-1]: v for k, v in params.items() if k.startswith("metadata[")}

        def make_refund(params: dict):
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None:
                return self.error(400, f"No such payment_intent: '{params.get('payment_intent')}'",
                                  code="resource_missing")
            remaining = intent["amount"] - intent["refunded"]
            amount = int(params.get("amount", remaining))
            if remaining == 0:
                return self.error(400, f"Charge for {params['payment_intent']} has already been refunded.",
                                  code="charge_already_refunded")
            if amount > remaining:
                return self.error(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                                       f"({remaining})", code="amount_too_large")
            intent["refunded"] += amount
            refund = {"id": f"re_fake_{next(self._ids)}", "object": "refund", "amount": amount,
                      "currency": intent["currency"], "payment_intent": params["payment_intent"],
                      "status": "succeeded", "metadata": metadata(params)}
            self.refunds.append(refund)
            return 200, refund

        def make_transfer(params: dict):
            transfer = {"id": f"tr_fake_{next(self._ids)}", "object": "transfer", "amount": int(params["amount"]),
                        "currency": params["currency"], "destination": params["destination"],
                        "transfer_group": params.get("transfer_group"), "metadata": metadata(params)}
            self.transfers.append(transfer)
            return 200, transfer

        def listing(items: list[dict]):
            limit = int(request.args.get("limit", 10))
            items = list(reversed(items))  # newest first, as Stripe lists
            after = request.args.get("starting_after")
            if after:
                items = items[[i["id"] for i in items].index(after) + 1:]
            return jsonify({"object": "list", "data": items[:limit], "has_more": len(items) > limit})

        @app.post("/v1/refunds")
        def post_refund():
            return create("refund", make_refund)

        @app.get("/v1/refunds")
        def list_refunds():
            pi = request.args.get("payment_intent")
            return listing([r for r in self.refunds if r["payment_intent"] == pi])

        @app.post("/v1/transfers")
        def post_transfer():
            return create("transfer", make_transfer)

        @app.get("/v1/transfers")
        def list_transfers():
            group = request.args.get("transfer_group")
            return listing([t for t in self.transfers if group is None or t["transfer_group"] == group])

        return app


class FakePayPal(_Fake):
    """POST /v1/oauth2/token and POST /v2/payments/captures/{id}/refund."""

    WHOLE_UNITS = {"HUF", "JPY", "TWD"}

    def __init__(self, client_id: str = "paypal-client", secret: str = "paypal-secret", expires_in: int = 32400):
        super().__init__()
        self.client_id, self.secret, self.expires_in = client_id, secret, expires_in
        self.captures: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict] = []
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self.app = self._build()

    def add_capture(self, capture_id: str, amount_minor: int, currency: str = "USD", exponent: int = 2,
                    refunded_minor: int = 0) -> None:
        self.captures[capture_id] = {"amount": Decimal(amount_minor).scaleb(-exponent), "currency": currency,
                                     "refunded": Decimal(refunded_minor).scaleb(-exponent)}

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    @staticmethod
    def error(status: int, name: str, issue: str, description: str):
        return status, {"name": name, "message": description, "debug_id": "fake0debug",
                        "details": [{"issue": issue, "description": description}]}

    def _build(self) -> Flask:
        app = Flask("fake_paypal")

        @app.before_request
        def log():
            self.requests.append((request.method, request.path, dict(request.headers)))

        @app.post("/v1/oauth2/token")
        def token():
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return jsonify({"error": "invalid_client", "error_description": "Client Authentication failed"}), 401
            if request.form.get("grant_type") != "client_credentials":
                return jsonify({"error": "unsupported_grant_type", "error_description": "Grant type not supported"}), 400
            with self.lock:
                self.tokens_issued += 1
                value = f"A21_fake_token_{self.tokens_issued}"
                self.tokens.add(value)
            return jsonify({"scope": "https://uri.paypal.com/services/payments/refund", "access_token": value,
                            "token_type": "Bearer", "app_id": "APP-FAKE", "expires_in": self.expires_in,
                            "nonce": "fake"})

        @app.post("/v2/payments/captures/<capture_id>/refund")
        def refund(capture_id: str):
            auth = request.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.tokens:
                return jsonify({"error": "invalid_token",
                                "error_description": "Token signature verification failed"}), 401
            with self.lock:
                self.posts["refund"] += 1
            scripted = self._scripted()
            if scripted:
                return jsonify(scripted[1]), scripted[0]
            key = request.headers.get("PayPal-Request-Id")
            with self.lock:
                if key in self.saved:  # PayPal answers with the refund the first request made
                    _, status, body = self.saved[key]
                    return jsonify(body), status
                status, body = self._make_refund(capture_id, request.get_json(silent=True) or {})
                if key and status < 300:
                    self.saved[key] = (None, status, body)
                if status < 300:
                    self.created["refund"] += 1
            return self._made(status, body) if status < 300 else (jsonify(body), status)

        return app

    def _make_refund(self, capture_id: str, payload: dict):
        capture = self.captures.get(capture_id)
        if capture is None:
            return self.error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
        amount = payload.get("amount") or {}
        value, currency = amount.get("value", ""), amount.get("currency_code")
        if currency != capture["currency"]:
            return self.error(422, "UNPROCESSABLE_ENTITY", "CURRENCY_MISMATCH",
                              "Currency of capture must be the same as currency of refund.")
        if currency in self.WHOLE_UNITS and "." in value:
            return self.error(422, "UNPROCESSABLE_ENTITY", "DECIMALS_NOT_SUPPORTED", "Currency does not support decimals.")
        try:
            major = Decimal(value)
        except InvalidOperation:
            return self.error(400, "INVALID_REQUEST", "INVALID_PARAMETER_SYNTAX", "The value of a field is malformed.")
        remaining = capture["amount"] - capture["refunded"]
        if remaining == 0:
            return self.error(422, "UNPROCESSABLE_ENTITY", "CAPTURE_FULLY_REFUNDED",
                              "The capture has already been fully refunded.")
        if major > remaining:
            return self.error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED",
                              "The refund amount must be less than or equal to the capture amount that has not yet "
                              "been refunded.")
        capture["refunded"] += major
        refund = {"id": f"{next(self._ids):04d}FAKE{capture_id[-4:]}", "status": "COMPLETED",
                  "amount": {"value": value, "currency_code": currency}, "custom_id": payload.get("custom_id"),
                  "capture_id": capture_id}
        self.refunds.append(refund)
        return 201, refund
