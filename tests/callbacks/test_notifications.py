"""The bell and `/notifications`, called as plain functions by a signed-in user, on SQLite
and PostgreSQL: the badge counts the viewer's own unread (capped "99+"), the list shows the
latest ten in the viewer's zone, opening one marks it read and goes to its case, "Mark all
read", the page's keyset pages, the email preference saved on the server; another person's
notification id is refused with nothing changed; parties get nothing."""
from __future__ import annotations

import datetime as dt
import json

import plotly.utils
import pytest
from sqlalchemy import func, select

from callbacks import notifications as cb
from data.models import StaffNotification, User
from dashboard.cases import opening, review, system
from dashboard.components.ids import NotificationIds
from dashboard.context import Ctx
from tests import factories
from tests.factories import days

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def add_notes(runtime, user_id, n, *, start, case_id=None, read=False):
    with runtime.Session.begin() as s:
        for i in range(n):
            s.add(StaffNotification(user_id=user_id, case_id=case_id, kind="escalated", title=f"Note {i:03d}",
                                    body=f"Body {i:03d}", dedupe_key=f"t:{user_id}:{start.isoformat()}:{i}",
                                    created_at=start + dt.timedelta(minutes=i), read_at=start if read else None))


@pytest.fixture
def w(runtime):
    """A case escalated as of now: both reviewers are told (nobody on duty)."""
    now = runtime.now()
    with runtime.Session.begin() as s:
        w = factories.world(Ctx(s, now - days(8), runtime.settings))
        s.get(User, w.reviewer.id).time_zone = "Europe/Paris"
        w.case_id = opening.open_case(Ctx(s, now - days(8), runtime.settings), actor=w.customer,
                                      payment_id=w.payment.id, reason="product_not_received",
                                      message="Never came.").case.id
        system.escalate_overdue(Ctx(s, now, runtime.settings), w.case_id)
    with runtime.Session() as s:
        w.note_id = s.scalar(select(StaffNotification.id).where(StaffNotification.user_id == w.reviewer.id))
    return w


def unread(runtime, user_id) -> int:
    with runtime.Session() as s:
        return s.scalar(select(func.count()).select_from(StaffNotification)
                        .where(StaffNotification.user_id == user_id, StaffNotification.read_at.is_(None)))


def clicked(monkeypatch, trigger, outputs_list=([{}], [{}])):
    monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": trigger, "outputs_list": list(outputs_list)}))


@pytest.fixture
def one_bell(monkeypatch):
    """The navbar holds one bell: each of its wildcard outputs is a list of one."""
    clicked(monkeypatch, None, ([{}], [{}], [{}]))


def bell(as_user, user):
    with as_user(user):
        badges, styles, lists = cb.refresh_bell([0], [0], "/queue")
    assert len(badges) == len(styles) == len(lists) == 1
    return badges[0], styles[0], lists[0]


def test_the_badge_and_the_latest_in_the_viewers_zone(as_user, w, now, one_bell):
    badge, style, items = bell(as_user, w.reviewer)
    assert style == {} and text(badge).startswith('[["1", ')
    out = text(items)
    assert f"Case {w.case_id} reached the platform" in out
    local = now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert local.strftime("%d %b %Y, %H:%M") + " CEST" in out  # the viewer's saved zone
    assert "CEST CEST" not in out  # named once (local_time appends it)
    assert json.dumps(NotificationIds.bell_item(w.note_id)) in out


def test_the_badge_is_capped_and_the_list_holds_ten(as_user, runtime, w, now, one_bell):
    add_notes(runtime, w.reviewer2.id, 120, start=now - days(1))
    badge, style, items = bell(as_user, w.reviewer2)
    assert text(badge).startswith('[["99+", ')
    assert text(items).count('"rc-bell-item"') == 10


@pytest.mark.parametrize("role", ["customer", "creator"])
def test_parties_get_no_bell(as_user, w, role, one_bell):
    assert bell(as_user, getattr(w, role)) == ("", HIDDEN, None)
    with as_user(getattr(w, role)):
        alert, rows, *_ = cb.show_page(None, 0)
    assert rows is None and "reviewers and managers" in text(alert)


def test_opening_one_marks_it_read_and_goes_to_its_case(as_user, runtime, w, monkeypatch):
    clicked(monkeypatch, NotificationIds.bell_item(w.note_id))
    with as_user(w.reviewer):
        href, popovers = cb.open_from_bell([1])
    assert href == f"/cases/{w.case_id}" and popovers == [False]
    assert unread(runtime, w.reviewer.id) == 0 and unread(runtime, w.reviewer2.id) == 1


def test_another_persons_notification_is_refused_and_unchanged(as_user, runtime, w, monkeypatch):
    clicked(monkeypatch, NotificationIds.bell_item(w.note_id))
    with as_user(w.reviewer2):
        assert cb.open_from_bell([1]) == (cb.no_update, [cb.no_update])
    clicked(monkeypatch, NotificationIds.page_item(w.note_id))
    with as_user(w.reviewer2):
        href, alert = cb.open_from_page([1])
    assert href is cb.no_update and "not yours" in text(alert)
    with as_user(w.customer):
        assert cb.open_from_page([1])[0] is cb.no_update
    assert unread(runtime, w.reviewer.id) == 1


@pytest.mark.parametrize("junk", ["1", None, True, {"id": 1}, 10**12])
def test_junk_ids_are_refused(as_user, runtime, w, monkeypatch, junk):
    clicked(monkeypatch, {"rc-bell-item": "open", "id": junk})
    with as_user(w.reviewer):
        assert cb.open_from_bell([1]) == (cb.no_update, [cb.no_update])
    assert unread(runtime, w.reviewer.id) == 1


def test_an_unclicked_render_does_nothing(as_user, runtime, w, monkeypatch):
    clicked(monkeypatch, NotificationIds.bell_item(w.note_id))
    with as_user(w.reviewer):
        assert cb.open_from_bell([0]) == (cb.no_update, [cb.no_update])
    assert unread(runtime, w.reviewer.id) == 1


def test_mark_all_read_is_the_viewers_own(as_user, runtime, w, monkeypatch):
    clicked(monkeypatch, None, ([{}],))
    with as_user(w.reviewer):
        assert cb.mark_all_from_bell([0], [3]) == [cb.no_update]  # rendered, not clicked
        assert cb.mark_all_from_bell([1], [3]) == [4]
    assert unread(runtime, w.reviewer.id) == 0 and unread(runtime, w.reviewer2.id) == 1
    with as_user(w.reviewer2):
        bump, alert = cb.mark_all_on_page(1, 0)
    assert bump == 1 and "Marked 1 notification read." in text(alert)
    with as_user(w.customer):
        assert cb.mark_all_from_bell([1], [0]) == [cb.no_update]


def test_the_page_is_keyset_paged_newest_first(as_user, runtime, w, now, monkeypatch):
    add_notes(runtime, w.reviewer2.id, 30, start=now - days(2))
    with as_user(w.reviewer2):
        alert, rows, cursor, next_style, first_style, mode = cb.show_page(None, 0)
        assert alert is None and next_style == {} and first_style == HIDDEN and mode == "immediate"
        first = text(rows)
        assert f"Case {w.case_id} reached the platform" in first and "Note 029" in first and "Note 005" not in first
        _, rows2, cursor2, next2, first2, _ = cb.show_page(cursor, 0)
    second = text(rows2)
    assert "Note 005" in second and "Note 000" in second and "Note 029" not in second
    assert cursor2 is None and next2 == HIDDEN and first2 == {}
    clicked(monkeypatch, NotificationIds.NEXT)
    assert cb.turn_page(1, 0, cursor) == cursor
    assert cb.turn_page(1, 0, "") is cb.no_update
    clicked(monkeypatch, NotificationIds.FIRST)
    assert cb.turn_page(1, 1, cursor) is None


def test_a_cursor_that_does_not_decode_starts_from_the_top(as_user, w):
    with as_user(w.reviewer):
        alert, rows, *_ = cb.show_page("not-a-cursor", 0)
    assert alert is None and w.case_id in text(rows)


def test_the_preference_is_saved_on_the_server(as_user, runtime, w):
    with as_user(w.reviewer):
        said = text(cb.save_mode(1, "digest"))
    assert "Saved." in said and "08:00 in your time zone" in said
    with runtime.Session() as s:
        assert s.get(User, w.reviewer.id).notify_mode == "digest"
    with as_user(w.reviewer):
        assert "Choose one of" in text(cb.save_mode(1, "hourly"))
        assert cb.show_page(None, 0)[-1] == "digest"
    with as_user(w.customer):
        assert "reviewers and managers" in text(cb.save_mode(1, "off"))
    with runtime.Session() as s:
        assert s.get(User, w.reviewer.id).notify_mode == "digest"
        assert s.get(User, w.customer.id).notify_mode == "immediate"


def decide(runtime, w, actor):
    with runtime.Session.begin() as s:
        review.decide(Ctx(s, runtime.now(), runtime.settings), actor=s.get(User, actor.id), case_id=w.case_id,
                      outcome="refund", amount=None, reason="The parcel never arrived.")


def test_a_decided_cases_notification_is_done_not_unread_and_shows_the_case_now(as_user, runtime, w, one_bell):
    decide(runtime, w, w.reviewer)
    assert unread(runtime, w.reviewer2.id) == 0  # settled by the decision, in its transaction
    badge, style, items = bell(as_user, w.reviewer2)
    assert (badge, style) == ("", HIDDEN)
    out = text(items)
    assert f"Done: decided by {w.reviewer.name}" in out
    assert "now: Closed · Customer won" in out
    assert "rc-done" in out and "rc-unread" not in out
    with as_user(w.reviewer2):
        _alert, rows, *_ = cb.show_page(None, 0)
    page = text(rows)
    assert f"Done: decided by {w.reviewer.name}" in page and "now: Closed · Customer won" in page
    assert '"Unread"' not in page


def test_an_undecided_cases_notification_says_its_state_now_and_stays_unread(as_user, w, one_bell):
    badge, _style, items = bell(as_user, w.reviewer2)
    out = text(items)
    assert text(badge).startswith('[["1", ') and "now: Under review" in out and "Done:" not in out


def test_a_notification_written_before_a_decision_reads_done_even_if_left_unread(as_user, runtime, w, one_bell):
    """Rows from before decisions settled them (or a decision by a path that does not) still
    read as done: the page works it out from the case, not from read_at alone."""
    decide(runtime, w, w.reviewer)
    with runtime.Session.begin() as s:
        s.get(StaffNotification, w.note_id).read_at = None  # w.reviewer's own, as if never settled
    _badge, _style, items = bell(as_user, w.reviewer)
    out = text(items)
    assert f"Done: decided by {w.reviewer.name}" in out and "rc-unread" not in out
