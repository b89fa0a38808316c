"""Payments made through the payment system (SPEC §11 integration, §2 eligibility).

`record_payment` is how a payment enters the Resolution Center: the integration API
calls it, and so can anything else that syncs payments. It checks every rule, in a
fixed order so a payment with several problems always reports the same one, and flushes.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from data.models import Company, Payment, User
from dashboard.context import Ctx
from dashboard.enums import Provider, Role
from dashboard.errors import Invalid

CLOCK_SKEW = dt.timedelta(minutes=5)  # a payment system's clock may run a little ahead of ours
MAX_TITLE = 200
MAX_REFERENCE = 120
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def record_payment(ctx: Ctx, *, company_id: Optional[str], customer_id: Optional[str], amount_minor: Optional[int],
                   currency: Optional[str], provider: Optional[str], paid_at: Optional[dt.datetime],
                   provider_reference: Optional[str] = None, product_title: Optional[str] = None) -> Payment:
    """A payment of `amount_minor` (integer minor units) in `currency` (ISO 4217, any
    case; stored upper case) by a customer to a company, through `provider`.

    `paid_at` None means now; it may not be in the future. `provider_reference` is the
    provider's own id for the charge (a Stripe PaymentIntent `pi_...`, a PayPal capture
    id): the real gateways refund against it. `product_title` is trimmed to 200 characters.
    Refusals are `Invalid` (422) with a code per rule and the offending field.
    """
    company = ctx.session.get(Company, _present(company_id, "company_id"))
    if company is None:
        raise _invalid("invalid_company", "'company_id' is not a known company.", "company_id")
    customer = ctx.session.get(User, _present(customer_id, "customer_id"))
    if customer is None or customer.role != Role.CUSTOMER:
        raise _invalid("invalid_customer", "'customer_id' is not a known customer.", "customer_id")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise _invalid("invalid_amount", "'amount' must be a positive whole number of minor units.", "amount")
    currency = _present(currency, "currency")
    if not _CURRENCY.fullmatch(currency):
        raise _invalid("invalid_currency", "'currency' must be a 3-letter ISO 4217 code.", "currency")
    try:
        provider = Provider(provider)
    except ValueError:
        raise _invalid("invalid_provider", "'provider' must be one of: " + ", ".join(p.value for p in Provider) + ".",
                       "provider")
    if paid_at is None:
        paid_at = ctx.now
    elif paid_at.tzinfo is None or paid_at > ctx.now + CLOCK_SKEW:
        raise _invalid("invalid_paid_at", "'paid_at' must be an ISO 8601 time that is not in the future.", "paid_at")
    reference = (provider_reference or "").strip() or None
    if reference is not None and len(reference) > MAX_REFERENCE:
        raise _invalid("invalid_provider_reference",
                       f"'provider_reference' must be at most {MAX_REFERENCE} characters.", "provider_reference")
    title = (product_title or "").strip()[:MAX_TITLE] or None
    payment = Payment(company_id=company.id, customer_id=customer.id, provider=provider.value,
                      amount_minor=amount_minor, currency=currency.upper(), product_title=title,
                      provider_reference=reference, paid_at=paid_at, created_at=ctx.now)
    ctx.session.add(payment)
    ctx.session.flush()
    return payment


def _present(value: Optional[str], name: str) -> str:
    if value is None or not value.strip():
        raise _invalid(f"{name}_required", f"'{name}' is required.", name)
    return value.strip()


def _invalid(code: str, message: str, field: str) -> Invalid:
    return Invalid(code, message, detail={"field": field})
