"""Saved views on the queue (callbacks/saved_views.py), called as plain functions by a
signed-in user: staff save, open, rename and delete their own views; nobody else gets any."""
from __future__ import annotations

import json

import plotly.utils
import pytest
from dash import no_update
from sqlalchemy import select

from callbacks import saved_views as cb
from dashboard import saved_views
from dashboard.components.ids import QueueIds
from dashboard.context import Ctx
from data.models import SavedView
from tests import factories
from tests.factories import days

CLOSED_ACME = saved_views.from_search("?tab=closed&sort=amount:desc&f.company=Acme")


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(40), runtime.settings))


def stored(runtime, user) -> list[tuple[str, dict]]:
    with runtime.Session() as s:
        return [(v.name, v.state) for v in s.scalars(select(SavedView).where(SavedView.user_id == user.id)
                                                      .order_by(SavedView.id))]


def held(state):
    return {"state": state, "pending": None}


def save(name, state=CLOSED_ACME, *, mode="save", view_id=None):
    return cb.submit_view(1, None, name, mode, view_id, held(state))


def test_save_then_open_sets_the_url_to_the_view(as_user, w, runtime, flask_app):
    with as_user(w.reviewer):
        is_open, invalid, error, feedback, options, value = save("  Acme, closed  ")
        assert (is_open, invalid, error) == (False, False, None)
        assert "Saved \u201cAcme, closed\u201d" in text(feedback)
        assert [o["label"] for o in options] == ["Acme, closed"] and value == options[0]["value"]
        assert cb.list_views(True) == options
        search, rename_off, delete_off, alert = cb.open_view(value)
    assert search == "?tab=closed&sort=amount%3Adesc&f.company=Acme" and not rename_off and not delete_off
    assert alert is None and stored(runtime, w.reviewer) == [("Acme, closed", CLOSED_ACME)]
    with as_user(w.reviewer):
        assert cb.open_view(None) == (no_update, True, True, None)


def test_the_confirmation_of_a_save_stays_up_when_the_saved_view_opens(as_user, w, runtime, flask_app):
    """Saving selects the view it saved, which opens it: that must not wipe "Saved …"."""
    with as_user(w.reviewer):
        *_, feedback, _options, value = save("High-value PayPal")
        assert "Saved \u201cHigh-value PayPal\u201d." in text(feedback)
        shown = json.loads(text(feedback))[0]  # as the browser sends the feedback area back
        assert cb.open_view(value, shown)[3] is no_update
        warning = json.loads(text(cb._alert("That saved view is no longer there.", "warning")))[0]
        assert cb.open_view(value, warning)[3] is None  # a warning from before is cleared
        assert cb.open_view(value, None)[3] is None


def test_saving_under_an_existing_name_updates_it(as_user, w, runtime, flask_app):
    with as_user(w.reviewer):
        save("Mine")
        *_, feedback, options, _value = save("mine", saved_views.DEFAULT_STATE)
    assert "Updated \u201cmine\u201d" in text(feedback) and len(options) == 1
    assert stored(runtime, w.reviewer) == [("mine", saved_views.DEFAULT_STATE)]


def test_what_is_saved_is_cleaned_to_the_known_keys(as_user, w, runtime, flask_app):
    forged = {**CLOSED_ACME, "sql": "drop table", "filters": {**CLOSED_ACME["filters"], "x": {"filter": "y"}}}
    with as_user(w.reviewer):
        cb.submit_view(1, None, "Forged", "save", None, {"state": forged})
        cb.submit_view(1, None, "Junk", "save", None, "not a store")
    assert stored(runtime, w.reviewer) == [("Forged", CLOSED_ACME), ("Junk", saved_views.DEFAULT_STATE)]


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 81])
def test_a_bad_name_is_shown_under_the_field_and_nothing_saved(as_user, w, runtime, flask_app, name):
    with as_user(w.reviewer):
        is_open, invalid, error, feedback, options, value = save(name)
    assert is_open is no_update and invalid is True and ("name" in error) and feedback is no_update
    assert stored(runtime, w.reviewer) == []


def test_the_thirty_first_view_is_refused_under_the_field(as_user, w, runtime, flask_app):
    with as_user(w.reviewer):
        for i in range(saved_views.MAX_VIEWS):
            save(f"View {i}")
        _open, invalid, error, *_ = save("One more")
    assert invalid is True and "30 saved views" in error and len(stored(runtime, w.reviewer)) == 30


def test_rename_and_delete_the_opened_view(as_user, w, runtime, flask_app, monkeypatch):
    with as_user(w.reviewer):
        *_, view_id = save("Old name")
        save("Other")
        pressed(monkeypatch, QueueIds.VIEW_RENAME)
        dialog = cb.open_dialog(None, 1, None, view_id)
        assert dialog[:4] == (True, "Rename \u201cOld name\u201d", "Old name", "rename")
        taken = save("other", mode="rename", view_id=view_id)
        assert taken[1] is True and "already have a view called \u201cOther\u201d" in taken[2]
        *_, feedback, options, value = save("New name", mode="rename", view_id=view_id)
        assert "Renamed to \u201cNew name\u201d" in text(feedback) and value == view_id
        feedback, options, value = cb.delete_view(1, view_id)
    assert "Deleted \u201cNew name\u201d" in text(feedback) and value is None
    assert [o["label"] for o in options] == ["Other"] and [n for n, _ in stored(runtime, w.reviewer)] == ["Other"]


def pressed(monkeypatch, button):
    monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": button}))


def test_the_save_dialog_offers_the_opened_views_name_and_cancel_closes(as_user, w, flask_app, monkeypatch):
    with as_user(w.reviewer):
        *_, view_id = save("Acme")
        pressed(monkeypatch, QueueIds.VIEW_SAVE)
        assert cb.open_dialog(1, None, None, view_id)[:4] == (True, "Save this view", "Acme", "save")
        assert cb.open_dialog(1, None, None, None)[:4] == (True, "Save this view", "", "save")
        pressed(monkeypatch, QueueIds.VIEW_RENAME)
        assert cb.open_dialog(None, 1, None, None)[0] is False  # nothing opened: nothing to rename
        pressed(monkeypatch, QueueIds.VIEW_CANCEL)
        assert cb.open_dialog(1, None, 1, view_id)[0] is False


def test_another_persons_view_is_not_found_and_left_alone(as_user, w, runtime, flask_app, monkeypatch):
    with as_user(w.reviewer):
        *_, view_id = save("Private")
    with as_user(w.reviewer2):
        search, *_disabled, alert = cb.open_view(view_id)
        assert search is no_update and "no longer there" in text(alert)
        renamed = save("Stolen", mode="rename", view_id=view_id)
        deleted = cb.delete_view(1, view_id)
        assert cb.list_views(True) == []
        pressed(monkeypatch, QueueIds.VIEW_RENAME)
        assert cb.open_dialog(None, 1, None, view_id)[0] is False
    assert "no longer there" in text(renamed) and "Nothing was deleted" in text(deleted)
    assert stored(runtime, w.reviewer) == [("Private", CLOSED_ACME)]


@pytest.mark.parametrize("who", ["customer", "creator", "other_creator"])
def test_parties_get_no_views_and_save_nothing(as_user, w, runtime, flask_app, monkeypatch, who):
    with as_user(w.reviewer):
        *_, view_id = save("Staff view")
    user = getattr(w, who)
    with as_user(user):
        assert cb.list_views(True) == []
        out = save("Mine")
        opened = cb.open_view(view_id)
        deleted = cb.delete_view(1, view_id)
        pressed(monkeypatch, QueueIds.VIEW_SAVE)
        dialog = cb.open_dialog(1, None, None, None)
    assert out[4] == [] and "for the platform's reviewers and managers" in text(out[3])
    assert opened[0] is no_update and "Staff view" not in text(out, opened, deleted, dialog) and dialog[0] is False
    assert stored(runtime, user) == [] and stored(runtime, w.reviewer) == [("Staff view", CLOSED_ACME)]

