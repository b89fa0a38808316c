"""The case page's action form as a person reads it (issue 9): the submit waits for the
required fields, errors sit under their fields, what is final (or uses the case's only
appeal) is said in the form and confirmed first, and actions the person could expect
are explained when they are missing. Callbacks called as plain functions."""
from __future__ import annotations

import datetime as dt
import json
import re

import plotly.utils
import pytest
from dash.exceptions import PreventUpdate
from dash._callback_context import context_value
from dash._utils import AttributeDict

from callbacks import case_actions as act
from dashboard.cases import party, review
from dashboard.components.case_panels import form_meta
from dashboard.components.ids import CaseIds
from dashboard.context import Ctx
from tests import factories
from tests.domain import stages
from tests.domain.story import Story
from tests.factories import days

H = dt.timedelta(hours=1)
FEEDBACK, TOAST_OPEN, TOAST, REFRESH, MODAL_OPEN, MODAL_BODY, MODAL_TITLE = range(7)


def out_of(out, component_id: str, prop: str = "children"):
    return out[act.OUTPUTS.index((component_id, prop))]


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def form(case_id, action, *, message=None, outcome="refund", amount="50.00", final="uphold", remedy="refund",
         final_amount="50.00"):
    return (case_id, action, message, None, None, "customer", "", outcome, amount, final, remedy, final_amount, 3)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(11), runtime.settings))


@pytest.fixture
def story(runtime, w, now):
    """Starts three hours ago: deadlines and appeal windows are still open now."""
    return Story(runtime.Session, runtime.settings, w, now=now - 3 * H)


@pytest.fixture
def old_story(runtime, w, now):
    """Starts ten days ago: room for the week of silence that brings the platform in."""
    return Story(runtime.Session, runtime.settings, w, now=now - days(10))


@pytest.fixture
def submit(as_user):
    def _submit(user, *args, confirm=False):
        with as_user(user):
            return (act.confirm_action if confirm else act.submit_action)(1, *args)
    return _submit


@pytest.fixture
def render(as_user):
    from callbacks import case as cb

    def _render(user, case_id, tz="UTC"):
        with as_user(user, tz=tz):
            return cb.render_case(case_id, 0)
    return _render


def strings(component) -> list[str]:
    """Every string a person can read in a rendered tree: children, and the labels and
    placeholders of inputs (not ids or class names)."""
    found: list[str] = []

    def walk(node):
        if node is None or isinstance(node, (bool, int, float)):
            return
        if isinstance(node, str):
            found.append(node)
            return
        if isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
            return
        if isinstance(node, dict):
            for key in ("label", "children"):
                walk(node.get(key))
            return
        for prop in ("children", "label", "placeholder", "title"):
            walk(getattr(node, prop, None))
        for option in getattr(node, "options", None) or []:
            walk(option)
        if getattr(node, "id", None) == CaseIds.FORM_META:  # hints and labels the form shows
            for spec in (node.data or {}).values():
                found.extend([spec["label"], spec["message_label"], spec.get("hint") or ""])

    walk(component)
    return found


# A code or enum value a person would read: snake_case words, or None. Ids shown as references
# (reso_…, pay_…) are fine and have mixed case.
CODE_LIKE = re.compile(r"\b(None|[a-z]+_[a-z_]+)\b")


def assert_plain(component):
    for s in strings(component):
        assert not CODE_LIKE.search(s), s


# ---------------------------------------------------------------------------- the submit waits
def test_the_submit_waits_for_each_actions_required_fields():
    meta = form_meta(["deny", "accept", "add_evidence", "decide", "final_decide"], party="merchant")
    assert act.still_missing(None, meta) == "Choose an action above."
    assert act.still_missing("deny", meta, message="  ") == "Fill in “Why are you denying the case?” to continue."
    assert act.still_missing("deny", meta, message="Delivered on day one.") is None
    assert act.still_missing("accept", meta) is None  # its message is optional
    assert act.still_missing("add_evidence", meta, message="See this.") == "Choose at least one file."
    assert act.still_missing("add_evidence", meta, contents=["data:,x"]) is None
    assert act.still_missing("decide", meta, message="Why.", outcome="refund", amount="") == "Enter the amount."
    assert act.still_missing("decide", meta, message="Why.", outcome="merchant_wins", amount="") is None
    assert act.still_missing("final_decide", meta, message="Why.", decision="overturn", remedy="refund",
                             final_amount=" ", needs_remedy=True) == "Choose the remedy and enter its amount."
    assert act.still_missing("final_decide", meta, message="Why.", decision="overturn", final_amount="",
                             needs_remedy=False) is None  # overturning a customer win takes no remedy


def test_follow_fields_disables_the_submit_and_clears_the_edited_fields_error():
    meta = form_meta(["deny"], party="merchant")
    disabled, help_text, *fields = act.follow_fields("deny", "", None, "refund", "50.00", "uphold", "refund",
                                                     "50.00", meta, False)
    assert disabled is True and "denying" in help_text
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "case-act-message.value", "value": "No"}]))
    try:
        disabled, help_text, *fields = act.follow_fields("deny", "No.", None, "refund", "50.00", "uphold",
                                                         "refund", "50.00", meta, False)
    finally:
        context_value.reset(token)
    assert disabled is False and help_text == ""
    errors = dict(zip(act.FIELD_OUTPUTS, fields))
    assert errors[(CaseIds.ACT_MESSAGE, "invalid")] is False and errors[(CaseIds.ACT_MESSAGE_ERROR, "children")] is None
    assert errors[(CaseIds.DECIDE_AMOUNT, "invalid")] is act.NO  # not edited: left alone


# ---------------------------------------------------------------------------- errors under their fields
def test_a_final_review_amount_error_sits_under_the_final_amount(old_story, w, submit):
    cid = stages.under_review(old_story)
    old_story.do(review.decide, actor=w.manager, case_id=cid, outcome="merchant_wins", reason="No proof.")
    old_story.do(party.appeal, actor=w.customer, case_id=cid, message="Here is proof.")
    out = submit(w.reviewer, *form(cid, "final_decide", final="overturn", final_amount="99.00", message="Proof."))
    assert "cannot be more than was paid" in text(out_of(out, CaseIds.FINAL_AMOUNT_ERROR))
    assert out_of(out, CaseIds.FINAL_AMOUNT, "invalid") is True and out_of(out, CaseIds.DECIDE_AMOUNT, "invalid") is False
    assert out[FEEDBACK] is None and out[MODAL_OPEN] is False


def test_a_state_refusal_goes_to_the_page_not_a_field(story, w, submit):
    cid = stages.closed_denied(story)
    out = submit(w.creator, *form(cid, "accept"), confirm=True)
    assert "Someone acted on this case first" in text(out[FEEDBACK]) or "cannot accept" in text(out[FEEDBACK])
    assert all(out_of(out, error_id) is None for _k, _f, error_id in act.FIELDS)


# ---------------------------------------------------------------------------- confirmations
def _asked(submit, user, cid, *args, **kwargs):
    out = submit(user, *form(cid, *args, **kwargs))
    assert out[MODAL_OPEN] is True, text(out[FEEDBACK])
    return out[MODAL_TITLE], text(out[MODAL_BODY])


def test_each_decisive_action_is_confirmed_with_what_it_settles(story, w, submit):
    cid = story.open()
    title, body = _asked(submit, w.creator, cid, "deny", message="Delivered.")
    assert title == "Deny the case?" and "in favour of Acme Courses" in body
    assert "can appeal to the platform within 7 days" in body and "final" in body
    title, body = _asked(submit, w.creator, cid, "accept")
    assert title == "Accept and refund?" and "$50.00 will be refunded" in body and "This is final" in body
    title, body = _asked(submit, w.customer, cid, "withdraw")
    assert title == "Withdraw the case?" and "no new case can be opened" in body and "This is final" in body
    story.do(party.deny, actor=w.creator, case_id=cid, message="Delivered.")
    title, body = _asked(submit, w.customer, cid, "appeal", message="It was empty.")
    assert title == "Use the case's only appeal?" and "neither side can appeal again" in body
    assert "that decision is final" in body


def test_decisions_say_whether_they_are_final(old_story, w, submit):
    cid = stages.under_review(old_story)
    _title, body = _asked(submit, w.reviewer, cid, "decide", outcome="merchant_wins", message="Used.")
    assert "Either side can appeal your decision within 7 days" in body
    old_story.new_payment()
    appealed = stages.appealed_denial(old_story)
    _title, body = _asked(submit, w.reviewer, appealed, "decide", outcome="merchant_wins", message="Used.")
    assert "This is final" in body and "appeal your decision" not in body


def test_the_final_review_says_uphold_or_overturn_and_that_it_is_final(old_story, w, submit):
    cid = stages.final_review(old_story)
    title, body = _asked(submit, w.reviewer, cid, "final_decide", final="uphold", message="Right.")
    assert title == "Uphold the decision?" and "The decision stands: customer won." in body and "final" in body
    title, body = _asked(submit, w.reviewer, cid, "final_decide", final="overturn", message="Wrong.")
    assert title == "Overturn the decision?" and "pay Acme Courses back $20.00" in body


def test_nothing_decisive_runs_at_once(story, w, submit):
    cid = story.open()
    out = submit(w.creator, *form(cid, "request_info", message="Which email?"))
    assert out[MODAL_OPEN] is False and out[TOAST_OPEN] is True
    assert story.case(cid).status == "awaiting_customer"


# ---------------------------------------------------------------------------- the form says it up front
def _hints(content) -> dict[str, str]:
    return {name: spec["hint"] for name, spec in content[CaseIds.FORM_META].data.items()}


def test_the_form_says_what_is_final_and_how_many_requests_are_left(story, old_story, w, render):
    cid = story.open()
    hints = _hints(render(w.creator, cid))
    assert "You have 3 of 3 requests for information left" in hints["request_info"]
    assert "cannot be appealed" in hints["accept"] and "can appeal to the platform within 7 days" in hints["deny"]
    assert "$50.00 is refunded to the customer" in hints["accept"]
    story.do(party.merchant_request_info, actor=w.creator, case_id=cid, message="Which email?")
    assert "Reply by " in _hints(render(w.customer, cid))["reply"]
    story.do(party.reply, actor=w.customer, case_id=cid, message="This one.")
    assert "You have 2 of 3 requests for information left" in _hints(render(w.creator, cid))["request_info"]
    assert "closes for good" in _hints(render(w.customer, cid))["withdraw"]
    story.new_payment()  # a second payment of the customer's, for a case of its own
    denied = stages.closed_denied(story)
    appeal = _hints(render(w.customer, denied))["appeal"]
    assert "only appeal" in appeal and "that decision is final" in appeal


def test_a_decision_under_appeal_says_it_is_final_in_the_form(story, old_story, w, render):
    cid = stages.under_review(old_story)
    assert "Either side can appeal" in _hints(render(w.reviewer, cid))["decide"]
    old_story.do(review.decide, actor=w.manager, case_id=cid, outcome="refund", amount=2000, reason="Half.")
    assert "different reviewer" in _hints(render(w.creator, cid))["appeal"]
    story.new_payment()
    appealed = stages.appealed_denial(story)
    assert "Your decision is final" in _hints(render(w.reviewer, appealed))["decide"]


# ---------------------------------------------------------------------------- why an action is missing
def _missing(content) -> str:
    try:
        return text(content[CaseIds.ACT_REASONS])
    except KeyError:
        return ""


def test_the_other_side_is_told_the_one_appeal_is_used(old_story, w, render):
    cid = stages.closed_appeal_decided(old_story)
    shown = _missing(render(w.creator, cid))
    assert "Appeal" in shown and "only appeal has been used" in shown


def test_the_first_decider_is_told_why_the_final_review_is_not_theirs(old_story, w, render):
    cid = stages.final_review(old_story)  # the manager decided
    shown = _missing(render(w.manager, cid))
    assert "Final review" in shown and "You made the first decision" in shown
    assert _missing(render(w.reviewer, cid)) == ""


def test_the_first_decider_is_told_the_same_reviewer_rule_once(old_story, w, render):
    cid = stages.final_review(old_story)  # the manager decided; the final review is unassigned
    shown = _missing(render(w.manager, cid))
    # Claim and Final review are refused by the one rule: one sentence, both actions named.
    assert shown.count("first decision") == 1 and "Claim, Final review: " in shown


def test_a_closed_window_is_dated_in_the_viewers_zone(old_story, w, render):
    cid = stages.closed_denied(old_story)  # denied ten days ago: the week to appeal has passed
    due = old_story.case(cid).appeal_due_at
    shown = _missing(render(w.customer, cid, tz="Asia/Tokyo"))
    local = due.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert "The appeal window closed on" in shown and "JST" in shown and f"{local:%H:%M}" in shown


def test_a_customer_fully_refunded_is_not_offered_an_appeal_and_is_told_why(old_story, w, render, submit):
    cid = stages.under_review(old_story)
    old_story.do(review.decide, actor=w.manager, case_id=cid, outcome="refund", reason="Nothing was delivered.")
    content = render(w.customer, cid)
    assert "already fully in your favour" in _missing(content)
    assert CaseIds.ACT_CHOICE not in text(content) or "appeal" not in [
        o["value"] for o in content[CaseIds.ACT_CHOICE].options]
    creator = render(w.creator, cid)
    assert "appeal" in [o["value"] for o in creator[CaseIds.ACT_CHOICE].options]  # the merchant lost: it may
    out = submit(w.customer, *form(cid, "appeal", message="More, please."), confirm=True)
    assert "fully in your favour" in text(out[FEEDBACK]) and old_story.case(cid).status == "closed"


def test_the_merchant_is_told_its_requests_are_used(story, w, render):
    cid = story.open()
    for n in range(3):
        story.do(party.merchant_request_info, actor=w.creator, case_id=cid, message=f"Question {n}?")
        story.do(party.reply, actor=w.customer, case_id=cid, message="Answer.")
    shown = _missing(render(w.creator, cid))
    assert "Request information" in shown and "all 3 requests" in shown


# ---------------------------------------------------------------------------- nothing a person reads is a code
@pytest.mark.parametrize("stage", list(stages.ALL))
def test_the_action_panel_reads_as_words_for_every_viewer(story, old_story, w, render, stage):
    slow = {"under_review", "review_awaiting_merchant", "review_awaiting_customer", "decided", "final_review",
            "final_awaiting_merchant", "final_awaiting_customer", "closed_final_decided", "closed_appeal_decided",
            "closed_window_passed"}
    cid = stages.ALL[stage](old_story if stage in slow else story)
    for who in ("customer", "creator", "reviewer", "reviewer2", "manager"):
        content = render(getattr(w, who), cid)
        words = strings(content[CaseIds.ACTIONS])
        assert any("to do" in s for s in words), words  # the walk reads the panel ("What would you like to do?")
        assert_plain(content[CaseIds.ACTIONS])


def test_confirmations_and_refusals_read_as_words(story, w, submit):
    cid = story.open()
    for user, args in ((w.creator, ("deny", "Delivered.")), (w.creator, ("accept", None)),
                       (w.customer, ("withdraw", None)), (w.customer, ("appeal", "Please."))):
        out = submit(user, *form(cid, args[0], message=args[1]))
        for part in (out[FEEDBACK], out[MODAL_BODY], out[MODAL_TITLE],
                     *(out_of(out, error_id) for _k, _f, error_id in act.FIELDS)):
            if part is not None and part is not act.NO:
                for s in strings(part) if not isinstance(part, str) else [part]:
                    assert not CODE_LIKE.search(s), s


def test_the_winner_of_its_own_denial_is_told_nothing_about_appeals(story, w, render):
    cid = stages.closed_denied(story)
    assert "Appeal" not in _missing(render(w.creator, cid))  # no appeal was ever theirs to expect
    assert "appeal" in [o["value"] for o in render(w.customer, cid)[CaseIds.ACT_CHOICE].options]


# ---------------------------------------------------------------------------- one box, two audiences
NOTE_CLEARED = "The note you were writing was cleared: notes are never shown to the parties."


def test_a_note_is_cleared_when_the_action_switches_to_one_the_parties_read():
    assert act.clear_for_new_audience("note", "", None) == (act.NO, "", "staff")
    for party_action in ("decide", "request_info", "final_decide"):
        assert act.clear_for_new_audience(party_action, "He lied to us before.", "staff") == (
            "", NOTE_CLEARED, "parties")


def test_a_message_for_the_parties_is_cleared_when_switching_to_a_note():
    value, hint, audience = act.clear_for_new_audience("note", "Please send the receipt.", "parties")
    assert (value, audience) == ("", "staff") and "cleared" in hint and "staff only" in hint


def test_the_message_stays_while_the_audience_does():
    assert act.clear_for_new_audience("decide", "The refund is due.", "parties") == (act.NO, "", "parties")
    assert act.clear_for_new_audience("note", "Second note.", "staff") == (act.NO, "", "staff")
    assert act.clear_for_new_audience("decide", "   ", "staff") == (act.NO, "", "parties")  # nothing to lose
    # Junk from the browser keeps the text and learns the audience; no choice changes nothing.
    assert act.clear_for_new_audience("decide", "Text", "everyone") == (act.NO, "", "parties")
    with pytest.raises(PreventUpdate):
        act.clear_for_new_audience(None, "Text", "staff")


def test_the_action_panel_has_the_cleared_line_under_the_message(story, w, render):
    cid = story.open()
    content = render(w.creator, cid)
    assert CaseIds.ACT_MESSAGE_CLEARED in content and CaseIds.ACT_AUDIENCE in content
