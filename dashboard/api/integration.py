"""Integration routes (SPEC §1, §11): the payment system syncs companies, customers,
creators and payments, and reports refunds made elsewhere. Only integration users
may call them, and integration users may call nothing else (they never read cases).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from data.models import Case, User
from dashboard import accounts
from dashboard.api.auth import INTEGRATION
from dashboard.api.params import json_body
from dashboard.api.routing import endpoint
from dashboard.api.schemas.bodies import CreateCompany, CreatePayment, CreateUser, ReportRefunded
from dashboard.api.serializers import company_json, payment_json, user_json
from dashboard.cases.system import report_refunded
from dashboard.context import Ctx
from dashboard.enums import Role
from dashboard.errors import Invalid
from dashboard.payments import record_payment
from dashboard.permissions import load_payment
from dashboard.validation import parse

SYNCED_ROLES = (Role.CUSTOMER.value, Role.CREATOR.value)


@endpoint("/companies", methods=("POST",), roles=INTEGRATION)
def create_company(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    body = parse(CreateCompany, json_body())
    company = accounts.create_company(ctx, name=body.name, support_email=body.support_email)
    return company_json(company), 201


@endpoint("/users", methods=("POST",), roles=INTEGRATION)
def create_user(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    """Customers and creators only: staff and integration users are made on the command line."""
    body = parse(CreateUser, json_body())
    if body.role not in SYNCED_ROLES:
        raise Invalid("invalid_role", "'role' must be customer or creator.", detail={"field": "role"})
    created = accounts.create_user(ctx, email=body.email, name=body.name, role=body.role,
                                   company_id=body.company_id)
    return user_json(created), 201


@endpoint("/payments", methods=("POST",), roles=INTEGRATION)
def create_payment(ctx: Ctx, user: User) -> tuple[dict[str, Any], int]:
    """A payment made through the payment system: `company_id`, `customer_id`, `amount`
    (minor units), `currency`, `provider`, `paid_at` (default now), `product_title`,
    `provider_reference` (the provider's own charge id, which refunds go against).
    The rules are the domain's (`dashboard.payments.record_payment`); this reads JSON."""
    body = parse(CreatePayment, json_body())
    payment = record_payment(
        ctx, company_id=body.company_id, customer_id=body.customer_id, amount_minor=body.amount,
        currency=body.currency, provider=body.provider, paid_at=body.paid_at,
        provider_reference=body.provider_reference, product_title=body.product_title)
    return payment_json(payment), 201


@endpoint("/payments/<payment_id>/refunded", methods=("POST",), roles=INTEGRATION)
def payment_refunded(ctx: Ctx, user: User, payment_id: str) -> dict[str, Any]:
    """The payment was refunded outside the Resolution Center (SPEC §3.10). Reporting
    it twice changes nothing. `note` is added to the case's timeline."""
    body = parse(ReportRefunded, json_body())
    payment = load_payment(ctx, user, payment_id, lock=True)
    report_refunded(ctx, payment=payment, note=(body.note or "").strip()[:500] or None)
    case_id = ctx.session.scalar(select(Case.id).where(Case.payment_id == payment.id))
    return payment_json(payment, case_id=case_id)
