"""Staff search end to end: a reviewer types a case id into the navbar's search field,
presses Enter, and the case page opens; a customer has no search field."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "search-in-the-navbar-1"


@pytest.fixture
def searchable(live_app):
    """A reviewer and a customer who can sign in, and a case of the customer's."""
    from dashboard.cases import opening
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        company = factories.company(ctx, "Searchable Courses")
        customer = factories.user(ctx, "customer", password=PASSWORD)
        reviewer = factories.user(ctx, "reviewer", password=PASSWORD)
        pay = factories.payment(ctx, company=company, customer=customer, paid_at=ctx.now - factories.days(1))
        case_id = opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="fraudulent",
                                    message="I did not buy this.").case.id
        return {"reviewer": reviewer.email, "customer": customer.email, "case": case_id}


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def test_a_case_id_typed_in_the_navbar_opens_the_case(actors, searchable):
    page = actors.new("reviewer")
    _sign_in(page, searchable["reviewer"])
    field = page.get_by_role("searchbox", name="Search cases")
    expect(field).to_be_visible()
    field.fill(searchable["case"])
    field.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"/cases/{searchable['case']}") + r"$"))
    expect(page.locator("#case-timeline-list")).to_be_attached()
    expect(page.locator("h1")).to_have_count(1)
    assert page.console_errors == [], page.console_errors


def test_a_customer_has_no_search_field(actors, searchable):
    page = actors.new("customer")
    _sign_in(page, searchable["customer"])
    expect(page.locator("#nav-search")).to_have_count(0)
