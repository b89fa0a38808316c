"""What the platform's staff do (SPEC §3.7–3.9): claim, assign, notes, requests, decisions.
Who may (the assignee, not the first decider, managers to assign) is the transition
table's guards; each action returns what it did (`ActionResult`)."""
from __future__ import annotations

from typing import Iterable, Optional

from data.models import Case, MoneyMovement, User
from dashboard.context import Ctx
from dashboard.eligibility import require_message
from dashboard.enums import STAFF_ROLES, Action, Decision, FinalDecision, Outcome, Party, RefundSource, Role, Stage
from dashboard.errors import Forbidden, Invalid
from dashboard.evidence.files import check_attachable
from dashboard.lifecycle import apply, check
from dashboard.money.amounts import format_minor
from dashboard.money.movements import issue_credit, record_merchant_refund, record_platform_reimbursement
from dashboard.permissions import is_staff, load_case
from dashboard.cases.common import parse_party
from dashboard.cases.consequences import remedy_needed
from dashboard.cases.result import ActionResult, result
from dashboard.cases.wording import required_message

REVIEW_TARGETS = {
    (Stage.UNDER_REVIEW, Party.CUSTOMER): Stage.REVIEW_AWAITING_CUSTOMER,
    (Stage.UNDER_REVIEW, Party.MERCHANT): Stage.REVIEW_AWAITING_MERCHANT,
    (Stage.FINAL_REVIEW, Party.CUSTOMER): Stage.FINAL_AWAITING_CUSTOMER,
    (Stage.FINAL_REVIEW, Party.MERCHANT): Stage.FINAL_AWAITING_MERCHANT,
}


def _staff_case(ctx: Ctx, actor: User, case_id: str) -> Case:
    case = load_case(ctx, actor, case_id, lock=True)
    if not is_staff(actor):
        raise Forbidden("staff_only", "Only the platform's reviewers and managers can do this.")
    return case


def claim(ctx: Ctx, *, actor: User, case_id: str) -> ActionResult:
    """Take a case. Of two reviewers claiming at once, the second gets 409; claiming your
    own case again changes nothing."""
    case = _staff_case(ctx, actor, case_id)
    t = check(ctx, case, Action.CLAIM, Party.PLATFORM, actor)
    if case.assignee_id == actor.id:
        return result(case)
    step = apply(ctx, case, t, actor=actor, event_action="assigned", details=f"{actor.name} claimed the case.",
                 data={"assignee_id": actor.id}, staff_only=True,
                 effect=lambda: setattr(case, "assignee_id", actor.id))
    return result(case, step)


def assign(ctx: Ctx, *, actor: User, case_id: str, reviewer_id: Optional[str]) -> ActionResult:
    """Managers hand work to any reviewer (or back to the queue with None); a reviewer may
    only assign to themselves, which is a claim."""
    case = _staff_case(ctx, actor, case_id)
    if actor.role != Role.MANAGER and reviewer_id == actor.id:
        return claim(ctx, actor=actor, case_id=case_id)
    t = check(ctx, case, Action.ASSIGN, Party.PLATFORM, actor)  # managers only (the table's actor guard)
    reviewer = None
    if reviewer_id is not None:
        reviewer = ctx.session.get(User, reviewer_id)
        if reviewer is None or reviewer.role not in STAFF_ROLES or not reviewer.is_active:
            raise Invalid("invalid_reviewer", "Choose an active reviewer or manager.")
        if case.final_review and reviewer.id == case.decided_by_id:
            raise Invalid("same_reviewer", "The reviewer who decided the case cannot do its final review. "
                                           "Choose another reviewer.")
    details = f"{actor.name} assigned the case to {reviewer.name}." if reviewer else f"{actor.name} unassigned the case."
    step = apply(ctx, case, t, actor=actor, event_action="assigned", details=details, staff_only=True,
                 data={"assignee_id": reviewer_id}, effect=lambda: setattr(case, "assignee_id", reviewer_id))
    return result(case, step)


def note(ctx: Ctx, *, actor: User, case_id: str, message: Optional[str]) -> ActionResult:
    """An internal note: staff only, never shown to a party, exported or emailed."""
    case = _staff_case(ctx, actor, case_id)
    t = check(ctx, case, Action.NOTE, Party.PLATFORM, actor)
    text = require_message(ctx, message, what=required_message(Action.NOTE))
    return result(case, apply(ctx, case, t, actor=actor, event_action="note", details=text, staff_only=True))


def request_info_from(ctx: Ctx, *, actor: User, case_id: str, party: Optional[str], message: Optional[str],
                      file_ids: Iterable[str] = ()) -> ActionResult:
    case = _staff_case(ctx, actor, case_id)
    asked = parse_party(party)
    target = REVIEW_TARGETS.get((Stage(case.stage), asked))
    t = check(ctx, case, Action.REQUEST_INFO, Party.PLATFORM, actor, target=target)
    text = require_message(ctx, message, what=required_message(Action.REQUEST_INFO, Party.PLATFORM))
    ids = check_attachable(ctx, case, actor, Party.PLATFORM, file_ids)

    def effect():
        case.info_requested_by_id = actor.id
        case.assignee_id = actor.id

    step = apply(ctx, case, t, actor=actor, event_action="requested_more_info", details=text, file_ids=ids,
                 effect=effect, data={"from": asked.value})
    return result(case, step)


def _amount(value, case: Case, what: str) -> int:
    # Minor units are integers: no bools, floats or numeric strings slip through as money.
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("invalid_amount", f"The {what} amount must be a whole number of minor units (cents).")
    amount = value
    if amount <= 0:
        raise Invalid("invalid_amount", f"The {what} amount must be more than zero.")
    if amount > case.amount_minor:
        raise Invalid("amount_exceeds_payment",
                      f"The {what} cannot be more than was paid ({format_minor(case.amount_minor, case.currency)}).")
    return amount


def decide(ctx: Ctx, *, actor: User, case_id: str, outcome: Optional[str], reason: Optional[str],
           amount: Optional[int] = None) -> ActionResult:
    """First-instance decision: refund (on the merchant's behalf), credit, or merchant wins."""
    case = _staff_case(ctx, actor, case_id)
    t = check(ctx, case, Action.DECIDE, Party.PLATFORM, actor)
    try:
        decision = Decision(outcome)
    except ValueError:
        raise Invalid("invalid_outcome",
                      "Choose an outcome: refund the customer, credit the customer, or the merchant wins.")
    text = require_message(ctx, reason, what=required_message(Action.DECIDE))
    value = None
    if decision in (Decision.REFUND, Decision.CREDIT):
        value = _amount(amount if amount is not None else case.amount_minor, case, decision.value)
    already_appealed = case.customer_appealed or case.merchant_appealed

    def effect():
        case.decision = decision.value
        case.decision_amount_minor = value
        case.decision_reason = text
        case.decided_by_id = actor.id
        case.decided_at = ctx.now
        case.assignee_id = actor.id
        if decision == Decision.MERCHANT_WINS:
            case.outcome, case.refund = Outcome.MERCHANT_WON.value, RefundSource.NONE.value
        elif decision == Decision.REFUND:
            case.outcome, case.refund = Outcome.CUSTOMER_WON.value, RefundSource.MERCHANT.value
        else:
            case.outcome, case.refund = Outcome.CUSTOMER_WON.value, RefundSource.NONE.value
        if already_appealed:
            case.final, case.appeal_due_at = True, None  # §3.4: the decision on the one appeal is final
        else:
            case.appeal_due_at = ctx.now + ctx.days(ctx.settings.appeal_days)

    summary = {Decision.REFUND: f"Refund of {format_minor(value or 0, case.currency)} to the customer",
               Decision.CREDIT: f"{format_minor(value or 0, case.currency)} in platform credit to the customer",
               Decision.MERCHANT_WINS: "The merchant wins"}[decision]
    step = apply(ctx, case, t, actor=actor, event_action="decided", details=f"{summary}. {text}", effect=effect,
                 data={"decision": decision.value, "amount": value, "final": already_appealed})
    return result(case, step, movements=[_move_money_for_customer_win(ctx, case, decision, value)])


def _move_money_for_customer_win(ctx: Ctx, case: Case, remedy: Decision,
                                 amount: Optional[int]) -> Optional[MoneyMovement]:
    movement = None
    if remedy == Decision.REFUND:
        movement = record_merchant_refund(ctx, case, amount)
    elif remedy == Decision.CREDIT:
        movement = issue_credit(ctx, case, amount)
    ctx.session.flush()
    return movement


def settle_final_merchant_win(ctx: Ctx, case: Case) -> Optional[MoneyMovement]:
    """The case ends in the merchant's favour after a customer win: the customer keeps what
    they got and the platform reimburses the merchant for any refund it paid (§6). Returns
    the reimbursement recorded, if any."""
    movement = None
    if case.outcome == Outcome.CUSTOMER_WON.value and case.refund == RefundSource.MERCHANT.value:
        case.refund = RefundSource.PLATFORM.value
        movement = record_platform_reimbursement(ctx, case, case.decision_amount_minor or case.amount_minor)
    case.outcome = Outcome.MERCHANT_WON.value
    return movement


def final_decide(ctx: Ctx, *, actor: User, case_id: str, decision: Optional[str], reason: Optional[str],
                 remedy: Optional[str] = None, amount: Optional[int] = None) -> ActionResult:
    """Final review of an appealed platform decision, by a different reviewer."""
    case = _staff_case(ctx, actor, case_id)
    t = check(ctx, case, Action.FINAL_DECIDE, Party.PLATFORM, actor)
    try:
        verdict = FinalDecision(decision)
    except ValueError:
        raise Invalid("invalid_decision", "Choose whether to uphold or overturn the decision.")
    text = require_message(ctx, reason, what=required_message(Action.FINAL_DECIDE))
    if remedy is not None and remedy not in (Decision.REFUND.value, Decision.CREDIT.value):
        # Refused whatever the case: a typo must not be silently dropped (it was, when
        # overturning a customer win, where no remedy applies).
        raise Invalid("invalid_remedy", "Choose a remedy for the customer: a refund or platform credit.")
    overturning_merchant_win = remedy_needed(case, verdict.value)
    remedy_kind, value = None, None
    if overturning_merchant_win:
        if remedy not in (Decision.REFUND.value, Decision.CREDIT.value):
            raise Invalid("remedy_required", "Overturning a merchant win needs a remedy: choose a refund or "
                                             "platform credit for the customer.")
        remedy_kind = Decision(remedy)
        value = _amount(amount if amount is not None else case.amount_minor, case, remedy_kind.value)
    moved: list[Optional[MoneyMovement]] = []

    def effect():
        case.final_decision = verdict.value
        case.final_decided_by_id = actor.id
        case.final_decided_at = ctx.now
        case.assignee_id = actor.id
        case.final, case.appeal_due_at = True, None
        if verdict == FinalDecision.UPHOLD:
            return
        if overturning_merchant_win:
            case.outcome = Outcome.CUSTOMER_WON.value
            case.refund = (RefundSource.MERCHANT if remedy_kind == Decision.REFUND else RefundSource.NONE).value
        else:
            moved.append(settle_final_merchant_win(ctx, case))

    label = "upheld" if verdict == FinalDecision.UPHOLD else "overturned"
    step = apply(ctx, case, t, actor=actor, event_action="final_decision",
                 details=f"The appeal was reviewed and the decision {label}. {text}", effect=effect,
                 data={"decision": verdict.value, "remedy": remedy_kind.value if remedy_kind else None,
                       "amount": value})
    if overturning_merchant_win:
        moved.append(_move_money_for_customer_win(ctx, case, remedy_kind, value))
    return result(case, step, movements=moved)
