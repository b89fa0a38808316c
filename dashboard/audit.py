"""The audit log: sign-ins and the platform staff's decisions, for managers (/audit).

What is recorded, and why these:

- `sign_in.success`, `sign_in.failure`, `sign_in.throttled`, `sign_out` — with the
  typed email, the address and the time: who got in, and who is guessing.
- `case.decided`, `case.final_decision` — the decisions that move money;
  `case.assigned` (claims and assignments) — who held a case when it was decided;
  `case.request_info` by staff — it puts a party on a deadline that can lose them the case.

Internal notes are *not* audited: they change no state and no money, the case's
append-only timeline already names their author, and copying their text into a
log exported as CSV would spread internal content further than the case page.

Staff actions are derived from the timeline: every transition writes its `CaseEvent`
through one writer (`dashboard.timeline.record`), so a `before_flush` hook that turns
each new platform event of those kinds into an `AuditEvent` in the *same* flush covers
the screens, the API and anything added later, and commits or rolls back with the
action itself. The hook is installed on import of this module; `dashboard.auth` and
`dashboard.api.routing` (the two ways staff act) import it.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Optional

from sqlalchemy import event
from sqlalchemy.orm import Session

from data.models import AuditEvent, CaseEvent
from data.read.audit import AuditFilter
from dashboard.context import Ctx


class AuditKind(StrEnum):
    SIGN_IN_SUCCESS = "sign_in.success"
    SIGN_IN_FAILURE = "sign_in.failure"
    SIGN_IN_THROTTLED = "sign_in.throttled"
    SIGN_OUT = "sign_out"
    CASE_DECIDED = "case.decided"
    CASE_FINAL_DECISION = "case.final_decision"
    CASE_ASSIGNED = "case.assigned"
    CASE_REQUEST_INFO = "case.request_info"
    STAFF_DUTY = "staff.duty"  # a manager put someone on or off duty, or changed their capacity (dashboard.duty)


SIGN_IN_KINDS = (AuditKind.SIGN_IN_SUCCESS, AuditKind.SIGN_IN_FAILURE, AuditKind.SIGN_IN_THROTTLED,
                 AuditKind.SIGN_OUT)
STAFF_KINDS = (AuditKind.CASE_DECIDED, AuditKind.CASE_FINAL_DECISION, AuditKind.CASE_ASSIGNED,
               AuditKind.CASE_REQUEST_INFO)

# Timeline event action (by the platform) -> audit kind.
_STAFF_EVENT_KINDS = {
    "decided": AuditKind.CASE_DECIDED,
    "final_decision": AuditKind.CASE_FINAL_DECISION,
    "assigned": AuditKind.CASE_ASSIGNED,
    "requested_more_info": AuditKind.CASE_REQUEST_INFO,
}
# What of an event's data is worth keeping: outcomes and whom, never free text.
_KEPT_DATA = ("decision", "amount", "remedy", "final", "assignee_id", "from")


def record(ctx: Ctx, kind: AuditKind, *, actor_id: Optional[str] = None, email: Optional[str] = None,
           address: Optional[str] = None, case_id: Optional[str] = None,
           details: Optional[dict[str, Any]] = None) -> AuditEvent:
    row = AuditEvent(at=ctx.now, kind=kind.value, actor_id=actor_id, email=(email or None) and email[:320],
                     address=(address or None) and address[:64], case_id=case_id, details=details or None)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _from_case_event(ev: CaseEvent) -> Optional[AuditEvent]:
    kind = _STAFF_EVENT_KINDS.get(ev.action)
    if kind is None or ev.reporter_type != "platform" or not ev.actor_id:
        return None
    data = ev.data if isinstance(ev.data, dict) else {}
    kept = {k: data[k] for k in _KEPT_DATA if k in data}
    return AuditEvent(at=ev.created_at, kind=kind.value, actor_id=ev.actor_id, case_id=ev.case_id,
                      details=kept or None)


@event.listens_for(Session, "before_flush")
def _audit_staff_events(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.new):
        if isinstance(obj, CaseEvent):
            row = _from_case_event(obj)
            if row is not None:
                session.add(row)


KIND_LABELS = {
    AuditKind.SIGN_IN_SUCCESS: "Signed in",
    AuditKind.SIGN_IN_FAILURE: "Sign-in failed",
    AuditKind.SIGN_IN_THROTTLED: "Sign-in throttled",
    AuditKind.SIGN_OUT: "Signed out",
    AuditKind.CASE_DECIDED: "Decided a case",
    AuditKind.CASE_FINAL_DECISION: "Final decision",
    AuditKind.CASE_ASSIGNED: "Assigned a case",
    AuditKind.CASE_REQUEST_INFO: "Requested information",
    AuditKind.STAFF_DUTY: "Changed duty or capacity",
}
# Days the screen and the export accept: what a date column holds with room for "+1 day".
_FIRST_DAY, _LAST_DAY = dt.date(2000, 1, 1), dt.date(2999, 12, 30)


def _day(value) -> Optional[dt.date]:
    if not isinstance(value, str) or not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day if _FIRST_DAY <= day <= _LAST_DAY else None


def parse_filter(kinds, start, end) -> AuditFilter:
    """What the browser or a URL asked for, made safe: unknown kinds and unreadable or
    out-of-range dates are dropped (no filter), never an error. `end` is inclusive."""
    known = {k.value for k in AuditKind}
    chosen = tuple(k for k in (kinds if isinstance(kinds, (list, tuple)) else [kinds] if kinds else [])
                   if isinstance(k, str) and k in known)
    first, last = _day(start), _day(end)
    if first and last and first > last:
        first, last = last, first
    midnight = dt.time(tzinfo=dt.timezone.utc)
    return AuditFilter(kinds=chosen,
                       since=dt.datetime.combine(first, midnight) if first else None,
                       until=dt.datetime.combine(last + dt.timedelta(days=1), midnight) if last else None)


def describe(row) -> str:
    """One line of what an audit row's details say (never free text: there is none)."""
    d = row.details or {}
    parts = []
    if d.get("decision"):
        parts.append(str(d["decision"]).replace("_", " "))
    if d.get("remedy"):
        parts.append(f"remedy {d['remedy']}")
    if d.get("amount") is not None:
        parts.append(f"amount {d['amount']} (minor units)")
    if d.get("final"):
        parts.append("final")
    if "assignee_id" in d:
        parts.append(f"to {d['assignee_id'] or 'nobody'}")
    if d.get("from"):
        parts.append(f"from the {d['from']}")
    if "on_duty" in d:  # staff.duty: whose, and what they are now
        parts.append(f"{d.get('user_id')} {'on duty' if d['on_duty'] else 'off duty'}, capacity "
                     f"{d['capacity'] if d.get('capacity') is not None else 'default'}")
    if d.get("retry_after"):
        parts.append(f"retry after {d['retry_after']} s")
    return ", ".join(parts)
