"""Small helpers shared by the case action modules."""
from __future__ import annotations

from typing import Optional

from data.models import Case, User
from dashboard.enums import Party
from dashboard.errors import NotFound
from dashboard.permissions import party_of


def require_party(actor: User, case: Case) -> Party:
    party = party_of(actor, case)
    if party is None:
        raise NotFound("case")
    return party


def mark_merchant_response(case: Case, party: Party, now) -> None:
    if party == Party.MERCHANT and case.first_merchant_response_at is None:
        case.first_merchant_response_at = now


def who(party: Party) -> str:
    return {"customer": "The customer", "merchant": "The merchant"}.get(party.value, "The platform")


def parse_party(value: Optional[str]) -> Party:
    from dashboard.errors import Invalid

    if value in ("customer", "merchant"):
        return Party(value)
    raise Invalid("invalid_party", "Choose whom to ask: 'customer' or 'merchant'.")
