"""The case lifecycle (SPEC §3) as one table of allowed transitions and one function,
`apply`, that performs a transition: it checks the table, moves the stage, derives the
public fields, writes the timeline event and queues the emails, all in the caller's
transaction. Screens, API and jobs all come through here.

Every rule about who may act when is a row or a row's guard: deadlines, the one
appeal, the merchant's three questions, and for staff the assignment (a case claimed by
another reviewer is theirs), the same-reviewer rule (the first decider neither claims
nor makes the final decision) and manager-only assigning (an actor guard, asked before
the case's state). A guard answers with a `Refusal`, which `check` raises for the API
and screens, and which `cases.available.unavailable_reasons` shows to a person.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Optional

from data.models import Case, CaseEvent, OutboxEmail, User
from dashboard.context import Ctx
from dashboard.enums import FINAL_STAGES, STAGE_STATUS, Action, Outcome, Party, RefundSource, Role, Stage, Status
from dashboard.errors import Conflict, DomainError, Forbidden
from dashboard import notifications, timeline
from dashboard.notifications import staff as staff_notifications
from dashboard.webhooks import events as webhook_events

Guard = Callable[[Ctx, Case, Optional[User]], Optional["Refusal"]]
"""Returns None when the transition may happen, else the Refusal saying why not."""


@dataclass(frozen=True)
class Refusal:
    """Why an action cannot be taken now: a stable `code`, a sentence for a person, and
    the moment the sentence is about (`at`: a deadline that passed), kept as data so a
    screen can show it in the viewer's time zone.

    `status` is what the API answers: 409 (not now: the case's state says no) or 403
    (this person can never do it). `blocks=False` is the one soft case: the action is
    accepted as a no-op but not offered (claiming a case that is already yours)."""

    code: str
    message: str
    at: Optional[dt.datetime] = None
    status: int = 409
    detail: dict[str, Any] = field(default_factory=dict, compare=False)
    blocks: bool = True
    # The sentence with "{at}" where the moment goes, for a screen to word it in the
    # viewer's time zone (`said`); `message` has it in UTC, named as such (the API's).
    template: Optional[str] = field(default=None, compare=False)
    # This row is not the one for the case (the other kind of appeal): any other row's
    # reason says more, so it answers only when no other does.
    other_row: bool = field(default=False, compare=False)

    def said(self, when: Callable[[dt.datetime], str]) -> str:
        """The sentence with the moment written by `when` (e.g. the viewer's local time)."""
        if self.template is None or self.at is None:
            return self.message
        return self.template.format(at=when(self.at))

    def error(self) -> DomainError:
        cls = Forbidden if self.status == 403 else Conflict
        return cls(self.code, self.message, detail=dict(self.detail))


def utc(at: dt.datetime) -> str:
    """A moment as the API's sentences write it: "2 Jun 2026, 14:00 UTC"."""
    return f"{at.astimezone(dt.timezone.utc):%d %b %Y, %H:%M} UTC"


def not_now(case: Case, message: str, *, at: Optional[dt.datetime] = None) -> Refusal:
    """The usual refusal: the case's state does not allow it (409 `invalid_state`, with the
    case's status so a client can refresh). A `message` with "{at}" names the moment:
    in UTC for the API, in the viewer's zone on screens (`Refusal.said`)."""
    if at is not None and "{at}" in message:
        return Refusal("invalid_state", message.format(at=utc(at)), at=at, detail={"status": case.status},
                       template=message)
    return Refusal("invalid_state", message, at=at, detail={"status": case.status})


def first_of(*guards: Guard) -> Guard:
    """One guard made of several, asked in order: the first refusal is the answer."""

    def guard(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[Refusal]:
        for g in guards:
            if (why := g(ctx, case, actor)) is not None:
                return why
        return None

    guard.__name__ = "_then_".join(g.__name__.lstrip("_") for g in guards)
    return guard


# ------------------------------------------------------------------ the parties' guards
MERCHANT_INFO_REQUESTS = 3  # §3.3: the merchant asks the customer at most this often per case


def merchant_requests_left(case: Case) -> int:
    """How many more times the merchant may ask the customer for information (§3.3)."""
    return max(0, MERCHANT_INFO_REQUESTS - (case.merchant_info_requests or 0))


def _merchant_may_ask_again(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if merchant_requests_left(case) == 0:
        return not_now(case, f"You have used all {MERCHANT_INFO_REQUESTS} requests for information on this case "
                             f"(the merchant can ask {MERCHANT_INFO_REQUESTS} times). Accept or deny it instead.")
    return None


def _in_time(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    # A deadline passes at its moment, not when the scheduler notices (§3.6, §8): an
    # answer after it is late even if the case has not been escalated or closed yet.
    if case.response_due_at is not None and ctx.now >= case.response_due_at:
        return not_now(case, "The answer was due by {at}; it is too late to act on it now.",
                       at=case.response_due_at)
    return None


def _overdue(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if case.response_due_at is None or case.response_due_at > ctx.now:
        return not_now(case, "The response is not overdue yet.")
    return None


def _appeal_window_open(ctx: Ctx, case: Case) -> Optional[Refusal]:
    if case.final or case.appeal_due_at is None:
        if case.customer_appealed or case.merchant_appealed:  # §3.4, §3.8: one appeal per case
            return not_now(case, "The case's only appeal has been used; the decision on it is final.")
        return not_now(case, "This case is closed for good: it cannot be appealed.")
    if case.customer_appealed or case.merchant_appealed:
        return not_now(case, "This case has already been appealed once, and a case has only one appeal.")
    if ctx.now >= case.appeal_due_at:
        return not_now(case, "The appeal window closed on {at}.", at=case.appeal_due_at)
    return None


# The window is checked first: a customer has two appeal transitions, and a late
# appeal must be told the window closed, not that it is the wrong kind of appeal.
def _denial_appealable(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if why := _appeal_window_open(ctx, case):
        return why
    if case.decided_by_id is not None or case.outcome != Outcome.MERCHANT_WON:
        return replace(not_now(case, "Only a merchant's denial can be appealed this way."), other_row=True)
    return None


def _fully_won(case: Case) -> bool:
    """The platform refunded the customer everything they paid: nothing is left for them to
    ask for (an appeal is for the side a decision went against: the published API's
    "only when the merchant won"; a partial refund or a credit can still be appealed)."""
    return (case.outcome == Outcome.CUSTOMER_WON.value and case.refund == RefundSource.MERCHANT.value
            and case.decision_amount_minor is not None and case.decision_amount_minor >= case.amount_minor)


def _customer_has_something_to_appeal(ctx: Ctx, case: Case, actor) -> Optional[Refusal]:
    if why := _decision_appealable(ctx, case, actor):
        return why
    if _fully_won(case):
        return not_now(case, "The case is already fully in your favour: the whole payment is refunded to you.")
    return None


def _merchant_has_something_to_appeal(ctx: Ctx, case: Case, actor) -> Optional[Refusal]:
    # The same rule from the merchant's side: a decision that the merchant wins leaves it
    # nothing to ask for.
    if why := _decision_appealable(ctx, case, actor):
        return why
    if case.outcome == Outcome.MERCHANT_WON.value:
        return not_now(case, "The case is already decided in your favour: nothing is refunded or credited.")
    return None


def _decision_appealable(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if why := _appeal_window_open(ctx, case):
        return why
    if case.decided_by_id is None:
        return replace(not_now(case, "There is no platform decision to appeal."), other_row=True)
    return None


# -------------------------------------------------------------------- the staff's guards
def _manager(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[Refusal]:
    """Who may take the row at all (asked before the case's state: 403, not 409)."""
    if actor is None or actor.role != Role.MANAGER:
        return Refusal("managers_only", "Only managers can assign cases to other reviewers. Ask a manager.",
                       status=403)
    return None


def _not_assigned_elsewhere(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[Refusal]:
    """Work on a claimed case is its assignee's; the queue's unassigned cases are anyone's."""
    if actor is not None and case.assignee_id not in (None, actor.id):
        assignee = case.assignee.name if case.assignee else case.assignee_id
        return Refusal("assigned_to_another_reviewer",
                       f"This case is assigned to {assignee}. Ask a manager to reassign it first.",
                       detail={"status": case.status, "assignee_id": case.assignee_id})
    return None


def _other_reviewer(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[Refusal]:
    if actor is not None and actor.id == case.decided_by_id:
        return not_now(case, "You made the first decision, so the final review must be done by a reviewer other "
                             "than the one who decided.")
    return None


def _claimable(ctx: Ctx, case: Case, actor: Optional[User]) -> Optional[Refusal]:
    if actor is not None and case.assignee_id == actor.id:
        # Claiming twice is harmless (a double click), so it is accepted, but not offered.
        return Refusal("already_assigned_to_you", "The case is already assigned to you.", blocks=False)
    if why := _not_assigned_elsewhere(ctx, case, actor):
        return why
    if actor is not None and case.final_review and actor.id == case.decided_by_id:
        return Refusal("same_reviewer", "You made the first decision on this case; its final review goes to "
                                        "another reviewer.")
    return None


# ------------------------------------------------------------------- the system's guards
def _appeal_window_due(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if case.final or case.appeal_due_at is None or case.appeal_due_at > ctx.now:
        return not_now(case, "The appeal window is still open.")
    return None


def _still_changeable(ctx: Ctx, case: Case, _actor) -> Optional[Refusal]:
    if case.final:
        return not_now(case, "The case is closed for good.")
    return None


@dataclass(frozen=True)
class Transition:
    action: Action
    party: Party
    source: Stage
    target: Stage
    guard: Optional[Guard] = None  # on the case's state: refused with 409 (or its Refusal's status)
    actor_guard: Optional[Guard] = None  # on who acts, asked before the state: refused with 403


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
    Transition(A.REQUEST_INFO, P.MERCHANT, S.AWAITING_MERCHANT, S.AWAITING_CUSTOMER, first_of(_in_time, _merchant_may_ask_again)),
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
    # Decisions and requests on a claimed case are its assignee's.
    Transition(A.REQUEST_INFO, P.PLATFORM, S.UNDER_REVIEW, S.REVIEW_AWAITING_MERCHANT, _not_assigned_elsewhere),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.UNDER_REVIEW, S.REVIEW_AWAITING_CUSTOMER, _not_assigned_elsewhere),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.FINAL_REVIEW, S.FINAL_AWAITING_MERCHANT, _not_assigned_elsewhere),
    Transition(A.REQUEST_INFO, P.PLATFORM, S.FINAL_REVIEW, S.FINAL_AWAITING_CUSTOMER, _not_assigned_elsewhere),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.REVIEW_AWAITING_MERCHANT, S.UNDER_REVIEW, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.FINAL_AWAITING_MERCHANT, S.FINAL_REVIEW, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.REVIEW_AWAITING_CUSTOMER, S.CLOSED, _overdue),
    Transition(A.EXPIRE_REVIEW_REQUEST, P.SYSTEM, S.FINAL_AWAITING_CUSTOMER, S.CLOSED, _overdue),
    # §3.8–3.9: decisions, appeals and the final review.
    Transition(A.DECIDE, P.PLATFORM, S.UNDER_REVIEW, S.CLOSED, _not_assigned_elsewhere),
    Transition(A.APPEAL, P.CUSTOMER, S.CLOSED, S.UNDER_REVIEW, _denial_appealable),
    Transition(A.APPEAL, P.CUSTOMER, S.CLOSED, S.FINAL_REVIEW, _customer_has_something_to_appeal),
    Transition(A.APPEAL, P.MERCHANT, S.CLOSED, S.FINAL_REVIEW, _merchant_has_something_to_appeal),
    # Whoever made the first decision may not make the final one (§3.9).
    Transition(A.FINAL_DECIDE, P.PLATFORM, S.FINAL_REVIEW, S.CLOSED, first_of(_other_reviewer, _not_assigned_elsewhere)),
    Transition(A.CLOSE_APPEAL_WINDOW, P.SYSTEM, S.CLOSED, S.CLOSED, _appeal_window_due),
    # §3.10: a refund made elsewhere settles the case.
    *(Transition(A.REPORT_REFUNDED, P.SYSTEM, s, S.CLOSED) for s in OPEN_STAGES),
    Transition(A.REPORT_REFUNDED, P.SYSTEM, S.CLOSED, S.CLOSED, _still_changeable),
    # Actions that do not move the case.
    *(Transition(A.ADD_EVIDENCE, p, s, s) for p in (P.CUSTOMER, P.MERCHANT, P.PLATFORM) for s in OPEN_STAGES),
    *(Transition(A.CLAIM, P.PLATFORM, s, s, _claimable) for s in OPEN_STAGES),
    *(Transition(A.ASSIGN, P.PLATFORM, s, s, actor_guard=_manager) for s in OPEN_STAGES),
    *(Transition(A.ASSIGN, P.SYSTEM, s, s) for s in (S.UNDER_REVIEW, S.FINAL_REVIEW)),  # auto-assignment (dashboard.duty)
    *(Transition(A.NOTE, P.PLATFORM, s, s) for s in Stage),
)


_BY_START: dict[tuple[Action, Party, Stage], list[Transition]] = {}
_ACTOR_GUARDS: dict[tuple[Action, Party], list[Guard]] = {}
for _t in TRANSITIONS:
    _BY_START.setdefault((_t.action, _t.party, _t.source), []).append(_t)
    _guards = _ACTOR_GUARDS.setdefault((_t.action, _t.party), [])
    if _t.actor_guard is not None and _t.actor_guard not in _guards:
        _guards.append(_t.actor_guard)
_PARTY_ACTIONS = set(_ACTOR_GUARDS)


def candidates(action: Action, party: Party, stage: Stage) -> list[Transition]:
    """The transitions `party` may take with `action` from `stage`, in table order (looked
    up, not scanned: available_actions asks this for every action of every listed case)."""
    return _BY_START.get((action, party, stage), [])


def _actor_refusal(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User]) -> Optional[Refusal]:
    for guard in _ACTOR_GUARDS.get((action, party), ()):
        if (why := guard(ctx, case, actor)) is not None:
            return why
    return None


def _verdict(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User],
             target: Optional[Stage]) -> tuple[Optional[Transition], list[Refusal]]:
    """The first transition with no refusal at all, else the refusals in table order."""
    reasons: list[Refusal] = []
    if (why := _actor_refusal(ctx, case, action, party, actor)) is not None:
        return None, [why]
    for t in candidates(action, party, Stage(case.stage)):
        if target is not None and t.target != target:
            continue
        why = t.guard(ctx, case, actor) if t.guard else None
        if why is None:
            return t, []
        reasons.append(why)
    return None, reasons


def allowed(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User] = None,
            target: Optional[Stage] = None) -> Optional[Transition]:
    """The transition that would apply now, or None: what a screen offers (a soft refusal,
    `blocks=False`, is not offered)."""
    return _verdict(ctx, case, action, party, actor, target)[0]


def refusal(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User] = None) -> Optional[Refusal]:
    """Why `party` cannot take `action` now although the case's stage has a row for it
    (a deadline passed, the appeal is used, another reviewer has it), or None when the
    action is possible, or when nothing in the table leads from here (nothing to explain:
    a person does not expect to decide a closed case). Only blocking refusals."""
    if _actor_refusal(ctx, case, action, party, actor) is not None:
        return None  # this person never takes the action: not something they wait for
    t, reasons = _verdict(ctx, case, action, party, actor, None)
    if t is not None:
        return None
    blocking = [why for why in reasons if why.blocks]
    if blocking and all(why.other_row for why in blocking):
        return None  # only rows for another kind of case (a merchant's own denial has no appeal for it)
    return _first_reason(blocking)


def _first_reason(reasons: list[Refusal]) -> Optional[Refusal]:
    """The reason that explains: the first of a row meant for this case, else the first."""
    return next((why for why in reasons if not why.other_row), reasons[0] if reasons else None)


def check(ctx: Ctx, case: Case, action: Action, party: Party, actor: Optional[User] = None,
          target: Optional[Stage] = None) -> Transition:
    """The transition to apply, or the error explaining why not.

    A party that can never take this action gets 403; a party that could, but not in
    the case's current state, gets 409 with the case's state so the caller can refresh
    (or the refusing guard's own error: 409 `assigned_to_another_reviewer`, 403
    `managers_only`). A soft refusal passes: the action itself does nothing.
    """
    if (action, party) not in _PARTY_ACTIONS:
        raise Forbidden("action_not_permitted", f"As {_AS[party]}, you cannot {_VERBS[action]} a case.")
    if (why := _actor_refusal(ctx, case, action, party, actor)) is not None:
        raise why.error()
    reasons = []
    for t in candidates(action, party, Stage(case.stage)):
        if target is not None and t.target != target:
            continue
        why = t.guard(ctx, case, actor) if t.guard else None
        if why is None or not why.blocks:
            return t
        reasons.append(why)
    if reasons:
        raise _first_reason(reasons).error()
    raise not_now(case, f"You cannot {_VERBS[action]} this case now: it is "
                        f"{_STATE_WORDS.get(case.status, 'in another state')}.").error()


# How a refusal names the action, the side and the case's state: words, never the codes.
_VERBS = {
    Action.ACCEPT: "accept", Action.DENY: "deny", Action.REQUEST_INFO: "ask for information on",
    Action.REPLY: "reply on", Action.APPEAL: "appeal", Action.WITHDRAW: "withdraw",
    Action.ADD_EVIDENCE: "add evidence to", Action.CLAIM: "claim", Action.ASSIGN: "assign",
    Action.NOTE: "add a note to", Action.DECIDE: "decide", Action.FINAL_DECIDE: "make the final decision on",
}
_VERBS.update({a: "change" for a in Action if a not in _VERBS})
_AS = {Party.CUSTOMER: "the customer", Party.MERCHANT: "the merchant", Party.PLATFORM: "the platform's staff",
       Party.SYSTEM: "the system"}
_STATE_WORDS = {"awaiting_merchant": "waiting for the merchant", "awaiting_customer": "waiting for the customer",
                "under_review": "under review by the platform", "closed": "closed"}


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


@dataclass(frozen=True)
class Applied:
    """What `apply` wrote: the timeline event and the emails queued for it."""

    event: CaseEvent
    emails: tuple[OutboxEmail, ...] = ()


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
) -> Applied:
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
    if (transition.party == Party.PLATFORM and actor is not None and case.first_platform_action_at is None
            and (case.escalated_at or case.appealed_at) is not None):
        # The platform's first response time (the SLA metrics) starts when the case reached it.
        case.first_platform_action_at = ctx.now
    event = timeline.record(
        ctx, case, action=event_action, party=transition.party, actor=actor, details=details,
        data=data, file_ids=file_ids, staff_only=staff_only,
    )
    emails: list[OutboxEmail] = []
    if notify and not staff_only:
        emails = notifications.queue_for_event(
            ctx, case, event, action=transition.action, party=transition.party,
            status_changed=(case.status != previous_status or case.outcome != previous_outcome),
        )
    staff_notifications.notify(ctx, case, event, transition, actor=actor)  # the reviewers' and managers' bell
    webhook_events.record_case_change(ctx, case, transition.action, event)  # the outbox of webhooks (issue 11)
    ctx.session.flush()
    return Applied(event, tuple(emails))
