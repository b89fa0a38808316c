"""Test data builders shared by every test area. Plain functions over a session; they
flush, the test owns the transaction."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from data.models import Company, Payment, User
from dashboard import accounts
from dashboard.context import Ctx
from dashboard.settings import Settings

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
_seq = itertools.count(1)

PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
             b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_settings(tmp_path: Optional[Path] = None, **overrides) -> Settings:
    base = Path(tmp_path) if tmp_path else Path("/tmp/rc-test")
    values = dict(upload_dir=base / "uploads", mail_dir=base / "mail", base_url="http://rc.test")
    values.update(overrides)
    return Settings(**values)


def company(ctx: Ctx, name: Optional[str] = None) -> Company:
    return accounts.create_company(ctx, name=name or f"Company {next(_seq)}", support_email=None)


def user(ctx: Ctx, role: str, *, company_id: Optional[str] = None, email: Optional[str] = None,
         name: Optional[str] = None, password: Optional[str] = None) -> User:
    n = next(_seq)
    return accounts.create_user(ctx, email=email or f"{role}{n}@test.example", name=name or f"{role.title()} {n}",
                                role=role, company_id=company_id, password=password)


def payment(ctx: Ctx, *, company: Company, customer: User, amount_minor: int = 5000, currency: str = "USD",
            provider: str = "stripe", paid_at: Optional[dt.datetime] = None, product: str = "Pro membership") -> Payment:
    p = Payment(company_id=company.id, customer_id=customer.id, provider=provider, amount_minor=amount_minor,
                currency=currency, product_title=product, paid_at=paid_at or ctx.now, created_at=ctx.now)
    ctx.session.add(p)
    ctx.session.flush()
    return p


@dataclass
class World:
    """One company with two creators, a customer with a fresh Stripe payment, a second
    company with its own creator and customer, two reviewers and a manager."""

    company: Company
    other_company: Company
    customer: User
    other_customer: User
    creator: User
    creator2: User
    other_creator: User
    reviewer: User
    reviewer2: User
    manager: User
    integration: User
    payment: Payment


def world(ctx: Ctx) -> World:
    co, other = company(ctx, "Acme Courses"), company(ctx, "Other Co")
    cust, other_cust = user(ctx, "customer"), user(ctx, "customer")
    w = World(
        company=co, other_company=other, customer=cust, other_customer=other_cust,
        creator=user(ctx, "creator", company_id=co.id), creator2=user(ctx, "creator", company_id=co.id),
        other_creator=user(ctx, "creator", company_id=other.id),
        reviewer=user(ctx, "reviewer"), reviewer2=user(ctx, "reviewer"), manager=user(ctx, "manager"),
        integration=user(ctx, "integration"),
        payment=payment(ctx, company=co, customer=cust, paid_at=ctx.now - days(1)),
    )
    return w
