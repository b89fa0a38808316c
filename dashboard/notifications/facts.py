"""What an email says about the case, worked out for one reader: who they are on the case,
their time zone, the names, the money in exact amounts, what they can do next and by
when, and whether they may appeal or the result is final.

The rules come from the domain: the appeal is offered when the transition table would let
this reader appeal now (`lifecycle.allowed`: the window, the one appeal), finality is the
case's `final`, and the money is what the action decided (the event's data) or what the
case records (whose money went back, the credit booked). Nothing here restates them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from data.models import Case, CaseEvent, User
from dashboard.context import Ctx
from dashboard.enums import REASON_LABELS, Action, Decision, Outcome, Party, RefundSource, Role, Stage, Status
from dashboard.money.amounts import format_minor
from dashboard.timeline import data_time
from dashboard.timezones import local_text, zone_of

MAX_MERCHANT_REQUESTS = 3  # SPEC §3.3; lifecycle._merchant_may_ask_again refuses the fourth


def possessive(name: str) -> str:
    """"Dana Lee's", "Acme Courses'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


@dataclass(frozen=True)
class Reader:
    """The recipient of one email and their side of the case."""

    user: User
    side: Party  # CUSTOMER, MERCHANT or PLATFORM (a reviewer who asked a question)
    zone: ZoneInfo

    def when(self, moment: dt.datetime) -> str:
        return local_text(moment, self.zone)


def reader_for(case: Case, user: User) -> Reader:
    if user.id == case.customer_id:
        side = Party.CUSTOMER
    elif user.role == Role.CREATOR and user.company_id == case.company_id:
        side = Party.MERCHANT
    else:
        side = Party.PLATFORM
    return Reader(user, side, zone_of(user))


@dataclass(frozen=True)
class Facts:
    """The case and the event, read once per email."""

    ctx: Ctx
    case: Case
    event: CaseEvent
    actor: Optional[User]

    # ----------------------------------------------------------------- names
    @property
    def company(self) -> str:
        return self.case.company.name

    @property
    def customer(self) -> str:
        return self.case.customer.name

    @property
    def actor_name(self) -> str:
        return self.actor.name if self.actor is not None else "Someone"

    @property
    def reason(self) -> str:
        try:
            return REASON_LABELS[self.case.reason].lower()
        except (KeyError, ValueError):
            return "another reason"

    @property
    def product(self) -> Optional[str]:
        payment = self.case.payment
        return payment.product_title if payment is not None and payment.product_title else None

    def money(self, minor: int) -> str:
        return format_minor(minor, self.case.currency)

    @property
    def paid(self) -> str:
        return self.money(self.case.amount_minor)

    @property
    def data(self) -> dict:
        return self.event.data or {}

    def data_time(self, key: str) -> Optional[dt.datetime]:
        return data_time(self.data, key)

    def favour(self, reader: Reader) -> str:
        """'your favour', 'Northwind Academy's favour': whose the case's outcome is."""
        customer_side = self.case.outcome == Outcome.CUSTOMER_WON.value
        if (customer_side and reader.side == Party.CUSTOMER) or (not customer_side and reader.side == Party.MERCHANT):
            return "your favour"
        return f"{possessive(self.customer if customer_side else self.company)} favour"

    # ----------------------------------------------------------------- money
    def _amount_from_event(self) -> Optional[int]:
        value = self.data.get("amount")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def refund_amount(self) -> int:
        """What the merchant refunded: the decision's amount, else the whole payment (an
        acceptance, a refund made elsewhere)."""
        if (amount := self._amount_from_event()) is not None:
            return amount
        if self.case.decision == Decision.REFUND.value and self.case.decision_amount_minor:
            return self.case.decision_amount_minor
        return self.case.amount_minor

    def credit_amount(self) -> int:
        """The platform credit: the decision's amount (booked right after the email is
        written), else what the case has been credited."""
        if (amount := self._amount_from_event()) is not None and self._remedy() == Decision.CREDIT.value:
            return amount
        return self.case.credited_minor or self.case.decision_amount_minor or 0

    def _remedy(self) -> Optional[str]:
        """How a customer win made the customer whole in this event: refund or credit."""
        if self.event.action == "decided":
            return self.data.get("decision")
        if self.event.action == "final_decision" and self.data.get("remedy"):
            return self.data.get("remedy")
        if self.case.refund in (RefundSource.MERCHANT.value, RefundSource.PLATFORM.value):
            return Decision.REFUND.value
        if self.case.credited_minor or self.case.decision == Decision.CREDIT.value:
            return Decision.CREDIT.value
        return None

    def money_lines(self, reader: Reader) -> tuple[str, ...]:
        """The money of a closed case for this reader, in exact amounts."""
        case = self.case
        if case.status != Status.CLOSED.value or reader.side == Party.PLATFORM:
            return ()
        you_customer = reader.side == Party.CUSTOMER
        if case.outcome == Outcome.WITHDRAWN.value:
            return ("Nothing is refunded.",)
        remedy = self._remedy()
        if case.outcome == Outcome.CUSTOMER_WON.value:
            if self.event.action == "refunded_elsewhere":
                return ((f"Your {self.paid} payment to {self.company} was refunded to you in full."
                         if you_customer else
                         f"{possessive(self.customer)} {self.paid} payment was refunded in full; the Resolution "
                         f"Center moves no more money on this case."),)
            if remedy == Decision.CREDIT.value:
                credit = self.money(self.credit_amount())
                return ((f"{credit} in platform credit is added to your balance; the payment itself is not "
                         f"refunded." if you_customer else
                         f"{self.customer} gets {credit} in platform credit from the platform; it costs "
                         f"{self.company} nothing and nothing is taken from your funds."),)
            refund = self.money(self.refund_amount())
            if you_customer:
                return (f"{refund} of {self.paid} refunded to you from {possessive(self.company)} funds.",)
            return (f"{refund} of {possessive(self.customer)} {self.paid} payment is refunded to them from your "
                    f"funds.",)
        # The merchant won: a customer who got money in an overturned decision keeps it.
        if case.refund == RefundSource.PLATFORM.value:
            refund = self.money(case.decision_amount_minor or case.amount_minor)
            return ((f"You keep the {refund} refund; the platform reimburses {self.company}." if you_customer else
                     f"{self.customer} keeps the {refund} refund; the platform pays {self.company} back the "
                     f"{refund} it refunded."),)
        if case.credited_minor:
            credit = self.money(case.credited_minor)
            return ((f"You keep the {credit} in platform credit; it cost {self.company} nothing." if you_customer
                     else f"{self.customer} keeps the {credit} in platform credit, which the platform paid; "
                          f"nothing is taken from your funds."),)
        return (("Nothing is refunded to you." if you_customer else "Nothing is refunded from your funds."),)

    # ----------------------------------------------------------------- next step
    def next_step(self, reader: Reader) -> tuple[str, ...]:
        """What this reader can do now and by when (nothing for a closed case: the appeal
        paragraph says what is left)."""
        case = self.case
        stage = Stage(case.stage)
        due = reader.when(case.response_due_at) if case.response_due_at is not None else None
        if reader.side == Party.PLATFORM:
            return ("The case is back with you for review.",) if case.status == Status.UNDER_REVIEW.value else ()
        you_customer = reader.side == Party.CUSTOMER
        if stage == Stage.AWAITING_MERCHANT:
            if not you_customer:
                left = MAX_MERCHANT_REQUESTS - (case.merchant_info_requests or 0)
                ask = (f", or ask {self.customer} for more information ({left} of {MAX_MERCHANT_REQUESTS} "
                       f"requests left)" if left > 0 else "")
                return (f"What you can do next: answer by {due}. Accept to refund the {self.paid}, deny with a "
                        f"message{ask}. If nobody at {self.company} answers by then, the platform reviews the case.",)
            return (f"What happens next: {self.company} has until {due} to answer. If they do not, the platform "
                    f"reviews the case. Until then you can add evidence, or withdraw the case.",)
        if stage == Stage.AWAITING_CUSTOMER:
            if you_customer:
                return (f"What you can do next: reply by {due}. If you do not reply by then, the platform reviews "
                        f"the case. You can also withdraw the case.",)
            return (f"What happens next: {self.customer} has until {due} to reply. If they do not, the platform "
                    f"reviews the case. Nothing is needed from you now.",)
        if stage in (Stage.REVIEW_AWAITING_MERCHANT, Stage.FINAL_AWAITING_MERCHANT):
            if not you_customer:
                return (f"What you can do next: reply to the platform by {due}, or accept the case to refund the "
                        f"{self.paid}. If nobody replies by then, the review continues without it.",)
            return (f"What happens next: {self.company} has until {due} to reply to the platform; the review "
                    f"then continues. Nothing is needed from you now.",)
        if stage in (Stage.REVIEW_AWAITING_CUSTOMER, Stage.FINAL_AWAITING_CUSTOMER):
            if you_customer:
                return (f"What you can do next: reply to the platform by {due}. If you do not reply by then, the "
                        f"case is closed in {possessive(self.company)} favour.",)
            return (f"What happens next: {self.customer} has until {due} to reply to the platform. If they do "
                    f"not, the case is closed in your favour. Nothing is needed from you now.",)
        if stage == Stage.FINAL_REVIEW:
            return ("What happens next: a second platform reviewer, not the one who decided, makes the final "
                    "decision. They may ask you for more information; nothing is needed from you now.",)
        if stage == Stage.UNDER_REVIEW:
            final = (" That decision will be final: the case has had its one appeal."
                     if case.customer_appealed or case.merchant_appealed else "")
            return (f"What happens next: a platform reviewer decides the case.{final} They may ask you for more "
                    f"information; nothing is needed from you now.",)
        return ()

    # ----------------------------------------------------------------- appeal or final
    def _may_appeal(self, side: Party, user: Optional[User]) -> bool:
        # Imported here: the lifecycle imports this package to queue its emails.
        from dashboard import lifecycle

        return lifecycle.allowed(self.ctx, self.case, Action.APPEAL, side, user) is not None

    def appeal(self, reader: Reader) -> Optional[str]:
        """After an outcome: the reader's right to appeal and its deadline, the other side's,
        or that the result is final."""
        case = self.case
        if case.status != Status.CLOSED.value or reader.side == Party.PLATFORM:
            return None
        if case.final or case.appeal_due_at is None:
            if case.customer_appealed or case.merchant_appealed:
                return "This is final: the case has had its one appeal, and nothing can change the outcome now."
            if case.outcome == Outcome.WITHDRAWN.value:
                return ("This is final: a withdrawn case cannot be reopened, and no new case can be opened on "
                        "this payment.")
            return "This is final: the case is closed for good and cannot be appealed."
        by = reader.when(case.appeal_due_at)
        decided = case.decided_by_id is not None
        then = ("a second platform reviewer, not the one who decided, then makes the final decision" if decided
                else "the platform then reviews the case, and its decision is final")
        you = self._may_appeal(reader.side, reader.user)
        other_side = Party.MERCHANT if reader.side == Party.CUSTOMER else Party.CUSTOMER
        other = self._may_appeal(other_side, case.customer if other_side == Party.CUSTOMER else None)
        other_name = self.company if other_side == Party.MERCHANT else self.customer
        if you:
            also = f" {other_name} can appeal too." if other else ""
            return (f"You can appeal once, by {by}, with a message saying why: {then}.{also} This is the case's "
                    f"only appeal. If no appeal is made by then, this outcome is final.")
        if other:
            return (f"{other_name} can appeal by {by}: {then}. If no appeal is made by then, this outcome is "
                    f"final.")
        return f"No appeal is open to you; this outcome becomes final on {by}."
