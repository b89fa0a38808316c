"""What the API answers: the published shapes (`ResolutionCenterCase`,
`ResolutionEvent`, `File`) plus our own fields, built from the domain's models.

Each answer is a model of `dashboard.api.schemas` filled here and dumped for the wire
(`Answer.wire()`), so the shape the document shows is the shape sent: a field dropped
from a model is dropped from the answer, a value of the wrong type fails loudly.

Money is stored in integer minor units; the published `amount` is whole units. It is
computed exactly with Decimal and becomes a float only here, for JSON (1999 USD minor
→ 19.99; a float's shortest repr is exact for any realistic amount). We also send
`amount_minor` so integrators never need to parse a float.
"""
from __future__ import annotations

from typing import Any, Optional

from data.models import Case, CaseEvent, Company, EvidenceFile, Payment, User
from dashboard.api.schemas import cases as sc
from dashboard.api.schemas import payments as sp
from dashboard.api.schemas.common import Account, Money, PageInfo, iso
from dashboard.cases.available import available_actions
from dashboard.context import Ctx
from dashboard.eligibility import Verdict
from dashboard.money.amounts import exponent, to_major
from dashboard.permissions import is_staff
from dashboard.settings import Settings

PAYMENT_METHOD_TYPES = {"stripe": "card", "paypal": "paypal", "crypto": "crypto",
                        "coinbase_commerce": "coinbase_commerce"}
FILE_STATUS = {"pending": "pending", "ready": "ready", "rejected": "failed"}

__all__ = ["account_json", "case_json", "case_model", "case_page_json", "company_json", "event_json",
           "event_page_json", "file_json", "file_url", "iso", "major", "money", "payment_json", "payment_model",
           "payment_page_json", "user_json"]


def major(minor: Optional[int], currency: str) -> Optional[float]:
    return None if minor is None else float(to_major(minor, currency))


def money_model(minor: int, currency: str) -> Money:
    exp = exponent(currency)
    return Money(amount=f"{to_major(minor, currency):.{exp}f}", currency=currency.lower(), decimals=exp,
                 display_decimals=exp)


def money(minor: int, currency: str) -> dict[str, Any]:
    """The published `Money` object: `amount` as an exact decimal string."""
    return money_model(minor, currency).wire()


def file_url(settings: Settings, file_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/files/{file_id}/content"


def account(company: Company) -> Account:
    return Account(id=company.id, title=company.name)


def account_json(company: Company) -> dict[str, Any]:
    return account(company).wire()


# ------------------------------------------------------------------------------ cases
def _decision(case: Case, staff: bool) -> Optional[sc.Decision]:
    if case.decision is None:
        return None
    fields: dict[str, Any] = dict(outcome=case.decision, amount=major(case.decision_amount_minor, case.currency),
                                  amount_minor=case.decision_amount_minor, reason=case.decision_reason,
                                  final_decision=case.final_decision)
    if staff:  # who decided is the platform's business
        fields.update(decided_by_id=case.decided_by_id, final_decided_by_id=case.final_decided_by_id)
    return sc.Decision(**fields)


def case_model(ctx: Ctx, case: Case, viewer: User) -> sc.ResolutionCenterCase:
    staff = is_staff(viewer)
    closed = case.status == "closed"
    payment, cur = case.payment, case.currency
    return sc.ResolutionCenterCase(
        id=case.id,
        object="resolution_center_case",
        account=account(case.company),
        amount=major(case.amount_minor, cur),
        amount_minor=case.amount_minor,
        currency=cur.lower(),
        available_actions=available_actions(ctx, case, viewer),
        # A customer's user id is for the customer and staff only: it is what a session
        # names, so a creator is not handed the ids of the people who dispute with them
        # (issue 8, finding 1). They still see the name and email they sold to.
        buyer=sc.Buyer(user_id=case.customer.id if staff or viewer.id == case.customer_id else None,
                       name=case.customer.name, email=case.customer.email, username=None, member_id=None),
        payment=sc.CasePayment(id=payment.id, created_at=payment.paid_at, provider=payment.provider,
                               payment_method_type=PAYMENT_METHOD_TYPES.get(payment.provider, payment.provider)),
        line_items=[sc.LineItem(quantity=1, label=payment.product_title, product_title=payment.product_title,
                                subtotal=money_model(payment.amount_minor, payment.currency))],
        reason=case.reason,
        status=case.status,
        # Published semantics: both are null until the case (re)closes, e.g. during an appeal.
        outcome=case.outcome if closed else None,
        refund=(case.refund or "none") if closed else None,
        escalated=bool(case.escalated),
        customer_appealed=bool(case.customer_appealed),
        merchant_appealed=bool(case.merchant_appealed),
        response_due_at=case.response_due_at,
        created_at=case.created_at,
        updated_at=case.updated_at,
        final_review=bool(case.final_review),
        appeal_due_at=case.appeal_due_at,
        final=bool(case.final),
        refunded=major(case.refunded_minor or 0, cur),
        credit=major(case.credited_minor or 0, cur),
        decision=_decision(case, staff),
        # Assignment is internal to the platform (its events are staff-only).
        assignee=sc.Assignee(id=case.assignee.id, name=case.assignee.name) if staff and case.assignee else None,
    )


def case_json(ctx: Ctx, case: Case, viewer: User) -> dict[str, Any]:
    return case_model(ctx, case, viewer).wire()


def case_page_json(ctx: Ctx, cases: list[Case], viewer: User, page_info: dict[str, Any]) -> dict[str, Any]:
    return sc.CasePage(data=[case_model(ctx, c, viewer) for c in cases], page_info=PageInfo(**page_info)).wire()


def event_model(settings: Settings, event: CaseEvent) -> sc.ResolutionEvent:
    return sc.ResolutionEvent(
        id=event.id,
        object="resolution_event",
        action=event.action,
        created_at=event.created_at,
        reporter_type=event.reporter_type,
        details=event.details,
        attachments=[sc.EventAttachment(id=f.id, url=file_url(settings, f.id), filename=f.filename,
                                        content_type=f.content_type) for f in event.files if f.status == "ready"],
        viewable_by_customer=bool(event.viewable_by_customer),
        viewable_by_merchant=bool(event.viewable_by_merchant),
    )


def event_json(settings: Settings, event: CaseEvent) -> dict[str, Any]:
    return event_model(settings, event).wire()


def event_page_json(settings: Settings, events: list[CaseEvent], page_info: dict[str, Any]) -> dict[str, Any]:
    return sc.EventPage(data=[event_model(settings, e) for e in events], page_info=PageInfo(**page_info)).wire()


# ------------------------------------------------------------------------------ files
def file_json(settings: Settings, f: EvidenceFile, *, upload_url: Optional[str] = None) -> dict[str, Any]:
    ready = f.status == "ready"
    fields: dict[str, Any] = dict(
        id=f.id,
        object="file",
        created_at=f.created_at,
        filename=f.filename,
        content_type=f.content_type,
        size=f.size,
        sha256=f.sha256,
        url=file_url(settings, f.id) if ready else None,
        upload_status=FILE_STATUS.get(f.status, f.status),
        visibility="private",
        removed_by_moderation=False,
        case_id=f.case_id,
    )
    if upload_url is not None:  # only in the answer that creates the file
        fields.update(upload_url=upload_url,
                      upload_headers={"Content-Type": f.declared_content_type or "application/octet-stream"})
    return sc.File(**fields).wire()


# --------------------------------------------------------------- parties and payments
def user_json(user: User) -> dict[str, Any]:
    return sp.User(id=user.id, object="user", email=user.email, name=user.name, role=user.role,
                   company_id=user.company_id, created_at=user.created_at).wire()


def company_json(company: Company) -> dict[str, Any]:
    return sp.Company(id=company.id, object="company", title=company.name, name=company.name,
                      support_email=company.support_email, created_at=company.created_at).wire()


def payment_model(payment: Payment, *, case_id: Optional[str] = None, verdict: Optional[Verdict] = None,
                  ) -> sp.Payment:
    cur = payment.currency
    fields: dict[str, Any] = dict(
        id=payment.id,
        object="payment",
        account=account(payment.company),
        customer_id=payment.customer_id,
        amount=major(payment.amount_minor, cur),
        amount_minor=payment.amount_minor,
        currency=cur.lower(),
        provider=payment.provider,
        payment_method_type=PAYMENT_METHOD_TYPES.get(payment.provider, payment.provider),
        product_title=payment.product_title,
        paid_at=payment.paid_at,
        created_at=payment.created_at,
        refunded=major(payment.refunded_minor or 0, cur),
        refunded_at=payment.refunded_at,
        case_id=case_id,
    )
    if verdict is not None:  # a customer's list: whether a case can be opened on it
        fields.update(can_open_case=verdict.eligible,
                      ineligible_reason=None if verdict.eligible else sp.IneligibleReason(code=verdict.code,
                                                                                         message=verdict.message),
                      claim_closes_at=verdict.closes_at)
    return sp.Payment(**fields)


def payment_json(payment: Payment, *, case_id: Optional[str] = None, verdict: Optional[Verdict] = None,
                 ) -> dict[str, Any]:
    return payment_model(payment, case_id=case_id, verdict=verdict).wire()


def payment_page_json(payments: list[sp.Payment], page_info: dict[str, Any]) -> dict[str, Any]:
    return sp.PaymentPage(data=payments, page_info=PageInfo(**page_info)).wire()
