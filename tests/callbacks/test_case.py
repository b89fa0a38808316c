"""`/cases/<id>` callbacks, called as plain functions by a signed-in user.

Callbacks act as of the real clock, so stories start a little in the past: the world
eleven days ago, the case ten days ago (stages from tests/domain/stages.py).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re

import plotly.utils
import pytest
from sqlalchemy import func, select

from callbacks import case as cb
from callbacks import case_actions as act
from data.models import CreditEntry, EvidenceFile, MoneyMovement, OutboxEmail
from dashboard.cases import party, review
from dashboard.context import Ctx
from dashboard.file_routes import register_file_routes
from dashboard.money.executor import settle_due
from tests import factories
from tests.domain import stages
from tests.domain.story import Story
from tests.factories import PDF_BYTES, PNG_BYTES, days

H = dt.timedelta(hours=1)

# The outputs of submit_action / confirm_action, in order; then each field's own error.
FEEDBACK, TOAST_OPEN, TOAST, REFRESH, MODAL_OPEN, MODAL_BODY, MODAL_TITLE = range(7)
MESSAGE_INVALID = act.OUTPUTS.index(("case-act-message", "invalid"))
MESSAGE_ERROR = act.OUTPUTS.index(("case-act-message-error", "children"))
AMOUNT_ERROR = act.OUTPUTS.index(("case-decide-amount-error", "children"))
FILES_ERROR = act.OUTPUTS.index(("case-act-upload-error", "children"))


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def form(case_id, action, *, message=None, files=(), party="customer", reviewer="", outcome="refund",
         amount="50.00", final="uphold", remedy="refund", final_amount="50.00", refresh=3):
    """The States of the action form, in callbacks.case_actions.FORM order.
    `files` = [(filename, bytes, declared mime)]."""
    contents = [data_url(b, m) for _n, b, m in files] or None
    names = [n for n, _b, _m in files] or None
    return (case_id, action, message, contents, names, party, reviewer, outcome, amount, final, remedy,
            final_amount, refresh)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(11), runtime.settings))


@pytest.fixture
def story(runtime, w, now):
    """Starts three hours ago: parties' deadlines and appeal windows are still open now."""
    return Story(runtime.Session, runtime.settings, w, now=now - 3 * H)


@pytest.fixture
def old_story(runtime, w, now):
    """Starts ten days ago: room for the 7 days of silence that bring the platform in."""
    return Story(runtime.Session, runtime.settings, w, now=now - days(10))


# Stages that need a week of silence first; the others are told in `story`.
SLOW_STAGES = {"under_review", "review_awaiting_merchant", "review_awaiting_customer", "decided", "final_review",
               "final_awaiting_merchant", "final_awaiting_customer", "closed_final_decided"}


@pytest.fixture
def submit(as_user):
    def _submit(user, *args, confirm=False):
        with as_user(user):
            fn = act.confirm_action if confirm else act.submit_action
            return fn(1, *args)
    return _submit


@pytest.fixture
def render(as_user):
    def _render(user, case_id):
        with as_user(user):
            return cb.render_case(case_id, 0)
    return _render


def options(content) -> list[str]:
    try:
        return [o["value"] for o in content["case-act-choice"].options]
    except KeyError:
        return []


def count(runtime, model, **where) -> int:
    with runtime.Session() as s:
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return s.scalar(stmt)


# ---------------------------------------------------------------------------- what each role sees
def test_staff_see_internal_notes_and_parties_never_do(old_story, w, render):
    cid = stages.under_review(old_story)
    old_story.do(review.note, actor=w.reviewer, case_id=cid, message="Customer has 4 chargebacks elsewhere.")
    staff = text(render(w.reviewer, cid))
    assert "Customer has 4 chargebacks elsewhere." in staff
    assert "Internal · staff only" in staff and "case-event-internal" in staff
    assert w.reviewer.name in staff  # staff see which reviewer acted
    for viewer in (w.customer, w.creator):
        out = text(render(viewer, cid))
        assert "chargebacks elsewhere" not in out
        assert "Internal · staff only" not in out and "case-event-internal" not in out
        assert "I paid and never got access." in out  # the case itself is shown
        assert w.reviewer.name not in out  # parties read "Resolution Center team"


def test_timeline_is_oldest_first_with_reporter_and_action_marks(story, w, render):
    cid = stages.closed_denied(story)
    content = render(w.customer, cid)
    events = content["case-timeline-list"].children
    classes = [e.className for e in events]
    assert "case-event-customer" in classes[0] and "case-action-created" in classes[0]
    assert "case-event-merchant" in classes[1] and "case-action-denied" in classes[1]
    out = text(content)
    assert "bi-person" in out and "bi-shop" in out and "bi-x-circle" in out
    assert "Access was granted on day one." in out


def test_header_shows_status_deadline_and_appeal_window(story, old_story, w, render):
    overdue = stages.awaiting_merchant(old_story)  # due three days ago; the scheduler has not run
    content = render(w.creator, overdue)
    assert content["case-status"].children == "Awaiting merchant"
    assert content["case-deadline"].color == "danger" and "overdue by" in text(content["case-deadline"])

    story.new_payment()
    fresh = stages.awaiting_merchant(story)
    deadline = render(w.creator, fresh)["case-deadline"]
    assert deadline.color == "success" and "6d 2" in text(deadline)  # 7 days from 3 hours ago

    story.new_payment()
    denied = stages.closed_denied(story)
    out = text(render(w.customer, denied)["case-header"])
    assert "Closed" in out and "Merchant won" in out and "Appeal window open until" in out
    assert "case-deadline" in out  # the appeal window is a deadline too


def test_images_are_previewed_and_other_files_downloaded(story, w, render):
    png, pdf = story.upload(w.customer), story.upload(w.customer, filename="receipt.pdf", data=PDF_BYTES)
    cid = story.open(file_ids=[png, pdf])
    out = text(render(w.creator, cid))
    assert f'"src": "/files/{png}"' in out
    assert f'"href": "/files/{pdf}?download=1"' in out and "receipt.pdf" in out
    assert f'"src": "/files/{pdf}"' not in out


def test_panels_payment_parties_money_context(story, w, render, runtime):
    cid = stages.closed_accepted(story)
    with runtime.Session() as s:
        settle_due(s, runtime.gateways, runtime.now(), settings=runtime.settings, case_id=cid)
    with runtime.Session.begin() as s:  # one stuck movement the parties must not see
        s.add(MoneyMovement(case_id=cid, kind="platform_reimbursement", amount_minor=100, currency="USD",
                            provider="platform", idempotency_key=f"{cid}:x", status="pending", attempts=6,
                            last_error="gateway timeout", created_at=runtime.now(), next_attempt_at=runtime.now()))
    staff = render(w.manager, cid)
    assert "$50.00" in text(staff["case-payment"]) and "Pro membership" in text(staff["case-payment"])
    assert w.customer.email in text(staff["case-parties"]) and "Unassigned" in text(staff["case-parties"])
    money = text(staff["case-money"])
    assert "gateway timeout" in money and "Failing" in money and "6 attempts" in money
    assert "case-emails" in text(staff)

    customer = render(w.customer, cid)
    money = text(customer["case-money"])
    assert "gateway timeout" not in money and "Pending" not in money
    assert "Refund to the customer" in money  # what has happened is shown to both parties
    assert "case-emails" not in text(customer) and "Assignee" not in text(customer["case-parties"])
    assert "case-dispute-rate" not in text(customer)  # a company's volume is not the customer's business
    assert "case-dispute-rate" in text(render(w.creator, cid))


def test_context_lists_only_cases_this_viewer_may_see(story, w, render):
    cid = story.open()
    story.new_payment(company=w.other_company)
    foreign = story.open()  # same customer, other company
    story.new_payment()
    mine = story.open()  # same customer, same company
    creator = text(render(w.creator, cid)["case-context"])
    assert mine in creator and foreign not in creator
    staff = text(render(w.reviewer, cid)["case-context"])
    assert mine in staff and foreign in staff
    rate = text(render(w.reviewer, cid)["case-dispute-rate"])
    assert "2 cases / 2 payments in the last 90 days" in rate


def test_staff_see_email_delivery_state(story, w, render, runtime):
    cid = story.open()
    with runtime.Session.begin() as s:
        email = s.scalar(select(OutboxEmail).where(OutboxEmail.case_id == cid).limit(1))
        email.status, email.attempts, email.last_error = "failed", 8, "550 no such user"
    out = text(render(w.reviewer, cid)["case-emails"])
    assert "failed" in out and "550 no such user" in out and w.creator.email in out


def test_not_found_for_viewers_without_standing(story, w, render):
    cid = story.open()
    for viewer in (w.other_creator, w.other_customer):
        out = text(render(viewer, cid))
        assert "does not exist or is not yours to see" in out
        for secret in ("I paid and never got access.", "Acme Courses", "$50.00", w.customer.name):
            assert secret not in out
    assert "not yours to see" in text(render(w.reviewer, "reso_doesnotexist"))


# ---------------------------------------------------------------------------- the action panel
@pytest.mark.parametrize("stage, who, expected", [
    ("awaiting_merchant", "customer", ["withdraw", "add_evidence"]),
    ("awaiting_merchant", "creator", ["accept", "deny", "request_info", "add_evidence"]),
    ("awaiting_merchant", "reviewer", ["claim", "note", "add_evidence"]),
    ("awaiting_merchant", "manager", ["claim", "assign", "note", "add_evidence"]),
    ("awaiting_customer", "customer", ["reply", "withdraw", "add_evidence"]),
    ("under_review", "reviewer", ["claim", "request_info", "note", "decide", "add_evidence"]),
    ("under_review", "creator", ["add_evidence"]),
    ("review_awaiting_merchant", "creator", ["accept", "reply", "add_evidence"]),
    ("closed_denied", "customer", ["appeal"]),
    ("closed_denied", "creator", []),
    ("decided", "creator", ["appeal"]),
    ("final_review", "reviewer", ["claim", "request_info", "note", "final_decide", "add_evidence"]),
    # The manager decided it, so may neither claim nor do the final review (but may still ask the parties).
    ("final_review", "manager", ["assign", "request_info", "note", "add_evidence"]),
    ("closed_accepted", "customer", []),
])
def test_action_panel_offers_exactly_the_available_actions(story, old_story, w, render, stage, who, expected):
    cid = stages.ALL[stage](old_story if stage in SLOW_STAGES else story)
    content = render(getattr(w, who), cid)
    assert options(content) == expected
    if not expected:
        assert content["case-no-actions"] is not None


def test_form_follows_the_chosen_action():
    from dashboard.components.case_panels import HIDDEN, SHOWN, form_meta

    meta = form_meta(["decide", "note", "request_info"], party="platform")
    party_g, reviewer_g, decide_g, final_g, message_g, upload_g, label, _hint, button, _c = \
        cb.follow_choice("decide", meta)
    assert (decide_g, final_g, message_g, upload_g) == (SHOWN, HIDDEN, SHOWN, HIDDEN)
    assert "*" in text(label) and "Decide" in text(button)
    out = cb.follow_choice("request_info", meta)
    assert out[0] == SHOWN and out[5] == SHOWN  # staff choose whom to ask, and may attach files
    assert act.still_missing(None, meta) == "Choose an action above."  # the submit waits for a choice
    merchant = form_meta(["request_info", "reply"], party="merchant")
    assert cb.follow_choice("request_info", merchant)[0] == HIDDEN
    assert "Reply to the platform" in text(cb.follow_choice("reply", merchant)[8])
    assert cb.follow_outcome("merchant_wins") == HIDDEN and cb.follow_outcome("refund") == SHOWN
    assert cb.follow_final_decision("overturn", True) == SHOWN
    assert cb.follow_final_decision("overturn", False) == HIDDEN


# ---------------------------------------------------------------------------- each action
def test_accept_asks_for_confirmation_then_refunds(story, w, submit):
    cid = story.open()
    before = story.snapshot(cid)
    out = submit(w.creator, *form(cid, "accept"))
    assert out[MODAL_OPEN] is True and "$50.00 will be refunded" in text(out[MODAL_BODY])
    assert "Acme Courses" in text(out[MODAL_BODY]) and "Stripe" in text(out[MODAL_BODY])
    assert story.snapshot(cid) == before  # asking changes nothing

    out = submit(w.creator, *form(cid, "accept", message="Sorry about that."), confirm=True)
    assert out[TOAST_OPEN] is True and out[REFRESH] == 4 and out[MODAL_OPEN] is False
    case = story.case(cid)
    assert (case.status, case.outcome, case.refund, case.refunded_minor) == ("closed", "customer_won", "merchant", 5000)
    assert [m.status for m in story.movements(cid)] == ["succeeded"]  # settled right after the commit


def test_deny_requires_a_message(story, w, submit):
    cid = story.open()
    before = story.snapshot(cid)
    out = submit(w.creator, *form(cid, "deny", message="  "))
    # Said under the message box, before any confirmation (issue 9: it floated away from the field).
    assert "required" in text(out[MESSAGE_ERROR]) and out[MESSAGE_INVALID] is True
    assert out[FEEDBACK] is None and out[REFRESH] is act.NO and out[MODAL_OPEN] is False
    assert story.snapshot(cid) == before
    out = submit(w.creator, *form(cid, "deny", message="Access was granted on day one."))
    assert out[MODAL_OPEN] is True and story.snapshot(cid) == before  # a denial is confirmed first
    out = submit(w.creator, *form(cid, "deny", message="Access was granted on day one."), confirm=True)
    assert out[TOAST_OPEN] is True and out[MODAL_OPEN] is False
    case = story.case(cid)
    assert (case.status, case.outcome) == ("closed", "merchant_won") and case.appeal_due_at is not None


def test_merchant_requests_information_and_customer_replies_with_a_png(story, w, submit, runtime):
    cid = story.open()
    submit(w.creator, *form(cid, "request_info"))
    assert story.case(cid).status == "awaiting_customer"
    out = submit(w.customer, *form(cid, "reply", message="Here is the error.",
                                   files=[("error.png", PNG_BYTES, "image/png")]))
    assert out[TOAST_OPEN] is True
    case = story.case(cid)
    assert case.status == "awaiting_merchant"
    (reply,) = story.events(cid, "responded")
    with runtime.Session() as s:
        (f,) = s.scalars(select(EvidenceFile).where(EvidenceFile.event_seq == reply.seq)).all()
        assert (f.filename, f.content_type, f.status, f.party, f.owner_id) == (
            "error.png", "image/png", "ready", "customer", w.customer.id)


def test_withdraw_is_confirmed_first(story, w, submit):
    cid = story.open()
    out = submit(w.customer, *form(cid, "withdraw"))
    assert out[MODAL_OPEN] is True and story.case(cid).status == "awaiting_merchant"
    submit(w.customer, *form(cid, "withdraw", message="Found it."), confirm=True)
    case = story.case(cid)
    assert (case.status, case.outcome, case.final) == ("closed", "withdrawn", True)


def test_customer_appeals_a_denial(story, w, submit):
    cid = stages.closed_denied(story)
    out = submit(w.customer, *form(cid, "appeal", message=""))
    assert "required" in text(out[MESSAGE_ERROR])
    out = submit(w.customer, *form(cid, "appeal", message="I never got in."))
    assert out[MODAL_OPEN] is True and "only appeal" in text(out[MODAL_BODY])
    submit(w.customer, *form(cid, "appeal", message="I never got in."), confirm=True)
    case = story.case(cid)
    assert (case.status, case.escalated, case.customer_appealed) == ("under_review", True, True)


def test_reviewer_claims_notes_and_asks_the_merchant(old_story, w, submit):
    cid = stages.under_review(old_story)
    submit(w.reviewer, *form(cid, "claim"))
    assert old_story.case(cid).assignee_id == w.reviewer.id
    submit(w.reviewer, *form(cid, "note", message="Check the logs."))
    (note,) = old_story.events(cid, "note")
    assert not note.viewable_by_customer and not note.viewable_by_merchant
    submit(w.reviewer, *form(cid, "request_info", party="merchant", message="Send the access logs."))
    case = old_story.case(cid)
    assert (case.stage, case.status) == ("review_awaiting_merchant", "awaiting_merchant")
    submit(w.creator, *form(cid, "reply", message="Logs attached.", files=[("logs.txt", b"GET /course 200\n",
                                                                            "text/plain")]))
    assert old_story.case(cid).stage == "under_review"


def test_manager_assigns_a_reviewer(old_story, w, submit):
    cid = stages.under_review(old_story)
    submit(w.manager, *form(cid, "assign", reviewer=w.reviewer2.id))
    assert old_story.case(cid).assignee_id == w.reviewer2.id
    submit(w.reviewer, *form(cid, "assign", reviewer=w.reviewer.id))  # a reviewer has no assign action
    assert old_story.case(cid).assignee_id == w.reviewer2.id


def test_decide_partial_refund_converts_the_amount_exactly(old_story, w, submit):
    cid = stages.under_review(old_story)
    out = submit(w.reviewer, *form(cid, "decide", outcome="refund", amount="30.10", message="Half was missing."))
    body = text(out[MODAL_BODY])
    assert out[MODAL_OPEN] is True and "$30.10 will be refunded" in body and "partial refund" in body
    assert old_story.case(cid).status == "under_review"
    submit(w.reviewer, *form(cid, "decide", outcome="refund", amount="30.10", message="Half was missing."),
           confirm=True)
    case = old_story.case(cid)
    assert (case.outcome, case.refund, case.decision_amount_minor, case.refunded_minor) == (
        "customer_won", "merchant", 3010, 3010)
    (m,) = old_story.movements(cid)
    assert (m.kind, m.amount_minor, m.status) == ("merchant_refund", 3010, "succeeded")


@pytest.mark.parametrize("amount, message", [("12.345", "more decimals"), ("abc", "as a number"),
                                             ("60.00", "cannot be more than was paid"), ("0", "more than zero"),
                                             ("-5", "more than zero"), ("-5.00", "more than zero")])
def test_decide_refuses_bad_amounts_and_changes_nothing(old_story, w, submit, amount, message):
    cid = stages.under_review(old_story)
    before = old_story.snapshot(cid)
    for confirm in (False, True):  # refused under the amount, before the confirmation and after it
        out = submit(w.reviewer, *form(cid, "decide", outcome="refund", amount=amount, message="Reason."),
                     confirm=confirm)
        assert message in text(out[AMOUNT_ERROR]) and out[MODAL_OPEN] is False
    assert old_story.snapshot(cid) == before


def test_decide_credit(old_story, w, submit, runtime):
    cid = stages.under_review(old_story)
    out = submit(w.reviewer, *form(cid, "decide", outcome="credit", message="Goodwill."))
    assert "platform credit" in text(out[MODAL_BODY]) and "costs Acme Courses nothing" in text(out[MODAL_BODY])
    submit(w.reviewer, *form(cid, "decide", outcome="credit", message="Goodwill."), confirm=True)
    case = old_story.case(cid)
    assert (case.outcome, case.refund, case.credited_minor) == ("customer_won", "none", 5000)
    assert count(runtime, CreditEntry, case_id=cid) == 1


def test_decide_merchant_wins_is_confirmed_too(old_story, w, submit):
    cid = stages.under_review(old_story)
    out = submit(w.reviewer, *form(cid, "decide", outcome="merchant_wins", amount="", message="Logs show use."))
    assert out[MODAL_OPEN] is True and "in favour of Acme Courses" in text(out[MODAL_BODY])
    assert "appeal" in text(out[MODAL_BODY]) and old_story.case(cid).status == "under_review"
    out = submit(w.reviewer, *form(cid, "decide", outcome="merchant_wins", amount="", message="Logs show use."),
                 confirm=True)
    assert out[TOAST_OPEN] is True
    case = old_story.case(cid)
    assert (case.outcome, case.refund, case.decision) == ("merchant_won", "none", "merchant_wins")
    assert old_story.movements(cid) == []


def test_final_review_uphold(old_story, w, submit):
    cid = stages.final_review(old_story)  # the manager decided; the reviewer reviews
    out = submit(w.reviewer, *form(cid, "final_decide", final="uphold", message="The refund was right."))
    assert out[MODAL_OPEN] is True and out[MODAL_TITLE] == "Uphold the decision?"
    assert "final" in text(out[MODAL_BODY]) and old_story.case(cid).status == "under_review"
    submit(w.reviewer, *form(cid, "final_decide", final="uphold", message="The refund was right."), confirm=True)
    case = old_story.case(cid)
    assert (case.status, case.final_decision, case.final) == ("closed", "uphold", True)


def test_final_review_overturn_of_a_customer_win_reimburses_the_merchant(old_story, w, submit):
    cid = stages.final_review(old_story)
    out = submit(w.reviewer, *form(cid, "final_decide", final="overturn", message="The course was available."))
    assert out[MODAL_OPEN] is True and "the platform will pay Acme Courses back $20.00" in text(out[MODAL_BODY])
    submit(w.reviewer, *form(cid, "final_decide", final="overturn", message="The course was available."),
           confirm=True)
    case = old_story.case(cid)
    assert (case.outcome, case.refund, case.final_decision) == ("merchant_won", "platform", "overturn")
    assert [(m.kind, m.status) for m in old_story.movements(cid)] == [
        ("merchant_refund", "succeeded"), ("platform_reimbursement", "succeeded")]


def test_final_review_overturn_of_a_merchant_win_refunds_the_amount_given(old_story, w, submit):
    cid = stages.under_review(old_story)
    old_story.do(review.decide, actor=w.manager, case_id=cid, outcome="merchant_wins", reason="No proof.")
    old_story.do(party.appeal, actor=w.customer, case_id=cid, message="Here is proof.")
    args = form(cid, "final_decide", final="overturn", remedy="refund", final_amount="45.5", message="Proof holds.")
    out = submit(w.reviewer, *args)
    assert "$45.50 will be refunded" in text(out[MODAL_BODY])
    submit(w.reviewer, *args, confirm=True)
    case = old_story.case(cid)
    assert (case.outcome, case.refund) == ("customer_won", "merchant")
    assert [(m.kind, m.amount_minor) for m in old_story.movements(cid)] == [("merchant_refund", 4550)]


def test_the_deciding_reviewer_cannot_do_the_final_review(old_story, w, submit):
    cid = stages.final_review(old_story)
    before = old_story.snapshot(cid)
    out = submit(w.manager, *form(cid, "final_decide", final="overturn", message="Hmm."), confirm=True)
    assert "other than the one who decided" in text(out[FEEDBACK])
    assert old_story.snapshot(cid) == before


# ---------------------------------------------------------------------------- uploads
def test_too_many_files_are_refused_before_anything_changes(story, w, submit, runtime):
    cid = story.open()
    before, files_before = story.snapshot(cid), count(runtime, EvidenceFile)
    out = submit(w.creator, *form(cid, "deny", message="No.", files=[(f"p{i}.png", PNG_BYTES, "image/png")
                                                                     for i in range(4)]), confirm=True)
    assert "At most 3 files" in text(out[FILES_ERROR])
    assert story.snapshot(cid) == before and count(runtime, EvidenceFile) == files_before


def test_a_png_named_pdf_is_refused_and_changes_nothing(story, w, submit, runtime):
    cid = story.open()
    before = story.snapshot(cid)
    upload_dir = runtime.settings.upload_dir
    out = submit(w.creator, *form(cid, "deny", message="See the invoice.", files=[
        ("fine.png", PNG_BYTES, "image/png"), ("invoice.pdf", PNG_BYTES, "application/pdf")]), confirm=True)
    assert "invoice.pdf was refused" in text(out[FILES_ERROR])
    assert story.snapshot(cid) == before and count(runtime, EvidenceFile) == 0
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]  # the first file's bytes were removed too


def test_add_evidence_needs_files(story, w, submit):
    cid = story.open()
    out = submit(w.customer, *form(cid, "add_evidence"))
    assert "at least one file" in text(out[FILES_ERROR])
    submit(w.customer, *form(cid, "add_evidence", files=[("shot.png", PNG_BYTES, "image/png")]))
    assert len(story.events(cid, "evidence_added")) == 1


# ---------------------------------------------------------------------------- races and crafted calls
def test_someone_acted_first_shows_the_new_state(story, w, submit):
    cid = story.open()
    story.do(party.deny, actor=w.creator2, case_id=cid, message="Denied by my colleague.")
    out = submit(w.creator, *form(cid, "accept"), confirm=True)
    assert "Someone acted on this case first" in text(out[FEEDBACK]) and out[REFRESH] == 4
    assert story.case(cid).outcome == "merchant_won"


@pytest.mark.parametrize("who, action", [
    ("other_creator", "accept"), ("other_creator", "deny"), ("other_customer", "withdraw"),
    ("other_customer", "reply"), ("other_creator", "add_evidence"),
])
def test_crafted_calls_on_another_companys_case_return_nothing(story, w, submit, runtime, who, action):
    cid = story.open()
    before, files_before = story.snapshot(cid), count(runtime, EvidenceFile)
    for confirm in (False, True):
        out = submit(getattr(w, who), *form(cid, action, message="x", files=[("a.png", PNG_BYTES, "image/png")]),
                     confirm=confirm)
        assert "Case not found." in text(out[FEEDBACK])
        assert out[MODAL_OPEN] is False and out[TOAST_OPEN] is False
        for secret in ("$50.00", "Acme Courses", "Stripe", "I paid and never got access."):
            assert secret not in text(out)
    assert story.snapshot(cid) == before and count(runtime, EvidenceFile) == files_before


@pytest.mark.parametrize("who, action", [("customer", "decide"), ("creator", "note"), ("creator", "claim"),
                                         ("customer", "final_decide")])
def test_parties_cannot_take_staff_actions_by_crafted_calls(old_story, w, submit, who, action):
    cid = stages.under_review(old_story)
    before = old_story.snapshot(cid)
    out = submit(getattr(w, who), *form(cid, action, message="I decide.", outcome="refund"), confirm=True)
    assert out[TOAST_OPEN] is False and "alert" in text(out[FEEDBACK]).lower()
    assert old_story.snapshot(cid) == before


def test_no_action_chosen(story, w, submit):
    cid = story.open()
    out = submit(w.creator, *form(cid, None))
    assert "Choose an action first." in text(out[FEEDBACK])


# ---------------------------------------------------------------------------- the file route
@pytest.fixture
def client_as(flask_app):
    register_file_routes(flask_app)

    def _client(user):
        client = flask_app.test_client()
        if user is not None:
            with client.session_transaction() as sess:
                sess["_user_id"] = user.id
                sess["_fresh"] = True
                sess["epoch"] = user.session_epoch or 0
        return client
    return _client


def test_file_route_serves_only_who_may_see_the_case(story, w, client_as):
    png, pdf = story.upload(w.customer), story.upload(w.customer, filename="receipt.pdf", data=PDF_BYTES)
    story.open(file_ids=[png, pdf])
    for viewer in (w.customer, w.creator, w.reviewer):
        r = client_as(viewer).get(f"/files/{png}")
        assert r.status_code == 200 and r.data == PNG_BYTES and r.mimetype == "image/png"
        assert r.headers["X-Content-Type-Options"] == "nosniff" and "inline" in r.headers["Content-Disposition"]
    r = client_as(w.creator).get(f"/files/{pdf}")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    for outsider in (w.other_creator, w.other_customer):
        r = client_as(outsider).get(f"/files/{png}")
        assert r.status_code == 404 and r.data != PNG_BYTES
    assert client_as(w.reviewer).get("/files/file_nope").status_code == 404
    assert client_as(None).get(f"/files/{png}").status_code in (302, 401, 404)


def test_staff_are_told_why_deciding_is_not_offered(old_story, w, render):
    cid = stages.under_review(old_story)
    old_story.do(review.claim, actor=w.reviewer2, case_id=cid)
    content = render(w.reviewer, cid)
    assert "decide" not in options(content)
    assert w.reviewer2.name in text(content["case-assigned-elsewhere"])
    assert "case-assigned-elsewhere" not in text(render(w.reviewer2, cid))
    assert "case-assigned-elsewhere" not in text(render(w.creator, cid))


def test_delivered_emails_read_as_one_quiet_line_per_batch(now):
    from data.read.case_view import TimelineEntry
    from dashboard.components.timeline import timeline

    def entry(i, action, recipient=None, template="created"):
        return TimelineEntry(id=f"revt_{i}", action=action, reporter_type="system", actor_name=None, actor_role=None,
                             created_at=now, details=f"Email “[reso_abc] Opened” sent to {recipient}.",
                             staff_only=action == "email_sent", data={"recipient": recipient, "template": template},
                             files=())
    items = timeline([entry(1, "email_sent", "a@x.test"), entry(2, "email_sent", "b@x.test"),
                      entry(3, "escalated"), entry(4, "email_sent", "a@x.test", "escalated")],
                     viewer_is_staff=True, company_name="Acme").children[-1].children
    assert [i.id for i in items] == ["case-event-revt_1", "case-event-revt_3", "case-event-revt_4"]
    assert "a@x.test, b@x.test" in text(items[0]) and "[reso_abc]" not in text(items[0])


# ------------------------------------------------------------------------ long timelines
def add_events(runtime, case_id, n, *, at, actor, staff_only_every=0):
    """`n` events appended straight to the timeline (every `staff_only_every`-th an internal note)."""
    from data.models import CaseEvent

    with runtime.Session.begin() as s:
        for i in range(n):
            internal = bool(staff_only_every) and i % staff_only_every == 0
            s.add(CaseEvent(case_id=case_id, action="note" if internal else "responded",
                            reporter_type="platform" if internal else "customer", actor_id=actor.id,
                            details=f"EVT-{i:03d}", viewable_by_customer=not internal,
                            viewable_by_merchant=not internal, created_at=at + dt.timedelta(seconds=i)))


def statements(engine, fn):
    seen = []

    def on(_conn, _cursor, statement, *_args):
        seen.append(statement)

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", on)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", on)
    return result, len(seen)


def shown_details(component) -> list[str]:
    return re.findall(r"EVT-\d{3}", text(component))


def applied(patch) -> list:
    """What a Patch of prepends does to an empty list, as the browser applies it."""
    items = []
    for op in patch.to_plotly_json()["operations"]:
        assert op["operation"] == "Prepend" and op["location"] == []
        items.insert(0, op["params"]["value"])
    return items


def test_case_page_statements_do_not_grow_with_the_timeline(story, w, render, runtime, engine, now):
    small = story.open()
    story.new_payment()
    big = story.open()
    add_events(runtime, small, 3, at=now - H, actor=w.customer)
    add_events(runtime, big, 180, at=now - H, actor=w.customer)
    _, n_small = statements(engine, lambda: render(w.reviewer, small))
    content, n_big = statements(engine, lambda: render(w.reviewer, big))
    assert n_big == n_small
    # The newest page, oldest first, and the way to what came before it.
    shown = shown_details(content["case-timeline-list"])
    assert shown == [f"EVT-{i:03d}" for i in range(130, 180)]
    assert content["case-timeline-earlier"].style == {} and isinstance(content["case-timeline-before"].data, int)
    small_content = render(w.reviewer, small)
    assert small_content["case-timeline-earlier"].style == {"display": "none"}


def test_show_earlier_events_pages_back_by_keyset_to_the_first(story, w, render, runtime, as_user, now):
    cid = story.open()
    add_events(runtime, cid, 120, at=now - H, actor=w.customer)
    before = render(w.reviewer, cid)["case-timeline-before"].data
    pages = []
    with as_user(w.reviewer):
        while before is not None:
            patch, before, style = cb.show_earlier_events(1, cid, before)
            pages.append(shown_details(applied(patch)))
    assert style == {"display": "none"} and len(pages) == 2
    # Each page goes above the last one shown: together, every event once, in order.
    assert [d for p in reversed(pages) for d in p] + [f"EVT-{i:03d}" for i in range(70, 120)] == \
        [f"EVT-{i:03d}" for i in range(120)]
    with as_user(w.reviewer), pytest.raises(Exception):
        cb.show_earlier_events(1, cid, "1; DROP")


def test_earlier_pages_keep_internal_notes_from_parties_and_cases_from_strangers(story, w, render, runtime, as_user,
                                                                                  now):
    cid = story.open()
    add_events(runtime, cid, 150, at=now - H, actor=w.customer, staff_only_every=3)
    start = render(w.customer, cid)["case-timeline-before"].data
    with as_user(w.customer):
        patch, _before, _style = cb.show_earlier_events(1, cid, start)
    seen = shown_details(applied(patch))
    assert seen and all(int(d[4:]) % 3 for d in seen)  # no internal note (every third event)
    with as_user(w.other_creator), pytest.raises(Exception):
        cb.show_earlier_events(1, cid, start)


def test_evidence_of_an_old_event_is_listed_beyond_the_first_timeline_page(story, w, render, runtime, now):
    from data.models import CaseEvent

    cid = story.open()
    with runtime.Session.begin() as s:
        first = s.scalar(select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.seq))
        s.add(EvidenceFile(owner_id=w.customer.id, status="ready", filename="OLD-RECEIPT.png",
                           content_type="image/png", size=10, case_id=cid, event_seq=first.seq, party="customer",
                           created_at=now - H))
    add_events(runtime, cid, 60, at=now - H, actor=w.customer)
    content = render(w.customer, cid)
    assert "OLD-RECEIPT.png" in text(content["case-evidence"])
    assert "OLD-RECEIPT.png" not in text(content["case-timeline-list"])


# ---------------------------------------------------------------------------- the platform's decide-by
def test_staff_see_the_platforms_decide_by_and_parties_never_do(old_story, w, render, runtime, now):
    from dashboard import sla

    cid = stages.under_review(old_story)  # escalated three days ago: the 48 h target has passed
    target = sla.target(old_story.case(cid), runtime.settings)
    late = now - target.decide_by
    badge = render(w.reviewer, cid)["case-decide-by"]
    shown = text(badge)
    assert badge.color == "danger" and f"Decide by {target.decide_by:%d %b %Y, %H:%M} UTC" in shown
    assert late > dt.timedelta(hours=1) and " late)" in shown and "in " not in shown.split("(")[-1]
    assert "case-decide-by" in text(render(w.manager, cid)["case-header"])
    for party_user in (w.creator, w.customer):
        assert "case-decide-by" not in text(render(party_user, cid)) and "Decide by" not in text(
            render(party_user, cid)["case-header"])


def test_the_decide_by_badge_is_amber_within_the_warning_and_red_once_missed(now):
    from dashboard import sla
    from dashboard.components import case_panels

    target = sla.Target(started_at=now - 40 * H, decide_by=now + 8 * H, hours=48)
    soon = case_panels.decide_by_badge(target, target.state(now, 12), now)
    assert (soon.color, soon.text_color) == ("warning", "dark") and "(in 8h" in text(soon)
    assert case_panels.decide_by_badge(target, target.state(now - 10 * H, 12), now - 10 * H).color == "light"
    missed = case_panels.decide_by_badge(target, target.state(now + 11 * H, 12), now + 11 * H)
    assert missed.color == "danger" and "(3h late)" in text(missed)


def test_no_decide_by_once_the_platform_is_not_deciding(old_story, w, render):
    cid = stages.decided(old_story)  # decided: the parties' appeal window runs, the platform holds nothing
    assert "case-decide-by" not in text(render(w.manager, cid))
