"""Who may open a case on which payment (SPEC §2). Each refusal has its own code."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Optional, Union

from sqlalchemy import select

from data.models import Case, Payment, User
from dashboard.context import Ctx
from dashboard.enums import REASON_LABELS, REVERSIBLE_PROVIDERS, Reason, Role
from dashboard.errors import Conflict, DomainError, Invalid, NotFound


class _NoCase:
    """The caller knows there is no case on the payment (see `payment_verdict`)."""

    def __repr__(self) -> str:
        return "NO_CASE"


NO_CASE: Final = _NoCase()


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    code: Optional[str] = None
    message: Optional[str] = None
    closes_at: Optional[dt.datetime] = None


def payment_verdict(ctx: Ctx, customer: User, payment: Payment, *,
                    existing_case_id: Union[str, _NoCase, None] = None) -> Verdict:
    """Whether `customer` may open a case on `payment` now, and if not, why not.

    `existing_case_id`: the id of the payment's case when the caller already has it,
    `NO_CASE` when the caller knows there is none (a list that fetched the cases of a
    whole page at once), None to have it looked up here.

    Rule order is fixed so that a payment with several problems always reports the
    same (most fundamental) one.
    """
    if customer.role != Role.CUSTOMER or payment.customer_id != customer.id:
        return Verdict(False, "payment_not_found", "Payment not found.")
    if payment.provider not in REVERSIBLE_PROVIDERS:
        return Verdict(False, "payment_method_not_eligible",
                       "Only card and PayPal payments (through Stripe or PayPal) can be disputed; crypto and "
                       "Coinbase Commerce payments are irreversible.")
    if payment.refunded_at is not None or (payment.refunded_minor or 0) > 0:
        return Verdict(False, "payment_refunded", "This payment has already been refunded.")
    closes_at = payment.paid_at + ctx.days(ctx.settings.claim_window_days)
    if ctx.now > closes_at:
        return Verdict(False, "claim_window_expired",
                       f"Cases can be opened up to {ctx.settings.claim_window_days} days after a payment; "
                       f"this one closed on {closes_at:%d %b %Y} (UTC).", closes_at)
    if existing_case_id is None:
        existing_case_id = ctx.session.scalar(select(Case.id).where(Case.payment_id == payment.id)) or NO_CASE
    if existing_case_id is not NO_CASE:
        return Verdict(False, "case_already_exists",
                       "A case has already been opened for this payment; only one case per payment is allowed.")
    return Verdict(True, closes_at=closes_at)


def require_eligible(ctx: Ctx, customer: User, payment: Optional[Payment]) -> Payment:
    if payment is None:
        raise NotFound("payment", code="payment_not_found")
    verdict = payment_verdict(ctx, customer, payment)
    if verdict.eligible:
        return payment
    if verdict.code == "payment_not_found":
        raise NotFound("payment", code="payment_not_found")
    if verdict.code == "case_already_exists":
        raise Conflict(verdict.code, verdict.message)
    raise DomainError(verdict.code, verdict.message)  # 400: a fact about the payment


def validate_claim(ctx: Ctx, reason: Optional[str], message: Optional[str]) -> tuple[Reason, str]:
    try:
        parsed = Reason(reason)
    except ValueError:
        # Said in the words the form shows (its labels), never the codes: a person reads this.
        labels = list(REASON_LABELS.values())
        raise Invalid("invalid_reason", "Choose why you are opening this case: "
                      + ", ".join(labels[:-1]) + f" or {labels[-1]}.")
    text = require_message(ctx, message, what="A message describing the problem")
    return parsed, text


def require_message(ctx: Ctx, message: Optional[str], *, what: str = "A message") -> str:
    if message is not None and not isinstance(message, str):
        raise Invalid("invalid_message", f"{what} must be text.")
    text = (message or "").strip()
    if not text:
        # What to do, not what is missing: "Write a reply." (`what` names it: "A reply").
        raise Invalid("message_required", f"Write {what[:1].lower()}{what[1:]}; it is required.")
    limit = ctx.settings.max_message_chars
    if len(text) > limit:
        raise Invalid("message_too_long", f"The message is {len(text)} characters; the limit is {limit}. "
                                          f"Shorten it by {len(text) - limit}.")
    return text


def optional_message(ctx: Ctx, message: Optional[str]) -> Optional[str]:
    if message is not None and not isinstance(message, str):
        raise Invalid("invalid_message", "The message must be text.")
    text = (message or "").strip()
    return require_message(ctx, text) if text else None
