"""Bulk claim on the queue, end to end: a reviewer ticks three escalated rows, one of them
already claimed by another reviewer, and clicks Claim. The summary names the refused one
(who has it, since when); the other two are the reviewer's; the selection is cleared, so
Claim is not offered again. A manager's toolbar, with the assign menu, fits a phone.

The app runs on a database of its own (module scope): these cases must not show up in
the counts other browser tests read from the shared live app."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.checks import PHONE, assert_fits_phone
from tests.browser.conftest import shot
from tests.browser.live_app import running_app

pytestmark = pytest.mark.browser

PASSWORD = "bulk-claim-three-rows-1"


@pytest.fixture(scope="module")
def live_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("bulk-live"), print_log=True) as app:
        yield app


@pytest.fixture(scope="module")
def three(live_app):
    """Three escalated cases of one company; the middle one claimed by Rob an hour ago."""
    from dashboard.cases import opening, review, system
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = live_app.runtime()
    now = utcnow()
    with rt.Session.begin() as s:
        ctx = Ctx(s, now - dt.timedelta(days=9), rt.settings)
        company = factories.company(ctx, "Bulk Courses")
        customer = factories.user(ctx, "customer")
        people = {role: factories.user(ctx, role, name=name, email=f"{role}@bulk.test", password=PASSWORD)
                  for role, name in (("reviewer", "Rita Reviewer"), ("manager", "Mona Manager"))}
        rob = factories.user(ctx, "reviewer", name="Rob Reviewer", email="rob@bulk.test", password=PASSWORD)
        ids = []
        for _ in range(3):
            pay = factories.payment(ctx, company=company, customer=customer, paid_at=ctx.now - dt.timedelta(days=1))
            ids.append(opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="product_not_received",
                                         message="I paid and never got access.").case.id)
    for cid in ids:  # the merchant stayed silent for a week
        with rt.Session.begin() as s:
            system.escalate_overdue(Ctx(s, now - dt.timedelta(days=2), rt.settings), cid)
    with rt.Session.begin() as s:
        review.claim(Ctx(s, now - dt.timedelta(hours=1), rt.settings), actor=s.get(type(rob), rob.id), case_id=ids[1])
    return {"ids": ids, "reviewer": people["reviewer"].email, "manager": people["manager"].email}


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def row(page, case_id: str):
    return page.locator(f'.ag-center-cols-container .ag-row[row-id="{case_id}"]')


def tick(page, case_id: str) -> None:
    page.locator(f'.ag-row[row-id="{case_id}"] input[type="checkbox"]').first.click()


def test_claim_three_rows_one_already_someone_elses(actors, live_app, three):
    a, b, c = three["ids"]
    page = actors.new("reviewer", timezone="Europe/Paris")
    sign_in(page, three["reviewer"])
    page.goto("/queue")
    for cid in (a, b, c):
        expect(row(page, cid)).to_contain_text("Bulk Courses")
    expect(row(page, b)).to_contain_text("Rob Reviewer")
    claim = page.get_by_role("button", name="Claim")
    expect(claim).to_be_disabled()  # nothing selected yet

    for cid in (a, b, c):
        tick(page, cid)
    expect(page.locator("#queue-selected")).to_have_text("3 selected")
    expect(claim).to_be_enabled()
    claim.click()

    feedback = page.locator("#queue-feedback")
    expect(feedback).to_contain_text("Claimed 2 of 3.")
    expect(feedback).to_contain_text(re.compile(rf"{b}: already assigned to Rob Reviewer since \d\d:\d\d CES?T"))
    expect(feedback.get_by_role("link", name=b)).to_have_attribute("href", f"/cases/{b}")
    expect(row(page, a)).to_contain_text("You")
    expect(row(page, c)).to_contain_text("You")
    expect(row(page, b)).to_contain_text("Rob Reviewer")
    shot(page, "queue-bulk-claim-summary")
    # The selection is cleared: Claim is not offered on rows that are now yours.
    expect(page.locator("#queue-selected")).to_have_text("")
    expect(claim).to_be_disabled()

    tick(page, a)  # a row that is yours already: Claim stays off, and the toolbar says why
    expect(page.locator("#queue-selected")).to_have_text(f"Selected: {a}, already yours")
    expect(claim).to_be_disabled()
    expect(page.get_by_role("button", name="Add note")).to_be_enabled()

    with live_app.runtime().Session() as s:
        from data.models import Case

        holders = {cid: s.get(Case, cid).assignee.name for cid in (a, b, c)}
    assert holders == {a: "Rita Reviewer", b: "Rob Reviewer", c: "Rita Reviewer"}
    # Errors of the queue's own callbacks (the navbar's widgets answer for theirs in their own
    # tests): a failing callback names its outputs (queue-…) or its module in the log.
    assert [e for e in page.console_errors if "queue" in e] == [], page.console_errors
    assert "queue_bulk" not in live_app.log() and "queue-" not in live_app.log()


def test_a_managers_toolbar_wraps_at_phone_width(browser, live_app, three):
    ctx = browser.new_context(viewport=PHONE, base_url=live_app.url)
    try:
        page = ctx.new_page()
        sign_in(page, three["manager"])
        page.goto("/queue")
        expect(page.locator("#queue-assign-controls")).to_be_visible()
        for name in ("Claim", "Add note", "Assign"):
            expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
        page.locator("#queue-assign-reviewer").click()
        expect(page.get_by_text(re.compile(r"^Rob Reviewer — 1 open \(1 escalated\)$"))).to_be_visible()
        shot(page, "queue-bulk-assign-menu-phone")
        page.keyboard.press("Escape")
        assert_fits_phone(page, "manager on /queue")
    finally:
        ctx.close()
