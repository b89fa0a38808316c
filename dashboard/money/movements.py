"""Recording money movements (SPEC §6).

A movement is recorded as an intent, in the same transaction as the outcome that
causes it, with an idempotency key unique per case and kind: one merchant refund,
one credit and one platform reimbursement per case at most, ever. The provider is
called later, outside any transaction, by `dashboard.money.executor`.
"""
from __future__ import annotations

from data.models import Case, CreditEntry, MoneyMovement
from dashboard.context import Ctx
from dashboard.enums import MovementKind, Party
from dashboard.money.amounts import format_minor
from dashboard import timeline


def idempotency_key(case: Case, kind: MovementKind) -> str:
    return f"{case.id}:{kind.value}"


def _movement(ctx: Ctx, case: Case, kind: MovementKind, amount_minor: int, provider: str) -> MoneyMovement:
    movement = MoneyMovement(
        case_id=case.id,
        kind=kind.value,
        amount_minor=amount_minor,
        currency=case.currency,
        provider=provider,
        idempotency_key=idempotency_key(case, kind),
        status="pending",
        attempts=0,
        next_attempt_at=ctx.now,
        created_at=ctx.now,
    )
    ctx.session.add(movement)
    return movement


def record_merchant_refund(ctx: Ctx, case: Case, amount_minor: int) -> MoneyMovement:
    """Refund the customer from the merchant's funds through the payment's provider."""
    return _movement(ctx, case, MovementKind.MERCHANT_REFUND, amount_minor, case.payment.provider)


def record_platform_reimbursement(ctx: Ctx, case: Case, amount_minor: int) -> MoneyMovement:
    """The platform pays the merchant back what an overturned decision took from them."""
    return _movement(ctx, case, MovementKind.PLATFORM_REIMBURSEMENT, amount_minor, "platform")


def issue_credit(ctx: Ctx, case: Case, amount_minor: int) -> MoneyMovement:
    """Platform credit is our own ledger, so it is booked at once, in this transaction."""
    movement = _movement(ctx, case, MovementKind.CUSTOMER_CREDIT, amount_minor, "platform_credit")
    movement.status = "succeeded"
    movement.attempts = 1
    movement.completed_at = ctx.now
    movement.next_attempt_at = None
    movement.provider_reference = f"credit:{movement.idempotency_key}"
    ctx.session.add(CreditEntry(
        user_id=case.customer_id, case_id=case.id, amount_minor=amount_minor, currency=case.currency,
        idempotency_key=movement.idempotency_key, memo=f"Resolution Center case {case.id}", created_at=ctx.now,
    ))
    case.credited_minor = (case.credited_minor or 0) + amount_minor
    timeline.record(
        ctx, case, action="credit_issued", party=Party.SYSTEM, actor=None,
        details=f"{format_minor(amount_minor, case.currency)} in platform credit was added to the customer's balance.",
        data={"amount": amount_minor, "currency": case.currency},
    )
    ctx.session.flush()
    return movement

