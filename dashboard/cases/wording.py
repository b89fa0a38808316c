"""Which actions must say something, and what (SPEC §3.4, §3.7–3.9: a denial, an appeal, a
reply and every staff decision need written words). One place: the action functions
refuse without it (`message_required`, "Write a reply; it is required."), and the case
page's form marks the field required and keeps its submit disabled until it is filled.
"""
from __future__ import annotations

from typing import Optional

from dashboard.enums import Action, Party

# (action, the side acting or None for any side) -> what must be written, as a noun phrase.
_REQUIRED: dict[tuple[Action, Optional[Party]], str] = {
    (Action.DENY, None): "A message explaining the denial",
    (Action.REPLY, None): "A reply",
    (Action.APPEAL, None): "A message explaining the appeal",
    (Action.NOTE, None): "A note",
    (Action.REQUEST_INFO, Party.PLATFORM): "A message saying what information is needed",
    (Action.DECIDE, None): "A reason for the decision (the parties read it)",
    (Action.FINAL_DECIDE, None): "A reason for the final decision (the parties read it)",
}


def required_message(action: Action | str, party: Optional[Party | str] = None) -> Optional[str]:
    """What `party` must write to take `action` ("A reply"), or None when words are optional."""
    try:
        action, side = Action(action), Party(party) if party is not None else None
    except ValueError:
        return None
    return _REQUIRED.get((action, side)) or _REQUIRED.get((action, None))
