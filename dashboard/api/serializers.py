"""What the API answers: the published shapes (`ResolutionCenterCase`,
`ResolutionEvent`, `File`) plus our own fields, built from the domain's models.

Money is stored in integer minor units; the published `amount` is whole units. It is
computed exactly with Decimal and becomes a float only here, for JSON (1999 USD minor
→ 19.99; a float's shortest repr is exact for any realistic amount). We also send
`amount_minor` so integrators never need to parse a float.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from data.models import Case, CaseEvent, Company, EvidenceFile, Payment, User
from dashboard.cases.available import available_actions
from dashboard.context import Ctx
from dashboard.eligibility import Verdict
from dashboard.money.amounts import exponent, to_major
from dashboard.permissions import is_staff
from dashboard.settings import Settings

PAYMENT_METHOD_TYPES = {"stripe": "card", "paypal": "paypal", "crypto": "crypto",
                        "coinbase_commerce": "coinbase_commerce"}
FILE_STATUS = {"pending": "pending", "ready": "ready", "rejected": "failed"}


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def major(minor: Optional[int], currency: str) -> Optional[float]:
    return None if minor is None else float(to_major(minor, currency))


def money(minor: int, currency: str) -> dict[str, Any]:
    """The published `Money` object: `amount` as an exact decimal string."""
    exp = exponent(currency)
    return {"amount": f"{to_major(minor, currency):.{exp}f}", "currency": currency.lower(),
            "decimals": exp, "display_decimals": exp}


def file_url(settings: Settings, file_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/files/{file_id}/content"


def account_json(company: Company) -> dict[str, Any]:
    return {"id": company.id, "title": company.name}


# ------------------------------------------------------------------------------ cases
def case_json(ctx: Ctx, case: Case, viewer: User) -> dict[str, Any]:
    staff = is_staff(viewer)
    closed = case.status == "closed"
    payment, cur = case.payment, case.currency
    decision = None
    if case.decision is not None:
        decision = {
            "outcome": case.decision,
            "amount": major(case.decision_amount_minor, cur),
            "amount_minor": case.decision_amount_minor,
            "reason": case.decision_reason,
            "final_decision": case.final_decision,
        }
        if staff:
            decision["decided_by_id"] = case.decided_by_id
            decision["final_decided_by_id"] = case.final_decided_by_id
    return {
        "id": case.id,
        "object": "resolution_center_case",
        "account": account_json(case.company),
        "amount": major(case.amount_minor, cur),
        "amount_minor": case.amount_minor,
        "currency": cur.lower(),
        "available_actions": available_actions(ctx, case, viewer),
        # A customer's user id is for the customer and staff only: it is what a session
        # names, so a creator is not handed the ids of the people who dispute with them
        # (issue 8, finding 1). They still see the name and email they sold to.
        "buyer": {"user_id": case.customer.id if staff or viewer.id == case.customer_id else None,
                  "name": case.customer.name, "email": case.customer.email,
                  "username": None, "member_id": None},
        "payment": {"id": payment.id, "created_at": iso(payment.paid_at), "provider": payment.provider,
                    "payment_method_type": PAYMENT_METHOD_TYPES.get(payment.provider, payment.provider)},
        "line_items": [{"quantity": 1, "label": payment.product_title, "product_title": payment.product_title,
                        "subtotal": money(payment.amount_minor, payment.currency)}],
        "reason": case.reason,
        "status": case.status,
        # Published semantics: both are null until the case (re)closes, e.g. during an appeal.
        "outcome": case.outcome if closed else None,
        "refund": (case.refund or "none") if closed else None,
        "escalated": bool(case.escalated),
        "customer_appealed": bool(case.customer_appealed),
        "merchant_appealed": bool(case.merchant_appealed),
        "response_due_at": iso(case.response_due_at),
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        # Ours:
        "final_review": bool(case.final_review),
        "appeal_due_at": iso(case.appeal_due_at),
        "final": bool(case.final),
        "refunded": major(case.refunded_minor or 0, cur),
        "credit": major(case.credited_minor or 0, cur),
        "decision": decision,
        # Assignment is internal to the platform (its events are staff-only).
        "assignee": ({"id": case.assignee.id, "name": case.assignee.name} if staff and case.assignee else None),
    }


def event_json(settings: Settings, event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "object": "resolution_event",
        "action": event.action,
        "created_at": iso(event.created_at),
        "reporter_type": event.reporter_type,
        "details": event.details,
        "attachments": [{"id": f.id, "url": file_url(settings, f.id), "filename": f.filename,
                         "content_type": f.content_type} for f in event.files if f.status == "ready"],
        "viewable_by_customer": bool(event.viewable_by_customer),
        "viewable_by_merchant": bool(event.viewable_by_merchant),
    }


# ------------------------------------------------------------------------------ files
def file_json(settings: Settings, f: EvidenceFile, *, upload_url: Optional[str] = None) -> dict[str, Any]:
    ready = f.status == "ready"
    out = {
        "id": f.id,
        "object": "file",
        "created_at": iso(f.created_at),
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.size,
        "sha256": f.sha256,
        "url": file_url(settings, f.id) if ready else None,
        "upload_status": FILE_STATUS.get(f.status, f.status),
        "visibility": "private",
        "removed_by_moderation": False,
        "case_id": f.case_id,
    }
    if upload_url is not None:
        out["upload_url"] = upload_url
        out["upload_headers"] = {"Content-Type": f.declared_content_type or "application/octet-stream"}
    return out


# --------------------------------------------------------------- parties and payments
def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "object": "user", "email": user.email, "name": user.name, "role": user.role,
            "company_id": user.company_id, "created_at": iso(user.created_at)}


def company_json(company: Company) -> dict[str, Any]:
    return {"id": company.id, "object": "company", "title": company.name, "name": company.name,
            "support_email": company.support_email, "created_at": iso(company.created_at)}


def payment_json(payment: Payment, *, case_id: Optional[str] = None, verdict: Optional[Verdict] = None,
                 ) -> dict[str, Any]:
    cur = payment.currency
    out = {
        "id": payment.id,
        "object": "payment",
        "account": account_json(payment.company),
        "customer_id": payment.customer_id,
        "amount": major(payment.amount_minor, cur),
        "amount_minor": payment.amount_minor,
        "currency": cur.lower(),
        "provider": payment.provider,
        "payment_method_type": PAYMENT_METHOD_TYPES.get(payment.provider, payment.provider),
        "product_title": payment.product_title,
        "paid_at": iso(payment.paid_at),
        "created_at": iso(payment.created_at),
        "refunded": major(payment.refunded_minor or 0, cur),
        "refunded_at": iso(payment.refunded_at),
        "case_id": case_id,
    }
    if verdict is not None:
        out["can_open_case"] = verdict.eligible
        out["ineligible_reason"] = None if verdict.eligible else {"code": verdict.code, "message": verdict.message}
        out["claim_closes_at"] = iso(verdict.closes_at)
    return out
