"""Signing in, in a real browser: the page asked for is where one lands after /login,
and no `next=` sends the browser to another site (Chromium reads `/\\host` as `//host`)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "login-test-password"
EMAIL = "lena@login.test"


@pytest.fixture(scope="module")
def visitor_account(live_app):
    live_app.cli("create-user", "--email", EMAIL, "--name", "Lena Login", "--role", "customer", "--password", PASSWORD)
    return EMAIL


def sign_in_form(page, email: str) -> None:
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")


def test_sign_in_returns_to_the_page_asked_for(live_app, actors, visitor_account):
    page = actors.new("visitor")
    page.goto("/cases/reso_NotHere123")
    expect(page).to_have_url(re.compile(r"/login\?next=/cases/reso_NotHere123$"))
    sign_in_form(page, visitor_account)
    expect(page).to_have_url(f"{live_app.url}/cases/reso_NotHere123")
    expect(page.locator("main")).to_contain_text("does not exist or is not yours to see")
    assert page.console_errors == []


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\\/evil.example/", "//evil.example/",
                                    "https://evil.example/", "/\t/evil.example/"])
def test_sign_in_never_leaves_the_site(live_app, actors, visitor_account, target):
    page = actors.new("visitor")
    off_site = []

    def refuse(route):
        off_site.append(route.request.url)
        route.abort()

    page.context.route(re.compile(r"^(?!" + re.escape(live_app.url) + r"/)[a-z]+://"), refuse)
    page.goto("/login?next=" + quote(target, safe=""))
    sign_in_form(page, visitor_account)
    expect(page).to_have_url(f"{live_app.url}/my-cases")
    expect(page.locator("#nav-user")).to_contain_text("Lena Login")
    assert off_site == []
