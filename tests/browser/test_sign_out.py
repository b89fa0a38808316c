"""Signing out in a real browser: the navbar's Sign out is a form that POSTs the
session's CSRF token; visiting /logout (a link, an <img>) only asks."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "sign-out-test-password"
EMAIL = "otto@signout.test"


@pytest.fixture(scope="module")
def account(live_app):
    live_app.cli("create-user", "--email", EMAIL, "--name", "Otto Out", "--role", "customer", "--password", PASSWORD)
    return EMAIL


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page).to_have_url(re.compile(r"/my-cases$"))


def test_the_navbar_signs_out_with_a_post(live_app, actors, account):
    page = actors.new("leaver")
    sign_in(page, account)
    with page.expect_request(lambda r: r.url.endswith("/logout")) as sent:
        page.click("#nav-logout")
    assert sent.value.method == "POST"
    assert "csrf_token=" in (sent.value.post_data or "")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/my-cases")
    expect(page).to_have_url(re.compile(r"/login\?next=/my-cases$"))
    assert page.console_errors == []


def test_visiting_logout_does_not_sign_out(live_app, actors, account):
    page = actors.new("visitor")
    sign_in(page, account)
    page.goto("/logout")
    expect(page.locator("h1")).to_contain_text("Sign out of Resolution Center?")
    page.goto("/my-cases")
    expect(page).to_have_url(re.compile(r"/my-cases$"))
    expect(page.locator("#nav-user")).to_contain_text("Otto Out")
