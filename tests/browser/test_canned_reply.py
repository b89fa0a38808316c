"""Saved replies end to end: a reviewer (in Paris) opens a case, chooses "Internal note",
picks a saved reply in "Insert reply…"; the note field holds the reply filled in for this
case — the customer's name, the amount in the case's currency, the deadline in Paris time —
the reviewer edits it and sends it, and the timeline shows the note as edited. A creator
of another company is offered none of the platform's replies. A manager keeps one on
/replies, told of a misspelt placeholder; the screen passes axe and fits a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.checks import DESKTOP, PHONE, assert_accessible, assert_fits_phone

pytestmark = pytest.mark.browser

PASSWORD = "canned-replies-in-the-note-1"
BODY = "Called {customer_name} about the {amount} charge from {company}; answer due {due_date}. {stray} {}"


@pytest.fixture(scope="module")
def canned_case(live_app):
    """A case of Priya's against Canned Courses (129.00 EUR), a Paris reviewer, and two platform note
    replies; made once for the module (the live app's database is the session's)."""
    from dashboard import accounts, canned
    from dashboard.cases import opening
    from dashboard.context import Ctx, utcnow
    from dashboard.timezones import local_text, zone_named
    from tests import factories

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        company = factories.company(ctx, "Canned Courses")
        customer = factories.user(ctx, "customer", name="Priya Natarajan")
        reviewer = accounts.create_user(ctx, email="paris.reviewer@canned.test", name="Pascale Reviewer",
                                        role="reviewer", password=PASSWORD, time_zone="Europe/Paris")
        manager = factories.user(ctx, "manager", password=PASSWORD)
        outsider = factories.user(ctx, "creator", company_id=factories.company(ctx, "Elsewhere Ltd").id,
                                  password=PASSWORD)
        pay = factories.payment(ctx, company=company, customer=customer, amount_minor=12900, currency="EUR",
                                paid_at=ctx.now - factories.days(1))
        case = opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="not_as_described",
                                 message="The course was a PDF of slides.").case
        canned.create_reply(ctx, manager, name="Customer called", purpose="note", body=BODY)
        canned.create_reply(ctx, manager, name="Another note", purpose="note", body="Second one.")
        due = local_text(case.response_due_at, zone_named("Europe/Paris"))
        return {"case": case.id, "reviewer": reviewer.email, "outsider": outsider.email, "due": due,
                "manager": manager.email}


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def _choose(page, label: str) -> None:
    page.locator("#case-act-choice label").filter(has_text=re.compile("^" + re.escape(label) + "$")).click()
    expect(page.locator("#case-act-submit")).to_contain_text(label)


def test_a_reviewer_inserts_a_saved_reply_edits_it_and_sends_it(actors, canned_case):
    page = actors.new("reviewer", timezone="Europe/Paris")
    _sign_in(page, canned_case["reviewer"])
    page.goto(f"/cases/{canned_case['case']}")
    expect(page.locator("#case-view")).to_have_attribute("data-case-id", canned_case["case"])

    menu = page.locator("#case-insert-reply")
    expect(menu).to_be_hidden()  # nothing chosen yet: nothing to offer
    _choose(page, "Internal note")
    expect(menu).to_be_visible()
    expect(page.get_by_label("Insert a saved reply into the message")).to_be_visible()
    assert menu.locator("option").all_inner_texts() == ["Insert reply…", "Another note", "Customer called"]

    menu.select_option(label="Customer called")
    note = page.locator("#case-act-message")
    rendered = (f"Called Priya Natarajan about the €129.00 charge from Canned Courses; answer due "
                f"{canned_case['due']}. {{stray}} {{}}")
    expect(note).to_have_value(rendered)
    assert canned_case["due"].endswith(("CET", "CEST")), canned_case["due"]
    expect(menu).to_have_value("")  # back to "Insert reply…", ready to insert again

    # Still the reviewer's words: edit it, then send.
    note.fill(rendered.replace("Called", "Phoned") + " EDITED-4821")
    expect(page.locator("#case-act-submit")).to_be_enabled()
    page.click("#case-act-submit")
    expect(page.locator("#case-toast")).to_contain_text("Your internal note was added.")
    entry = page.locator("#case-timeline-list > li.case-action-note")
    expect(entry).to_contain_text("Phoned Priya Natarajan about the €129.00 charge from Canned Courses")
    expect(entry).to_contain_text("EDITED-4821")
    expect(entry).not_to_contain_text("Called Priya")
    assert page.console_errors == [], page.console_errors


def test_a_second_reply_is_appended_to_the_words_already_written(actors, canned_case):
    page = actors.new("reviewer", timezone="Europe/Paris")
    _sign_in(page, canned_case["reviewer"])
    page.goto(f"/cases/{canned_case['case']}")
    _choose(page, "Internal note")
    page.locator("#case-act-message").fill("My own first line.")
    page.locator("#case-insert-reply").select_option(label="Another note")
    expect(page.locator("#case-act-message")).to_have_value("My own first line.\n\nSecond one.")
    assert page.console_errors == [], page.console_errors


def test_a_creator_of_another_company_is_offered_none_of_them(actors, canned_case):
    page = actors.new("creator")
    _sign_in(page, canned_case["outsider"])
    page.goto(f"/cases/{canned_case['case']}")
    expect(page.get_by_text("This case does not exist or is not yours to see.")).to_be_visible()
    expect(page.locator("#case-insert-reply")).to_have_count(0)
    page.goto("/replies")
    expect(page.locator("#replies-list")).to_contain_text("No saved replies yet.")
    expect(page.locator("#replies-list")).not_to_contain_text("Customer called")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_saves_a_reply_and_is_told_of_a_misspelt_placeholder(browser, live_app, canned_case, viewport):
    # Its own context: axe is injected as a script tag, which the app's CSP would refuse.
    ctx = browser.new_context(viewport=viewport, base_url=live_app.url, bypass_csp=True)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _sign_in(page, canned_case["manager"])
        page.goto("/replies")
        expect(page.locator("#replies-table")).to_contain_text("Customer called")
        expect(page.locator("#replies-form")).to_be_visible()
        name = f"Typo check {viewport['width']}"
        page.fill("#replies-name", name)
        page.select_option("#replies-purpose", label="Decision reason")
        page.fill("#replies-body", "Refund {amount} to {custmer_name}.")
        expect(page.locator("#replies-preview")).to_contain_text("Refund $49.00 to {custmer_name}.")
        expect(page.locator("#replies-preview")).to_contain_text("{custmer_name} (did you mean {customer_name}?)")
        page.click("#replies-save")
        expect(page.locator("#replies-feedback")).to_contain_text(f"Saved “{name}”")
        expect(page.locator("#replies-feedback")).to_contain_text("is not a placeholder: use {customer_name}")
        expect(page.locator("#replies-table")).to_contain_text(name)
        expect(page.locator("#replies-form-title")).to_have_text(f"Edit “{name}”")
        assert_accessible(page, "/replies for a manager")
        assert_fits_phone(page, "/replies for a manager") if viewport == PHONE else None
        # ... and the case page's menu, with the new reply beside a decision's reason
        page.goto(f"/cases/{canned_case['case']}")
        _choose(page, "Internal note")
        expect(page.locator("#case-insert-reply")).to_be_visible()
        assert_accessible(page, "the case page with Insert reply…")
        assert_fits_phone(page, "the case page with Insert reply…") if viewport == PHONE else None
        assert errors == [], errors
    finally:
        ctx.close()
