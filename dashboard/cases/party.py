"""What the customer and the merchant do on a case (SPEC §3.2–3.5, §3.9)."""
from __future__ import annotations

from typing import Iterable, Optional

from data.models import Case, User
from dashboard.context import Ctx
from dashboard.eligibility import optional_message, require_message
from dashboard.enums import Action, Outcome, Party, RefundSource, Stage
from dashboard.errors import Forbidden, Invalid
from dashboard.evidence.files import check_attachable
from dashboard.lifecycle import apply, check
from dashboard.money.movements import record_merchant_refund
from dashboard.permissions import load_case
from dashboard.cases.common import mark_merchant_response, require_party


def accept(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None, file_ids: Iterable[str] = ()) -> Case:
    """The merchant concedes: full refund from the merchant's funds; nothing left to appeal."""
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.ACCEPT, party, actor)
    text = optional_message(ctx, message)
    ids = check_attachable(ctx, case, actor, party, file_ids)

    def effect():
        case.outcome = Outcome.CUSTOMER_WON.value
        case.refund = RefundSource.MERCHANT.value
        case.final = True
        case.appeal_due_at = None
        mark_merchant_response(case, party, ctx.now)

    apply(ctx, case, t, actor=actor, event_action="accepted", details=text, file_ids=ids, effect=effect)
    record_merchant_refund(ctx, case, case.amount_minor)
    ctx.session.flush()
    return case


def deny(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> Case:
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.DENY, party, actor)
    text = require_message(ctx, message, what="A message explaining the denial")
    ids = check_attachable(ctx, case, actor, party, file_ids)

    def effect():
        case.outcome = Outcome.MERCHANT_WON.value
        case.refund = RefundSource.NONE.value
        case.appeal_due_at = ctx.now + ctx.days(ctx.settings.appeal_days)
        mark_merchant_response(case, party, ctx.now)

    apply(ctx, case, t, actor=actor, event_action="denied", details=text, file_ids=ids, effect=effect)
    return case


def merchant_request_info(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None,
                          file_ids: Iterable[str] = ()) -> Case:
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    if party != Party.MERCHANT:
        # Staff ask through review.request_info_from, which names the party asked.
        raise Forbidden("action_not_permitted", "Only the merchant can use this request for information.")
    t = check(ctx, case, Action.REQUEST_INFO, party, actor)
    text = optional_message(ctx, message)
    ids = check_attachable(ctx, case, actor, party, file_ids)

    def effect():
        case.merchant_info_requests += 1
        case.info_requested_by_id = actor.id
        mark_merchant_response(case, party, ctx.now)

    apply(ctx, case, t, actor=actor, event_action="requested_more_info",
          details=text or "The merchant asked for more information.", file_ids=ids, effect=effect,
          data={"from": "customer"})
    return case


def reply(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> Case:
    """Answer a request for information; the turn goes back to whoever asked."""
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.REPLY, party, actor)
    text = require_message(ctx, message, what="A reply")
    ids = check_attachable(ctx, case, actor, party, file_ids)
    apply(ctx, case, t, actor=actor, event_action="responded", details=text, file_ids=ids,
          effect=lambda: mark_merchant_response(case, party, ctx.now))
    case.info_requested_by_id = None  # after the reply email has gone to the asker
    ctx.session.flush()
    return case


def withdraw(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str] = None) -> Case:
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.WITHDRAW, party, actor)
    text = optional_message(ctx, message)

    def effect():
        case.outcome = Outcome.WITHDRAWN.value
        case.refund = RefundSource.NONE.value
        case.final = True

    apply(ctx, case, t, actor=actor, event_action="withdrew", details=text, effect=effect)
    return case


def appeal(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str], file_ids: Iterable[str] = ()) -> Case:
    """The case's one appeal: of a merchant's denial (customer) or of a platform decision (either)."""
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.APPEAL, party, actor)
    text = require_message(ctx, message, what="A message explaining the appeal")
    ids = check_attachable(ctx, case, actor, party, file_ids)

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

    apply(ctx, case, t, actor=actor, event_action="appealed", details=text, file_ids=ids, effect=effect,
          data={"by": party.value})
    return case


def add_evidence(ctx: Ctx, *, actor: User, case_id: str, file_ids: Iterable[str], message: Optional[str] = None) -> Case:
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    t = check(ctx, case, Action.ADD_EVIDENCE, party, actor)
    ids = check_attachable(ctx, case, actor, party, file_ids)
    if not ids:
        raise Invalid("files_required", "Choose at least one file to add as evidence.")
    apply(ctx, case, t, actor=actor, event_action="evidence_added", details=optional_message(ctx, message),
          file_ids=ids, notify=False)
    return case


