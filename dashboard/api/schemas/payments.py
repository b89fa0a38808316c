"""Payments (a customer's list and the integration's sync), companies and users."""
from __future__ import annotations

from typing import Literal, Optional

from dashboard.api.schemas.common import Account, Answer, PageInfo, UtcTime
from dashboard.enums import Provider


class IneligibleReason(Answer):
    code: str
    message: str


class Payment(Answer):
    id: str
    object: Literal["payment"]
    account: Account
    customer_id: str
    amount: float
    amount_minor: int
    currency: str
    provider: Provider
    payment_method_type: str
    product_title: Optional[str]
    paid_at: UtcTime
    created_at: UtcTime
    refunded: float
    refunded_at: Optional[UtcTime]
    case_id: Optional[str]
    # Only in GET /payments (a customer's list):
    can_open_case: bool = None  # type: ignore[assignment]
    ineligible_reason: Optional[IneligibleReason] = None
    claim_closes_at: Optional[UtcTime] = None


class PaymentPage(Answer):
    data: list[Payment]
    page_info: PageInfo


class Company(Answer):
    id: str
    object: Literal["company"]
    title: str
    name: str
    support_email: Optional[str]
    created_at: UtcTime


class User(Answer):
    id: str
    object: Literal["user"]
    email: str
    name: str
    role: str
    company_id: Optional[str]
    created_at: UtcTime
