"""The append-only case timeline (SPEC §4).

Events that state a deadline keep it as data (`due_at`, ISO 8601 UTC) beside their text:
`deadline_sentence` words such an event from its data, with the time in whatever zone the
reader's `at` formats it. The stored `details` (what the API sends as `text`) is that
sentence in UTC; a screen words it again in its viewer's zone. Rows written before the data
was kept have only the text: `localise_times` rewrites the "2026-06-15 12:00 UTC" times in it.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Iterable, Mapping, Optional

from sqlalchemy import select

from data.models import Case, CaseEvent, EvidenceFile, User
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.permissions import event_visibility_for

# Domain action -> the event `action` written on the timeline. The first ones are the
# published API's vocabulary; the rest are ours.
EVENT_ACTIONS = {
    "open": "created",
    "accept": "accepted",
    "deny": "denied",
    "request_info": "requested_more_info",
    "reply": "responded",
    "appeal": "appealed",
    "withdraw": "withdrew",
    "escalate_overdue": "escalated",
    "decide": "decided",
    "final_decide": "final_decision",
    "claim": "assigned",
    "assign": "assigned",
    "note": "note",
    "add_evidence": "evidence_added",
    "expire_review_request": "no_response",
    "close_appeal_window": "appeal_window_closed",
    "report_refunded": "refunded_elsewhere",
}


TimeText = Callable[[dt.datetime], str]


def utc_text(when: dt.datetime) -> str:
    """How the stored text (and the API) states a time: '2026-06-15 12:00 UTC'."""
    return f"{when.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


# How each party is named in a system event's sentence; a screen passes "you" for its viewer.
PARTY_WORDS: Mapping[str, str] = {"customer": "the customer", "merchant": "the merchant"}


def _possessive(name: str) -> str:
    if name.lower() == "you":
        return "your"
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def data_time(data: Optional[dict], key: str) -> Optional[dt.datetime]:
    """A moment an event keeps in its data (ISO text; a naive one is UTC), None if absent
    or unreadable. Emails and the screen both word system events from it."""
    raw = (data or {}).get(key)
    if not isinstance(raw, str):
        return None
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def deadline_sentence(action: str, data: Optional[dict], *, at: TimeText = utc_text,
                      names: Mapping[str, str] = PARTY_WORDS) -> Optional[str]:
    """The sentence of a system event that states a deadline, from its data, or None when
    the event states none (or its data is not the shape written below). `names` words the
    parties ("the merchant", a company's name, "you")."""
    due = data_time(data, "due_at")
    silent = (data or {}).get("did_not_respond")
    if action == "appeal_window_closed":
        due = data_time(data, "appeal_due_at")
        return None if due is None else f"No appeal was made by {at(due)}, so the outcome is final."
    if due is None or silent not in ("customer", "merchant"):
        return None
    who = names.get(silent, PARTY_WORDS[silent])
    if action == "escalated":
        return _capital(f"{who} did not respond by {at(due)}, so the case was escalated to the platform for review.")
    if action == "no_response" and silent == "customer":
        favour = _possessive(names.get("merchant", PARTY_WORDS["merchant"]))
        return _capital(f"{who} did not provide the requested information by {at(due)}, so the case was closed "
                        f"in {favour} favour.")
    if action == "no_response":
        return _capital(f"{who} did not provide the requested information by {at(due)}; the review continues "
                        f"without it.")
    return None


_UTC_TIME = re.compile(r"\b(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}) UTC\b")


def localise_times(text: str, at: TimeText) -> str:
    """`text` with each '2026-06-15 12:00 UTC' in it stated by `at` instead (for system
    events written before their deadline was kept as data)."""
    def local(m: re.Match) -> str:
        try:
            when = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}:{m.group(3)}+00:00")
        except ValueError:
            return m.group(0)
        return at(when)
    return _UTC_TIME.sub(local, text)


def record(
    ctx: Ctx,
    case: Case,
    *,
    action: str,
    party: Party,
    actor: Optional[User],
    details: Optional[str] = None,
    data: Optional[dict] = None,
    file_ids: Iterable[str] = (),
    staff_only: bool = False,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        action=action,
        reporter_type=party.value,
        actor_id=actor.id if actor is not None else None,
        details=details,
        data=data or None,
        viewable_by_customer=not staff_only,
        viewable_by_merchant=not staff_only,
        created_at=ctx.now,
    )
    ctx.session.add(event)
    ctx.session.flush()
    file_ids = list(file_ids)
    if file_ids:
        files = ctx.session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(file_ids))).all()
        for f in files:
            f.case_id = case.id
            f.event_seq = event.seq
            f.party = party.value
        ctx.session.flush()
    return event


def events_for(ctx: Ctx, case: Case, viewer_party: Optional[Party], *, newest_first: bool = True):
    """The events `viewer_party` may read. Internal notes never reach a party."""
    order = CaseEvent.seq.desc() if newest_first else CaseEvent.seq.asc()
    stmt = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, event_visibility_for(viewer_party))
        .order_by(order)
    )
    return ctx.session.scalars(stmt).all()
