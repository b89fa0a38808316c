"""Payment gateway adapters: one per provider, one interface.

The embedded default is the sandbox gateway: it keeps its own book of refunds and
transfers (in its own transactions, like a remote provider would) and honours
idempotency keys the way Stripe and PayPal do, so the code that calls it is the code
that would call them.

Two sandbox options rehearse what real providers do to us, for the demo and for the
multi-process tests (they change nothing where a real adapter serves a provider):

- `SANDBOX_FAILURES=N`: the first N attempts of every movement are refused with a
  transient error (an outage), so retries with backoff and the same key can be seen.
- `SANDBOX_LATENCY=seconds`: each payment answers that long *after* it was booked, a
  window in which killing the caller leaves a payment made but not recorded.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.models import Case, MoneyMovement, Payment, SandboxGatewayCall

if TYPE_CHECKING:
    from dashboard.settings import Settings

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """A provider call failed. `transient` failures are retried with the same key."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


class Gateway(Protocol):
    def refund(self, *, payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str: ...

    def transfer(self, *, company_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str: ...

    def lookup(self, idempotency_key: str) -> Optional[str]:
        """The provider's reference for a call already made with this key, else None."""


class SandboxGateway:
    """Records what a provider would have done. References look like `re_sbx_...`."""

    def __init__(self, session_factory: sessionmaker[Session], provider: str = "sandbox", *, failures: int = 0,
                 latency: float = 0.0):
        self.session_factory = session_factory
        self.provider = provider
        self.failures = failures
        self.latency = latency

    def _outage(self, idempotency_key: str) -> None:
        """`failures`: refuse the first attempts of each movement (its attempt count is
        bumped before every call, so this holds across processes and restarts)."""
        if not self.failures:
            return
        with self.session_factory() as s:
            attempts = s.scalar(select(MoneyMovement.attempts).where(
                MoneyMovement.idempotency_key == idempotency_key)) or 0
        if attempts <= self.failures:
            raise GatewayError(f"sandbox {self.provider} outage (attempt {attempts} of the first {self.failures} "
                               f"refused)", transient=True)

    def _book(self, *, operation: str, target: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        existing = self.lookup(idempotency_key)
        if existing:
            return existing
        self._outage(idempotency_key)
        prefix = "re" if operation == "refund" else "tr"
        reference = f"{prefix}_sbx_{secrets.token_hex(8)}"
        try:
            with self.session_factory.begin() as s:
                s.add(SandboxGatewayCall(
                    provider=self.provider, operation=operation, idempotency_key=idempotency_key,
                    reference=reference, target=target, amount_minor=amount_minor, currency=currency,
                    created_at=dt.datetime.now(dt.timezone.utc),
                ))
        except IntegrityError:
            # Another worker made the same call a moment ago: the key makes it one call.
            existing = self.lookup(idempotency_key)
            if existing:
                return existing
            raise
        if self.latency:
            time.sleep(self.latency)  # booked, but the answer is slow to come back
        return reference

    def refund(self, *, payment_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        return self._book(operation="refund", target=payment_id, amount_minor=amount_minor,
                          currency=currency, idempotency_key=idempotency_key)

    def transfer(self, *, company_id: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        return self._book(operation="transfer", target=company_id, amount_minor=amount_minor,
                          currency=currency, idempotency_key=idempotency_key)

    def lookup(self, idempotency_key: str) -> Optional[str]:
        with self.session_factory() as s:
            return s.scalar(select(SandboxGatewayCall.reference).where(
                SandboxGatewayCall.idempotency_key == idempotency_key))


@dataclass(frozen=True)
class MovementTarget:
    """What a provider adapter needs to know about one of our movements."""

    kind: str                 # MovementKind value
    case_id: str
    payment_id: str
    company_id: str
    charge: Optional[str]     # the provider's own id for the payment (Payment.provider_reference)


class PaymentDirectory:
    """Read-only answers from our own rows for the real adapters: the gateway interface
    speaks in our ids (`pay_...`, a movement's key), providers in theirs (`pi_...`, a
    PayPal capture id). Each question is its own short read, never inside the caller's
    transaction (the executor calls gateways with no transaction open)."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def charge(self, payment_id: str) -> Optional[str]:
        with self.session_factory() as s:
            return s.scalar(select(Payment.provider_reference).where(Payment.id == payment_id))

    def movement(self, idempotency_key: str) -> Optional[MovementTarget]:
        with self.session_factory() as s:
            row = s.execute(
                select(MoneyMovement.kind, Case.id, Payment.id, Case.company_id, Payment.provider_reference)
                .join(Case, Case.id == MoneyMovement.case_id)
                .join(Payment, Payment.id == Case.payment_id)
                .where(MoneyMovement.idempotency_key == idempotency_key)
            ).first()
        return MovementTarget(*row) if row else None


class GatewayRegistry:
    """Which adapter serves which provider (`platform` is the platform's own payouts)."""

    def __init__(self, gateways: dict[str, Gateway]):
        self._gateways = gateways

    def for_provider(self, provider: str) -> Gateway:
        try:
            return self._gateways[provider]
        except KeyError:
            raise GatewayError(f"no gateway configured for provider {provider!r}", transient=False)

    @classmethod
    def sandbox(cls, session_factory: sessionmaker[Session], *, failures: Optional[int] = None,
                latency: Optional[float] = None) -> "GatewayRegistry":
        """The sandbox for every provider; `failures`/`latency` default to the
        SANDBOX_FAILURES / SANDBOX_LATENCY environment variables (see the module docstring)."""
        if failures is None:
            failures = int(os.environ.get("SANDBOX_FAILURES") or 0)
        if latency is None:
            latency = float(os.environ.get("SANDBOX_LATENCY") or 0)
        return cls({p: SandboxGateway(session_factory, p, failures=failures, latency=latency)
                    for p in ("stripe", "paypal", "platform")})

    @classmethod
    def from_settings(cls, settings: "Settings", session_factory: sessionmaker[Session]) -> "GatewayRegistry":
        """Real adapters where credentials are configured, the sandbox for the rest
        (per provider): Stripe with STRIPE_API_KEY, PayPal with PAYPAL_CLIENT_ID and
        PAYPAL_SECRET. `platform` (the platform's payouts to merchants) is Stripe
        Connect transfers when Stripe is configured, else the sandbox."""
        from dashboard.money.paypal import PayPalGateway
        from dashboard.money.stripe import StripeGateway

        gateways: dict[str, Gateway] = dict(cls.sandbox(session_factory)._gateways)
        directory = PaymentDirectory(session_factory)
        if settings.stripe_api_key:
            stripe = StripeGateway(settings.stripe_api_key, base_url=settings.stripe_api_base, directory=directory,
                                   connected_accounts=settings.stripe_connected_accounts)
            gateways["stripe"] = gateways["platform"] = stripe
        if settings.paypal_client_id and settings.paypal_secret:
            gateways["paypal"] = PayPalGateway(settings.paypal_client_id, settings.paypal_secret,
                                               base_url=settings.paypal_api_base, directory=directory)
        sandboxed = sorted(p for p, g in gateways.items() if isinstance(g, SandboxGateway))
        if sandboxed and not settings.embedded:
            log.warning("payment providers served by the sandbox gateway (no money moves): %s", ", ".join(sandboxed))
        return cls(gateways)
