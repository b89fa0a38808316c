"""Integration routes (SPEC §1, §11): the payment system syncs companies, customers,
creators and payments, and reports refunds made elsewhere. Only integration users
may call them, and integration users may call nothing else (they never read cases).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from data.models import Case, Company, Payment, User
from dashboard import accounts
from dashboard.api.auth import INTEGRATION
from dashboard.api.params import json_body, minor_amount, parse_time, required_text, text
from dashboard.api.routing import endpoint
from dashboard.api.serializers import company_json, payment_json, user_json
from dashboard.cases.system import report_refunded
from dashboard.context import Ctx
from dashboard.enums import Provider, Role
from dashboard.errors import Invalid
from dashboard.permissions import load_payment

SYNCED_ROLES = (Role.CUSTOMER.value, Role.CREATOR.value)
CLOCK_SKEW = dt.timedelta(minutes=5)


@endpoint("/companies", methods=("POST",), roles=INTEGRATION)
def create_company(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    body = json_body()
    company = accounts.create_company(ctx, name=text(body, "name"), support_email=text(body, "support_email"))
    return company_json(company), 201


@endpoint("/users", methods=("POST",), roles=INTEGRATION)
def create_user(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    """Customers and creators only: staff and integration users are made on the command line."""
    body = json_body()
    role = text(body, "role")
    if role not in SYNCED_ROLES:
        raise Invalid("invalid_role", "'role' must be customer or creator.", detail={"field": "role"})
    created = accounts.create_user(ctx, email=text(body, "email"), name=text(body, "name"), role=role,
                                   company_id=text(body, "company_id"))
    return user_json(created), 201


@endpoint("/payments", methods=("POST",), roles=INTEGRATION)
def create_payment(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    """A payment made through the payment system: `company_id`, `customer_id`, `amount`
    (minor units), `currency`, `provider`, `paid_at` (default now), `product_title`."""
    body = json_body()
    company = ctx.session.get(Company, required_text(body, "company_id"))
    if company is None:
        raise Invalid("invalid_company", "'company_id' is not a known company.", detail={"field": "company_id"})
    customer = ctx.session.get(User, required_text(body, "customer_id"))
    if customer is None or customer.role != Role.CUSTOMER:
        raise Invalid("invalid_customer", "'customer_id' is not a known customer.", detail={"field": "customer_id"})
    amount = minor_amount(body)
    if amount is None or amount <= 0:
        raise Invalid("invalid_amount", "'amount' must be a positive whole number of minor units.",
                      detail={"field": "amount"})
    currency = required_text(body, "currency")
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise Invalid("invalid_currency", "'currency' must be a 3-letter ISO 4217 code.", detail={"field": "currency"})
    try:
        provider = Provider(text(body, "provider"))
    except ValueError:
        raise Invalid("invalid_provider", "'provider' must be one of: " + ", ".join(p.value for p in Provider) + ".",
                      detail={"field": "provider"})
    paid_at = ctx.now
    if body.get("paid_at") is not None:
        paid_at = parse_time(body["paid_at"])
        if paid_at is None or paid_at > ctx.now + CLOCK_SKEW:
            raise Invalid("invalid_paid_at", "'paid_at' must be an ISO 8601 time that is not in the future.",
                          detail={"field": "paid_at"})
    title = (text(body, "product_title") or "").strip()[:200] or None
    payment = Payment(company_id=company.id, customer_id=customer.id, provider=provider.value, amount_minor=amount,
                      currency=currency.upper(), product_title=title, paid_at=paid_at, created_at=ctx.now)
    ctx.session.add(payment)
    ctx.session.flush()
    return payment_json(payment), 201


@endpoint("/payments/<payment_id>/refunded", methods=("POST",), roles=INTEGRATION)
def payment_refunded(ctx: Ctx, user: User, payment_id: str) -> dict[str, Any]:
    """The payment was refunded outside the Resolution Center (SPEC §3.10). Reporting
    it twice changes nothing. `note` is added to the case's timeline."""
    body = json_body()
    payment = load_payment(ctx, user, payment_id, lock=True)
    report_refunded(ctx, payment=payment, note=(text(body, "note") or "").strip()[:500] or None)
    case_id = ctx.session.scalar(select(Case.id).where(Case.payment_id == payment.id))
    return payment_json(payment, case_id=case_id)
