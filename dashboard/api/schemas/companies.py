"""A company with its payment controls (`GET /companies/{id}`), and the body that sets
them (`POST /companies/{id}/payment_controls`), in Whop's names."""
from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from dashboard.api.schemas.common import Answer
from dashboard.api.schemas.payments import Company
from dashboard.validation import ErrorCode

Threshold = Annotated[Optional[Union[int, float]], Field(gt=0),
                      ErrorCode("invalid_threshold", "'{name}' must be an amount such as 30 or 12.50 (more than 0), "
                                                     "or null to turn it off.")]


class AutoRefundControl(Answer):
    """At or below these amounts (in the payment's currency units), a new case on a card or
    PayPal payment is accepted and refunded at once; null: off. `locked`: staff only."""

    card_threshold_usd: Optional[float]
    paypal_threshold_usd: Optional[float]
    locked: bool


class PaymentControls(Answer):
    resolution_center_auto_refund: AutoRefundControl


class CompanyWithControls(Company):
    payment_controls: PaymentControls


class AutoRefundChanges(BaseModel):
    """Only the fields given change; null turns a threshold off."""

    model_config = ConfigDict(extra="forbid")

    card_threshold_usd: Threshold = None
    paypal_threshold_usd: Threshold = None
    locked: Annotated[Optional[bool], ErrorCode("invalid_field", "'locked' must be true or false.")] = None


class SetPaymentControls(BaseModel):
    model_config = ConfigDict(extra="ignore")  # other controls Whop has are not offered here

    resolution_center_auto_refund: Annotated[AutoRefundChanges, ErrorCode(
        "invalid_field", "'resolution_center_auto_refund' must be an object with card_threshold_usd, "
                         "paypal_threshold_usd and/or locked.")]
