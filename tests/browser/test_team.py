"""/team end to end: a manager puts a reviewer on duty with one click, is told what it
means, and after a reload the screen still shows them on duty with their capacity; the
screen passes axe and fits a phone; a reviewer has no Team link and gets no rows."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.checks import PHONE, assert_accessible, assert_fits_phone

pytestmark = pytest.mark.browser

PASSWORD = "team-on-duty-1"


@pytest.fixture
def team(live_app):
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        manager = factories.user(ctx, "manager", name="Mara Manager", password=PASSWORD)
        reviewer = factories.user(ctx, "reviewer", name="Ana Onduty", password=PASSWORD)
        return {"manager": manager.email, "reviewer": reviewer.email, "reviewer_id": reviewer.id}


def _sign_in(browser, live_app, email, viewport=None):
    ctx = browser.new_context(viewport=viewport or {"width": 1366, "height": 900}, base_url=live_app.url,
                              bypass_csp=True)  # axe is injected as a script
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.console_errors = []
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()
    return page


def test_a_manager_puts_a_reviewer_on_duty_and_it_holds_after_a_reload(browser, live_app, team):
    page = _sign_in(browser, live_app, team["manager"])
    try:
        page.get_by_role("link", name="Team").click()
        expect(page).to_have_url(live_app.url + "/team")
        row = page.locator(f"#team-member-{team['reviewer_id']}")
        switch = row.get_by_role("checkbox", name="On duty")
        expect(switch).not_to_be_checked()
        expect(row).to_contain_text("0 open cases")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#team-feedback")).to_be_empty()  # drawing the rows saved nothing
        switch.click()
        expect(page.locator("#team-feedback")).to_contain_text(
            "Ana Onduty is on duty: the scheduler gives them new escalations and appeals, within a minute, until "
            "they hold 10 open cases (the default capacity).")
        capacity = row.get_by_role("spinbutton")
        capacity.fill("12")
        capacity.press("Enter")
        expect(page.locator("#team-feedback")).to_contain_text("until they hold 12 open cases (their own capacity)")
        assert_accessible(page, "/team for a manager")

        page.reload()
        row = page.locator(f"#team-member-{team['reviewer_id']}")
        expect(row.get_by_role("checkbox", name="On duty")).to_be_checked()
        expect(row.get_by_role("spinbutton")).to_have_value("12")
        expect(row).to_contain_text("0 of 12 open")
        expect(page.locator("#team-chart")).to_contain_text("Capacity (on duty)")
        assert page.console_errors == [], page.console_errors
    finally:
        page.context.close()


def test_the_team_screen_fits_a_phone(browser, live_app, team):
    page = _sign_in(browser, live_app, team["manager"], viewport=PHONE)
    try:
        page.goto("/team")
        expect(page.locator(f"#team-member-{team['reviewer_id']}")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert_fits_phone(page, "/team")
        assert_accessible(page, "/team on a phone")
    finally:
        page.context.close()


def test_a_reviewer_has_no_team_link_and_no_rows(browser, live_app, team):
    page = _sign_in(browser, live_app, team["reviewer"])
    try:
        expect(page.get_by_role("link", name="Team")).to_have_count(0)
        page.goto("/team")
        expect(page.locator("#team-alert")).to_contain_text("for the platform's managers")
        expect(page.locator(".team-member")).to_have_count(0)
    finally:
        page.context.close()
