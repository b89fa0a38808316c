"""Moving the money recorded by `movements` (SPEC §6), exactly once.

Three short steps, never holding a database transaction open while a provider is
called: (1) claim due movements, bumping their attempt count and leasing them for a
few minutes so other workers skip them; (2) ask the provider whether the key was
already used, else make the call with that key; (3) record the answer. A crash
between (2) and (3) is recovered when the lease runs out: step (2) then finds the
call by its key and step (3) records it — the customer is paid once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Case, MoneyMovement
from dashboard.context import Ctx
from dashboard.enums import MovementKind, Party
from dashboard.money.amounts import format_minor
from dashboard.money.gateways import GatewayError, GatewayRegistry
from dashboard.settings import Settings
from dashboard import timeline

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
FAILING_AFTER_ATTEMPTS = 5  # from then on staff see the movement as failing


def backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    provider: str
    amount_minor: int
    currency: str
    key: str
    payment_id: str
    company_id: str


def claim_due(session: Session, now: dt.datetime, *, case_id: Optional[str] = None, limit: int = 100) -> list[Claimed]:
    stmt = (
        select(MoneyMovement)
        .where(MoneyMovement.status == "pending", MoneyMovement.next_attempt_at <= now)
        .order_by(MoneyMovement.next_attempt_at, MoneyMovement.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if case_id is not None:
        stmt = stmt.where(MoneyMovement.case_id == case_id)
    claimed = []
    for m in session.scalars(stmt):
        m.attempts += 1
        m.next_attempt_at = now + LEASE
        claimed.append(Claimed(m.id, m.kind, m.provider, m.amount_minor, m.currency, m.idempotency_key,
                               m.case.payment_id, m.case.company_id))
    session.commit()
    return claimed


def _call(gateways: GatewayRegistry, c: Claimed) -> str:
    gateway = gateways.for_provider(c.provider)
    reference = gateway.lookup(c.key)
    if reference:
        return reference
    if c.kind == MovementKind.MERCHANT_REFUND:
        return gateway.refund(payment_id=c.payment_id, amount_minor=c.amount_minor, currency=c.currency,
                              idempotency_key=c.key)
    if c.kind == MovementKind.PLATFORM_REIMBURSEMENT:
        return gateway.transfer(company_id=c.company_id, amount_minor=c.amount_minor, currency=c.currency,
                                idempotency_key=c.key)
    raise GatewayError(f"movement kind {c.kind} is not paid through a gateway", transient=False)


def _record_success(ctx: Ctx, movement_id: int, reference: str) -> bool:
    m = ctx.session.scalar(select(MoneyMovement).where(MoneyMovement.id == movement_id).with_for_update())
    if m is None or m.status != "pending":
        return False  # another worker recorded it first
    m.status = "succeeded"
    m.provider_reference = reference
    m.completed_at = ctx.now
    m.next_attempt_at = None
    m.last_error = None
    case = ctx.session.scalar(select(Case).where(Case.id == m.case_id).with_for_update())
    amount = format_minor(m.amount_minor, m.currency)
    if m.kind == MovementKind.MERCHANT_REFUND:
        case.refunded_minor = (case.refunded_minor or 0) + m.amount_minor
        payment = case.payment
        payment.refunded_minor = (payment.refunded_minor or 0) + m.amount_minor
        payment.refunded_at = ctx.now
        details = f"{amount} was refunded to the customer through {m.provider.capitalize()} (ref {reference})."
        action = "refund_issued"
    else:
        details = f"The platform reimbursed the merchant {amount} (ref {reference})."
        action = "merchant_reimbursed"
    timeline.record(ctx, case, action=action, party=Party.SYSTEM, actor=None, details=details,
                    data={"amount": m.amount_minor, "currency": m.currency, "reference": reference})
    ctx.session.commit()
    return True


def _record_failure(ctx: Ctx, movement_id: int, error: GatewayError) -> None:
    m = ctx.session.scalar(select(MoneyMovement).where(MoneyMovement.id == movement_id).with_for_update())
    if m is None or m.status != "pending":
        ctx.session.commit()
        return
    m.last_error = str(error)[:2000]
    case = ctx.session.get(Case, m.case_id)
    if not error.transient:
        m.status = "failed"
        m.next_attempt_at = None
        timeline.record(ctx, case, action="refund_failed", party=Party.SYSTEM, actor=None, staff_only=True,
                        details=f"Moving {format_minor(m.amount_minor, m.currency)} failed and needs staff: {error}")
    else:
        m.next_attempt_at = ctx.now + backoff(m.attempts)
        if m.attempts == FAILING_AFTER_ATTEMPTS:
            timeline.record(ctx, case, action="refund_retrying", party=Party.SYSTEM, actor=None, staff_only=True,
                            details=f"Moving {format_minor(m.amount_minor, m.currency)} has failed "
                                    f"{m.attempts} times; still retrying. Last error: {error}")
    ctx.session.commit()


def settle_due(session: Session, gateways: GatewayRegistry, now: dt.datetime, *, settings: Settings | None = None,
               case_id: Optional[str] = None, limit: int = 100) -> dict[str, int]:
    """Pay what is due. Commits as it goes (see module docstring); returns counts."""
    ctx = Ctx(session=session, now=now, settings=settings or Settings())
    counts = {"claimed": 0, "succeeded": 0, "failed": 0}
    for c in claim_due(session, now, case_id=case_id, limit=limit):
        counts["claimed"] += 1
        try:
            reference = _call(gateways, c)
        except GatewayError as exc:
            log.warning("money movement %s (%s) failed: %s", c.id, c.key, exc)
            _record_failure(ctx, c.id, exc)
            counts["failed"] += 1
            continue
        if _record_success(ctx, c.id, reference):
            counts["succeeded"] += 1
    return counts
