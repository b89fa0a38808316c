"""The case lifecycle (SPEC §3) as one table of allowed transitions and one function,
`apply`, that performs a transition: it checks the table, moves the stage, derives the
public fields, writes the timeline event and queues the emails, all in the caller's
transaction. Screens, API and jobs all come through here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from data.models import Case, User
from dashboard.context import Ctx
from dashboard.enums import FINAL_STAGES, STAGE_STATUS, Action, Outcome, Party, Stage, Status
from dashboard.errors import Conflict, Forbidden
from dashboard import notifications, timeline

Guard = Callable[[Ctx, Case, Optional[User]], Optional[str]]
"""Returns None when the transition may happen, else the reason it may not."""


def _merchant_may_ask_again(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if case.merchant_info_requests >= 3:
        return "The merchant has already requested information 3 times on this case."
    return None


def _in_time(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    # A deadline passes at its moment, not when the scheduler notices (§3.6, §8): an
    # answer after it is late even if the case has not been escalated or closed yet.
    if case.response_due_at is not None and ctx.now >= case.response_due_at:
        return (f"The response was due by {case.response_due_at:%Y-%m-%d %H:%M} UTC; "
                f"it is too late to act on this request.")
    return None


def _merchant_may_ask_again_in_time(ctx: Ctx, case: Case, actor) -> Optional[str]:
    return _in_time(ctx, case, actor) or _merchant_may_ask_again(ctx, case, actor)


def _overdue(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if case.response_due_at is None or case.response_due_at > ctx.now:
        return "The response is not overdue yet."
    return None


def _appeal_window_open(ctx: Ctx, case: Case) -> Optional[str]:
    if case.final or case.appeal_due_at is None:
        return "This case cannot be appealed: no appeal is left."
    if case.customer_appealed or case.merchant_appealed:
        return "This case has already been appealed once."
    if ctx.now >= case.appeal_due_at:
        return "The appeal window has closed."
    return None


# The window is checked first: a customer has two appeal transitions, and a late
# appeal must be told the window closed, not that it is the wrong kind of appeal.
def _denial_appealable(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if why := _appeal_window_open(ctx, case):
        return why
    if case.decided_by_id is not None or case.outcome != Outcome.MERCHANT_WON:
        return "Only a merchant's denial can be appealed this way."
    return None


def _decision_appealable(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if why := _appeal_window_open(ctx, case):
        return why
    if case.decided_by_id is None:
        return "There is no platform decision to appeal."
    return None


def _other_reviewer(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[str]:
    if actor is not None and actor.id == case.decided_by_id:
        return "The final review must be done by a reviewer other than the one who decided."
    return None


def _appeal_window_due(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if case.final or case.appeal_due_at is None or case.appeal_due_at > ctx.now:
        return "The appeal window is still open."
    return None


def _still_changeable(ctx: Ctx, case: Case, _actor) -> Optional[str]:
    if case.final:
        return "The case is closed for good."
    return None


@dataclass(frozen=True)
class Transition:
    action: Action
    party: Party
    source: Stage
    target: Stage
    guard: Optional[Guard] = None


S = Stage
P = Party
A = Action
OPEN_STAGES = [s for s in Stage if s != Stage.CLOSED]

# The whole rulebook of who may move a case from where to where. Anything not
# listed here is refused. (Non-moving actions such as notes list source == target.)
TRANSITIONS: tuple[Transition, ...] = (
    # §3.2–3.4: the merchant answers an open case.
    Transition(A.ACCEPT, P.MERCHANT, S.AWAITING_MERCHANT, S.CLOSED, _in_time),
    Transition(A.ACCEPT, P.MERCHANT, S.REVIEW_AWAITING_MERCHANT, S.CLOSED, _in_time),
    Transition(A.DENY, P.MERCHANT, S.AWAITING_MERCHANT, S.CLOSED, _in_time),
    Transition(A.REQUEST_INFO, P.MERCHANT, S.AWAITING_MERCHANT, S.AWAITING_CUSTOMER, _merchant_may_ask_again_in_time),
    # Replies hand the turn back to whoever asked. Every answer must come in time.
    Transition(A.REPLY, P.CUSTOMER, S.AWAITING_CUSTOMER, S.AWAITING_MERCHANT, _in_time),
    Transition(A.REPLY, P.CUSTOMER, S.REVIEW_AWAITING_CUSTOMER, S.UNDER_REVIEW, _in_time),
    Transition(A.REPLY, P.CUSTOMER, S.FINAL_AWAITING_CUSTOMER, S.FINAL_REVIEW, _in_time),
    Transition(A.REPLY, P.MERCHANT, S.REVIEW_AWAITING_MERCHANT, S.UNDER_REVIEW, _in_time),
    Transition(A.REPLY, P.MERCHANT, S.FINAL_AWAITING_MERCHANT, S.FINAL_REVIEW, _in_time),
    # §3.5: withdrawing is possible only before the platform is involved.
    Transition(A.WITHDRAW, P.CUSTOMER, S.AWAITING_MERCHANT, S.CLOSED, _in_time),
    Transition(A.WITHDRAW, P.CUSTOMER, S.AWAITING_CUSTOMER, S.CLOSED, _in_time),
    # §3.6: silence escalates to the platform.
    Transition(A.ESCALATE_OVERDUE, P.SYSTEM, S.AWAITING_MERCHANT, S.UNDER_REVIEW, _overdue),
    Transition(A.ESCALATE_OVERDUE, P.SYSTEM, S.AWAITING_CUSTOMER, S.UNDER_REVIEW, _overdue),
    # §3.7: the platform asks a party; silence has a consequence.
    Transition(A.REQUEST_INFO, P.PLATFORM, S.UNDER_REVIEW, S.REVIEW_AWAITING_MERCHANT),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.UNDER_REVIEW, S.REVIEW_AWAITING_CUSTOMER),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.FINAL_REVIEW, S.FINAL_AWAITING_MERCHANT),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.FINAL_REVIEW, S.FINAL_AWAITING_CUSTOMER),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.REVIEW_AWAITING_MERCHANT, S.UNDER_REVIEW, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.FINAL_AWAITING_MERCHANT, S.FINAL_REVIEW, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.REVIEW_AWAITING_CUSTOMER, S.CLOSED, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.FINAL_AWAITING_CUSTOMER, S.CLOSED, _overdue),
    # §3.8–3.9: decisions, appeals and the final review.
    Transition(A.DECIDE, P.PLATFORM, S.UNDER_REVIEW, S.CLOSED),
    Transition(A.APPEAL, P.CUSTOMER, S.CLOSED, S.UNDER_REVIEW, _denial_appealable),
    Transition(A.APPEAL, P.CUSTOMER, S.CLOSED, S.FINAL_REVIEW, _decision_appealable),
    Transition(A.APPEAL, P.MERCHANT, S.CLOSED, S.FINAL_REVIEW, _decision_appealable),
    Transition(A.FINAL_DECIDE, P.PLATFORM, S.FINAL_REVIEW, S.CLOSED, _other_reviewer),
    Transition(A.CLOSE_APPEAL_WINDOW, P.SYSTEM, S.CLOSED, S.CLOSED, _appeal_window_due),
    # §3.10: a refund made elsewhere settles the case.
    *(Transition(A.REPORT_REFUNDED, P.SYSTEM, s, S.CLOSED) for s in OPEN_STAGES),
    Transition(A.REPORT_REFUNDED, P.SYSTEM, S.CLOSED, S.CLOSED, _still_changeable),
    # Actions that do not move the case.
    *(Transition(A.ADD_EVIDENCE, p, s, s) for p in (P.CUSTOMER, P.MERCHANT, P.PLATFORM) for s in OPEN_STAGES),
    *(Transition(A.CLAIM, P.PLATFORM, s, s) for s in OPEN_STAGES),
    *(Transition(A.ASSIGN, P.PLATFORM, s, s) for s in OPEN_STAGES),
    *(Transition(A.NOTE, P.PLATFORM, s, s) for s in Stage),
)


_BY_START: dict[tuple[Action, Party, Stage], list[Transition]] = {}
for _t in TRANSITIONS:
    _BY_START.setdefault((_t.action, _t.party, _t.source), []).append(_t)
_PARTY_ACTIONS = {(t.action, t.party) for t in TRANSITIONS}


def candidates(action: Action, party: Party, stage: Stage) -> list[Transition]:
    """The transitions `party` may take with `action` from `stage`, in table order (looked
    up, not scanned: available_actions asks this for every action of every listed case)."""
    return _BY_START.get((action, party, stage), [])


def allowed(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User] = None,
            target: Optional[Stage] = None) -> Optional[Transition]:
    """The transition that would apply now, or None."""
    for t in candidates(action, party, Stage(case.stage)):
        if target is not None and t.target != target:
            continue
        if t.guard is None or t.guard(ctx, case, actor) is None:
            return t
    return None


def check(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User] = None,
          target: Optional[Stage] = None) -> Transition:
    """The transition to apply, or the error explaining why not.

    A party that can never take this action gets 403; a party that could, but not in
    the case's current state, gets 409 with the case's state so the caller can refresh.
    """
    if (action, party) not in _PARTY_ACTIONS:
        raise Forbidden("action_not_permitted", f"A {party.value} cannot {action.value.replace('_', ' ')} a case.")
    reasons = []
    for t in candidates(action, party, Stage(case.stage)):
        if target is not None and t.target != target:
            continue
        why = t.guard(ctx, case, actor) if t.guard else None
        if why is None:
            return t
        reasons.append(why)
    message = reasons[0] if reasons else (
        f"This case is {case.status.replace('_', ' ')}; a {party.value} cannot "
        f"{action.value.replace('_', ' ')} it now."
    )
    raise Conflict("invalid_state", message, detail={"status": case.status})


def set_stage(ctx: Ctx, case: Case, stage: Stage) -> None:
    """Move to `stage` and derive the public fields from it (the only writer of them)."""
    was_closed = case.stage == Stage.CLOSED
    case.stage = stage.value
    status, escalated = STAGE_STATUS[stage]
    case.status = status.value
    if escalated is not None:
        case.escalated = escalated
    if status in (Status.AWAITING_MERCHANT, Status.AWAITING_CUSTOMER):
        case.response_due_at = ctx.now + ctx.days(ctx.settings.response_days)
    else:
        case.response_due_at = None
    # closed_at is when the case last closed: an appeal reopens it, the final decision closes it again.
    if stage == Stage.CLOSED and not was_closed:
        case.closed_at = ctx.now
    elif stage != Stage.CLOSED:
        case.closed_at = None
    if stage in FINAL_STAGES:
        case.final_review = True


def apply(
    ctx: Ctx,
    case: Case,
    transition: Transition,
    *,
    actor: Optional[User],
    event_action: str,
    details: Optional[str] = None,
    data: Optional[dict] = None,
    file_ids: Iterable[str] = (),
    effect: Optional[Callable[[], None]] = None,
    staff_only: bool = False,
    notify: bool = True,
):
    """Perform `transition` (already checked): stage, effect, event, emails.

    `effect` runs after the stage moves and before the event and emails are written, so
    those describe the case as it now is (its outcome, refund, deadlines).
    """
    previous_status = case.status
    previous_outcome = case.outcome
    if transition.target != transition.source or transition.target == Stage.CLOSED:
        set_stage(ctx, case, transition.target)
    if effect is not None:
        effect()
    case.updated_at = ctx.now
    event = timeline.record(
        ctx, case, action=event_action, party=transition.party, actor=actor, details=details,
        data=data, file_ids=file_ids, staff_only=staff_only,
    )
    if notify and not staff_only:
        notifications.queue_for_event(
            ctx, case, event, action=transition.action, party=transition.party,
            status_changed=(case.status != previous_status or case.outcome != previous_outcome),
        )
    ctx.session.flush()
    return event
