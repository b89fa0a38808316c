"""Email notifications (SPEC §7), rendered into the outbox in the caller's transaction.

Nothing here sends anything: `dashboard.notifications.outbox` delivers. Because the outbox row is
written with its cause, a change that rolls back leaves no email, and a change that
commits always has its email. Internal notes are never passed in here.

Who hears of an event is `recipients_for`; what each of them reads is `render`: one letter
per recipient (`letter.Letter`), from what happened to them (`happenings`) and the case's
facts for them (`facts`: their zone, the money, the next step, the appeal or finality).
"""
from __future__ import annotations

from sqlalchemy import select

from data.models import Case, CaseEvent, OutboxEmail, User
from dashboard.context import Ctx
from dashboard.enums import Party, Role
from dashboard.notifications.facts import Facts, reader_for
from dashboard.notifications.happenings import said
from dashboard.notifications.letter import Letter, as_html, as_text


def company_creators(ctx: Ctx, company_id: str) -> list[User]:
    return list(ctx.session.scalars(
        select(User).where(User.company_id == company_id, User.role == Role.CREATOR, User.is_active.is_(True))
        .order_by(User.email)
    ))


def recipients_for(ctx: Ctx, case: Case, event: CaseEvent, *, action: str, status_changed: bool) -> dict[str, User]:
    """email address -> user, per SPEC §7. The person who acted is not told of their own
    action; the one exception is the customer's receipt for the case they opened."""
    out: dict[str, User] = {}
    if action == "open":
        out[case.customer.email] = case.customer  # the receipt
        for u in company_creators(ctx, case.company_id):
            out[u.email] = u
        return out
    if status_changed or action in ("decide", "appeal", "final_decide"):
        out[case.customer.email] = case.customer
        for u in company_creators(ctx, case.company_id):
            out[u.email] = u
    if action == "reply" and case.info_requested_by_id:
        asker = ctx.session.get(User, case.info_requested_by_id)
        if asker is not None and asker.is_active:
            out[asker.email] = asker
    if event.actor_id is not None:
        out = {address: u for address, u in out.items() if u.id != event.actor_id}
    return out


def letter_for(ctx: Ctx, case: Case, event: CaseEvent, recipient: User) -> Letter:
    """What `recipient` is told about `event`."""
    actor = ctx.session.get(User, event.actor_id) if event.actor_id else None
    facts = Facts(ctx, case, event, actor)
    reader = reader_for(case, recipient)
    what = said(facts, reader)
    return Letter(
        subject=f"{facts.company} · case {case.id} — {what.subject}",
        greeting_name=recipient.name,
        happened=what.sentence,
        money=facts.money_lines(reader) if event.action != "appealed" else (),
        quote=what.quote,
        next_step=facts.next_step(reader),
        appeal=facts.appeal(reader),
        link=f"{ctx.settings.base_url.rstrip('/')}/cases/{case.id}",
    )


def render(ctx: Ctx, case: Case, event: CaseEvent, recipient: User) -> tuple[str, str, str]:
    """(subject, text, html) for one recipient of one event."""
    letter = letter_for(ctx, case, event, recipient)
    return letter.subject, as_text(letter), as_html(letter)


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

