"""Every main screen, as each role, on the demo data: at phone width (390 px) nothing
scrolls sideways and the navbar is collapsed to one line; at desktop and phone width
axe-core finds no serious or critical accessibility violation.

The demo data (dashboard.demo, the set `make run` shows) is seeded into an app of this
module's own, so the screens carry cases in every state, long names and full tables,
and the other browser tests keep their empty world.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.checks import DESKTOP, PHONE, assert_accessible, assert_fits_phone, axe_source
from tests.browser.conftest import shot
from tests.browser.live_app import running_app

pytestmark = pytest.mark.browser

PASSWORD = "demo"
LOGINS = {"customer": "customer@demo.test", "creator": "creator@demo.test", "reviewer": "reviewer@demo.test",
          "manager": "manager@demo.test"}
SCREENS = {  # role: the screens of its navbar, each with what shows once it has loaded
    "customer": [("/my-cases", "#my-cases-cases-table")],
    "creator": [("/company", "#company-needs")],
    "reviewer": [("/queue", ".ag-row"), ("/deliveries", "#deliveries-emails"),
                 ("/search?q=customer%40demo.test", "#search-table")],
    "manager": [("/metrics", "#metrics-volume .js-plotly-plot"), ("/queue", ".ag-row"),
                ("/deliveries", "#deliveries-emails"), ("/audit", "#audit-table")],
}
NAVBAR_COLLAPSED_MAX = 64  # px: one line of brand and toggler


@pytest.fixture(scope="module")
def demo_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("demo")) as app:
        from dashboard.context import utcnow
        from dashboard.demo import seed_demo

        seed_demo(app.runtime(), utcnow())
        yield app


@pytest.fixture(scope="module")
def demo_case(demo_app) -> str:
    """A case of the demo customer with the demo creator's company, under the platform's
    review: every role can open it, and it has a long timeline."""
    from data.models import Case, User

    with demo_app.runtime().Session() as s:
        customer = s.scalar(select(User).where(User.email == LOGINS["customer"]))
        creator = s.scalar(select(User).where(User.email == LOGINS["creator"]))
        case_id = s.scalar(select(Case.id).where(Case.customer_id == customer.id,
                                                 Case.company_id == creator.company_id)
                           .order_by((Case.status == "under_review").desc(), Case.created_at.desc()).limit(1))
    assert case_id, "the demo data has a case between the demo customer and the demo creator"
    return case_id


@pytest.fixture
def browse(browser, demo_app, request):
    """browse(role, viewport) -> a signed-in Page in its own context (CSP bypassed for axe)."""
    made = []

    def _open(role: str | None, viewport: dict):
        ctx = browser.new_context(viewport=viewport, base_url=demo_app.url, bypass_csp=True,
                                  timezone_id="America/New_York")
        ctx.set_default_timeout(20_000)
        made.append(ctx)
        page = ctx.new_page()
        page.console_errors = []
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        if role is not None:
            page.goto("/login")
            page.fill("#email", LOGINS[role])
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            expect(page.locator("#nav-user")).to_be_attached()  # behind the menu button on a phone
        return page

    yield _open
    for ctx in made:
        ctx.close()


def _settle(page, ready: str) -> None:
    expect(page.locator(ready).first).to_be_attached()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def _screens(role: str, case_id: str):
    return SCREENS[role] + [(f"/cases/{case_id}", "#case-timeline-list")]


def test_login_page(browse):
    axe_source()
    for viewport in (DESKTOP, PHONE):
        page = browse(None, viewport)
        page.goto("/login")
        assert_accessible(page, f"login at {viewport['width']} px")
        if viewport is PHONE:
            assert_fits_phone(page, "login")


@pytest.mark.parametrize("role", list(SCREENS))
def test_every_screen_fits_a_phone(browse, demo_case, role):
    page = browse(role, PHONE)
    # The navbar is one line until its toggler is pressed; then the links show.
    navbar = page.locator("nav.navbar")
    assert navbar.bounding_box()["height"] <= NAVBAR_COLLAPSED_MAX, navbar.bounding_box()
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.locator("#nav-user")).to_be_hidden()
    toggler.click()
    expect(page.locator("#nav-user")).to_be_visible()
    expect(page.locator(".navbar-nav .nav-link").first).to_be_visible()
    toggler.click()
    for path, ready in _screens(role, demo_case):
        page.goto(path)
        _settle(page, ready)
        shot(page, f"phone-{role}-{re.sub(r'[^a-z]+', '-', path.split('/')[1])}")
        assert_fits_phone(page, f"{role} on {path}")
    assert page.console_errors == [], page.console_errors


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("role", list(SCREENS))
def test_every_screen_passes_axe(browse, demo_case, role, viewport):
    axe_source()
    page = browse(role, viewport)
    for path, ready in _screens(role, demo_case):
        page.goto(path)
        _settle(page, ready)
        assert_accessible(page, f"{role} on {path} at {viewport['width']} px")
        assert page.locator("h1").count() == 1, f"{role} on {path}: {page.locator('h1').all_inner_texts()}"
    assert page.console_errors == [], page.console_errors


def test_the_queue_is_a_list_of_cards_on_a_phone(browse):
    page = browse("reviewer", PHONE)
    page.goto("/queue")
    card = page.locator(".ag-center-cols-container .ag-cell.rc-queue-card").first
    expect(card).to_contain_text(re.compile(r"reso_"))  # the block has arrived (not the loading row)
    text = card.inner_text()
    case_id = text.splitlines()[0].strip()
    assert re.fullmatch(r"reso_[A-Za-z0-9]+", case_id), text
    assert "Under review" in text or "Final review" in text, text  # the Escalated tab
    assert card.bounding_box()["height"] >= 80  # four lines, none cut off
    card.click()
    expect(page).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(page.locator("#case-timeline-list")).to_be_attached()


def test_company_cases_are_cards_on_a_phone(browse):
    page = browse("creator", PHONE)
    page.goto("/company")
    card = page.locator("#company-grid .ag-center-cols-container .ag-cell.rc-grid-card").first
    expect(card).to_contain_text(re.compile(r"reso_"))
    link = card.locator("a").first
    case_id = link.inner_text().strip()
    assert re.fullmatch(r"reso_[A-Za-z0-9]+", case_id), card.inner_text()
    assert len(card.inner_text().splitlines()) >= 3, card.inner_text()
    # The lists above the grid are cards too: each value under its column's name.
    needs = page.locator("#company-needs tbody tr").first
    expect(needs.locator("td[data-label='Case']")).to_be_visible()
    assert needs.bounding_box()["width"] <= PHONE["width"]
