"""Email notifications (SPEC §7), rendered into the outbox in the caller's transaction.

Nothing here sends anything: `dashboard.notifications.outbox` delivers. Because the outbox row is
written with its cause, a change that rolls back leaves no email, and a change that
commits always has its email. Internal notes are never passed in here.
"""
from __future__ import annotations

import html
from typing import Optional

from sqlalchemy import select

from data.models import Case, CaseEvent, OutboxEmail, User
from dashboard.context import Ctx
from dashboard.enums import REASON_LABELS, Party, Role

HEADLINES = {
    "created": "A customer opened a case",
    "accepted": "The merchant accepted the case",
    "denied": "The merchant denied the case",
    "requested_more_info": "More information was requested",
    "responded": "A reply was received",
    "withdrew": "The customer withdrew the case",
    "escalated": "The case was escalated to the platform",
    "decided": "The platform decided the case",
    "appealed": "The decision was appealed",
    "final_decision": "The platform made its final decision",
    "no_response": "A response deadline passed",
    "appeal_window_closed": "The appeal window closed",
    "refunded_elsewhere": "The payment was refunded",
}

STATUS_WORDS = {
    "awaiting_merchant": "waiting on the merchant",
    "awaiting_customer": "waiting on the customer",
    "under_review": "under review by the platform",
    "closed": "closed",
}


def company_creators(ctx: Ctx, company_id: str) -> list[User]:
    return list(ctx.session.scalars(
        select(User).where(User.company_id == company_id, User.role == Role.CREATOR, User.is_active.is_(True))
        .order_by(User.email)
    ))


def recipients_for(ctx: Ctx, case: Case, event: CaseEvent, *, action: str, status_changed: bool) -> dict[str, User]:
    """email address -> user, per SPEC §7."""
    out: dict[str, User] = {}
    if action == "open":
        for u in company_creators(ctx, case.company_id):
            out[u.email] = u
        return out
    if status_changed or action in ("decide", "appeal", "final_decide"):
        out[case.customer.email] = case.customer
        for u in company_creators(ctx, case.company_id):
            out[u.email] = u
    if action == "reply" and case.info_requested_by_id:
        asker = ctx.session.get(User, case.info_requested_by_id)
        if asker is not None:
            out[asker.email] = asker
    return out


def _money(minor: Optional[int], currency: str) -> str:
    if minor is None:
        return ""
    from dashboard.money.amounts import format_minor

    return format_minor(minor, currency)


def render(ctx: Ctx, case: Case, event: CaseEvent, recipient: User) -> tuple[str, str, str]:
    """(subject, text, html) for one recipient of one event."""
    headline = HEADLINES.get(event.action, event.action.replace("_", " ").capitalize())
    link = f"{ctx.settings.base_url.rstrip('/')}/cases/{case.id}"
    subject = f"[{case.id}] {headline}"
    lines = [
        f"Hello {recipient.name},",
        "",
        f"{headline} on case {case.id} ({REASON_LABELS.get(case.reason, case.reason)},"
        f" {_money(case.amount_minor, case.currency)} paid to {case.company.name}).",
        f"The case is now {STATUS_WORDS.get(case.status, case.status)}.",
    ]
    if case.outcome:
        lines.append(f"Outcome: {case.outcome.replace('_', ' ')}.")
    if case.response_due_at:
        lines.append(f"The next response is due by {case.response_due_at:%Y-%m-%d %H:%M} UTC.")
    if event.details:
        lines += ["", "Message:", event.details]
    lines += ["", f"View the case: {link}", "", "— Resolution Center"]
    text = "\n".join(lines)
    body = "".join(
        f"<p>{html.escape(line)}</p>" if line else "" for line in lines[:-4]
    )
    html_part = (
        f"<html><body style=\"font-family: sans-serif\">{body}"
        f"<p><a href=\"{html.escape(link)}\">View case {html.escape(case.id)}</a></p>"
        f"<p style=\"color:#666\">— Resolution Center</p></body></html>"
    )
    return subject, text, html_part


def queue_for_event(ctx: Ctx, case: Case, event: CaseEvent, *, action: str, party: Party,
                    status_changed: bool) -> list[OutboxEmail]:
    if not (event.viewable_by_customer or event.viewable_by_merchant):
        return []  # staff-only events (notes) are never emailed
    emails = []
    for address, user in recipients_for(ctx, case, event, action=str(action), status_changed=status_changed).items():
        subject, text, html_part = render(ctx, case, event, user)
        email = OutboxEmail(
            case_id=case.id,
            dedupe_key=f"{event.id}:{address}",
            template=event.action,
            recipient=address,
            subject=subject,
            body_text=text,
            body_html=html_part,
            status="pending",
            next_attempt_at=ctx.now,
            created_at=ctx.now,
        )
        ctx.session.add(email)
        emails.append(email)
    return emails

