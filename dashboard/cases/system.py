"""What happens on its own: missed deadlines, closing appeal windows, refunds made
elsewhere (SPEC §3.6, §3.7, §3.10, §3.11). Jobs and the integration API call these.

Each deadline transition comes in two forms: `escalate_overdue(ctx, case_id)` locks
the case itself; `escalate_locked(ctx, case)` acts on a case this transaction already
holds — the sweeps lock a whole batch with `claim_due` in one statement, then run the
`*_locked` form on each. Both re-check the lifecycle table under the lock, so either
is safe to run twice, late, or in several processes at once.
"""
from __future__ import annotations

import datetime as dt
from typing import Collection, Iterable, Optional

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from data.models import Case, Payment
from dashboard.context import Ctx
from dashboard.enums import Action, Outcome, Party, RefundSource, Stage
from dashboard.lifecycle import allowed, apply
from dashboard.timeline import deadline_sentence
from dashboard.cases.review import settle_final_merchant_win


def _lock(ctx: Ctx, case_id: str) -> Optional[Case]:
    # populate_existing: the locked read overwrites any stale copy in the session.
    return ctx.session.scalar(select(Case).where(Case.id == case_id).with_for_update()
                              .execution_options(populate_existing=True))


def escalate_overdue(ctx: Ctx, case_id: str) -> Optional[Case]:
    """§3.6: nobody answered by the deadline, so the platform takes over. Returns the case
    if it was escalated now, None if it no longer needed it (safe to run twice)."""
    case = _lock(ctx, case_id)
    return None if case is None else escalate_locked(ctx, case)


def escalate_locked(ctx: Ctx, case: Case) -> Optional[Case]:
    """`escalate_overdue` on a case this transaction has locked (`claim_due`)."""
    t = allowed(ctx, case, Action.ESCALATE_OVERDUE, Party.SYSTEM)
    if t is None:
        return None
    silent = "merchant" if case.stage == Stage.AWAITING_MERCHANT else "customer"
    due = case.response_due_at

    def effect():
        case.escalated_at = ctx.now

    # The deadline is kept as data so a screen can word the event in its viewer's zone;
    # the stored text (the API's) states it in UTC.
    data = {"did_not_respond": silent, "due_at": due.isoformat()}
    apply(ctx, case, t, actor=None, event_action="escalated", effect=effect,
          details=deadline_sentence("escalated", data), data=data)
    return case


def expire_review_request(ctx: Ctx, case_id: str) -> Optional[Case]:
    """§3.7: a party the platform asked did not answer in time."""
    case = _lock(ctx, case_id)
    return None if case is None else expire_review_request_locked(ctx, case)


def expire_review_request_locked(ctx: Ctx, case: Case) -> Optional[Case]:
    """`expire_review_request` on a case this transaction has locked (`claim_due`)."""
    t = allowed(ctx, case, Action.EXPIRE_REVIEW_REQUEST, Party.SYSTEM)
    if t is None:
        return None
    due = case.response_due_at
    if t.target == Stage.CLOSED:
        def effect():
            if case.final_review:
                settle_final_merchant_win(ctx, case)
            else:
                case.outcome, case.refund = Outcome.MERCHANT_WON.value, RefundSource.NONE.value
            case.final, case.appeal_due_at = True, None
            case.info_requested_by_id = None
    else:
        def effect():
            case.info_requested_by_id = None

    data = {"did_not_respond": "customer" if t.target == Stage.CLOSED else "merchant", "due_at": due.isoformat()}
    apply(ctx, case, t, actor=None, event_action="no_response", details=deadline_sentence("no_response", data),
          effect=effect, data=data)
    return case


def close_appeal_window(ctx: Ctx, case_id: str) -> Optional[Case]:
    """§3.11: the appeal window passed unused; the case is closed for good."""
    case = _lock(ctx, case_id)
    return None if case is None else close_appeal_window_locked(ctx, case)


def close_appeal_window_locked(ctx: Ctx, case: Case) -> Optional[Case]:
    """`close_appeal_window` on a case this transaction has locked (`claim_due`)."""
    t = allowed(ctx, case, Action.CLOSE_APPEAL_WINDOW, Party.SYSTEM)
    if t is None:
        return None
    data = {"appeal_due_at": case.appeal_due_at.isoformat()} if case.appeal_due_at else None
    apply(ctx, case, t, actor=None, event_action="appeal_window_closed",
          details=deadline_sentence("appeal_window_closed", data)
          or "The appeal window passed without an appeal; the outcome is final.",
          data=data, effect=lambda: setattr(case, "final", True))
    return case


def report_refunded(ctx: Ctx, *, payment: Payment, note: Optional[str] = None) -> Optional[Case]:
    """§3.10: the payment system refunded the payment outside the Resolution Center."""
    if payment.refunded_externally:
        return None  # reported before: reporting twice changes nothing
    payment.refunded_externally = True
    payment.refunded_at = payment.refunded_at or ctx.now
    payment.refunded_minor = max(payment.refunded_minor or 0, payment.amount_minor)
    case = ctx.session.scalar(select(Case).where(Case.payment_id == payment.id).with_for_update()
                              .execution_options(populate_existing=True))
    if case is None:
        ctx.session.flush()
        return None
    t = allowed(ctx, case, Action.REPORT_REFUNDED, Party.SYSTEM)
    if t is None:
        ctx.session.flush()
        return case  # closed for good already: nothing can change it

    was_open = case.stage != Stage.CLOSED

    def effect():
        if was_open:
            case.outcome, case.refund = Outcome.CUSTOMER_WON.value, RefundSource.MERCHANT.value
        case.final, case.appeal_due_at = True, None

    details = "The payment was refunded outside the Resolution Center"
    details += ", which settles the case in the customer's favour." if was_open else "; the case can no longer be appealed."
    if note:
        details += f" {note}"
    apply(ctx, case, t, actor=None, event_action="refunded_elsewhere", details=details, effect=effect)
    return case


def _due(ctx: Ctx, action: Action, columns) -> tuple:
    """The statement of what is due for `action` as of `ctx.now`, and its deadline column."""
    if action == Action.ESCALATE_OVERDUE:
        stages, column = (Stage.AWAITING_MERCHANT, Stage.AWAITING_CUSTOMER), Case.response_due_at
    elif action == Action.EXPIRE_REVIEW_REQUEST:
        stages = (Stage.REVIEW_AWAITING_MERCHANT, Stage.REVIEW_AWAITING_CUSTOMER,
                  Stage.FINAL_AWAITING_MERCHANT, Stage.FINAL_AWAITING_CUSTOMER)
        column = Case.response_due_at
    elif action == Action.CLOSE_APPEAL_WINDOW:
        stages, column = (Stage.CLOSED,), Case.appeal_due_at
    else:  # pragma: no cover - programming error
        raise ValueError(action)
    stmt = select(*columns).where(Case.stage.in_([s.value for s in stages]), column <= ctx.now, column.is_not(None))
    if action == Action.CLOSE_APPEAL_WINDOW:
        stmt = stmt.where(Case.final.is_(False))
    return stmt, column


def due_case_ids(ctx: Ctx, action: Action, *, limit: int = 500, skip_locked: bool = False,
                 exclude: Collection[str] = ()) -> list[str]:
    """Cases a job should look at now, oldest deadline first (ties by id), leaving out
    `exclude`. The caller re-checks each under its row lock (the functions above do).

    `skip_locked=True` locks the returned rows `FOR UPDATE SKIP LOCKED` until the
    caller's transaction ends, leaving out cases another transaction holds right now.
    SQLite has no row locks (and serialises writers anyway); there it is a plain query.
    """
    stmt, column = _due(ctx, action, (Case.id,))
    if exclude:
        stmt = stmt.where(Case.id.not_in(list(exclude)))
    stmt = stmt.order_by(column, Case.id).limit(limit)
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True, of=Case)
    return list(ctx.session.scalars(stmt))


def claim_due(ctx: Ctx, action: Action, *, limit: int, exclude: Collection[str] = ()) -> list[Case]:
    """Lock and load the next `limit` cases due for `action`, oldest deadline first, in
    one statement: `SELECT ... FOR UPDATE OF cases SKIP LOCKED LIMIT n` with the company
    and customer the emails need. On PostgreSQL several schedulers each get a disjoint
    batch without waiting on one another; the rows stay locked until the caller's
    transaction ends, so pass them to the `*_locked` functions in that transaction.
    SQLite has no row locks; there one scheduler holds the file (`jobs.lock`)."""
    stmt, column = _due(ctx, action, (Case,))
    if exclude:
        stmt = stmt.where(Case.id.not_in(list(exclude)))
    stmt = (stmt.options(joinedload(Case.company), joinedload(Case.customer))
            .order_by(column, Case.id).limit(limit)
            .with_for_update(skip_locked=True, of=Case)
            .execution_options(populate_existing=True))
    return list(ctx.session.scalars(stmt))


def due_exists(now: dt.datetime, action: Action):
    """An EXISTS of the cases due for `action` as of `now`: the claim's own condition, for a
    probe that asks several jobs at once (jobs.probe)."""
    return exists(_due(Ctx(None, now), action, (Case.id,))[0])


def any_due(ctx: Ctx, actions: Iterable[Action]) -> bool:
    """Whether anything is due for any of `actions`, in one statement (an idle sweep's
    only statement)."""
    probes = [exists(_due(ctx, action, (Case.id,))[0]) for action in actions]
    return bool(ctx.session.scalar(select(or_(*probes))))
