"""A case as the API answers it (published `ResolutionCenterCase` plus our fields), its
events, the summary and files."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, create_model

from dashboard.api.schemas.common import Account, Answer, Money, PageInfo, UtcTime
from dashboard.enums import Outcome, Reason, Status


class Buyer(Answer):
    # user_id: null for creators (only the customer and staff see it); username, member_id: always null here
    user_id: Optional[str]
    name: str
    email: str
    username: Optional[str] = None
    member_id: Optional[str] = None


class CasePayment(Answer):
    id: str
    created_at: UtcTime
    provider: str
    payment_method_type: str


class LineItem(Answer):
    quantity: int
    label: Optional[str]
    product_title: Optional[str] = None
    subtotal: Money


class Decision(Answer):
    outcome: str
    amount: Optional[float]
    amount_minor: Optional[int]
    reason: Optional[str]
    final_decision: Optional[str]
    decided_by_id: Optional[str] = None  # staff only
    final_decided_by_id: Optional[str] = None  # staff only


class Assignee(Answer):
    id: str
    name: str


class ResolutionCenterCase(Answer):
    id: str
    object: Literal["resolution_center_case"]
    account: Account
    amount: float
    amount_minor: int
    currency: str
    available_actions: list[str]
    buyer: Buyer
    payment: CasePayment
    line_items: list[LineItem]
    reason: Reason
    status: Status
    # Published semantics: outcome and refund are null until the case (re)closes, e.g. during an appeal.
    outcome: Optional[Outcome]
    refund: Optional[Literal["none", "merchant", "platform"]]
    escalated: bool
    customer_appealed: bool
    merchant_appealed: bool
    response_due_at: Optional[UtcTime]
    created_at: UtcTime
    updated_at: UtcTime
    # Ours:
    final_review: bool
    appeal_due_at: Optional[UtcTime]
    final: bool
    refunded: float
    credit: float
    decision: Optional[Decision]
    assignee: Optional[Assignee] = Field(description="Staff only; null for parties")


class CasePage(Answer):
    data: list[ResolutionCenterCase]
    page_info: PageInfo


class EventAttachment(Answer):
    id: str
    url: str
    filename: str
    content_type: Optional[str]


class ResolutionEvent(Answer):
    id: str
    object: Literal["resolution_event"]
    action: str
    created_at: UtcTime
    reporter_type: Literal["customer", "merchant", "platform", "system"]
    details: Optional[str]
    attachments: list[EventAttachment]
    viewable_by_customer: bool
    viewable_by_merchant: bool


class EventPage(Answer):
    data: list[ResolutionEvent]
    page_info: PageInfo


def _counts(name: str, enum) -> type[Answer]:
    """Cases per value of `enum`, every value present."""
    return create_model(name, __base__=Answer, **{e.value: (int, ...) for e in enum})


StatusCounts = _counts("StatusCounts", Status)
ReasonCounts = _counts("ReasonCounts", Reason)
OutcomeCounts = _counts("OutcomeCounts", Outcome)


class SummaryGroups(Answer):
    """Only the groups asked for (`groups=`; all three by default)."""

    status: StatusCounts = None  # type: ignore[valid-type]
    reason: ReasonCounts = None  # type: ignore[valid-type]
    outcome: OutcomeCounts = None  # type: ignore[valid-type]


class Summary(Answer):
    total: int
    groups: SummaryGroups


class File(Answer):
    id: str
    object: Literal["file"]
    created_at: UtcTime
    filename: str
    content_type: Optional[str]
    size: Optional[int]
    sha256: Optional[str]
    url: Optional[str]
    upload_status: Literal["pending", "ready", "failed"]
    visibility: str
    removed_by_moderation: bool
    case_id: Optional[str]
    # Only when just created:
    upload_url: str = None  # type: ignore[assignment]
    upload_headers: dict[str, str] = None  # type: ignore[assignment]
