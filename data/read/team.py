"""What the `/team` screen and the auto-assignment read about the staff, beyond their open
cases (those are `data.read.workload`, from the rollup kept at every commit):

- `decided_since`: first decisions and final decisions each person took since a moment,
  over the partial indexes ix_cases_decided_at and ix_cases_final_decided_at — the
  decisions of a week, whatever the number of cases.
- `last_assigned`: when each person last got a case they still hold open, as the event's
  `seq` (later is larger, also among events written in the same second), for the
  auto-assignment's tie-break "who was assigned least recently". It reads the assignment
  events of the open cases they hold (ix_cases_assignee, then ix_case_events_case_seq):
  a few per open case, never the case history.
"""
from __future__ import annotations

import datetime as dt
from typing import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Case, CaseEvent

CLOSED = "closed"


def decided_since(session: Session, since: dt.datetime) -> dict[str, int]:
    """{user id: decisions and final decisions taken at or after `since`}."""
    out: dict[str, int] = {}
    for who, when in ((Case.decided_by_id, Case.decided_at), (Case.final_decided_by_id, Case.final_decided_at)):
        stmt = (select(who, func.count()).where(when.is_not(None), when >= since, who.is_not(None))
                .group_by(who))
        for uid, n in session.execute(stmt):
            out[uid] = out.get(uid, 0) + int(n)
    return out


def last_assigned(session: Session, user_ids: Collection[str]) -> dict[str, int]:
    """{user id: seq of the latest assignment event naming them, on an open case they hold}.
    Someone holding no open case is absent: the least recently assigned of all."""
    ids = list(user_ids)
    if not ids:
        return {}
    stmt = (select(Case.assignee_id, CaseEvent.seq, CaseEvent.data)
            .join(CaseEvent, CaseEvent.case_id == Case.id)
            .where(Case.assignee_id.in_(ids), Case.status != CLOSED, CaseEvent.action == "assigned"))
    out: dict[str, int] = {}
    for uid, seq, data in session.execute(stmt):
        # Only the event that named them: an earlier one on the case may name someone else.
        if isinstance(data, dict) and data.get("assignee_id") == uid and seq > out.get(uid, -1):
            out[uid] = seq
    return out
