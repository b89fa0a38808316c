"""What each email says, per event × recipient (SPEC §7, issue 9): the facts, not the
wording — the exact amounts, the deadline in the recipient's own zone, the right to appeal
and its deadline or that the result is final, the subject naming the company and the case,
and no email to the person who acted (but a receipt for the customer who opened a case)."""
from __future__ import annotations

import pytest

from dashboard.cases import party, review, system
from dashboard.timezones import local_text, zone_named
from tests.domain import stages
from tests.domain.mail_parts import by_recipient, set_zone
from tests.factories import days

TOKYO, PARIS = "Asia/Tokyo", "Europe/Paris"


def _new_mails(story, cid, act):
    """Run `act()` and read the emails it queued, by recipient."""
    before = len(story.emails(cid, parties_only=True))
    act()
    return by_recipient(story.emails(cid, parties_only=True)[before:])


def _zones(story, customer=TOKYO, creator=PARIS, creator2=None):
    w = story.w
    for user, zone in ((w.customer, customer), (w.creator, creator), (w.creator2, creator2)):
        set_zone(story, user, zone)


def _at(when, zone):
    return local_text(when, zone_named(zone))


# --------------------------------------------------------------------------- opening
def test_the_customer_gets_a_receipt_and_the_creators_the_deadline_each_in_their_zone(story):
    _zones(story)
    w = story.w
    mails = by_recipient(story.emails(story.open(), parties_only=True))
    cid = story.emails(parties_only=True)[0].case_id
    due = story.case(cid).response_due_at
    receipt = mails[w.customer.email]
    assert "Acme Courses" in receipt.subject and cid in receipt.subject
    assert "$50.00" in receipt.part("happened")
    assert _at(due, TOKYO) in receipt.part("next") and "JST" in receipt.part("next")
    assert _at(due, PARIS) in mails[w.creator.email].part("next")
    # No zone saved: UTC, named as such.
    assert _at(due, None) in mails[w.creator2.email].part("next") and "UTC" in mails[w.creator2.email].part("next")
    for mail in mails.values():
        assert "Acme Courses" in mail.subject and cid in mail.subject
        assert "opened a case on case" not in mail.subject


def test_creators_are_told_the_customers_message_and_their_requests_left(story):
    mails = by_recipient(story.emails(story.open(message="Never got the login."), parties_only=True))
    mail = mails[story.w.creator.email]
    assert mail.part("message") == "Never got the login."
    assert "3 of 3" in mail.part("next")


# --------------------------------------------------------------------------- the merchant answers
def test_a_denial_tells_the_customer_of_the_appeal_and_its_deadline_in_their_zone(story):
    _zones(story)
    cid = story.open()
    mails = _new_mails(story, cid, lambda: story.do(party.deny, actor=story.w.creator, case_id=cid,
                                                    message="Access was granted."))
    appeal_due = story.case(cid).appeal_due_at
    customer = mails[story.w.customer.email]
    assert "refused" in customer.subject and "Acme Courses" in customer.subject and cid in customer.subject
    assert "appeal" in customer.part("appeal").lower()
    assert _at(appeal_due, TOKYO) in customer.part("appeal")
    assert customer.part("message") == "Access was granted."
    assert story.w.creator.email not in mails  # the one who denied
    teammate = mails[story.w.creator2.email]
    assert _at(appeal_due, None) in teammate.part("appeal")  # the customer's window, in UTC for them
    assert story.w.creator.name in teammate.part("happened")  # which teammate acted


def test_an_acceptance_refunds_the_whole_payment_and_is_final(story):
    cid = story.open()
    mails = _new_mails(story, cid, lambda: story.do(party.accept, actor=story.w.creator, case_id=cid))
    customer = mails[story.w.customer.email]
    assert "$50.00 of $50.00 refunded to you" in customer.part("money")
    assert "final" in customer.part("appeal").lower() and "You can appeal" not in customer.text
    assert "$50.00" in mails[story.w.creator2.email].part("money")
    assert story.w.creator.email not in mails


def test_a_merchants_question_asks_the_customer_to_reply_by_a_time_in_their_zone(story):
    _zones(story)
    cid = story.open()
    mails = _new_mails(story, cid, lambda: story.do(party.merchant_request_info, actor=story.w.creator,
                                                    case_id=cid, message="Which email?"))
    due = story.case(cid).response_due_at
    customer = mails[story.w.customer.email]
    assert customer.part("message") == "Which email?"
    assert "reply by" in customer.part("next").lower() and _at(due, TOKYO) in customer.part("next")
    assert "1 of 3" in mails[story.w.creator2.email].part("happened")


def test_a_reply_goes_to_whoever_asked_with_the_next_deadline(story):
    _zones(story)
    cid = story.open()
    story.do(party.merchant_request_info, actor=story.w.creator, case_id=cid, message="Which email?")
    mails = _new_mails(story, cid, lambda: story.do(party.reply, actor=story.w.customer, case_id=cid,
                                                    message="me@example.com"))
    asker = mails[story.w.creator.email]
    assert "your request" in asker.part("happened")
    assert asker.part("message") == "me@example.com"
    assert _at(story.case(cid).response_due_at, PARIS) in asker.part("next")
    assert "2 of 3" in asker.part("next")
    assert story.w.customer.email not in mails


def test_a_withdrawal_tells_the_creators_it_is_final_and_the_customer_nothing(story):
    cid = story.open()
    mails = _new_mails(story, cid, lambda: story.do(party.withdraw, actor=story.w.customer, case_id=cid))
    assert set(mails) == {story.w.creator.email, story.w.creator2.email}
    assert "final" in mails[story.w.creator.email].part("appeal").lower()


# --------------------------------------------------------------------------- deadlines missed
def test_an_escalation_names_the_missed_deadline_in_the_readers_zone(story):
    _zones(story)
    cid = story.open()
    due = story.case(cid).response_due_at
    mails = _new_mails(story, cid, lambda: story.do(system.escalate_overdue, cid, at=due))
    assert _at(due, TOKYO) in mails[story.w.customer.email].part("happened")
    assert _at(due, PARIS) in mails[story.w.creator.email].part("happened")


def test_a_customer_silent_in_review_loses_and_is_told_it_is_final(story):
    cid = stages.review_awaiting_customer(story)
    due = story.case(cid).response_due_at
    mails = _new_mails(story, cid, lambda: story.do(system.expire_review_request, cid, at=due))
    customer = mails[story.w.customer.email]
    assert "Acme Courses" in customer.part("happened") and "final" in customer.part("appeal").lower()
    assert "your favour" in mails[story.w.creator.email].part("happened")


# --------------------------------------------------------------------------- decisions
def test_a_partial_refund_gives_the_exact_amounts_and_the_appeal_deadline_to_both_sides(story):
    _zones(story)
    cid = stages.under_review(story)
    mails = _new_mails(story, cid, lambda: story.do(review.decide, actor=story.w.manager, case_id=cid,
                                                    outcome="refund", amount=2000, reason="Partly used."))
    appeal_due = story.case(cid).appeal_due_at
    customer, creator = mails[story.w.customer.email], mails[story.w.creator.email]
    assert "$20.00 of $50.00 refunded to you" in customer.part("money")
    assert "$20.00" in creator.part("money") and "$50.00" in creator.part("money")
    assert "customer won" not in customer.text.lower()
    assert customer.part("message") == "Partly used."
    assert "You can appeal" in customer.part("appeal") and _at(appeal_due, TOKYO) in customer.part("appeal")
    assert "You can appeal" in creator.part("appeal") and _at(appeal_due, PARIS) in creator.part("appeal")


def test_a_credit_decision_gives_the_credit_and_costs_the_merchant_nothing(story):
    cid = stages.under_review(story)
    mails = _new_mails(story, cid, lambda: story.do(review.decide, actor=story.w.manager, case_id=cid,
                                                    outcome="credit", amount=3000, reason="Goodwill."))
    assert "$30.00" in mails[story.w.customer.email].part("money")
    assert "credit" in mails[story.w.customer.email].part("money")
    assert "nothing" in mails[story.w.creator.email].part("money")


def test_the_decision_on_the_one_appeal_is_said_to_be_final(story):
    cid = stages.appealed_denial(story)
    mails = _new_mails(story, cid, lambda: story.do(review.decide, actor=story.w.reviewer, case_id=cid,
                                                    outcome="merchant_wins", reason="Used it."))
    for mail in mails.values():
        assert "final" in mail.part("appeal").lower() and "You can appeal" not in mail.text


def test_an_appeal_email_does_not_restate_the_old_outcome(story):
    cid = stages.decided(story)
    mails = _new_mails(story, cid, lambda: story.do(party.appeal, actor=story.w.customer, case_id=cid,
                                                    message="I want it all back."))
    assert story.w.customer.email not in mails
    for mail in mails.values():
        assert mail.part("money") == "" and "favour" not in mail.text
        assert mail.part("message") == "I want it all back."
        assert "final decision" in mail.part("next")


def test_an_overturned_customer_win_says_the_customer_keeps_the_refund_and_who_reimburses(story):
    cid = stages.final_review(story)  # the manager decided a $20.00 refund; the customer appealed
    mails = _new_mails(story, cid, lambda: story.do(review.final_decide, actor=story.w.reviewer, case_id=cid,
                                                    decision="overturn", reason="The course was used."))
    customer = mails[story.w.customer.email]
    assert "You keep the $20.00 refund; the platform reimburses Acme Courses." in customer.part("money")
    assert "final" in customer.part("appeal").lower()
    assert "$20.00" in mails[story.w.creator.email].part("money")
    assert "platform" in mails[story.w.creator.email].part("money")


def test_an_upheld_partial_refund_keeps_the_amount_and_is_final(story):
    cid = stages.final_review(story)
    mails = _new_mails(story, cid, lambda: story.do(review.final_decide, actor=story.w.reviewer, case_id=cid,
                                                    decision="uphold", reason="Fair."))
    customer = mails[story.w.customer.email]
    assert "$20.00 of $50.00 refunded to you" in customer.part("money")
    assert customer.part("message") == "Fair."
    assert "final" in customer.part("appeal").lower() and "You can appeal" not in customer.text


def test_an_overturned_merchant_win_gives_the_remedys_amount(story):
    cid = stages.under_review(story)
    story.do(review.decide, actor=story.w.manager, case_id=cid, outcome="merchant_wins", reason="Used it.")
    story.do(party.appeal, actor=story.w.customer, case_id=cid, message="I did not.")
    mails = _new_mails(story, cid, lambda: story.do(review.final_decide, actor=story.w.reviewer, case_id=cid,
                                                    decision="overturn", remedy="refund", amount=1234,
                                                    reason="Not used."))
    assert "$12.34 of $50.00 refunded to you" in mails[story.w.customer.email].part("money")
    assert "$12.34" in mails[story.w.creator.email].part("money")


def test_a_refund_made_elsewhere_closes_the_case_for_the_customer(story):
    cid = story.open()
    mails = _new_mails(story, cid, story.report_refunded)
    assert "$50.00" in mails[story.w.customer.email].part("money")
    assert "your favour" in mails[story.w.customer.email].part("happened")


# --------------------------------------------------------------------------- currencies
@pytest.mark.parametrize("currency, amount, shown", [("EUR", 19900, "€199.00"), ("JPY", 5000, "¥5,000"),
                                                     ("CHF", 1050, "10.50 CHF")])
def test_amounts_are_exact_in_the_payments_currency(story, currency, amount, shown):
    story.new_payment(amount_minor=amount, currency=currency)
    cid = story.open()
    mails = _new_mails(story, cid, lambda: story.do(party.accept, actor=story.w.creator, case_id=cid))
    assert f"{shown} of {shown} refunded to you" in mails[story.w.customer.email].part("money")


# --------------------------------------------------------------------------- staff who asked
def test_the_reviewer_who_asked_is_told_of_the_reply(story):
    cid = stages.review_awaiting_customer(story)
    mails = _new_mails(story, cid, lambda: story.do(party.reply, actor=story.w.customer, case_id=cid,
                                                    message="Screenshot attached."))
    reviewer = mails[story.w.reviewer.email]
    assert "your request" in reviewer.part("happened") and reviewer.part("message") == "Screenshot attached."
    assert reviewer.part("appeal") == "" and reviewer.part("money") == ""


def test_a_late_step_keeps_days_and_zones_apart(story):
    """A deadline that falls on another day in Tokyo than in UTC is given on Tokyo's day."""
    _zones(story)
    story.later(days(0.5))  # T0 is 09:00 UTC: the deadline is 21:00 UTC, 06:00 the next day in Tokyo
    cid = story.open()
    due = story.case(cid).response_due_at
    receipt = by_recipient(story.emails(cid, parties_only=True))[story.w.customer.email]
    assert due.hour == 21 and _at(due, TOKYO).split(",")[0] in receipt.part("next")
    assert f"{due.astimezone(zone_named(TOKYO)).day} " in receipt.part("next")


def test_a_full_refund_offers_the_appeal_only_to_the_side_that_may_still_appeal(story):
    """The lifecycle table decides who may appeal (a customer refunded in full may not);
    each side reads its own right, or the other side's."""
    cid = stages.under_review(story)
    mails = _new_mails(story, cid, lambda: story.do(review.decide, actor=story.w.manager, case_id=cid,
                                                    outcome="refund", reason="Never delivered."))
    customer, creator = mails[story.w.customer.email], mails[story.w.creator.email]
    assert "$50.00 of $50.00 refunded to you" in customer.part("money")
    assert "You can appeal" not in customer.part("appeal") and "Acme Courses can appeal" in customer.part("appeal")
    assert "You can appeal" in creator.part("appeal") and "can appeal too" not in creator.part("appeal")
