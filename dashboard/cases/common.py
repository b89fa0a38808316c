"""Small helpers shared by the case action modules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from data.models import Case, User
from dashboard.context import Ctx
from dashboard.eligibility import optional_message, require_message
from dashboard.enums import Action, Party
from dashboard.errors import Forbidden, Invalid, NotFound
from dashboard.evidence.files import check_attachable
from dashboard.lifecycle import Transition, check
from dashboard.permissions import load_case, party_of


def require_party(actor: User, case: Case) -> Party:
    party = party_of(actor, case)
    if party is None:
        raise NotFound("case")
    return party


@dataclass(frozen=True)
class PartyAction:
    """A party action that passed every check and may now change the case."""

    case: Case
    party: Party
    transition: Transition
    text: Optional[str]
    file_ids: list[str]


def open_party_action(ctx: Ctx, *, actor: User, case_id: str, action: Action, message: Optional[str],
                      file_ids: Iterable[str] = (), required: Optional[str] = None, evidence: bool = False,
                      only: Optional[Party] = None) -> PartyAction:
    """The opening every party action shares, in this order (the first failure answers):
    lock the case the actor may see (404), their side of it (`only` that side: 403), the
    transition table (403/409), the message (`required` names what must be written,
    else it is optional), the files (`evidence`: files are the point, so at least one,
    checked before the message)."""
    case = load_case(ctx, actor, case_id, lock=True)
    party = require_party(actor, case)
    if only is not None and party != only:
        # Staff ask through review.request_info_from, which names the party asked.
        raise Forbidden("action_not_permitted", f"Only the {only.value} can use this request for information.")
    t = check(ctx, case, action, party, actor)
    if evidence:
        ids = check_attachable(ctx, case, actor, party, file_ids)
        if not ids:
            raise Invalid("files_required", "Choose at least one file to add as evidence.")
        return PartyAction(case, party, t, optional_message(ctx, message), ids)
    text = require_message(ctx, message, what=required) if required else optional_message(ctx, message)
    ids = check_attachable(ctx, case, actor, party, file_ids)
    return PartyAction(case, party, t, text, ids)


def mark_merchant_response(case: Case, party: Party, now) -> None:
    if party == Party.MERCHANT and case.first_merchant_response_at is None:
        case.first_merchant_response_at = now


def who(party: Party) -> str:
    return {"customer": "The customer", "merchant": "The merchant"}.get(party.value, "The platform")


def parse_party(value: Optional[str]) -> Party:
    if value in ("customer", "merchant"):
        return Party(value)
    raise Invalid("invalid_party", "Choose whom to ask: the customer or the merchant.")
