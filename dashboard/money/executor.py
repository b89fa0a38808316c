"""Moving the money recorded by `movements` (SPEC §6), exactly once.

Three short steps per batch, never holding a database transaction open while a
provider is called: (1) claim up to BATCH_SIZE due movements in one statement, bumping
their attempt count and leasing them for a few minutes so other workers skip them;
(2) for each, ask the provider whether its key was already used, else make the call
with that key; (3) record the batch's answers in one transaction. A crash
between (2) and (3) is recovered when the lease runs out: step (2) then finds the
call by its key and step (3) records it — the customer is paid once.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.models import Case, MoneyMovement
from dashboard import leases
from dashboard.context import Ctx
from dashboard.enums import MovementKind, Party
from dashboard.money.amounts import format_minor
from dashboard.money.gateways import GatewayError, GatewayRegistry
from dashboard.settings import Settings
from dashboard import timeline

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
BACKOFF = leases.Backoff(base=dt.timedelta(seconds=30), cap=dt.timedelta(hours=1))  # 30 s, 1, 2, 4 ... min, then hourly
FAILING_AFTER_ATTEMPTS = 5  # from then on staff see the movement as failing
BATCH_SIZE = 100  # movements per lease and per recording transaction


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt."""
    return BACKOFF.after(attempts)


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


def claim_due(session: Session, now: dt.datetime, *, case_id: Optional[str] = None,
              limit: int = BATCH_SIZE) -> list[Claimed]:
    """Lease the next `limit` due movements and commit: one `UPDATE ... WHERE id IN
    (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING ...` that counts the attempt
    and pushes `next_attempt_at` past the lease, then one read of their cases' payment
    and company. Oldest due first."""
    rows = leases.lease_due(session, MoneyMovement, now, lease=LEASE, limit=limit, case_id=case_id,
                            returning=("id", "kind", "provider", "amount_minor", "currency", "idempotency_key",
                                       "case_id"))
    parties = {}
    if rows:
        parties = {r.id: (r.payment_id, r.company_id) for r in session.execute(
            select(Case.id, Case.payment_id, Case.company_id).where(Case.id.in_({r.case_id for r in rows})))}
    session.commit()
    return sorted((Claimed(r.id, r.kind, r.provider, r.amount_minor, r.currency, r.idempotency_key,
                           *parties[r.case_id]) for r in rows), key=lambda c: c.id)


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


Result = Union[str, GatewayError]  # the provider's reference, or why it failed


# Providers as their makers spell them, for the timeline's words (capitalize() made "Paypal").
# The screens' labels (components/format.PROVIDER_LABELS) say the same; the domain cannot import them.
PROVIDER_NAMES = {"stripe": "Stripe", "paypal": "PayPal", "crypto": "Crypto", "coinbase_commerce": "Coinbase Commerce"}


def _succeeded(ctx: Ctx, m: MoneyMovement, case: Case, reference: str) -> None:
    m.status = "succeeded"
    m.provider_reference = reference
    m.completed_at = ctx.now
    m.next_attempt_at = None
    m.last_error = None
    amount = format_minor(m.amount_minor, m.currency)
    if m.kind == MovementKind.MERCHANT_REFUND:
        case.refunded_minor = (case.refunded_minor or 0) + m.amount_minor
        payment = case.payment
        payment.refunded_minor = (payment.refunded_minor or 0) + m.amount_minor
        payment.refunded_at = ctx.now
        provider = PROVIDER_NAMES.get(m.provider, m.provider)
        details = f"{amount} was refunded to the customer through {provider} (ref {reference})."
        action = "refund_issued"
    else:
        details = f"The platform reimbursed the merchant {amount} (ref {reference})."
        action = "merchant_reimbursed"
    timeline.record(ctx, case, action=action, party=Party.SYSTEM, actor=None, details=details,
                    data={"amount": m.amount_minor, "currency": m.currency, "reference": reference})


def _failed(ctx: Ctx, m: MoneyMovement, case: Case, error: GatewayError) -> None:
    m.last_error = str(error)[:2000]
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


def _record(ctx: Ctx, results: dict[int, Result]) -> int:
    """Record the answers in the caller's transaction: the movements, then their cases
    (with the payments), each locked in one statement in id order, so two recorders
    never deadlock. A movement someone else recorded meanwhile (no longer pending) is
    left alone. Returns how many succeeded."""
    session = ctx.session
    movements = list(session.scalars(
        select(MoneyMovement).where(MoneyMovement.id.in_(list(results))).order_by(MoneyMovement.id)
        .with_for_update().execution_options(populate_existing=True)))
    pending = [m for m in movements if m.status == "pending"]
    if not pending:
        return 0
    cases = {c.id: c for c in session.scalars(
        select(Case).where(Case.id.in_({m.case_id for m in pending})).order_by(Case.id)
        .options(selectinload(Case.payment)).with_for_update(of=Case)
        .execution_options(populate_existing=True))}
    succeeded = 0
    for m in pending:
        result = results[m.id]
        if isinstance(result, GatewayError):
            _failed(ctx, m, cases[m.case_id], result)
        else:
            _succeeded(ctx, m, cases[m.case_id], result)
            succeeded += 1
    session.flush()
    return succeeded


def _record_success(ctx: Ctx, movement_id: int, reference: str) -> bool:
    """One answer in its own transaction (committed)."""
    done = _record(ctx, {movement_id: reference})
    ctx.session.commit()
    return bool(done)


def _record_failure(ctx: Ctx, movement_id: int, error: GatewayError) -> None:
    _record(ctx, {movement_id: error})
    ctx.session.commit()


def settle_due(session: Session, gateways: GatewayRegistry, now: dt.datetime, *, settings: Settings | None = None,
               case_id: Optional[str] = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Pay one batch of what is due: lease it (committed), call the providers with no
    transaction open, record every answer in one transaction. Should recording the
    batch fail, each answer is recorded on its own, so one bad row loses none of the
    others (and an answer never recorded is found by its key once the lease runs out).
    Returns {"claimed", "succeeded", "failed"} (failed = this attempt failed)."""
    ctx = Ctx(session=session, now=now, settings=settings or Settings())
    counts = {"claimed": 0, "succeeded": 0, "failed": 0}
    results: dict[int, Result] = {}
    for c in claim_due(session, now, case_id=case_id, limit=limit):
        counts["claimed"] += 1
        try:
            results[c.id] = _call(gateways, c)
        except GatewayError as exc:
            log.warning("money movement %s (%s) failed: %s", c.id, c.key, exc)
            results[c.id] = exc
            counts["failed"] += 1
    if not results:
        return counts
    try:
        counts["succeeded"] = _record(ctx, results)
        session.commit()
    except Exception:  # noqa: BLE001 - record what can be recorded, one by one
        session.rollback()
        log.exception("recording %s money movements together failed; recording them one by one", len(results))
        for movement_id, result in results.items():
            try:
                if isinstance(result, GatewayError):
                    _record_failure(ctx, movement_id, result)
                elif _record_success(ctx, movement_id, result):
                    counts["succeeded"] += 1
            except Exception:  # noqa: BLE001 - left to the lease: the provider finds it by its key
                session.rollback()
                log.exception("recording money movement %s failed", movement_id)
    return counts
