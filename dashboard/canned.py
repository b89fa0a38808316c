"""Canned replies (issue 10, Deliver 7): reply templates with placeholders, kept per scope.

Two scopes, never mixed:

- "platform": the templates managers keep for the platform's staff (information
  requests, internal notes, decision reasons). Managers create, edit and delete them;
  reviewers and managers use them.
- a company's `biz_` id: the templates that company's creators keep for their own
  messages to customers (replies, denials, information requests). Only that company's
  creators read, use or change them.

Customers (and integrations) have none. A template nobody may read is "not found", as a
case is, so a crafted id tells nothing about other companies' templates.

Placeholders are `{customer_name}`, `{company}`, `{amount}` and `{due_date}`, filled for
one case and one viewer by `render_for_case`. The text is people's own, full of braces
of every kind, so it is never given to `str.format`: one regular expression replaces the
known names and leaves everything else exactly as typed (an unknown `{custmer_name}`
stays visible in the message, and saving reports it with the names that do exist).
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from data.models import Case, CannedReply, User
from dashboard import sla
from dashboard.context import Ctx
from dashboard.enums import REVIEW_STAGES, Party, Role
from dashboard.errors import Forbidden, Invalid, NotFound
from dashboard.money.amounts import format_minor
from dashboard.permissions import is_staff, load_case, party_of
from dashboard.timezones import local_text, zone_of

PLATFORM = "platform"
NAME_MAX = 80  # the column's width
MAX_PER_SCOPE = 100  # a list people pick from, not a document store


class Purpose(StrEnum):
    INFO_REQUEST = "info_request"
    NOTE = "note"
    DECISION_REASON = "decision_reason"
    MESSAGE = "message"  # a creator's reply, denial or acceptance note to the customer


PURPOSE_LABELS = {
    Purpose.INFO_REQUEST: "Information request",
    Purpose.NOTE: "Internal note",
    Purpose.DECISION_REASON: "Decision reason",
    Purpose.MESSAGE: "Message to the customer",
}
# What each scope's templates can be for: staff do not send a merchant's messages, and a
# company has no internal notes or platform decisions.
SCOPE_PURPOSES = {
    Party.PLATFORM: (Purpose.INFO_REQUEST, Purpose.NOTE, Purpose.DECISION_REASON),
    Party.MERCHANT: (Purpose.INFO_REQUEST, Purpose.MESSAGE),
}
# Which templates the case page offers beside the message of each action, per side.
ACTION_PURPOSE = {
    Party.PLATFORM: {"request_info": Purpose.INFO_REQUEST, "note": Purpose.NOTE,
                     "decide": Purpose.DECISION_REASON, "final_decide": Purpose.DECISION_REASON},
    Party.MERCHANT: {"request_info": Purpose.INFO_REQUEST, "deny": Purpose.MESSAGE, "reply": Purpose.MESSAGE,
                     "accept": Purpose.MESSAGE},
}

PLACEHOLDERS = {
    "customer_name": "the customer's name",
    "company": "the company's name",
    "amount": "the case's amount, in its currency",
    "due_date": "the case's deadline in your time zone (for an information request: the date the "
                "person asked must answer by; for staff on a case under review: the platform's decide-by)",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NO_DEADLINE = "(no deadline)"


def placeholder_list() -> str:
    names = [f"{{{n}}}" for n in PLACEHOLDERS]
    return ", ".join(names[:-1]) + " or " + names[-1]


# ----------------------------------------------------------------------------- who keeps what
def _side(user: User) -> Optional[Party]:
    if is_staff(user):
        return Party.PLATFORM
    if user.role == Role.CREATOR and user.company_id:
        return Party.MERCHANT
    return None


def readable_scope(user: User) -> Optional[str]:
    """The one scope whose templates `user` may read and use (None: none at all)."""
    side = _side(user)
    if side == Party.PLATFORM:
        return PLATFORM
    if side == Party.MERCHANT:
        return user.company_id
    return None


def can_edit(user: User) -> bool:
    return user.role == Role.MANAGER or (user.role == Role.CREATOR and bool(user.company_id))


def editable_scope(user: User) -> str:
    """The scope `user` keeps templates in, or Forbidden: managers keep the platform's,
    creators their own company's; reviewers only use the platform's."""
    if not can_edit(user):
        raise Forbidden("canned_replies_read_only" if is_staff(user) else "canned_replies_forbidden",
                        "Only managers change the platform's saved replies; reviewers can use them on a case."
                        if is_staff(user) else "Saved replies are kept by the platform's managers and by creators.")
    return PLATFORM if user.role == Role.MANAGER else user.company_id


def purposes_for(user: User) -> tuple[Purpose, ...]:
    side = _side(user)
    return SCOPE_PURPOSES.get(side, ()) if side else ()


# ----------------------------------------------------------------------------- reading
def list_replies(ctx: Ctx, user: User, *, purpose: Optional[str] = None) -> list[CannedReply]:
    """The templates `user` may use, by name (a scope holds at most MAX_PER_SCOPE)."""
    scope = readable_scope(user)
    if scope is None:
        return []
    stmt = select(CannedReply).where(CannedReply.scope == scope)
    if purpose is not None:
        stmt = stmt.where(CannedReply.purpose == str(purpose))
    return list(ctx.session.scalars(stmt.order_by(func.lower(CannedReply.name), CannedReply.id)
                                    .limit(MAX_PER_SCOPE)))


def get_reply(ctx: Ctx, user: User, reply_id: object) -> CannedReply:
    """The template if `user` may read it, else NotFound (another company's looks missing)."""
    scope = readable_scope(user)
    rid = _as_id(reply_id)
    reply = ctx.session.get(CannedReply, rid) if rid is not None and scope is not None else None
    if reply is None or reply.scope != scope:
        raise NotFound("saved reply")
    return reply


def _as_id(value: object) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


# ----------------------------------------------------------------------------- changing
@dataclass
class Saved:
    """What a save did: the template, and the placeholders it uses that do not exist."""

    reply: CannedReply
    unknown: list[str] = field(default_factory=list)

    @property
    def warning(self) -> Optional[str]:
        return unknown_sentence(self.unknown)


def unknown_placeholders(body: str) -> list[str]:
    """The `{names}` in `body` that are no placeholder, in order, each once."""
    seen: list[str] = []
    for m in _PLACEHOLDER.finditer(body or ""):
        if m.group(1) not in PLACEHOLDERS and m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def unknown_sentence(unknown: list[str]) -> Optional[str]:
    """'{custmer_name} is not a placeholder (did you mean {customer_name}?): use …'."""
    if not unknown:
        return None
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(PLACEHOLDERS), n=1, cutoff=0.6)
        parts.append(f"{{{name}}}" + (f" (did you mean {{{close[0]}}}?)" if close else ""))
    verb = "is not a placeholder" if len(parts) == 1 else "are not placeholders"
    return (f"{', '.join(parts)} {verb}: use {placeholder_list()}. "
            f"Until you fix it, it shows in the message exactly as typed.")


def _clean(ctx: Ctx, user: User, *, name: object, purpose: object, body: object) -> tuple[str, str, str]:
    name_text = name.strip() if isinstance(name, str) else ""
    if not name_text:
        raise Invalid("name_required", "Give the reply a name, so you can find it in the list.")
    if len(name_text) > NAME_MAX:
        raise Invalid("name_too_long", f"The name is {len(name_text)} characters; keep it to {NAME_MAX}.")
    allowed = purposes_for(user)
    if purpose not in [p.value for p in allowed]:
        raise Invalid("invalid_purpose", "Choose what the reply is for: "
                      + ", ".join(PURPOSE_LABELS[p].lower() for p in allowed) + ".")
    body_text = body if isinstance(body, str) else ""
    if not body_text.strip():
        raise Invalid("body_required", "Write the reply's text.")
    limit = ctx.settings.max_message_chars
    if len(body_text) > limit:
        raise Invalid("body_too_long", f"The text is {len(body_text):,} characters; a message holds at most "
                                       f"{limit:,}. Shorten it.")
    return name_text, str(purpose), body_text


def _name_taken(ctx: Ctx, scope: str, name: str, *, other_than: Optional[int] = None) -> bool:
    stmt = select(CannedReply.id).where(CannedReply.scope == scope, func.lower(CannedReply.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(CannedReply.id != other_than)
    return ctx.session.scalar(stmt.limit(1)) is not None


def _duplicate(name: str) -> Invalid:
    return Invalid("duplicate_name", f"There is already a reply called “{name}”. Choose another name, "
                                     f"or edit that one.")


def _flush(ctx: Ctx, name: str) -> None:
    """Flush inside a savepoint: a reply of the same name saved at the same moment by
    someone else (the unique constraint) is the same clear error, and the transaction
    stays usable."""
    try:
        with ctx.session.begin_nested():
            ctx.session.flush()
    except IntegrityError:
        raise _duplicate(name) from None


def create_reply(ctx: Ctx, user: User, *, name: object, purpose: object, body: object) -> Saved:
    scope = editable_scope(user)
    name_text, purpose_text, body_text = _clean(ctx, user, name=name, purpose=purpose, body=body)
    count = ctx.session.scalar(select(func.count()).select_from(CannedReply).where(CannedReply.scope == scope))
    if count >= MAX_PER_SCOPE:
        raise Invalid("too_many_replies", f"You already keep {MAX_PER_SCOPE} saved replies, the most there can be. "
                                          f"Delete one you no longer use first.")
    if _name_taken(ctx, scope, name_text):
        raise _duplicate(name_text)
    reply = CannedReply(scope=scope, name=name_text, purpose=purpose_text, body=body_text, created_by_id=user.id,
                        created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(reply)
    _flush(ctx, name_text)
    return Saved(reply, unknown_placeholders(body_text))


def _editable(ctx: Ctx, user: User, reply_id: object) -> CannedReply:
    scope = editable_scope(user)
    reply = get_reply(ctx, user, reply_id)
    if reply.scope != scope:  # readable_scope and editable_scope agree today; keep them honest
        raise NotFound("saved reply")
    return reply


def update_reply(ctx: Ctx, user: User, reply_id: object, *, name: object, purpose: object, body: object) -> Saved:
    reply = _editable(ctx, user, reply_id)
    name_text, purpose_text, body_text = _clean(ctx, user, name=name, purpose=purpose, body=body)
    if _name_taken(ctx, reply.scope, name_text, other_than=reply.id):
        raise _duplicate(name_text)
    reply.name, reply.purpose, reply.body, reply.updated_at = name_text, purpose_text, body_text, ctx.now
    _flush(ctx, name_text)
    return Saved(reply, unknown_placeholders(body_text))


def delete_reply(ctx: Ctx, user: User, reply_id: object) -> str:
    """Delete the template; returns its name (for the confirmation)."""
    reply = _editable(ctx, user, reply_id)
    name = reply.name
    ctx.session.delete(reply)
    ctx.session.flush()
    return name


# ----------------------------------------------------------------------------- rendering
def render(body: str, values: dict[str, str]) -> str:
    """`body` with each known `{name}` replaced; anything else (unknown names, lone or
    doubled braces, `{0}`, `{}`) left exactly as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def due_for(ctx: Ctx, case: Case, viewer: User, purpose: Optional[str]) -> Optional[dt.datetime]:
    """The deadline `{due_date}` names. An information request sets a new reply deadline
    (RESPONSE_DAYS from now) and that is the date its reader must act by; otherwise the
    case's response deadline, or, for staff on a case under review, the decide-by."""
    if purpose == Purpose.INFO_REQUEST:
        return ctx.now + ctx.days(ctx.settings.response_days)
    if case.response_due_at is not None:
        return case.response_due_at
    if is_staff(viewer) and case.stage in REVIEW_STAGES:
        return sla.decide_by(case, ctx.settings)
    return None


def values_for(ctx: Ctx, case: Case, viewer: User, *, purpose: Optional[str] = None,
               zone: Optional[ZoneInfo] = None) -> dict[str, str]:
    due = due_for(ctx, case, viewer, purpose)
    return {
        "customer_name": case.customer.name,
        "company": case.company.name,
        "amount": format_minor(case.amount_minor, case.currency),
        "due_date": local_text(due, zone or zone_of(viewer)) if due is not None else NO_DEADLINE,
    }


def usable_for(user: User, case: Case, action: Optional[str]) -> Optional[Purpose]:
    """The purpose of the templates offered beside `action`'s message for this viewer on
    this case, or None (no templates there: customers, an action without words)."""
    party = party_of(user, case)
    if party is None or readable_scope(user) is None:
        return None
    return ACTION_PURPOSE.get(party, {}).get(action or "")


def replies_for_action(ctx: Ctx, user: User, case_id: str, action: Optional[str]) -> list[CannedReply]:
    """The templates the case page offers beside `action` (the case is loaded as `user`)."""
    case = load_case(ctx, user, case_id)
    purpose = usable_for(user, case, action)
    return list_replies(ctx, user, purpose=purpose.value) if purpose else []


def render_for_case(ctx: Ctx, user: User, reply_id: object, case_id: str, *, action: Optional[str] = None,
                    zone: Optional[ZoneInfo] = None) -> str:
    """The template's text filled in for this case as `user` reads it. NotFound for a case
    or a template `user` may not see, and for a template of another purpose than the one
    `action` takes (when given)."""
    case = load_case(ctx, user, case_id)
    reply = get_reply(ctx, user, reply_id)
    if action is not None and usable_for(user, case, action) != reply.purpose:
        raise NotFound("saved reply")
    return render(reply.body, values_for(ctx, case, user, purpose=reply.purpose, zone=zone))


SAMPLE_VALUES = {"customer_name": "Alex Rivera", "company": "Acme Courses", "amount": "$49.00",
                 "due_date": "Mon 22 Jun 2026, 12:00 UTC"}


def preview(body: str) -> str:
    """The text with made-up values, as the template list shows it."""
    return render(body, SAMPLE_VALUES)
