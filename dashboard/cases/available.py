"""Which actions a viewer may take on a case right now — derived from the transition
table, so the buttons on screen and `available_actions` in the API never disagree
with what the server will accept."""
from __future__ import annotations

from data.models import Case, User
from dashboard.context import Ctx
from dashboard.enums import Action, Party, Role
from dashboard.lifecycle import allowed
from dashboard.permissions import party_of

# Published vocabulary first, in the published order.
PARTY_ACTIONS = (Action.ACCEPT, Action.DENY, Action.REQUEST_INFO, Action.REPLY, Action.APPEAL, Action.WITHDRAW,
                 Action.ADD_EVIDENCE)
STAFF_ACTIONS = (Action.CLAIM, Action.ASSIGN, Action.REQUEST_INFO, Action.NOTE, Action.DECIDE, Action.FINAL_DECIDE,
                 Action.ADD_EVIDENCE)


def available_actions(ctx: Ctx, case: Case, viewer: User) -> list[str]:
    party = party_of(viewer, case)
    if party is None:
        return []
    if party in (Party.CUSTOMER, Party.MERCHANT):
        return [a.value for a in PARTY_ACTIONS if allowed(ctx, case, a, party, viewer)]
    out = []
    for a in STAFF_ACTIONS:
        if allowed(ctx, case, a, Party.PLATFORM, viewer) is None:
            continue
        if a == Action.ASSIGN and viewer.role != Role.MANAGER:
            continue
        if a == Action.CLAIM and (case.assignee_id is not None
                                  or (case.final_review and case.decided_by_id == viewer.id)):
            continue
        if a in (Action.DECIDE, Action.FINAL_DECIDE, Action.REQUEST_INFO) and case.assignee_id not in (None, viewer.id):
            continue
        out.append(a.value)
    return out
