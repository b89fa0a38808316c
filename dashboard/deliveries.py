"""Staff putting a delivery that gave up back into the scheduler's hands: a failed email
or a failed money movement. Both are staff-only, lock the row, and refuse anything that
has not failed (the scheduler is still working on it)."""
from __future__ import annotations

from sqlalchemy import select

from data.models import MoneyMovement, OutboxEmail, User
from dashboard import timeline
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.errors import Conflict, Forbidden, NotFound
from dashboard.money.amounts import format_minor
from dashboard.permissions import is_staff


def _failed_row(ctx: Ctx, actor: User, model, row_id: int, what: str):
    if not is_staff(actor):
        raise Forbidden("staff_only", f"Only the platform's reviewers and managers can retry {what}s.")
    row = ctx.session.scalar(select(model).where(model.id == row_id).with_for_update())
    if row is None:
        raise NotFound(what)
    if row.status != "failed":
        raise Conflict("not_failed", f"This {what} has not failed; the scheduler is already handling it.")
    row.status = "pending"
    row.next_attempt_at = ctx.now
    return row


def retry_failed_movement(ctx: Ctx, *, actor: User, movement_id: int) -> MoneyMovement:
    """The idempotency key is unchanged, so the retry can still never pay twice."""
    movement = _failed_row(ctx, actor, MoneyMovement, movement_id, "money movement")
    timeline.record(ctx, movement.case, action="money_retry_requested", party=Party.PLATFORM, actor=actor,
                    staff_only=True,
                    details=f"{actor.name} asked to retry moving {format_minor(movement.amount_minor, movement.currency)} "
                            f"(last error: {movement.last_error or 'none'}).")
    ctx.session.flush()
    return movement


def retry_failed_email(ctx: Ctx, *, actor: User, email_id: int) -> OutboxEmail:
    """The email gets a fresh set of attempts."""
    email = _failed_row(ctx, actor, OutboxEmail, email_id, "email")
    email.attempts = 0
    ctx.session.flush()
    return email
