"""SPEC §7 (and the visibility half of §4): who is emailed about what, through an
outbox written in the same transaction as its cause; internal notes reach nobody; the
person who acted is not emailed about their own action, except the customer's receipt
for the case they opened. (What each email says: tests/domain/test_emails_*.py.)"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data.models import Case, OutboxEmail, User
from dashboard import timeline
from dashboard.cases import party, review, system
from dashboard.enums import Party
from tests.factories import days
from tests.domain import stages


def _emails_after(story, n_before, cid):
    return story.emails(cid, parties_only=True)[n_before:]


def _everyone_on_the_case(w):
    return {w.customer.email, w.creator.email, w.creator2.email}


def _act_and_collect(story, state, act):
    cid = stages.ALL[state](story)
    n = len(story.emails(cid, parties_only=True))
    story.later()
    act(story, cid)
    return cid, _emails_after(story, n, cid)


# --------------------------------------------------------------------------- who hears what
def test_an_opened_case_is_emailed_to_the_companys_creators_and_a_receipt_to_the_customer(story):
    cid = story.open()
    assert {e.recipient for e in story.emails(cid, parties_only=True)} == {story.w.creator.email, story.w.creator2.email,
                                                        story.w.customer.email}
    assert {e.template for e in story.emails(cid, parties_only=True)} == {"created"}


def test_an_inactive_creator_is_not_emailed(story):
    story.run(lambda ctx: setattr(ctx.session.get(User, story.w.creator2.id), "is_active", False))
    cid = story.open()
    assert {e.recipient for e in story.emails(cid, parties_only=True)} == {story.w.creator.email, story.w.customer.email}


def _due(story, cid, column="response_due_at"):
    return getattr(story.case(cid), column)


# event action -> (situation, what happens)
STATUS_CHANGES = {
    "accepted": ("awaiting_merchant", lambda st, cid: st.do(party.accept, actor=st.w.creator, case_id=cid)),
    "denied": ("awaiting_merchant", lambda st, cid: st.do(party.deny, actor=st.w.creator, case_id=cid,
                                                          message="Delivered.")),
    "requested_more_info": ("awaiting_merchant", lambda st, cid: st.do(
        party.merchant_request_info, actor=st.w.creator, case_id=cid, message="Which email?")),
    "responded": ("awaiting_customer", lambda st, cid: st.do(party.reply, actor=st.w.customer, case_id=cid,
                                                             message="me@example.com")),
    "withdrew": ("awaiting_merchant", lambda st, cid: st.do(party.withdraw, actor=st.w.customer, case_id=cid)),
    "escalated": ("awaiting_merchant", lambda st, cid: st.do(system.escalate_overdue, cid, at=_due(st, cid))),
    "decided": ("under_review", lambda st, cid: st.do(review.decide, actor=st.w.reviewer, case_id=cid,
                                                      outcome="merchant_wins", reason="Logs show use.")),
    "appealed": ("closed_denied", lambda st, cid: st.do(party.appeal, actor=st.w.customer, case_id=cid,
                                                        message="Please look.")),
    "final_decision": ("final_review", lambda st, cid: st.do(review.final_decide, actor=st.w.reviewer,
                                                             case_id=cid, decision="uphold", reason="Right.")),
    "no_response": ("review_awaiting_customer",
                    lambda st, cid: st.do(system.expire_review_request, cid, at=_due(st, cid))),
    "refunded_elsewhere": ("awaiting_merchant", lambda st, cid: st.report_refunded()),
}


def _actor_email(story, cid, action) -> set[str]:
    """The address of whoever took the event's action (none for the system's)."""
    actor_id = story.events(cid, action)[-1].actor_id
    people = [story.w.customer, story.w.creator, story.w.creator2, story.w.reviewer, story.w.manager]
    return {u.email for u in people if u.id == actor_id}


@pytest.mark.parametrize("action", list(STATUS_CHANGES))
def test_a_status_change_is_emailed_to_the_customer_and_every_creator_but_the_actor(story, action):
    cid, emails = _act_and_collect(story, *STATUS_CHANGES[action])
    assert {e.recipient for e in emails} == _everyone_on_the_case(story.w) - _actor_email(story, cid, action)
    assert {e.template for e in emails} == {action}


@pytest.mark.parametrize("action", list(STATUS_CHANGES))
def test_each_recipient_gets_one_email_per_event(story, action):
    cid, emails = _act_and_collect(story, *STATUS_CHANGES[action])
    assert len(emails) == len({e.recipient for e in emails})


def _merchant_asks_customer(story):
    cid = story.open()
    story.do(party.merchant_request_info, actor=story.w.creator2, case_id=cid, message="Which email?")
    return cid


# who asked -> (how the case got there, who replies, who must get the reply)
REQUESTS = {
    "a creator asked the customer": (_merchant_asks_customer, "customer", "creator2"),
    "the platform asked the customer": (stages.review_awaiting_customer, "customer", "reviewer"),
    "the platform asked the merchant": (stages.review_awaiting_merchant, "creator", "reviewer"),
    "the platform asked in final review": (stages.final_awaiting_customer, "customer", "reviewer"),
}


@pytest.mark.parametrize("request_", list(REQUESTS))
def test_a_reply_is_emailed_to_whoever_asked(story, request_):
    arrange, replier, asker = REQUESTS[request_]
    cid = arrange(story)
    n = len(story.emails(cid, parties_only=True))
    story.later()
    story.do(party.reply, actor=getattr(story.w, replier), case_id=cid, message="Here it is.")
    recipients = {e.recipient for e in _emails_after(story, n, cid)}
    assert getattr(story.w, asker).email in recipients
    assert story.w.reviewer2.email not in recipients and story.w.manager.email not in recipients


def test_a_reply_to_the_platform_reaches_the_parties_too(story):
    cid = stages.review_awaiting_customer(story)
    n = len(story.emails(cid, parties_only=True))
    story.do(party.reply, actor=story.w.customer, case_id=cid, message="Screenshot attached.")
    recipients = {e.recipient for e in _emails_after(story, n, cid)}
    assert recipients == _everyone_on_the_case(story.w) - {story.w.customer.email} | {story.w.reviewer.email}


@pytest.mark.parametrize("state", ["awaiting_merchant", "closed_denied"])
def test_nobody_outside_the_case_is_ever_emailed(story, state):
    cid = stages.ALL[state](story)
    story.later(days(8))
    story.do(system.escalate_overdue, cid)
    story.do(system.close_appeal_window, cid)
    outsiders = {story.w.other_creator.email, story.w.other_customer.email, story.w.integration.email}
    assert outsiders.isdisjoint({e.recipient for e in story.emails(parties_only=True)})


# --------------------------------------------------------------------------- staff-only events
STAFF_ONLY = {
    "note": lambda st, cid: st.do(review.note, actor=st.w.reviewer, case_id=cid, message="Looks like fraud."),
    "claim": lambda st, cid: st.do(review.claim, actor=st.w.reviewer, case_id=cid),
    "assign": lambda st, cid: st.do(review.assign, actor=st.w.manager, case_id=cid, reviewer_id=st.w.reviewer2.id),
}


@pytest.mark.parametrize("what", list(STAFF_ONLY))
def test_notes_claims_and_assignments_send_no_email(story, what):
    cid = stages.under_review(story)
    n = len(story.emails(cid, parties_only=True))
    STAFF_ONLY[what](story, cid)
    assert len(story.emails(cid, parties_only=True)) == n


@pytest.mark.parametrize("viewer", [Party.CUSTOMER, Party.MERCHANT])
@pytest.mark.parametrize("what", list(STAFF_ONLY))
def test_notes_claims_and_assignments_are_on_no_partys_timeline(story, what, viewer):
    cid = stages.under_review(story)
    STAFF_ONLY[what](story, cid)
    staff_event = story.events(cid)[-1]
    with story.Session() as s:
        case = s.get(Case, cid)
        party_view = [e.id for e in timeline.events_for(story.ctx(s), case, viewer)]
        staff_view = [e.id for e in timeline.events_for(story.ctx(s), case, Party.PLATFORM)]
    assert staff_event.id in staff_view
    assert staff_event.id not in party_view
    assert len(party_view) == len(staff_view) - 1


@pytest.mark.parametrize("viewer", [Party.CUSTOMER, Party.MERCHANT])
def test_both_parties_see_the_rest_of_the_timeline(story, viewer):
    cid = stages.final_review(story)
    with story.Session() as s:
        seen = {e.action for e in timeline.events_for(story.ctx(s), s.get(Case, cid), viewer)}
    assert {"created", "escalated", "decided", "appealed"} <= seen


# --------------------------------------------------------------------------- same transaction
def test_a_change_that_rolls_back_leaves_no_email(story):
    cid = story.open()
    n = len(story.emails(parties_only=True))
    before = story.snapshot(cid)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with story.Session.begin() as s:
            party.accept(story.ctx(s), actor=story.w.creator, case_id=cid)
            assert s.scalar(select(func.count()).select_from(OutboxEmail)) > n  # written with the change...
            raise Boom  # ... and gone with it
    assert len(story.emails(parties_only=True)) == n
    assert story.snapshot(cid) == before


def test_an_opening_that_rolls_back_leaves_no_email(story):
    from dashboard.cases import opening

    with pytest.raises(RuntimeError):
        with story.Session.begin() as s:
            opening.open_case(story.ctx(s), actor=story.w.customer, payment_id=story.payment.id,
                              reason="fraudulent", message="Not me.")
            raise RuntimeError
    assert story.emails(parties_only=True) == []


# --------------------------------------------------------------------------- what an email says
SECRET = "Internal: the customer has 14 chargebacks elsewhere"


def _a_long_story_with_notes(story):
    """Open → ask → reply → escalate → decide → appeal → final decision, with notes in between."""
    w = story.w
    cid = story.open()
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET)
    story.do(party.merchant_request_info, actor=w.creator, case_id=cid, message="Which email?")
    story.do(party.reply, actor=w.customer, case_id=cid, message="me@example.com")
    story.do(system.escalate_overdue, cid, at=_due(story, cid))
    story.later(days(7))
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET)
    story.do(review.decide, actor=w.manager, case_id=cid, outcome="refund", amount=2500, reason="Half.")
    story.do(party.appeal, actor=w.creator, case_id=cid, message="Unfair.")
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET)
    story.do(review.final_decide, actor=w.reviewer, case_id=cid, decision="uphold", reason="Fair.")
    return cid


def test_a_long_story_emails_at_every_step(story):
    cid = _a_long_story_with_notes(story)
    templates = [e.template for e in story.emails(cid, parties_only=True)]
    for action in ("created", "requested_more_info", "responded", "escalated", "decided", "appealed",
                   "final_decision"):
        assert action in templates


def test_every_email_names_the_case_in_its_subject(story):
    cid = _a_long_story_with_notes(story)
    for email in story.emails(cid, parties_only=True):
        assert cid in email.subject, email.subject


def test_every_email_links_to_the_case(story):
    cid = _a_long_story_with_notes(story)
    link = f"{story.settings.base_url}/cases/{cid}"
    for email in story.emails(cid, parties_only=True):
        assert link in email.body_text and link in email.body_html, email.template


def test_no_email_ever_carries_an_internal_note(story):
    cid = _a_long_story_with_notes(story)
    for email in story.emails(cid, parties_only=True):
        assert SECRET not in email.subject + email.body_text + email.body_html
    assert "note" not in {e.template for e in story.emails(cid, parties_only=True)}


def test_an_email_is_addressed_to_its_recipient_by_name(story):
    cid = story.open()
    by_address = {e.recipient: e for e in story.emails(cid, parties_only=True)}
    assert story.w.creator.name in by_address[story.w.creator.email].body_text
    assert story.w.creator2.name in by_address[story.w.creator2.email].body_text
