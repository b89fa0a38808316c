"""The case timeline as each reader sees it (issue 9): who acted, times in the reader's
zone (system events included), filenames under thumbnails, and the staff Emails panel
grouped by event. Callbacks called as plain functions by a signed-in user."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Iterator

import plotly.utils
import pytest
from sqlalchemy import select

from callbacks import case as cb
from data.models import CaseEvent, OutboxEmail
from dashboard.cases import party, review
from dashboard.context import Ctx
from tests import factories
from tests.domain import stages
from tests.domain.story import Story
from tests.factories import days

H = dt.timedelta(hours=1)


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def walk(component) -> Iterator:
    """Every component under `component` (itself included)."""
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from walk(c)
        return
    if not hasattr(component, "to_plotly_json"):
        return
    yield component
    yield from walk(getattr(component, "children", None))


def having(component, class_name: str) -> list:
    return [c for c in walk(component) if class_name in (getattr(c, "className", None) or "").split()]


def strings(component) -> list[str]:
    """Every string a person reads under `component`, in document order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in strings(c)]
    if not hasattr(component, "to_plotly_json"):
        return []
    return strings(getattr(component, "children", None))


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(11), runtime.settings))


@pytest.fixture
def story(runtime, w, now):
    return Story(runtime.Session, runtime.settings, w, now=now - 3 * H)


@pytest.fixture
def old_story(runtime, w, now):
    return Story(runtime.Session, runtime.settings, w, now=now - days(10))


@pytest.fixture
def render(as_user):
    def _render(user, case_id, *, tz="UTC"):
        with as_user(user, tz=tz):
            return cb.render_case(case_id, 0)
    return _render


def actors(content) -> list[str]:
    """Who each timeline entry says acted, oldest first."""
    return [" ".join(strings(a)) for a in having(content["case-timeline-list"], "case-event-actor")]


# ------------------------------------------------------------------------------- who acted
def test_creators_and_staff_see_which_creator_acted_the_customer_sees_the_company(story, w, render):
    cid = story.open()
    story.later()
    story.do(party.merchant_request_info, actor=w.creator2, case_id=cid, message="Which email did you use?")
    teammate = f"{w.creator2.name} · {w.company.name}"
    assert actors(render(w.creator, cid))[1] == teammate  # a teammate's action, by name
    assert actors(render(w.reviewer, cid))[1] == teammate
    assert actors(render(w.creator2, cid))[1] == f"{w.creator2.name} (you) · {w.company.name}"
    customer = render(w.customer, cid)
    assert actors(customer) == [f"{w.customer.name} (you)", w.company.name]
    assert w.creator2.name not in text(customer) and w.creator2.email not in text(customer)


def test_parties_never_see_which_reviewer_acted_staff_do(old_story, w, render):
    cid = stages.review_awaiting_customer(old_story)  # escalated by the system, then the reviewer asked
    staff = actors(render(w.manager, cid))
    assert "Resolution Center" in staff and w.reviewer.name in staff
    assert actors(render(w.reviewer, cid))[-1] == f"{w.reviewer.name} (you)"
    for viewer in (w.customer, w.creator):
        content = render(viewer, cid)
        assert actors(content)[-1] == "Resolution Center team"
        assert w.reviewer.name not in text(content)


def test_internal_notes_and_their_authors_stay_with_staff(old_story, w, render):
    cid = stages.under_review(old_story)
    old_story.do(review.claim, actor=w.reviewer, case_id=cid)
    old_story.do(review.note, actor=w.reviewer, case_id=cid, message="NOTE-51 repeat disputer")
    assert "NOTE-51" in text(render(w.manager, cid))
    for viewer in (w.customer, w.creator):
        out = text(render(viewer, cid))
        assert "NOTE-51" not in out and w.reviewer.name not in out and "claimed the case" not in out


# ------------------------------------------------------------------ times in the reader's zone
def event_texts(content) -> list[str]:
    return [" ".join(strings(t)) for t in having(content["case-timeline-list"], "case-event-text")]


def test_a_tokyo_reader_sees_the_missed_deadline_in_tokyo_time(old_story, w, render, runtime):
    cid = stages.under_review(old_story)
    with runtime.Session() as s:
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.action == "escalated"))
        stored, due = event.details, dt.datetime.fromisoformat(event.data["due_at"])
    tokyo = due.astimezone(dt.timezone(dt.timedelta(hours=9)))
    # What the API sends as the event's text is unchanged: the deadline in UTC.
    assert f"{due:%Y-%m-%d %H:%M} UTC" in stored and stored.startswith("The merchant did not respond by")
    (shown,) = [t for t in event_texts(render(w.reviewer, cid, tz="Asia/Tokyo")) if "did not respond" in t]
    assert shown == (f"{w.company.name} did not respond by {tokyo:%d %b %Y, %H:%M} JST, so the case was "
                     f"escalated to the platform for review.")
    assert "UTC" not in shown
    # The party that was silent is told it was them.
    (creator,) = [t for t in event_texts(render(w.creator, cid, tz="Asia/Tokyo")) if "did not respond" in t]
    assert creator.startswith(f"You did not respond by {tokyo:%d %b %Y, %H:%M} JST")
    (paris,) = [t for t in event_texts(render(w.customer, cid, tz="Europe/Paris")) if "did not respond" in t]
    assert "CEST" in paris and "JST" not in paris and "UTC" not in paris


def test_a_missed_information_request_reads_in_the_readers_zone(old_story, w, render, runtime):
    cid = stages.review_awaiting_customer(old_story)
    old_story.later(days(7))
    from dashboard.cases import system

    old_story.do(system.expire_review_request, cid)
    content = render(w.customer, cid, tz="Asia/Tokyo")
    (shown,) = [t for t in event_texts(content) if "requested information" in t]
    assert shown.startswith("You did not provide the requested information by ")
    assert shown.endswith(f" JST, so the case was closed in {w.company.name}' favour.")  # "Acme Courses'"
    (merchant,) = [t for t in event_texts(render(w.creator, cid, tz="Asia/Tokyo")) if "requested information" in t]
    assert merchant.startswith("The customer did not provide") and merchant.endswith("closed in your favour.")


def test_the_closed_appeal_window_names_its_deadline_in_the_readers_zone(old_story, w, render, runtime):
    cid = stages.closed_window_passed(old_story)
    with runtime.Session() as s:
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == cid,
                                                 CaseEvent.action == "appeal_window_closed"))
        stored, due = event.details, dt.datetime.fromisoformat(event.data["appeal_due_at"])
    assert stored == f"No appeal was made by {due:%Y-%m-%d %H:%M} UTC, so the outcome is final."
    tokyo = due.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert f"No appeal was made by {tokyo:%d %b %Y, %H:%M} JST, so the outcome is final." in \
        event_texts(render(w.customer, cid, tz="Asia/Tokyo"))


def test_old_system_events_have_their_utc_times_restated(story, w, render, runtime, now):
    cid = story.open()
    with runtime.Session.begin() as s:  # as rows were written before the deadline was kept as data
        s.add(CaseEvent(case_id=cid, action="escalated", reporter_type="system", actor_id=None,
                        details="The merchant did not respond by 2026-06-10 03:00 UTC, so the case was escalated "
                                "to the platform for review.",
                        viewable_by_customer=True, viewable_by_merchant=True, created_at=now - H))
        s.add(CaseEvent(case_id=cid, action="responded", reporter_type="customer", actor_id=w.customer.id,
                        details="I wrote 2026-06-10 03:00 UTC myself.", viewable_by_customer=True,
                        viewable_by_merchant=True, created_at=now - H))
    texts = event_texts(render(w.customer, cid, tz="Asia/Tokyo"))
    assert "The merchant did not respond by 10 Jun 2026, 12:00 JST, so the case was escalated to the platform " \
           "for review." in texts
    assert "I wrote 2026-06-10 03:00 UTC myself." in texts  # a person's own words are left as written


def test_entry_times_are_in_the_readers_zone(story, w, render, runtime):
    cid = story.open()
    with runtime.Session() as s:
        created = s.scalar(select(CaseEvent.created_at).where(CaseEvent.case_id == cid))
    tokyo = created.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert f"{tokyo:%d %b %Y, %H:%M} JST" in text(render(w.customer, cid, tz="Asia/Tokyo")["case-timeline-list"])


# ------------------------------------------------------------------------------ filenames
def test_thumbnails_carry_their_filenames_wrapping(story, w, render):
    long_name = "screenshot-of-the-checkout-page-that-never-loaded-after-payment-2026-06-14.png"
    png = story.upload(w.customer, filename=long_name)
    pdf = story.upload(w.customer, filename="receipt.pdf", data=factories.PDF_BYTES)
    cid = story.open(file_ids=[png, pdf])
    content = render(w.creator, cid)
    for where in ("case-timeline-list", "case-evidence"):
        captions = having(content[where], "case-file-name")
        assert [c.children for c in captions] == [long_name]  # under the image, whole
        assert "text-break" in captions[0].className and captions[0].style["overflowWrap"] == "anywhere"
        assert "text-truncate" not in text(content[where])
        assert "receipt.pdf" in text(content[where])


# ------------------------------------------------------------------------- the emails panel
def groups(content) -> list:
    return having(content["case-emails"], "case-email-group")


def test_emails_panel_has_one_row_per_event_expandable_to_its_recipients(story, w, render, runtime):
    cid = story.open()
    story.later()
    story.do(party.deny, actor=w.creator, case_id=cid, message="Access was granted on day one.")
    with runtime.Session() as s:
        emails = s.scalars(select(OutboxEmail).where(OutboxEmail.case_id == cid)).all()
    content = render(w.reviewer, cid)
    rows = groups(content)
    keys = {e.dedupe_key.split(":", 1)[0] for e in emails}
    assert len(rows) == len(keys) == 2 < len(emails)  # one row per event, not per recipient
    newest, oldest = (" ".join(strings(having(r, "case-email-summary")[0])) for r in rows)
    denied = [e for e in emails if e.template == "denied"]
    opened = [e for e in emails if e.template == "created"]
    assert newest.startswith(f"Merchant refused · {len(denied)} email")
    assert oldest.startswith(f"Case opened · {len(opened)} emails: ")
    assert "2 creators (waiting to send)" in oldest  # the company's two creators, not yet delivered
    # Expanding a row lists its recipients with their delivery state.
    details = [c for c in walk(rows[1]) if type(c).__name__ == "Details"][0]
    listed = text(details)
    assert all(e.recipient in listed for e in opened) and "Waiting" in listed
    assert details.open is False


def test_a_failed_email_opens_its_row_and_says_so(story, w, render, runtime):
    cid = story.open()
    with runtime.Session.begin() as s:
        first, second = s.scalars(select(OutboxEmail).where(OutboxEmail.case_id == cid,
                                                            OutboxEmail.recipient.in_([w.creator.email,
                                                                                       w.creator2.email]))
                                  .order_by(OutboxEmail.id)).all()
        first.status, first.attempts, first.last_error = "failed", 8, "550 no such user"
        second.status, second.attempts = "sent", 1
    (row,) = groups(render(w.reviewer, cid))
    summary = " ".join(strings(having(row, "case-email-summary")[0]))
    assert "2 creators (1 failed, 1 sent)" in summary or "2 creators (1 sent, 1 failed)" in summary
    details = [c for c in walk(row) if type(c).__name__ == "Details"][0]
    assert details.open is True and "550 no such user" in text(details) and "8 attempts" in text(details)


def test_no_enum_value_or_none_in_the_timeline_and_emails_panel(old_story, w, render):
    cid = stages.decided(old_story)
    for viewer in (w.customer, w.creator, w.manager):
        content = render(viewer, cid, tz="Asia/Tokyo")
        for where in ("case-timeline-list", "case-emails", "case-evidence"):
            try:
                part = content[where]
            except KeyError:  # the emails panel is staff's
                continue
            for s in strings(part):
                assert "None" not in s and not re.search(r"\b[a-z]+_[a-z_]+\b", s), s


def test_earlier_pages_name_who_acted_as_the_first_page_does(story, w, render, runtime, as_user, now):
    cid = story.open()
    with runtime.Session.begin() as s:  # a long timeline: the first reply falls on an earlier page
        for i in range(60):
            s.add(CaseEvent(case_id=cid, action="responded", reporter_type="merchant", actor_id=w.creator2.id,
                            details=f"EVT-{i:03d}", viewable_by_customer=True, viewable_by_merchant=True,
                            created_at=now - H + dt.timedelta(seconds=i)))
    before = render(w.creator, cid)["case-timeline-before"].data
    for viewer, expected in ((w.creator, f"{w.creator2.name} · {w.company.name}"), (w.customer, w.company.name)):
        with as_user(viewer):
            patch, _before, _style = cb.show_earlier_events(1, cid, before)
        items = [op["params"]["value"] for op in patch.to_plotly_json()["operations"]]
        names = {" ".join(strings(a)) for item in items for a in having(item, "case-event-actor")}
        assert expected in names and (viewer is w.creator or w.creator2.name not in text(items))
