"""The domain's vocabulary. Values are the wire values of the published API."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    CREATOR = "creator"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    INTEGRATION = "integration"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.MANAGER})


class Party(StrEnum):
    """Who acts on a case; also the event `reporter_type`."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    SYSTEM = "system"


class Reason(StrEnum):
    FRAUDULENT = "fraudulent"
    PRODUCT_NOT_RECEIVED = "product_not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    PRODUCT_UNACCEPTABLE = "product_unacceptable"
    SUBSCRIPTION_CANCELED = "subscription_canceled"


REASON_LABELS = {
    Reason.FRAUDULENT: "Fraudulent",
    Reason.PRODUCT_NOT_RECEIVED: "Product not received",
    Reason.NOT_AS_DESCRIBED: "Not as described",
    Reason.PRODUCT_UNACCEPTABLE: "Product unacceptable",
    Reason.SUBSCRIPTION_CANCELED: "Subscription canceled",
}


class Provider(StrEnum):
    STRIPE = "stripe"
    PAYPAL = "paypal"
    CRYPTO = "crypto"
    COINBASE_COMMERCE = "coinbase_commerce"


REVERSIBLE_PROVIDERS = frozenset({Provider.STRIPE, Provider.PAYPAL})


class Status(StrEnum):
    """Public status: who the case is waiting on."""

    AWAITING_MERCHANT = "awaiting_merchant"
    AWAITING_CUSTOMER = "awaiting_customer"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


class Stage(StrEnum):
    """Internal state. Each maps to exactly one public status and escalated flag."""

    AWAITING_MERCHANT = "awaiting_merchant"
    AWAITING_CUSTOMER = "awaiting_customer"
    UNDER_REVIEW = "under_review"  # first instance (or an appealed merchant denial)
    REVIEW_AWAITING_MERCHANT = "review_awaiting_merchant"
    REVIEW_AWAITING_CUSTOMER = "review_awaiting_customer"
    FINAL_REVIEW = "final_review"  # appeal of a platform decision
    FINAL_AWAITING_MERCHANT = "final_awaiting_merchant"
    FINAL_AWAITING_CUSTOMER = "final_awaiting_customer"
    CLOSED = "closed"


STAGE_STATUS = {
    Stage.AWAITING_MERCHANT: (Status.AWAITING_MERCHANT, False),
    Stage.AWAITING_CUSTOMER: (Status.AWAITING_CUSTOMER, False),
    Stage.UNDER_REVIEW: (Status.UNDER_REVIEW, True),
    Stage.REVIEW_AWAITING_MERCHANT: (Status.AWAITING_MERCHANT, True),
    Stage.REVIEW_AWAITING_CUSTOMER: (Status.AWAITING_CUSTOMER, True),
    Stage.FINAL_REVIEW: (Status.UNDER_REVIEW, True),
    Stage.FINAL_AWAITING_MERCHANT: (Status.AWAITING_MERCHANT, True),
    Stage.FINAL_AWAITING_CUSTOMER: (Status.AWAITING_CUSTOMER, True),
    Stage.CLOSED: (Status.CLOSED, None),  # escalated keeps whatever it was
}

REVIEW_STAGES = frozenset({Stage.UNDER_REVIEW, Stage.FINAL_REVIEW})
FINAL_STAGES = frozenset({Stage.FINAL_REVIEW, Stage.FINAL_AWAITING_MERCHANT, Stage.FINAL_AWAITING_CUSTOMER})


class Outcome(StrEnum):
    CUSTOMER_WON = "customer_won"
    MERCHANT_WON = "merchant_won"
    WITHDRAWN = "withdrawn"


class RefundSource(StrEnum):
    NONE = "none"
    MERCHANT = "merchant"
    PLATFORM = "platform"


class Decision(StrEnum):
    REFUND = "refund"
    CREDIT = "credit"
    MERCHANT_WINS = "merchant_wins"


class FinalDecision(StrEnum):
    UPHOLD = "uphold"
    OVERTURN = "overturn"


class MovementKind(StrEnum):
    MERCHANT_REFUND = "merchant_refund"
    CUSTOMER_CREDIT = "customer_credit"
    PLATFORM_REIMBURSEMENT = "platform_reimbursement"


class Action(StrEnum):
    """Everything that can be done to a case. The first six are the published API's
    `available_actions`; the rest are staff, system and integration actions."""

    ACCEPT = "accept"
    DENY = "deny"
    REQUEST_INFO = "request_info"
    REPLY = "reply"
    APPEAL = "appeal"
    WITHDRAW = "withdraw"
    ADD_EVIDENCE = "add_evidence"
    CLAIM = "claim"
    ASSIGN = "assign"
    NOTE = "note"
    DECIDE = "decide"
    FINAL_DECIDE = "final_decide"
    ESCALATE_OVERDUE = "escalate_overdue"
    EXPIRE_REVIEW_REQUEST = "expire_review_request"
    CLOSE_APPEAL_WINDOW = "close_appeal_window"
    REPORT_REFUNDED = "report_refunded"
