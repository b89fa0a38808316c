"""Staff notifications (dashboard.notifications.staff): who among the reviewers and
managers is told of what, written with the change, never to the one who acted, once per
happening, and emailed as each person chose (at once, in the daily digest, or not).

The cast (tests/factories.World): `w.reviewer` and `w.reviewer2` are reviewers,
`w.manager` a manager; nobody is on duty unless a test says so.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data.models import Case, CaseEvent, OutboxEmail, StaffNotification, User
from dashboard.cases import party, review, system
from dashboard.lifecycle import TRANSITIONS
from dashboard.notifications import digest, staff
from jobs.digest import send_digests
from tests.domain import mail_parts, stages
from tests.factories import days


def notes(story, case_id=None) -> list[StaffNotification]:
    with story.Session() as s:
        stmt = select(StaffNotification).order_by(StaffNotification.id)
        if case_id:
            stmt = stmt.where(StaffNotification.case_id == case_id)
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


def told(story, case_id, kind=None) -> dict[str, str]:
    """user id -> kind, for the notifications of one case (of one kind)."""
    return {n.user_id: n.kind for n in notes(story, case_id) if kind is None or n.kind == kind}


def staff_mails(story, case_id=None) -> list[OutboxEmail]:
    return [e for e in story.emails(case_id) if e.template.startswith("staff_")]


def set_user(story, user, **values) -> None:
    story.run(lambda ctx: ctx.session.execute(update(User).where(User.id == user.id).values(**values)))


# ---------------------------------------------------------------- who is told
def test_an_escalation_with_nobody_on_duty_tells_every_active_reviewer_once(story, w):
    cid = stages.under_review(story)
    assert told(story, cid) == {w.reviewer.id: "escalated", w.reviewer2.id: "escalated"}  # not the manager
    mails = {m.recipient: m for m in map(mail_parts.read, staff_mails(story, cid))}
    assert set(mails) == {w.reviewer.email, w.reviewer2.email}
    assert {n.emailed_at for n in notes(story, cid)} == {story.now}  # immediate is the default


def test_an_escalation_goes_to_those_on_duty_only(story, w):
    set_user(story, w.reviewer2, on_duty=True)
    set_user(story, w.manager, on_duty=True)
    cid = stages.under_review(story)
    assert told(story, cid) == {w.reviewer2.id: "escalated", w.manager.id: "escalated"}


def test_an_inactive_reviewer_is_not_told(story, w):
    set_user(story, w.reviewer2, is_active=False)
    cid = stages.under_review(story)
    assert told(story, cid) == {w.reviewer.id: "escalated"}


def test_an_escalation_of_a_claimed_case_tells_its_assignee_only(story, w):
    cid = story.open()
    story.do(review.claim, actor=w.reviewer2, case_id=cid)
    assert notes(story, cid) == []  # claiming tells nobody
    story.later(days(7))
    story.do(system.escalate_overdue, cid)
    assert told(story, cid) == {w.reviewer2.id: "escalated"}


def test_the_escalation_email_says_what_happened_what_to_do_and_by_when_in_their_zone(story, w):
    set_user(story, w.reviewer, time_zone="Asia/Tokyo")
    cid = stages.under_review(story)
    mail = mail_parts.read(next(e for e in staff_mails(story, cid) if e.recipient == w.reviewer.email))
    due = story.case(cid).escalated_at + dt.timedelta(hours=story.settings.review_sla_hours)
    local = due.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert mail.template == "staff_escalated"
    assert f"Case {cid} (Acme Courses, $50.00)" in mail.part("happened") and "did not answer in time" in mail.part("happened")
    assert mail.part("next") == f"Claim it and decide by {local:%a} {local.day} {local:%b %Y, %H:%M} JST."
    assert f"http://rc.test/cases/{cid}" in mail.text
    assert mail.text.startswith(f"Hello {w.reviewer.name},")


def test_a_customer_appeal_of_a_denial_is_an_escalation(story, w):
    cid = stages.appealed_denial(story)
    assert told(story, cid) == {w.reviewer.id: "escalated", w.reviewer2.id: "escalated"}
    assert "appealed the merchant's denial" in notes(story, cid)[0].body


def test_an_appeal_for_final_review_skips_the_reviewer_who_decided(story, w):
    cid = stages.under_review(story)
    story.later()
    story.do(review.decide, actor=w.reviewer, case_id=cid, outcome="refund", amount=stages.PARTIAL_REFUND,
             reason="Half the course was unavailable.")
    before = {n.id for n in notes(story, cid)}
    story.later()
    story.do(party.appeal, actor=w.customer, case_id=cid, message="I want the whole amount back.")
    new = [n for n in notes(story, cid) if n.id not in before]
    assert {n.user_id: n.kind for n in new} == {w.reviewer2.id: "appealed"}
    assert w.reviewer.name in new[0].body  # "a final review by a reviewer other than …"


def test_a_party_answering_tells_the_reviewer_who_asked(story, w):
    cid = stages.review_awaiting_customer(story)  # w.reviewer asked the customer
    story.do(review.assign, actor=w.manager, case_id=cid, reviewer_id=w.reviewer2.id)
    before = {n.id for n in notes(story, cid)}
    story.later()
    story.do(party.reply, actor=w.customer, case_id=cid, message="Here is the screenshot.")
    new = {n.user_id: n.kind for n in notes(story, cid) if n.id not in before}
    # the asker hears it was answered; the case's assignee, that it changed
    assert new == {w.reviewer.id: "answered", w.reviewer2.id: "case_changed"}


def test_the_asker_who_is_the_assignee_gets_one_notification(story, w):
    cid = stages.review_awaiting_merchant(story)  # asking assigned it to w.reviewer
    before = {n.id for n in notes(story, cid)}
    story.later()
    story.do(party.reply, actor=w.creator, case_id=cid, message="The access logs are attached.")
    new = [n for n in notes(story, cid) if n.id not in before]
    assert [(n.user_id, n.kind) for n in new] == [(w.reviewer.id, "answered")]
    assert new[0].title == f"Acme Courses answered on case {cid}"


def test_a_party_or_the_system_changing_an_assigned_case_tells_the_assignee(story, w):
    cid = story.open()
    story.do(review.claim, actor=w.reviewer, case_id=cid)
    story.later()
    story.do(party.merchant_request_info, actor=w.creator, case_id=cid, message="Which email did you use?")
    assert told(story, cid) == {w.reviewer.id: "case_changed"}
    story.later()
    file_id = story.upload(w.customer)
    story.do(party.add_evidence, actor=w.customer, case_id=cid, file_ids=[file_id])
    assert [n.kind for n in notes(story, cid)] == ["case_changed", "case_changed"]


def test_a_manager_assigning_tells_the_reviewer_and_not_themselves(story, w):
    cid = stages.under_review(story)
    before = {n.id for n in notes(story, cid)}
    story.do(review.assign, actor=w.manager, case_id=cid, reviewer_id=w.reviewer2.id)
    story.do(review.assign, actor=w.manager, case_id=cid, reviewer_id=w.manager.id)  # to themselves: nobody
    new = [n for n in notes(story, cid) if n.id not in before]
    assert [(n.user_id, n.kind) for n in new] == [(w.reviewer2.id, "assigned")]
    assert new[0].body.startswith(f"{w.manager.name} assigned case {cid}")


def test_staff_acts_notes_and_requests_tell_nobody(story, w):
    cid = stages.under_review(story)
    before = len(notes(story))
    story.do(review.claim, actor=w.reviewer, case_id=cid)
    story.do(review.note, actor=w.reviewer, case_id=cid, message="Looking at the logs.")
    story.do(review.request_info_from, actor=w.reviewer, case_id=cid, party="merchant", message="Logs, please.")
    assert len(notes(story)) == before


def test_the_actor_is_never_told_of_their_own_act(story, w):
    cid = stages.under_review(story)
    story.do(review.claim, actor=w.reviewer, case_id=cid)
    with story.Session.begin() as s:
        ctx = story.ctx(s)
        case = s.get(Case, cid)
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.action == "escalated")).one()
        t = next(t for t in TRANSITIONS if t.action == "escalate_overdue" and t.source == "awaiting_merchant")
        event.actor_id = w.reviewer.id  # as if the assignee had done it themselves
        assert staff.recipients(ctx, case, event, t) == []
        s.rollback()


def test_a_repeated_call_for_the_same_event_writes_nothing_more(story, w):
    cid = stages.under_review(story)
    counts = (len(notes(story)), len(staff_mails(story)))

    def again(ctx):
        case = ctx.session.get(Case, cid)
        event = ctx.session.scalars(select(CaseEvent).where(CaseEvent.case_id == cid,
                                                            CaseEvent.action == "escalated")).one()
        t = next(t for t in TRANSITIONS if t.action == "escalate_overdue" and t.source == "awaiting_merchant")
        return staff.notify(ctx, case, event, t, actor=None)

    assert story.run(again) == 2  # two people would be told …
    assert (len(notes(story)), len(staff_mails(story))) == counts  # … and already were: nothing new


def test_the_on_duty_list_is_read_once_per_transaction(story, w, monkeypatch):
    set_user(story, w.reviewer, on_duty=True)
    reads = []
    real = staff.select

    def counting(*cols):
        if cols and cols[0] is User.id:
            reads.append(cols)
        return real(*cols)

    monkeypatch.setattr(staff, "select", counting)
    with story.Session.begin() as s:
        ctx = story.ctx(s)
        first = staff.on_duty(ctx)
        assert staff.on_duty(ctx) is first
    with story.Session.begin() as s:
        staff.on_duty(story.ctx(s))
    assert len(reads) == 2 and [p.id for p in first] == [w.reviewer.id]


# ---------------------------------------------------------------- the modes
def test_digest_and_off_write_no_email_now(story, w):
    set_user(story, w.reviewer, notify_mode="digest")
    set_user(story, w.reviewer2, notify_mode="off")
    cid = stages.under_review(story)
    assert told(story, cid) == {w.reviewer.id: "escalated", w.reviewer2.id: "escalated"}
    assert staff_mails(story, cid) == []
    assert {n.emailed_at for n in notes(story, cid)} == {None}


def test_the_mode_is_saved_for_staff_only_and_checked(story, w):
    assert story.run(lambda ctx: staff.set_mode(ctx, ctx.session.get(User, w.reviewer.id), "digest")) == "digest"
    with story.Session() as s:
        assert s.get(User, w.reviewer.id).notify_mode == "digest"
    err = story.refuse(lambda ctx: staff.set_mode(ctx, ctx.session.get(User, w.reviewer.id), "hourly"))
    assert err.code == "invalid_notify_mode"
    err = story.refuse(lambda ctx: staff.set_mode(ctx, ctx.session.get(User, w.customer.id), "off"))
    assert err.code == "staff_only"


def test_marking_read_is_for_the_owner_only(story, w):
    cid = stages.under_review(story)
    mine = next(n for n in notes(story, cid) if n.user_id == w.reviewer.id)
    err = story.refuse(lambda ctx: staff.mark_read(ctx, ctx.session.get(User, w.reviewer2.id), mine.id))
    assert err.code == "notification_not_found"
    assert notes(story, cid)[0].read_at is None and all(n.read_at is None for n in notes(story, cid))
    story.run(lambda ctx: staff.mark_read(ctx, ctx.session.get(User, w.reviewer.id), mine.id))
    assert {n.user_id: n.read_at is not None for n in notes(story, cid)} == {w.reviewer.id: True, w.reviewer2.id: False}
    assert story.run(lambda ctx: staff.mark_all_read(ctx, ctx.session.get(User, w.reviewer2.id))) == 1


# ---------------------------------------------------------------- the daily digest
def _local(zone: str, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


def test_the_digest_goes_once_a_day_at_eight_in_their_zone(story, w, Session, settings):  # noqa: N803
    set_user(story, w.reviewer, notify_mode="digest", time_zone="America/New_York")
    set_user(story, w.reviewer2, notify_mode="off")
    cid = stages.under_review(story)  # escalated at T0 + 7 days
    day = story.now.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).date() + dt.timedelta(days=1)

    def run(at):
        with Session() as s:
            return send_digests(s, at, settings=settings)

    assert run(_local("America/New_York", day, 7, 59)) == {"sent": 0}  # not 08:00 there yet
    assert run(_local("America/New_York", day, 8, 1)) == {"sent": 1}
    assert run(_local("America/New_York", day, 8, 6)) == {"sent": 0}  # once a day
    [mail] = [mail_parts.read(e) for e in story.emails() if e.template == "staff_digest"]
    assert mail.recipient == w.reviewer.email
    assert "1 unread notification" in mail.subject and "1 notification arrived" in mail.part("happened")
    assert f"http://rc.test/cases/{cid}" in mail.text and "http://rc.test/notifications" in mail.text
    assert all(n.emailed_at is not None for n in notes(story, cid) if n.user_id == w.reviewer.id)
    assert not [e for e in story.emails() if e.recipient == w.reviewer2.email]  # off: never emailed

    # The next day: only what is new and unread; nothing new, nothing sent.
    assert run(_local("America/New_York", day + dt.timedelta(days=1), 9)) == {"sent": 0}
    story.now = _local("America/New_York", day + dt.timedelta(days=1), 10)
    cid2 = story.open(payment=story.new_payment())
    story.later(days(7))
    story.do(system.escalate_overdue, cid2)
    story.new_payment()
    read_one = stages.under_review(story)
    mine = next(n for n in notes(story, read_one) if n.user_id == w.reviewer.id)
    story.run(lambda ctx: staff.mark_read(ctx, ctx.session.get(User, w.reviewer.id), mine.id))
    later_day = story.now.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York")).date() + dt.timedelta(days=1)
    assert run(_local("America/New_York", later_day, 8)) == {"sent": 1}
    second = [mail_parts.read(e) for e in story.emails() if e.template == "staff_digest"][-1]
    assert cid2 in second.text and read_one not in second.text  # what was read in the app is not repeated


def test_the_digest_is_due_by_local_date(w):
    at, day = digest.due_moment(dt.datetime(2026, 3, 2, 22, 30, tzinfo=dt.timezone.utc), "Asia/Tokyo")
    assert day == dt.date(2026, 3, 3) and at == dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.timezone.utc)


@pytest.mark.postgres
def test_two_schedulers_at_once_write_one_digest(story, w, Session, settings):  # noqa: N803
    import threading

    set_user(story, w.reviewer, notify_mode="digest")
    set_user(story, w.reviewer2, notify_mode="digest")
    stages.under_review(story)
    at = _local("UTC", story.now.date() + dt.timedelta(days=1), 8, 30)
    gate = threading.Barrier(2)
    results = []

    def scheduler():
        with Session() as s:
            gate.wait()
            results.append(send_digests(s, at, settings=settings)["sent"])

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(results) == 2
    digests = [e for e in story.emails() if e.template == "staff_digest"]
    assert sorted(e.recipient for e in digests) == sorted([w.reviewer.email, w.reviewer2.email])


def test_what_arrives_after_eight_waits_for_tomorrows_digest(story, w, Session, settings):  # noqa: N803
    set_user(story, w.reviewer, notify_mode="digest")  # no zone saved: UTC
    story.now = dt.datetime.combine(story.now.date(), dt.time(6), tzinfo=dt.timezone.utc) - days(7)
    cid = story.open(payment=story.new_payment())
    story.later(days(7) + dt.timedelta(hours=4))  # escalated at 10:00, after today's 08:00
    story.do(system.escalate_overdue, cid)

    def run(at):
        with Session() as s:
            return send_digests(s, at, settings=settings)

    today = story.now.date()
    assert run(story.now + dt.timedelta(hours=1)) == {"sent": 0}  # not in today's (it came after 08:00)
    assert run(_local("UTC", today + dt.timedelta(days=1), 8)) == {"sent": 1}  # in tomorrow's


# ---------------------------------------------------------------- a decision settles what asked for it
def test_deciding_a_case_marks_its_escalation_notifications_read_for_everyone(story, w):
    cid = stages.under_review(story)  # both reviewers told, unread
    story.run(lambda ctx: ctx.session.add(StaffNotification(  # about no case: not this decision's to settle
        user_id=w.reviewer.id, case_id=None, kind="escalated", title="Other", body="Other", dedupe_key="other",
        created_at=ctx.now)))
    assert {n.read_at for n in notes(story, cid)} == {None}
    story.later()
    story.do(review.decide, actor=w.manager, case_id=cid, outcome="refund", amount=stages.PARTIAL_REFUND,
             reason="Half the course was unavailable.")
    settled = [n for n in notes(story, cid) if n.kind == "escalated"]
    assert {n.user_id for n in settled} == {w.reviewer.id, w.reviewer2.id}
    assert {n.read_at for n in settled} == {story.now}  # in the decision's own transaction
    assert [n.read_at for n in notes(story) if n.dedupe_key == "other"] == [None]


def test_a_final_decision_marks_the_appeal_notification_read_and_not_an_earlier_read_one(story, w):
    cid = stages.final_review(story)  # the manager decided; both reviewers were told of the appeal
    appealed = [n for n in notes(story, cid) if n.kind == "appealed"]
    assert appealed and {n.read_at for n in appealed} == {None}
    first_read = story.now
    story.run(lambda ctx: ctx.session.execute(update(StaffNotification).where(
        StaffNotification.id == appealed[0].id).values(read_at=first_read)))
    story.later()
    story.do(review.final_decide, actor=w.reviewer, case_id=cid, decision="uphold",
             reason="The partial refund was right.")
    after = {n.id: n.read_at for n in notes(story, cid) if n.kind == "appealed"}
    assert after[appealed[0].id] == first_read  # read before: its time kept
    assert all(at == story.now for i, at in after.items() if i != appealed[0].id)


def test_a_case_change_notification_is_not_settled_by_a_decision(story, w):
    cid = story.open()
    story.do(review.claim, actor=w.reviewer, case_id=cid)
    story.later()
    story.do(party.merchant_request_info, actor=w.creator, case_id=cid, message="Which email did you use?")
    assert told(story, cid) == {w.reviewer.id: "case_changed"}
    story.later(days(7))
    story.do(system.escalate_overdue, cid)
    story.later()
    story.do(review.decide, actor=w.reviewer, case_id=cid, outcome="merchant_wins", reason="The logs say so.")
    reads = {n.kind: n.read_at for n in notes(story, cid)}
    assert reads == {"case_changed": None, "escalated": story.now}  # only what asked for the decision


def test_an_appeal_decided_by_the_only_one_on_duty_goes_to_the_other_reviewers(story, w):
    set_user(story, w.reviewer, on_duty=True)
    cid = stages.under_review(story)
    story.later()
    story.do(review.decide, actor=w.reviewer, case_id=cid, outcome="refund", amount=stages.PARTIAL_REFUND,
             reason="Half the course was unavailable.")
    story.later()
    story.do(party.appeal, actor=w.customer, case_id=cid, message="I want the whole amount back.")
    assert told(story, cid, "appealed") == {w.reviewer2.id: "appealed"}  # not nobody
