"""What the customer and the merchant do on a case (SPEC §3.2–3.5, §3.9). Each action
opens with `open_party_action` (case, side, table, message, files) and returns what it
did (`ActionResult`)."""
from __future__ import annotations

from typing import Iterable, Optional

from data.models import User
from dashboard.context import Ctx
from dashboard.enums import Action, Outcome, Party, RefundSource, Stage
from dashboard.lifecycle import apply
from dashboard.money.movements import record_merchant_refund
from dashboard.cases.common import mark_merchant_response, open_party_action
from dashboard.cases.result import ActionResult, result
from dashboard.cases.wording import required_message


def accept(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None,
           file_ids: Iterable[str] = ()) -> ActionResult:
    """The merchant concedes: full refund from the merchant's funds; nothing left to appeal."""
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.ACCEPT, message=message,
                            file_ids=file_ids)
    case = act.case

    def effect():
        case.outcome = Outcome.CUSTOMER_WON.value
        case.refund = RefundSource.MERCHANT.value
        case.final = True
        case.appeal_due_at = None
        mark_merchant_response(case, act.party, ctx.now)

    step = apply(ctx, case, act.transition, actor=actor, event_action="accepted", details=act.text,
                 file_ids=act.file_ids, effect=effect)
    refund = record_merchant_refund(ctx, case, case.amount_minor)
    ctx.session.flush()
    return result(case, step, movements=[refund])


def deny(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> ActionResult:
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.DENY, message=message,
                            file_ids=file_ids, required=required_message(Action.DENY))
    case = act.case

    def effect():
        case.outcome = Outcome.MERCHANT_WON.value
        case.refund = RefundSource.NONE.value
        case.appeal_due_at = ctx.now + ctx.days(ctx.settings.appeal_days)
        mark_merchant_response(case, act.party, ctx.now)

    step = apply(ctx, case, act.transition, actor=actor, event_action="denied", details=act.text,
                 file_ids=act.file_ids, effect=effect)
    return result(case, step)


def merchant_request_info(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None,
                          file_ids: Iterable[str] = ()) -> ActionResult:
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.REQUEST_INFO, message=message,
                            file_ids=file_ids, only=Party.MERCHANT)
    case = act.case

    def effect():
        case.merchant_info_requests += 1
        case.info_requested_by_id = actor.id
        mark_merchant_response(case, act.party, ctx.now)

    step = apply(ctx, case, act.transition, actor=actor, event_action="requested_more_info",
                 details=act.text or "The merchant asked for more information.", file_ids=act.file_ids,
                 effect=effect, data={"from": "customer"})
    return result(case, step)


def reply(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> ActionResult:
    """Answer a request for information; the turn goes back to whoever asked."""
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.REPLY, message=message,
                            file_ids=file_ids, required=required_message(Action.REPLY))
    case = act.case
    step = apply(ctx, case, act.transition, actor=actor, event_action="responded", details=act.text,
                 file_ids=act.file_ids, effect=lambda: mark_merchant_response(case, act.party, ctx.now))
    case.info_requested_by_id = None  # after the reply email has gone to the asker
    ctx.session.flush()
    return result(case, step)


def withdraw(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None) -> ActionResult:
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.WITHDRAW, message=message)
    case = act.case

    def effect():
        case.outcome = Outcome.WITHDRAWN.value
        case.refund = RefundSource.NONE.value
        case.final = True

    step = apply(ctx, case, act.transition, actor=actor, event_action="withdrew", details=act.text, effect=effect)
    return result(case, step)


def appeal(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> ActionResult:
    """The case's one appeal: of a merchant's denial (customer) or of a platform decision (either)."""
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.APPEAL, message=message,
                            file_ids=file_ids, required=required_message(Action.APPEAL))
    case, party, t = act.case, act.party, act.transition

    def effect():
        if party == Party.CUSTOMER:
            case.customer_appealed = True
        else:
            case.merchant_appealed = True
        case.appealed_at = ctx.now
        case.appeal_due_at = None
        if case.escalated_at is None:
            case.escalated_at = ctx.now
        # Whoever decided first must not do the final review; leave the queue open.
        if t.target == Stage.FINAL_REVIEW:
            case.assignee_id = None

    step = apply(ctx, case, t, actor=actor, event_action="appealed", details=act.text, file_ids=act.file_ids,
                 effect=effect, data={"by": party.value})
    return result(case, step)


def add_evidence(ctx: Ctx, *, actor: User, case_id: str, file_ids: Iterable[str],
                 message: Optional[str] = None) -> ActionResult:
    act = open_party_action(ctx, actor=actor, case_id=case_id, action=Action.ADD_EVIDENCE, message=message,
                            file_ids=file_ids, evidence=True)
    step = apply(ctx, act.case, act.transition, actor=actor, event_action="evidence_added", details=act.text,
                 file_ids=act.file_ids, notify=False)
    return result(act.case, step)
