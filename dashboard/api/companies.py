"""A company and its auto-refund thresholds (Whop's `resolution_center_auto_refund`
payment control, `dashboard.auto_refund`): read by its creators, the platform's staff and
the integration; set by its creators (unless staff locked them) and by staff."""
from __future__ import annotations

from typing import Any

from data.models import Company, User
from dashboard import auto_refund
from dashboard.api.auth import COMPANY_EDITORS, COMPANY_READERS
from dashboard.api.params import json_body
from dashboard.api.routing import endpoint
from dashboard.api.schemas.companies import AutoRefundControl, CompanyWithControls, PaymentControls, SetPaymentControls
from dashboard.api.serializers import company_json
from dashboard.context import Ctx
from dashboard.validation import parse


def company_with_controls(company: Company) -> dict[str, Any]:
    controls = auto_refund.thresholds_of(company).as_json()
    return CompanyWithControls(**company_json(company), payment_controls=PaymentControls(
        resolution_center_auto_refund=AutoRefundControl(**controls))).wire()


@endpoint("/companies/<company_id>", roles=COMPANY_READERS)
def retrieve_company(ctx: Ctx, user: User, company_id: str) -> dict[str, Any]:
    return company_with_controls(auto_refund.load_company(ctx, user, company_id))


@endpoint("/companies/<company_id>/payment_controls", methods=("POST",), roles=COMPANY_EDITORS)
def set_payment_controls(ctx: Ctx, user: User, company_id: str) -> dict[str, Any]:
    body = parse(SetPaymentControls, json_body())
    changes = body.resolution_center_auto_refund
    given = {name: getattr(changes, name) for name in changes.model_fields_set}
    if given.get("locked", False) is None:
        given.pop("locked")  # "locked": null means "leave it"
    company = auto_refund.set_thresholds(ctx, actor=user, company_id=company_id, changes=given)
    return company_with_controls(company)
