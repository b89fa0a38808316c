"""Which actions a viewer may take on a case right now, and why the others they could
expect are not possible — both read from the transition table alone (its rows and
their guards), so the buttons on screen, `available_actions` in the API and what the
server accepts never disagree."""
from __future__ import annotations

from data.models import Case, User
from dashboard.context import Ctx
from dashboard.enums import Action, Party
from dashboard.lifecycle import Refusal, allowed, refusal
from dashboard.permissions import party_of

# Published vocabulary first, in the published order.
PARTY_ACTIONS = (Action.ACCEPT, Action.DENY, Action.REQUEST_INFO, Action.REPLY, Action.APPEAL, Action.WITHDRAW,
                 Action.ADD_EVIDENCE)
STAFF_ACTIONS = (Action.CLAIM, Action.ASSIGN, Action.REQUEST_INFO, Action.NOTE, Action.DECIDE, Action.FINAL_DECIDE,
                 Action.ADD_EVIDENCE)


def _vocabulary(party: Party) -> tuple[Action, ...]:
    return PARTY_ACTIONS if party in (Party.CUSTOMER, Party.MERCHANT) else STAFF_ACTIONS


def available_actions(ctx: Ctx, case: Case, viewer: User) -> list[str]:
    party = party_of(viewer, case)
    if party is None:
        return []
    return [a.value for a in _vocabulary(party) if allowed(ctx, case, a, party, viewer)]


def unavailable_reasons(ctx: Ctx, case: Case, viewer: User) -> dict[Action, Refusal]:
    """For the actions this viewer could expect to take here but cannot now, why not (the
    guard's Refusal: a sentence, and the deadline it is about as data). Left out: what
    is possible, what the viewer's role never does (a reviewer assigning), and what no
    row leads to from the case's stage (deciding a closed case)."""
    party = party_of(viewer, case)
    if party is None:
        return {}
    out: dict[Action, Refusal] = {}
    for a in _vocabulary(party):
        why = refusal(ctx, case, a, party, viewer)
        if why is not None:
            out[a] = why
    return out
