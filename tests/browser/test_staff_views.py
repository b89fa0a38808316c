"""Staff views end to end: from a case page a reviewer clicks the customer's name and sees
the customer's cases at every company, then the company's name and sees its page; at phone
width both fit (nothing scrolls sideways); axe finds nothing serious on them nor on the
staff case page with its precedent (bars, similar cases) and risk; a customer who opens
the same address gets the not-found state."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.checks import PHONE, assert_accessible, assert_fits_phone

pytestmark = pytest.mark.browser

PASSWORD = "staff-views-in-the-browser-1"


@pytest.fixture
def seen(live_app):
    """A reviewer and a customer who can sign in; the customer's cases at two companies."""
    from dashboard.cases import opening
    from dashboard.context import Ctx, utcnow
    from tests import factories
    from tests.metrics_cases import make_case

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        first, second = factories.company(ctx, "Viewable Courses"), factories.company(ctx, "Second Shop")
        customer = factories.user(ctx, "customer", password=PASSWORD, name="Vera Viewable")
        reviewer = factories.user(ctx, "reviewer", password=PASSWORD)
        cases = []
        for company in (first, second):
            pay = factories.payment(ctx, company=company, customer=customer, paid_at=ctx.now - factories.days(1))
            cases.append(opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="fraudulent",
                                           message="I did not buy this.").case.id)
        # Closed cases of the same company and reason: the precedent's bars and similar cases.
        for outcome, amount in (("customer_won", 5000), ("merchant_won", 4500), ("withdrawn", 6000)):
            make_case(ctx, company=first, customer=factories.user(ctx, "customer"), created_at=ctx.now - factories.days(9),
                      amount=amount, status="closed", outcome=outcome, closed_after=factories.days(2))
        return {"reviewer": reviewer.email, "customer": customer.email, "customer_id": customer.id,
                "company_id": first.id, "cases": cases}


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def test_from_a_case_the_customers_name_opens_their_cases(actors, seen):
    page = actors.new("reviewer")
    _sign_in(page, seen["reviewer"])
    page.goto(f"/cases/{seen['cases'][0]}")
    expect(page.locator("#case-precedent")).to_be_visible()
    expect(page.locator("#case-risk")).to_be_visible()
    page.locator("#case-customer-link").click()
    expect(page).to_have_url(re.compile(re.escape(f"/customers/{seen['customer_id']}") + r"$"))
    expect(page.locator("#customer-view-summary")).to_contain_text("Vera Viewable")
    cases = page.locator("#customer-view-cases-table")
    for case_id in seen["cases"]:  # both companies' cases
        expect(cases).to_contain_text(case_id)
    expect(cases).to_contain_text("Second Shop")
    cases.get_by_role("link", name="Viewable Courses").click()
    expect(page).to_have_url(re.compile(re.escape(f"/companies/{seen['company_id']}") + r"$"))
    expect(page.locator("#company-view-summary")).to_contain_text("Viewable Courses")
    expect(page.locator("#company-view-cases-table")).to_contain_text(seen["cases"][0])
    expect(page.locator("h1")).to_have_count(1)
    assert page.console_errors == [], page.console_errors


def test_the_customers_page_fits_a_phone(actors, seen):
    page = actors.new("reviewer-phone")
    page.set_viewport_size(PHONE)
    _sign_in(page, seen["reviewer"])
    page.goto(f"/customers/{seen['customer_id']}")
    expect(page.locator("#customer-view-cases-table")).to_contain_text(seen["cases"][0])
    expect(page.locator("#customer-view-payments-table")).to_be_attached()
    assert_fits_phone(page, "reviewer on /customers/<id>")
    page.goto(f"/companies/{seen['company_id']}")
    expect(page.locator("#company-view-cases-table")).to_contain_text(seen["cases"][0])
    assert_fits_phone(page, "reviewer on /companies/<id>")


def test_the_pages_pass_axe(browser, live_app, seen):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_app.url, bypass_csp=True)
    try:
        page = ctx.new_page()
        _sign_in(page, seen["reviewer"])
        page.goto(f"/cases/{seen['cases'][0]}")
        expect(page.locator("#case-similar li")).to_have_count(3)
        expect(page.locator("#case-precedent-outcomes")).to_contain_text("33% customer won")
        assert_accessible(page, "the staff case page with precedent and risk")
        page.goto(f"/customers/{seen['customer_id']}")
        expect(page.locator("#customer-view-cases-table")).to_contain_text(seen["cases"][0])
        assert_accessible(page, "/customers/<id>")
        page.goto(f"/companies/{seen['company_id']}")
        expect(page.locator("#company-view-cases-table")).to_contain_text(seen["cases"][0])
        expect(page.locator("#company-view-outcomes")).to_contain_text("33% merchant won")
        assert_accessible(page, "/companies/<id>")
    finally:
        ctx.close()


def test_a_customer_gets_not_found(actors, seen):
    page = actors.new("customer")
    _sign_in(page, seen["customer"])
    page.goto(f"/customers/{seen['customer_id']}")
    expect(page.locator("#customer-view-summary")).to_contain_text("does not exist or is not yours to see")
    expect(page.locator("#customer-view-cases-table")).to_have_count(0)
