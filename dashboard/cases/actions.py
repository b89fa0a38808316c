"""The one table of what can be done to a case from outside: each action's name (the
`Action` value screens and `available_actions` use), its API path segment, the domain
function that runs it and the model of its input, with the published API's field
names. The API's routes (`dashboard.api.actions`) and the case page's action form
(`callbacks.case_actions`) both go through `perform`; the OpenAPI document reads the
request bodies from `input` and the paths from `route`.

Input models read shapes only (a message is text, an amount whole minor units, an
attachment an object with an id), with the API's error codes (`dashboard.validation`);
every rule about values stays in the domain functions, which check it again whoever
calls them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Callable, Iterable, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from data.models import User
from dashboard.cases import party as party_actions
from dashboard.cases import review
from dashboard.cases.result import ActionResult
from dashboard.context import Ctx
from dashboard.enums import Action, Decision, FinalDecision
from dashboard.errors import Invalid
from dashboard.fields import Attachments, Message, MinorAmount, Text, attachments_field
from dashboard.permissions import is_staff
from dashboard.validation import ErrorCode, parse


def _choice(*values: str) -> WithJsonSchema:
    """Text the domain checks against `values` (answering with its own code otherwise)."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


# ------------------------------------------------------------------------- inputs
# Fields are declared in the order they are checked: the first problem is the answer.
class ActionInput(BaseModel):
    """An action's request body; unknown fields are ignored, as the published API does."""

    model_config = ConfigDict(extra="ignore")

    def arguments(self) -> dict[str, Any]:
        """The domain function's keyword arguments."""
        return {}


class MessageInput(ActionInput):
    message: Message = None
    attachments: Attachments = attachments_field()

    def arguments(self) -> dict[str, Any]:
        return {"message": self.message, "file_ids": self.attachments.file_ids}


class AcceptInput(MessageInput):
    terminate_membership: Any = Field(None, description="Accepted and ignored: no memberships are sold here",
                                      json_schema_extra={"type": "boolean"})


class RequestInfoInput(ActionInput):
    """`party`: whom staff ask (the merchant always asks the customer and sends none)."""

    party: Annotated[Text, _choice("customer", "merchant")] = None
    message: Message = None
    attachments: Attachments = attachments_field()

    def arguments(self) -> dict[str, Any]:
        return {"party": self.party, "message": self.message, "file_ids": self.attachments.file_ids}


class EvidenceInput(ActionInput):
    """Files are the point of this action: read (and refused) before the message."""

    attachments: Attachments = attachments_field()
    message: Message = None

    def arguments(self) -> dict[str, Any]:
        return {"file_ids": self.attachments.file_ids, "message": self.message}


class WithdrawInput(ActionInput):
    message: Message = None  # the SDK sends no body here

    def arguments(self) -> dict[str, Any]:
        return {"message": self.message}


class NoteInput(ActionInput):
    message: Message = None

    def arguments(self) -> dict[str, Any]:
        return {"message": self.message}


class ClaimInput(ActionInput):
    pass


class AssignInput(ActionInput):
    """`reviewer_id`: a reviewer or manager; `null` puts the case back in the queue. Required
    all the same: a body that forgot it must not unassign the case."""

    reviewer_id: Annotated[Optional[str], ErrorCode("invalid_field", "'{name}' must be a string.",
                                                    required_message="'{name}' is required (null to unassign).")]

    def arguments(self) -> dict[str, Any]:
        return {"reviewer_id": self.reviewer_id}


class DecisionInput(ActionInput):
    """`amount` in minor units (default: the full payment)."""

    outcome: Annotated[Text, _choice(*(d.value for d in Decision))] = None
    reason: Text = None
    amount: MinorAmount = None

    def arguments(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reason": self.reason, "amount": self.amount}


class FinalDecisionInput(ActionInput):
    """`remedy` and `amount` only when overturning a merchant win (`remedy_needed`)."""

    decision: Annotated[Text, _choice(*(d.value for d in FinalDecision))] = None
    reason: Text = None
    remedy: Annotated[Text, _choice(Decision.REFUND.value, Decision.CREDIT.value)] = None
    amount: MinorAmount = None

    def arguments(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": self.reason, "remedy": self.remedy, "amount": self.amount}


# ------------------------------------------------------------------ the one split
def request_info(ctx: Ctx, *, actor: User, case_id: str, party: Optional[str] = None,
                 message: Optional[str] = None, file_ids: Iterable[str] = ()) -> ActionResult:
    """The merchant asks the customer; staff ask the `party` they name (§3.3, §3.7)."""
    if is_staff(actor):
        return review.request_info_from(ctx, actor=actor, case_id=case_id, party=party, message=message,
                                        file_ids=file_ids)
    return party_actions.merchant_request_info(ctx, actor=actor, case_id=case_id, message=message,
                                               file_ids=file_ids)


# ------------------------------------------------------------------------- the table
def _domain(module: Any, name: str) -> Callable[..., ActionResult]:
    """`module.name`, looked up when the action runs rather than when this table is
    built, so replacing the domain function (as tests do to simulate a lost race) takes
    effect here too."""

    def run(ctx: Ctx, **kwargs: Any) -> ActionResult:
        return getattr(module, name)(ctx, **kwargs)

    run.__name__, run.__qualname__ = name, f"{module.__name__}.{name}"
    run.__doc__ = getattr(module, name).__doc__
    return run


@dataclass(frozen=True)
class ActionSpec:
    name: Action
    route: str  # the API path segment: POST /resolution_center_cases/<case_id>/<route>
    run: Callable[..., ActionResult]  # fn(ctx, *, actor, case_id, **input.arguments())
    input: type[ActionInput]


_SPECS = (
    # The published party actions, in the published order.
    ActionSpec(Action.ACCEPT, "accept", _domain(party_actions, "accept"), AcceptInput),
    ActionSpec(Action.DENY, "deny", _domain(party_actions, "deny"), MessageInput),
    ActionSpec(Action.REQUEST_INFO, "request_info", request_info, RequestInfoInput),
    ActionSpec(Action.REPLY, "reply", _domain(party_actions, "reply"), MessageInput),
    ActionSpec(Action.APPEAL, "appeal", _domain(party_actions, "appeal"), MessageInput),
    ActionSpec(Action.WITHDRAW, "withdraw", _domain(party_actions, "withdraw"), WithdrawInput),
    # Our extensions: evidence for anyone on the case, the rest for staff.
    ActionSpec(Action.ADD_EVIDENCE, "evidence", _domain(party_actions, "add_evidence"), EvidenceInput),
    ActionSpec(Action.CLAIM, "claim", _domain(review, "claim"), ClaimInput),
    ActionSpec(Action.ASSIGN, "assign", _domain(review, "assign"), AssignInput),
    ActionSpec(Action.NOTE, "notes", _domain(review, "note"), NoteInput),
    ActionSpec(Action.DECIDE, "decision", _domain(review, "decide"), DecisionInput),
    ActionSpec(Action.FINAL_DECIDE, "final_decision", _domain(review, "final_decide"), FinalDecisionInput),
)
ACTIONS: dict[str, ActionSpec] = {spec.name.value: spec for spec in _SPECS}


def perform(ctx: Ctx, *, actor: User, case_id: str, name: Optional[str], body: Any) -> ActionResult:
    """Read `body` with the action's input model (422 with our codes) and run the action."""
    spec = ACTIONS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise Invalid("unknown_action", "Choose an action first.")
    inputs = parse(spec.input, body)
    return spec.run(ctx, actor=actor, case_id=case_id, **inputs.arguments())
