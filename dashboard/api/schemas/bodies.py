"""Request bodies, read with `parse(Model, json_body())`. Only shapes: the domain
decides whether a reason is known or a message long enough (and answers with its own
code), so fields the domain checks are plain text here, with the values it accepts
shown in the document.

The case actions' bodies are the input models of the action table
(`dashboard.cases.actions.ACTIONS`), beside the domain functions they feed.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

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


# ------------------------------------------------------------------------- files
class CreateFile(Body):
    """Read by `dashboard.api.files`; multipart uploads are not offered."""

    filename: RequiredText
    byte_size: Annotated[Optional[int], Field(ge=0),
                         ErrorCode("invalid_field", "'byte_size' must be a whole number of bytes.")] = None
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
