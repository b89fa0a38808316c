"""The append-only case timeline (SPEC §4)."""
from __future__ import annotations

from typing import Iterable, Optional

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
