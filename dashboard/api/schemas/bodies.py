"""Request bodies, read with `parse(Model, json_body())`. Only shapes: the domain
decides whether a reason is known or a message long enough (and answers with its own
code), so fields the domain checks are plain text here, with the values it accepts
shown in the document.

`ACTION_BODIES` are the case actions' bodies until the action table
(`dashboard.cases.actions.ACTIONS`) gives each action its input model.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from dashboard.enums import Provider, Reason
from dashboard.fields import Attachments, Message, MinorAmount, RequiredText, Text, attachments_field, iso_time
from dashboard.validation import ErrorCode


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")  # unknown fields are ignored, as the published API does


def choice(*values: str) -> WithJsonSchema:
    """Text the domain checks against `values` (its own error code when it is not one)."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


# ------------------------------------------------------------------------- cases
class CreateCase(Body):
    """`receipt_id` is our payment id (`pay_…`)."""

    receipt_id: RequiredText
    reason: Annotated[Text, choice(*(r.value for r in Reason))] = None
    message: Message = None
    attachments: Attachments = attachments_field()


class MessageBody(Body):
    message: Message = None
    attachments: Attachments = attachments_field()


class AcceptBody(MessageBody):
    terminate_membership: Any = Field(None, description="Accepted and ignored: no memberships are sold here",
                                      json_schema_extra={"type": "boolean"})


class RequestInfoBody(MessageBody):
    party: Annotated[Text, choice("customer", "merchant")] = None


class WithdrawBody(Body):
    message: Message = None


class ClaimBody(Body):
    pass


class AssignBody(Body):
    """`reviewer_id`: a reviewer or manager; `null` puts the case back in the queue."""

    reviewer_id: Annotated[Optional[str], ErrorCode("invalid_field", "'{name}' must be a string.",
                                                    required_message="'{name}' is required (null to unassign).")]


class NoteBody(Body):
    message: Message = None


class DecisionBody(Body):
    """`amount` in minor units (default: the full payment)."""

    outcome: Annotated[Text, choice("refund", "credit", "merchant_wins")] = None
    reason: Text = None
    amount: MinorAmount = None


class FinalDecisionBody(Body):
    decision: Annotated[Text, choice("uphold", "overturn")] = None
    reason: Text = None
    remedy: Annotated[Text, choice("refund", "credit")] = None
    amount: MinorAmount = None


ACTION_BODIES: dict[str, type[Body]] = {
    "accept": AcceptBody, "deny": MessageBody, "request_info": RequestInfoBody, "reply": MessageBody,
    "appeal": MessageBody, "withdraw": WithdrawBody, "evidence": MessageBody, "claim": ClaimBody,
    "assign": AssignBody, "notes": NoteBody, "decision": DecisionBody, "final_decision": FinalDecisionBody,
}


# ------------------------------------------------------------------------- files
class CreateFile(Body):
    """Read by `dashboard.api.files`; multipart uploads are not offered."""

    filename: RequiredText
    byte_size: Optional[int] = Field(None, ge=0)
    content_type: Text = None
    multipart: Optional[bool] = None
    visibility: Text = None


# ------------------------------------------------------------------- integration
class CreateCompany(Body):
    name: Text = None
    support_email: Text = None


class CreateUser(Body):
    """Customers and creators only: staff and integration users are made on the command line."""

    email: Text = None
    name: Text = None
    role: Annotated[Text, choice("customer", "creator")] = None
    company_id: Text = None


PaidAt = Annotated[Optional[dt.datetime],
                   iso_time("'paid_at' must be an ISO 8601 time that is not in the future."),
                   ErrorCode("invalid_paid_at"), WithJsonSchema({"type": "string", "format": "date-time"})]


class CreatePayment(Body):
    """A payment made through the payment system; `amount` in minor units, `paid_at`
    default now, `provider_reference` the provider's own charge id."""

    company_id: Text = None
    customer_id: Text = None
    amount: MinorAmount = None
    currency: Text = None
    provider: Annotated[Text, choice(*(p.value for p in Provider))] = None
    paid_at: PaidAt = None
    provider_reference: Text = None
    product_title: Text = None


class ReportRefunded(Body):
    note: Text = None
