"""`/replies` callbacks, called as plain functions by a signed-in user, on SQLite and
PostgreSQL: managers keep the platform's saved replies and reviewers only read them;
creators keep their own company's and cannot see, open, change or delete another
company's even by a crafted id; customers get nothing; bad input is a clear error under
its field with nothing saved; junk from the browser never raises."""
from __future__ import annotations

import json

import plotly.utils
import pytest
from sqlalchemy import select

from callbacks import replies as cb
from data.models import CannedReply
from dashboard import canned
from dashboard.context import Ctx
from tests import factories

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime):
    """The world, with one platform reply and one reply of each company."""
    with runtime.Session.begin() as s:
        ctx = Ctx(s, runtime.now(), runtime.settings)
        w = factories.world(ctx)
        w.platform_reply = canned.create_reply(ctx, w.manager, name="Ask for logs", purpose="info_request",
                                               body="Dear {customer_name}, please send the logs.").reply.id
        w.acme_reply = canned.create_reply(ctx, w.creator, name="Acme refund", purpose="message",
                                           body="ACME-SECRET: {amount} is on its way.").reply.id
        w.other_reply = canned.create_reply(ctx, w.other_creator, name="Other refund", purpose="message",
                                            body="OTHER-SECRET words.").reply.id
    return w


def rows(runtime) -> list[tuple]:
    with runtime.Session() as s:
        return list(s.execute(select(CannedReply.id, CannedReply.scope, CannedReply.name, CannedReply.body)
                              .order_by(CannedReply.id)))


def save(as_user, user, *, editing=None, name="New one", purpose="note", body="Checked {company}.", load=0):
    with as_user(user):
        return cb.save_reply(1, editing, name, purpose, body, load)


# ------------------------------------------------------------------ what each person sees
def test_a_manager_sees_the_platform_replies_and_the_form(as_user, w):
    with as_user(w.manager):
        intro, table, form_style, options = cb.show_replies(0)
    out = text(table)
    assert "Ask for logs" in out and "Dear Alex Rivera, please send the logs." in out  # the example values
    assert "/replies?edit=%d" % w.platform_reply in out
    assert "ACME-SECRET" not in out and "OTHER-SECRET" not in out
    assert form_style == {} and "every reviewer" in intro
    assert [o["value"] for o in options] == ["info_request", "note", "decision_reason"]


def test_a_reviewer_reads_the_platform_list_without_the_form_and_cannot_save(as_user, w, runtime):
    with as_user(w.reviewer):
        intro, table, form_style, _options = cb.show_replies(0)
    assert "Ask for logs" in text(table) and "?edit=" not in text(table)
    assert form_style == HIDDEN and "kept by the managers" in intro
    before = rows(runtime)
    feedback, *_rest = save(as_user, w.reviewer)
    assert "Only managers change the platform's saved replies" in text(feedback)
    with as_user(w.reviewer):
        assert cb.ask_delete(1, w.platform_reply) == (False, None)
        answer = cb.delete_reply(1, w.platform_reply, 0)
    assert "Only managers" in text(answer[0]) and answer[1] is cb.NO
    assert rows(runtime) == before


def test_a_creator_sees_only_their_companys_replies(as_user, w):
    with as_user(w.creator):
        intro, table, form_style, options = cb.show_replies(0)
    out = text(table)
    assert "Acme refund" in out and "ACME-SECRET" in out
    assert "Ask for logs" not in out and "OTHER-SECRET" not in out and "Other refund" not in out
    assert form_style == {} and "Your company's saved replies" in intro
    assert [o["value"] for o in options] == ["info_request", "message"]


def test_a_customer_gets_nothing(as_user, w, runtime):
    with as_user(w.customer):
        intro, table, form_style, options = cb.show_replies(0)
        opened = cb.open_reply(w.platform_reply)
    assert "kept by the platform's managers and by creators" in text(table)
    assert form_style == HIDDEN and options == [] and intro == ""
    assert "Ask for logs" not in text(table, opened) and "logs" not in text(opened)
    before = rows(runtime)
    feedback, *_ = save(as_user, w.customer, purpose="message")
    assert "Saved replies are kept by" in text(feedback) and rows(runtime) == before


# ------------------------------------------------------------------ another company's, by crafted id
def test_a_creator_cannot_open_change_or_delete_another_companys_reply(as_user, w, runtime):
    before = rows(runtime)
    with as_user(w.creator):
        name, purpose, body, title, delete_style, alert = cb.open_reply(w.other_reply)
        assert (name, body, title, delete_style) == ("", "", "New reply", HIDDEN)
        assert "does not exist or is not yours to edit" in text(alert) and "OTHER" not in text(alert)
        feedback, *_ = cb.save_reply(1, w.other_reply, "Mine now", "message", "Overwritten", 0)
        assert "nothing was saved" in text(feedback)
        assert cb.ask_delete(1, w.other_reply) == (False, None)
        deleted = cb.delete_reply(1, w.other_reply, 0)
        assert "nothing changed" in text(deleted[0])
        # nor the platform's
        assert "Dear" not in text(cb.open_reply(w.platform_reply))
    assert rows(runtime) == before


def test_a_manager_cannot_open_a_companys_reply(as_user, w):
    with as_user(w.manager):
        opened = cb.open_reply(w.acme_reply)
    assert "ACME-SECRET" not in text(opened) and "not yours to edit" in text(opened)


# ------------------------------------------------------------------ saving and deleting
def test_saving_a_new_reply_adds_it_and_opens_it_for_editing(as_user, w, runtime):
    feedback, name_bad, name_err, purpose_err, body_bad, body_err, load, editing = save(
        as_user, w.manager, name="  Checked  ", body="We checked {company}.")
    saved = [r for r in rows(runtime) if r[2] == "Checked"]
    assert len(saved) == 1 and saved[0][1] == "platform" and saved[0][3] == "We checked {company}."
    assert "Saved “Checked”" in text(feedback) and "Insert reply…" in text(feedback)
    assert (name_bad, name_err, purpose_err, body_bad, body_err) == (False, None, None, False, None)
    assert load == 1 and editing == saved[0][0]
    with as_user(w.manager):
        name, purpose, body, title, delete_style, alert = cb.open_reply(editing)
    assert (name, purpose, body, title, delete_style, alert) == ("Checked", "note", "We checked {company}.",
                                                                "Edit “Checked”", {}, None)


def test_editing_a_reply_saves_it_in_place(as_user, w, runtime):
    save(as_user, w.creator2, editing=w.acme_reply, name="Acme refund", purpose="message", body="Sent {amount}.")
    assert [r for r in rows(runtime) if r[0] == w.acme_reply][0][2:] == ("Acme refund", "Sent {amount}.")


@pytest.mark.parametrize("fields,field,words", [
    (dict(name=""), "name", "Give the reply a name"),
    (dict(name="Ask for logs"), "name", "There is already a reply called “Ask for logs”"),
    (dict(purpose="message"), "purpose", "Choose what the reply is for"),
    (dict(body="x" * 5001), "body", "5,001 characters"),
    (dict(body=None), "body", "Write the reply's text"),
])
def test_a_bad_field_is_named_under_it_and_nothing_is_saved(as_user, w, runtime, fields, field, words):
    before = rows(runtime)
    feedback, name_bad, name_err, purpose_err, body_bad, body_err, load, editing = save(as_user, w.manager, **fields)
    errors = {"name": name_err, "purpose": purpose_err, "body": body_err}
    assert words in errors[field] and all(v is None for k, v in errors.items() if k != field)
    assert name_bad == (field == "name") and body_bad == (field == "body")
    assert feedback is None and load is cb.NO and editing is cb.NO
    assert rows(runtime) == before


def test_an_unknown_placeholder_is_saved_with_a_warning(as_user, w, runtime):
    feedback, *_ = save(as_user, w.manager, name="Typo", body="Hello {custmer_name}")
    assert "Saved “Typo”" in text(feedback)
    # parts of a sentence, never a list inside the children (the browser renders nothing for one)
    assert not any(isinstance(part, list) for part in feedback.children)
    assert "{custmer_name} (did you mean {customer_name}?) is not a placeholder: use {customer_name}, {company}, " \
           "{amount} or {due_date}" in text(feedback)
    assert [r[3] for r in rows(runtime) if r[2] == "Typo"] == ["Hello {custmer_name}"]


def test_deleting_asks_first_then_removes_it(as_user, w, runtime):
    with as_user(w.manager):
        is_open, body = cb.ask_delete(1, w.platform_reply)
        assert is_open is True and "“Ask for logs” leaves the list" in body and "cannot be undone" in body
        assert w.platform_reply in [r[0] for r in rows(runtime)]  # asking changed nothing
        feedback, load, editing, still_open = cb.delete_reply(1, w.platform_reply, 4)
    assert "Deleted “Ask for logs”" in text(feedback) and (load, editing, still_open) == (5, None, False)
    assert w.platform_reply not in [r[0] for r in rows(runtime)]
    with as_user(w.manager):
        assert cb.keep_reply(1) is False


# ------------------------------------------------------------------ the preview and junk
def test_the_preview_fills_example_values_and_warns_of_unknown_names(as_user, w):
    with as_user(w.customer):  # pure presentation: no data, anyone may ask
        shown = text(cb.preview_reply("Hi {customer_name}, {amount} by {due_date}. {oops} { } {0} {"))
    # The example deadline is three days after the runtime's now (15 Jun 2026), at noon.
    assert "Hi Alex Rivera, $49.00 by Thu 18 Jun 2026, 12:00 UTC. {oops} { } {0} {" in shown
    assert "{oops} is not a placeholder" in shown
    assert cb.preview_reply("   ") is None and cb.preview_reply(None) is None


def test_the_preview_deadline_is_in_the_viewers_zone_and_the_company_takes_a_possessive(as_user, w):
    with as_user(w.customer, tz="Asia/Tokyo"):
        shown = text(cb.preview_reply("By {due_date}, {company}'s team replies."))
    assert "By Thu 18 Jun 2026, 12:00 JST, Northwind Studio's team replies." in shown
    assert "s's" not in shown
    with as_user(w.customer, tz="America/Los_Angeles"):  # 15 Jun 05:00 there: the 18th is still 3 days on
        assert "Thu 18 Jun 2026, 12:00 PDT" in text(cb.preview_reply("{due_date}"))


@pytest.mark.parametrize("editing", [{"id": 1}, ["1"], "1 OR 1=1", -5, True, "9" * 40, 1.5])
def test_junk_from_the_browser_is_not_found_and_never_raises(as_user, w, runtime, editing):
    before = rows(runtime)
    with as_user(w.manager):
        opened = cb.open_reply(editing)
        saved = cb.save_reply(1, editing, "x", "note", "y", "junk")
        asked = cb.ask_delete(1, editing)
        deleted = cb.delete_reply(1, editing, None)
    assert opened[:5] == ("", "info_request", "", "New reply", HIDDEN)
    assert "nothing was saved" in text(saved[0]) and asked == (False, None) and "nothing changed" in text(deleted[0])
    assert rows(runtime) == before
    with as_user(w.manager):
        feedback, *_ = cb.save_reply(1, None, ["x"], {"p": 1}, 7, "junk")
    assert "Give the reply a name" in text(_) and rows(runtime) == before
