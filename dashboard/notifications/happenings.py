"""What happened, in one sentence, for each kind of case event and each side of the case
("you" for the reader), with the end of the subject line and the words a person wrote.

One function per event kind; each answers `Said(subject, sentence, quote)` for a reader.
An event kind with no function here is told generically (nothing emailed today lacks one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from dashboard.enums import Party
from dashboard.notifications.facts import MAX_MERCHANT_REQUESTS, Facts, Reader, possessive
from dashboard.notifications.letter import Quote


@dataclass(frozen=True)
class Said:
    subject: str  # the end of the subject line, after "<company> · case <id> — "
    sentence: str
    quote: Optional[Quote] = None


def _words(facts: Facts, label: str, *, unless: str = "") -> Optional[Quote]:
    """The event's text as a person's words (`unless`: the stock text written when they
    wrote nothing)."""
    text = (facts.event.details or "").strip()
    if not text or text == unless:
        return None
    return Quote(label, text)


def _merchant_said(facts: Facts, reader: Reader, label: str = "message") -> Optional[Quote]:
    who = "Your team's" if reader.side == Party.MERCHANT else f"{possessive(facts.company)}"
    if reader.side == Party.MERCHANT and facts.actor is not None:
        who = f"{possessive(facts.actor_name)}"
    return _words(facts, f"{who} {label}")


def _customer_said(facts: Facts, reader: Reader, label: str = "message") -> Optional[Quote]:
    who = "Your" if reader.side == Party.CUSTOMER else f"{possessive(facts.customer)}"
    return _words(facts, f"{who} {label}")


def _teammate(facts: Facts) -> str:
    return f"{facts.actor_name} (of {facts.company})"


# --------------------------------------------------------------------------- the events
def created(facts: Facts, reader: Reader) -> Said:
    product = f" for “{facts.product}”" if facts.product else ""
    if reader.side == Party.CUSTOMER:
        return Said("we received your case",
                    f"You opened a case about your {facts.paid} payment to {facts.company}{product} "
                    f"(reason: {facts.reason}).",
                    _customer_said(facts, reader))
    return Said(f"{facts.customer} opened a case",
                f"{facts.customer} opened a case about their {facts.paid} payment to {facts.company}{product} "
                f"(reason: {facts.reason}).",
                _customer_said(facts, reader))


def accepted(facts: Facts, reader: Reader) -> Said:
    if reader.side == Party.CUSTOMER:
        return Said("the merchant accepted your case", f"{facts.company} accepted your case.",
                    _merchant_said(facts, reader))
    return Said(f"{facts.actor_name} accepted the case", f"{_teammate(facts)} accepted the case.",
                _merchant_said(facts, reader))


def denied(facts: Facts, reader: Reader) -> Said:
    if reader.side == Party.CUSTOMER:
        return Said("the merchant refused your request", f"{facts.company} refused your request.",
                    _merchant_said(facts, reader))
    return Said(f"{facts.actor_name} denied the case",
                f"{_teammate(facts)} denied {possessive(facts.customer)} request.",
                _merchant_said(facts, reader))


def requested_more_info(facts: Facts, reader: Reader) -> Said:
    asked = facts.data.get("from", "customer")
    if facts.event.reporter_type == Party.MERCHANT.value:
        quote = _merchant_said(facts, reader, "question")
        if quote is not None and quote.text == "The merchant asked for more information.":
            quote = None  # the stock text of a request with no message
        if reader.side == Party.CUSTOMER:
            return Said("the merchant asked you for more information",
                        f"{facts.company} asked you for more information about your case.", quote)
        used = facts.case.merchant_info_requests or 0
        return Said(f"{facts.actor_name} asked {facts.customer} for more information",
                    f"{_teammate(facts)} asked {facts.customer} for more information ({used} of "
                    f"{MAX_MERCHANT_REQUESTS} requests used).", quote)
    quote = _words(facts, "The platform reviewer's question")
    you_are_asked = (asked == "customer") == (reader.side == Party.CUSTOMER)
    if you_are_asked:
        return Said("the platform asked you for more information",
                    "A platform reviewer asked you for more information before deciding the case.", quote)
    whom = facts.customer if asked == "customer" else facts.company
    return Said(f"the platform asked {whom} for more information",
                f"A platform reviewer asked {whom} for more information before deciding the case.", quote)


def responded(facts: Facts, reader: Reader) -> Said:
    by_customer = facts.event.reporter_type == Party.CUSTOMER.value
    replier = facts.customer if by_customer else facts.company
    quote = (_customer_said(facts, reader, "reply") if by_customer else _merchant_said(facts, reader, "reply"))
    asker_id = facts.case.info_requested_by_id
    if reader.user.id == asker_id:
        return Said(f"{replier} replied to your request",
                    f"{facts.actor_name if not by_customer else replier} replied to your request for more "
                    f"information.", quote)
    to_platform = facts.case.status != "awaiting_merchant"  # a merchant's question hands the turn back to it
    request = "the platform's request" if to_platform else "your team's request"
    if reader.side == Party.MERCHANT and not by_customer:
        return Said(f"{facts.actor_name} replied to the platform",
                    f"{_teammate(facts)} replied to the platform's request for more information.", quote)
    if reader.side == Party.CUSTOMER:
        return Said(f"{facts.company} replied to the platform",
                    f"{facts.company} replied to the platform's request for more information.", quote)
    return Said(f"{facts.customer} replied",
                f"{facts.customer} replied to {request} for more information.", quote)


def withdrew(facts: Facts, reader: Reader) -> Said:
    return Said(f"{facts.customer} withdrew the case", f"{facts.customer} withdrew their case.",
                _customer_said(facts, reader))


def escalated(facts: Facts, reader: Reader) -> Said:
    silent = facts.data.get("did_not_respond")
    due = facts.data_time("due_at")
    by = f" by {reader.when(due)}" if due is not None else " in time"
    if silent == "customer":
        sentence = (f"You did not reply{by}, so the case went to the platform for review."
                    if reader.side == Party.CUSTOMER else
                    f"{facts.customer} did not reply{by}, so the platform is now reviewing the case.")
    else:
        sentence = (f"Nobody at {facts.company} answered{by}, so the platform is now reviewing the case."
                    if reader.side == Party.MERCHANT else
                    f"{facts.company} did not answer{by}, so the platform is now reviewing your case.")
    return Said("the platform is reviewing the case", sentence)


def decided(facts: Facts, reader: Reader) -> Said:
    favour = facts.favour(reader)
    return Said(f"the platform decided in {favour}", f"A platform reviewer decided the case in {favour}.",
                _decision_reason(facts))


def _decision_reason(facts: Facts) -> Optional[Quote]:
    reason = (facts.case.decision_reason or "").strip()
    return Quote("The reviewer's reason", reason) if reason else None


def appealed(facts: Facts, reader: Reader) -> Said:
    by = facts.data.get("by")
    of_decision = facts.case.decided_by_id is not None
    what = "the platform's decision" if of_decision else f"{possessive(facts.company)} refusal"
    if by == Party.CUSTOMER.value:
        quote = _customer_said(facts, reader, "appeal")
        if reader.side == Party.MERCHANT and not of_decision:
            what = "your team's refusal"
        return Said(f"{facts.customer} appealed {'the decision' if of_decision else 'the refusal'}",
                    f"{facts.customer} appealed {what}.", quote)
    quote = _merchant_said(facts, reader, "appeal")
    if reader.side == Party.MERCHANT:
        return Said(f"{facts.actor_name} appealed the decision",
                    f"{_teammate(facts)} appealed the platform's decision.", quote)
    return Said(f"{facts.company} appealed the decision", f"{facts.company} appealed the platform's decision.", quote)


def final_decision(facts: Facts, reader: Reader) -> Said:
    favour = facts.favour(reader)
    upheld = facts.data.get("decision") == "uphold"
    verb = ("upheld the decision: the case stays decided" if upheld
            else "overturned the decision: the case is now decided")
    text = (facts.event.details or "").strip()
    label = "upheld" if upheld else "overturned"
    stock = f"The appeal was reviewed and the decision {label}."
    reason = text[len(stock):].strip() if text.startswith(stock) else text
    return Said(f"final decision in {favour}",
                f"After the appeal, a second platform reviewer {verb} in {favour}.",
                Quote("The reviewer's reason", reason) if reason else None)


def no_response(facts: Facts, reader: Reader) -> Said:
    silent = facts.data.get("did_not_respond")
    due = facts.data_time("due_at")
    by = f" by {reader.when(due)}" if due is not None else " in time"
    if silent == "customer":
        if reader.side == Party.CUSTOMER:
            return Said("the case was closed", f"You did not send the information the platform asked for{by}, "
                                               f"so the case was closed in {possessive(facts.company)} favour.")
        return Said("the case was closed in your favour",
                    f"{facts.customer} did not send the information the platform asked for{by}, so the case "
                    f"was closed in your favour.")
    if reader.side == Party.MERCHANT:
        return Said("the review continues",
                    f"Nobody at {facts.company} sent the information the platform asked for{by}; the review "
                    f"continues without it.")
    return Said("the review continues",
                f"{facts.company} did not send the information the platform asked for{by}; the review "
                f"continues without it.")


def refunded_elsewhere(facts: Facts, reader: Reader) -> Said:
    return Said("the payment was refunded",
                f"The payment was refunded outside the Resolution Center, so the case is closed in "
                f"{facts.favour(reader)}.")


def appeal_window_closed(facts: Facts, reader: Reader) -> Said:
    return Said("the outcome is final", "No appeal was made in time, so the outcome is final.")


def _generic(facts: Facts, reader: Reader) -> Said:
    return Said("the case was updated", "There is news on your case.")


HAPPENINGS: dict[str, Callable[[Facts, Reader], Said]] = {
    f.__name__: f for f in (created, accepted, denied, requested_more_info, responded, withdrew, escalated,
                            decided, appealed, final_decision, no_response, refunded_elsewhere,
                            appeal_window_closed)
}


def said(facts: Facts, reader: Reader) -> Said:
    return HAPPENINGS.get(facts.event.action, _generic)(facts, reader)
