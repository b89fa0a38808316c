"""Opening a case (SPEC §2, §3.1)."""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy.exc import IntegrityError

from data.models import Case, Payment, User
from dashboard.context import Ctx
from dashboard.eligibility import require_eligible, validate_claim
from dashboard.enums import Party, Stage
from dashboard.errors import Conflict, NotFound
from dashboard.evidence.files import check_attachable
from dashboard.lifecycle import set_stage
from dashboard import auto_refund, notifications, timeline
from dashboard.permissions import load_payment
from dashboard.cases.result import ActionResult
from dashboard.webhooks import events as webhook_events


def open_case(ctx: Ctx, *, actor: User, payment_id: str, reason: Optional[str], message: Optional[str],
              file_ids: Iterable[str] = ()) -> ActionResult:
    try:
        payment: Payment = load_payment(ctx, actor, payment_id, lock=True)
    except NotFound:
        raise NotFound("payment", code="payment_not_found")
    require_eligible(ctx, actor, payment)
    parsed_reason, text = validate_claim(ctx, reason, message)
    ids = check_attachable(ctx, None, actor, Party.CUSTOMER, file_ids)
    case = Case(
        payment_id=payment.id, company_id=payment.company_id, customer_id=actor.id,
        reason=parsed_reason.value, message=text, amount_minor=payment.amount_minor, currency=payment.currency,
        created_at=ctx.now, updated_at=ctx.now,
    )
    set_stage(ctx, case, Stage.AWAITING_MERCHANT)
    try:
        # The unique payment_id is the real guard: of two simultaneous opens, one wins.
        with ctx.session.begin_nested():
            ctx.session.add(case)
            ctx.session.flush()
    except IntegrityError:
        raise Conflict("case_already_exists",
                       "A case has already been opened for this payment; only one case per payment is allowed.")
    case.payment = payment
    event = timeline.record(ctx, case, action="created", party=Party.CUSTOMER, actor=actor, details=text,
                            data={"reason": parsed_reason.value}, file_ids=ids)
    emails = notifications.queue_for_event(ctx, case, event, action="open", party=Party.CUSTOMER,
                                           status_changed=True)
    webhook_events.record_case_change(ctx, case, "open", event)  # `created`, before any auto-refund's `updated`
    ctx.session.flush()
    opened = ActionResult(case, emails=tuple(emails))
    # A claim under the company's auto-refund threshold is accepted in the same transaction.
    accepted = auto_refund.accept_under_threshold(ctx, case)
    if accepted is None:
        return opened
    return ActionResult(case, movements=accepted.movements, emails=opened.emails + accepted.emails)
