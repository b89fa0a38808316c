"""What an action would do before it is done: the money it would move, and whether it
ends the case for good in a new outcome. The case page's confirmation dialog reads this
instead of knowing which outcomes move money, when a remedy is needed or who pays a
reimbursement; the domain functions (`review.decide`, `review.final_decide`, ...) do
exactly this when they run, and the tests hold the two together.

The arguments are the domain function's (`ACTIONS[name].input` -> `.arguments()`); values
the domain would refuse plan nothing, so the action itself answers with its error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from data.models import Case
from dashboard.enums import Action, Decision, FinalDecision, MovementKind, Outcome, RefundSource

REMEDIES = {Decision.REFUND.value: MovementKind.MERCHANT_REFUND, Decision.CREDIT.value: MovementKind.CUSTOMER_CREDIT}


@dataclass(frozen=True)
class Planned:
    """A money movement the action would record."""

    kind: MovementKind
    amount_minor: int


@dataclass(frozen=True)
class Consequences:
    movements: tuple[Planned, ...] = ()
    final: bool = False  # the case would be closed for good
    outcome: Optional[Outcome] = None  # the outcome it would have
    changes_outcome: bool = False
    uses_the_appeal: bool = False  # this is the case's one appeal: the next decision is final

    @property
    def irreversible(self) -> bool:
        """Money moves, or the case ends for good with another outcome than it has."""
        return bool(self.movements) or (self.final and self.changes_outcome)

    @property
    def appealable(self) -> bool:
        """The case would close with an outcome that can still be appealed (once)."""
        return self.outcome is not None and not self.final

    @property
    def decisive(self) -> bool:
        """What a person confirms before it happens: money moves, the case closes with an
        outcome (for good or until an appeal), or the case's only appeal is used."""
        return bool(self.movements) or self.outcome is not None or self.final or self.uses_the_appeal


NOTHING = Consequences()


def remedy_needed(case: Case, decision: Optional[str]) -> bool:
    """Overturning a merchant win must say how the customer is made whole (refund or credit)
    and how much (§3.9); overturning a customer win needs nothing."""
    return decision == FinalDecision.OVERTURN.value and case.outcome == Outcome.MERCHANT_WON.value


def takes_amount(case: Case, name: str, args: Mapping[str, Any]) -> bool:
    """Whether the action's `amount` applies: a refund or credit decision, or the remedy of
    an overturned merchant win."""
    if name == Action.DECIDE.value:
        outcome = args.get("outcome")
        return isinstance(outcome, str) and outcome in REMEDIES  # a screen may pass what it was sent
    if name == Action.FINAL_DECIDE.value:
        return remedy_needed(case, args.get("decision"))
    return False


def _amount(case: Case, args: Mapping[str, Any]) -> int:
    amount = args.get("amount")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) else case.amount_minor


def _ending(case: Case, outcome: Outcome, *movements: Planned, final: bool = True) -> Consequences:
    return Consequences(movements=movements, final=final, outcome=outcome,
                        changes_outcome=case.outcome != outcome.value)


def consequences(case: Case, name: str, args: Mapping[str, Any]) -> Consequences:
    """What `name` with the domain arguments `args` would do to `case` now."""
    if name == Action.ACCEPT.value:
        return _ending(case, Outcome.CUSTOMER_WON, Planned(MovementKind.MERCHANT_REFUND, case.amount_minor))
    if name == Action.WITHDRAW.value:
        return _ending(case, Outcome.WITHDRAWN)
    if name == Action.DENY.value:  # the customer may appeal the denial (§3.4)
        return _ending(case, Outcome.MERCHANT_WON, final=False)
    if name == Action.APPEAL.value:  # §3.4, §3.9: one appeal per case; the decision on it is final
        return Consequences(uses_the_appeal=True)
    if name == Action.DECIDE.value:
        return _decision(case, args)
    if name == Action.FINAL_DECIDE.value:
        return _final_decision(case, args)
    return NOTHING


def _decision(case: Case, args: Mapping[str, Any]) -> Consequences:
    outcome = args.get("outcome")
    appealed = bool(case.customer_appealed or case.merchant_appealed)  # the decision on the one appeal is final
    if outcome in REMEDIES:
        return _ending(case, Outcome.CUSTOMER_WON, Planned(REMEDIES[outcome], _amount(case, args)), final=appealed)
    if outcome == Decision.MERCHANT_WINS.value:
        return _ending(case, Outcome.MERCHANT_WON, final=appealed)
    return NOTHING


def _final_decision(case: Case, args: Mapping[str, Any]) -> Consequences:
    decision = args.get("decision")
    if decision == FinalDecision.UPHOLD.value:
        return Consequences(final=True, outcome=Outcome(case.outcome) if case.outcome else None)
    if decision != FinalDecision.OVERTURN.value:
        return NOTHING
    if remedy_needed(case, decision):
        remedy = args.get("remedy")
        if remedy not in REMEDIES:
            return NOTHING  # remedy_required / invalid_remedy: the action says so
        return _ending(case, Outcome.CUSTOMER_WON, Planned(REMEDIES[remedy], _amount(case, args)))
    # A customer win overturned: the customer keeps what they got; a refund the merchant
    # paid is paid back to the merchant by the platform (review.settle_final_merchant_win).
    if case.refund == RefundSource.MERCHANT.value:
        paid = case.decision_amount_minor or case.amount_minor
        return _ending(case, Outcome.MERCHANT_WON, Planned(MovementKind.PLATFORM_REIMBURSEMENT, paid))
    return _ending(case, Outcome.MERCHANT_WON)
