"""The case page's "Insert reply…" (callbacks/canned_insert.py), called as plain functions
by a signed-in user, on SQLite and PostgreSQL: each viewer is offered the saved replies
of their own scope for the chosen action, and the chosen one is rendered on the server
for this case and this viewer (name, amount, deadline in their zone) into the message —
replacing an empty one, appended to written words. A creator can neither see nor insert
another company's replies, even by a crafted id; a customer gets nothing."""
from __future__ import annotations

import json

import plotly.utils
import pytest

from callbacks import canned_insert as cb
from data.models import User
from dashboard import canned
from dashboard.context import Ctx
from tests import factories
from tests.domain import stages
from tests.domain.story import Story
from tests.factories import days

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime, now):
    """A case of Acme's customer under review (escalated three days ago, so the platform's
    48-hour target passed a day ago), one awaiting Acme, and saved replies of every scope."""
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now - days(11), runtime.settings)
        w = factories.world(ctx)
        s.get(User, w.customer.id).name = "Zoë O'Brien"
    story = Story(runtime.Session, runtime.settings, w, now=now - days(10))
    w.review_case = stages.under_review(story)
    story.now = now - days(1)
    story.new_payment()
    w.merchant_case = story.open()  # due in 7 days: 21 Jun 2026, 12:00 UTC
    with runtime.Session.begin() as s:
        ctx = Ctx(s, now, runtime.settings)

        def make(user_id, name, purpose, body):
            return canned.create_reply(ctx, s.get(User, user_id), name=name, purpose=purpose, body=body).reply.id

        w.note = make(w.manager.id, "Checked", "note", "{customer_name} paid {amount}; decide by {due_date}.")
        w.reason = make(w.manager.id, "Refund reason", "decision_reason", "Refund of {amount}.")
        w.acme = make(w.creator.id, "Acme sorry", "message", "Sorry {customer_name}, {company} will refund "
                                                             "{amount}. {braces} {} {0}")
        w.other = make(w.other_creator.id, "Other words", "message", "OTHER-SECRET {customer_name}")
    return w


def offer(as_user, user, choice, case_id, **kw):
    with as_user(user, **kw):
        return cb.offer_replies(choice, case_id)


def insert(as_user, user, reply_id, case_id, choice, message="", **kw):
    with as_user(user, **kw):
        return cb.insert_reply(str(reply_id), case_id, choice, message)


def _labels(options) -> list[str]:
    return [o["label"] for o in options]


# ------------------------------------------------------------------ what is offered
def test_a_reviewer_is_offered_the_platform_replies_of_the_chosen_action(as_user, w):
    options, value, style, feedback = offer(as_user, w.reviewer, "note", w.review_case)
    assert _labels(options) == ["Checked"] and options[0]["value"] == str(w.note)
    assert (value, style, feedback) == ("", {}, "")
    assert _labels(offer(as_user, w.reviewer, "decide", w.review_case)[0]) == ["Refund reason"]
    # an action without words, or none chosen: nothing to offer, and no hint for a reviewer
    assert offer(as_user, w.reviewer, "claim", w.review_case) == ([], "", HIDDEN, "")
    assert offer(as_user, w.reviewer, None, w.review_case) == ([], "", HIDDEN, "")


def test_someone_who_keeps_replies_is_told_where_to_add_one(as_user, w):
    options, _value, style, hint = offer(as_user, w.manager, "request_info", w.review_case)
    assert options == [] and style == HIDDEN
    assert "No saved replies for information requests yet." in text(hint) and "/replies" in text(hint)


def test_a_creator_is_offered_only_their_companys_replies(as_user, w):
    options, _value, style, _hint = offer(as_user, w.creator, "deny", w.merchant_case)
    assert _labels(options) == ["Acme sorry"] and style == {}
    assert "Other words" not in text(options) and "Checked" not in text(options)


def test_another_companys_creator_and_a_customer_are_offered_nothing(as_user, w):
    # the other creator cannot see Acme's case at all
    assert offer(as_user, w.other_creator, "deny", w.merchant_case) == ([], "", HIDDEN, "")
    # the customer sees their case, but keeps no replies
    assert offer(as_user, w.customer, "reply", w.review_case) == ([], "", HIDDEN, "")
    assert offer(as_user, w.customer, "add_evidence", w.merchant_case) == ([], "", HIDDEN, "")


# ------------------------------------------------------------------ inserting
def test_the_chosen_reply_is_rendered_for_the_case_in_the_viewers_zone(as_user, w):
    # no saved zone: the browser's (the tz cookie); escalated 12 Jun 12:00 UTC + 48 hours
    message, reset, feedback = insert(as_user, w.reviewer, w.note, w.review_case, "note", tz="Europe/Paris")
    assert message == "Zoë O'Brien paid $50.00; decide by Sun 14 Jun 2026, 14:00 CEST."
    assert (reset, feedback) == ("", "")
    message, *_ = insert(as_user, w.reviewer, w.note, w.review_case, "note", tz="America/Los_Angeles")
    assert message.endswith("decide by Sun 14 Jun 2026, 05:00 PDT.")


def test_the_reply_replaces_an_empty_message_and_is_appended_to_written_words(as_user, w):
    assert insert(as_user, w.reviewer, w.reason, w.review_case, "decide", message="  \n ")[0] == "Refund of $50.00."
    assert insert(as_user, w.reviewer, w.reason, w.review_case, "decide", message="First my words.\n")[0] == \
        "First my words.\n\nRefund of $50.00."


def test_a_creator_inserts_their_companys_reply_with_its_braces_left_alone(as_user, w):
    message, *_ = insert(as_user, w.creator, w.acme, w.merchant_case, "deny")
    assert message == "Sorry Zoë O'Brien, Acme Courses will refund $50.00. {braces} {} {0}"


def test_a_creator_cannot_insert_another_companys_reply_by_a_crafted_id(as_user, w):
    message, reset, feedback = insert(as_user, w.creator, w.other, w.merchant_case, "deny", message="Mine")
    assert message is cb.dash.no_update and reset == "" and cb.NOT_THERE in text(feedback)
    assert "OTHER-SECRET" not in text(feedback)
    # nor the platform's, nor on another company's case
    assert insert(as_user, w.creator, w.note, w.merchant_case, "deny")[0] is cb.dash.no_update
    assert insert(as_user, w.other_creator, w.other, w.merchant_case, "deny")[0] is cb.dash.no_update
    assert insert(as_user, w.other_creator, w.acme, w.merchant_case, "deny")[0] is cb.dash.no_update


def test_a_customer_gets_no_reply_text(as_user, w):
    for reply in (w.note, w.acme, w.other):
        message, _reset, feedback = insert(as_user, w.customer, reply, w.merchant_case, "add_evidence")
        assert message is cb.dash.no_update and cb.NOT_THERE in text(feedback)


def test_a_reply_of_another_purpose_than_the_action_is_refused(as_user, w):
    message, _reset, feedback = insert(as_user, w.reviewer, w.note, w.review_case, "decide")
    assert message is cb.dash.no_update and cb.NOT_THERE in text(feedback)


def test_a_message_that_would_grow_past_the_limit_is_left_as_it_was(as_user, w, runtime):
    limit = runtime.settings.max_message_chars
    message, reset, feedback = insert(as_user, w.reviewer, w.reason, w.review_case, "decide", message="x" * (limit - 5))
    assert message is cb.dash.no_update and reset == ""
    assert f"would be {limit - 5 + 2 + len('Refund of $50.00.'):,} characters; it can hold {limit:,}" in text(feedback)


@pytest.mark.parametrize("junk", ["", None])
def test_nothing_chosen_changes_nothing(as_user, w, junk):
    with as_user(w.reviewer), pytest.raises(cb.dash.exceptions.PreventUpdate):
        cb.insert_reply(junk, w.review_case, "note", "")


@pytest.mark.parametrize("reply_id,case_id,choice", [
    ("abc", "reso_x", "note"), ("1" * 30, None, None), ({"id": 1}, {"case": 1}, ["note"]), ("-1", 5, 7)])
def test_junk_from_the_browser_never_raises(as_user, w, reply_id, case_id, choice):
    with as_user(w.reviewer):
        message, _reset, feedback = cb.insert_reply(reply_id, case_id, choice, {"not": "text"})
        options = cb.offer_replies(choice, case_id)
    assert message is cb.dash.no_update and cb.NOT_THERE in text(feedback)
    assert options == ([], "", HIDDEN, "")
