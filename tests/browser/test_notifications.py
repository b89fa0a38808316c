"""A notification arriving, end to end: a reviewer on duty sits on the queue; the
scheduler's sweep (run here through the runtime, as the app's scheduler would) escalates
an overdue case; at the bell's next poll the badge shows 1; the bell's list links to the
case, and opening it marks it read (the badge goes). A customer has no bell."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from dashboard.components.ids import NotificationIds

pytestmark = pytest.mark.browser

PASSWORD = "bell-in-the-navbar-1"
BADGE = '[id*="\\"rc-bell\\":\\"badge\\""]'


@pytest.fixture
def overdue(live_app):
    """A reviewer on duty and a customer who can sign in, and a case the merchant has let
    run past its deadline (opened eight days ago)."""
    from data.models import User
    from dashboard.cases import opening
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = live_app.runtime()
    then = utcnow() - dt.timedelta(days=8)
    with rt.Session.begin() as s:
        ctx = Ctx(s, then, rt.settings)
        company = factories.company(ctx, "Belltower Courses")
        customer = factories.user(ctx, "customer", password=PASSWORD)
        reviewer = factories.user(ctx, "reviewer", password=PASSWORD)
        s.get(User, reviewer.id).on_duty = True  # told of new escalations whoever else is on duty
        pay = factories.payment(ctx, company=company, customer=customer, paid_at=then - factories.days(1))
        case_id = opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="product_not_received",
                                    message="Never got access.").case.id
        return {"reviewer": reviewer.email, "customer": customer.email, "case": case_id}


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def _poll_every(page, ms: int) -> None:
    """The bell's Interval, made to tick every `ms` instead of every minute (the page's own
    Interval, its `interval` changed in the browser: the same poll, sooner)."""
    page.evaluate("([id, ms]) => window.dash_clientside.set_props(id, {interval: ms})",
                  [NotificationIds.bell("poll"), ms])


def test_an_escalation_shows_on_the_bell_and_opens_the_case(actors, live_app, overdue):
    from dashboard.context import utcnow
    from jobs.runner import run_all_once

    page = actors.new("reviewer", timezone="Europe/Paris")
    _sign_in(page, overdue["reviewer"])
    page.goto("/queue")
    badge = page.locator(BADGE)
    expect(page.get_by_role("button", name="Notifications")).to_be_visible()
    expect(badge).to_be_hidden()

    report = run_all_once(live_app.runtime(), utcnow())  # the scheduler's pass: the sweep escalates the case
    assert report["escalation"]["escalated"] >= 1, report
    _poll_every(page, 500)
    # The escalation (and, when the auto-assignment picked this reviewer, the assignment).
    expect(badge).to_have_text(re.compile(r"^[12] unread notifications?$"))
    expect(badge).to_be_visible()
    before = int(badge.inner_text().split()[0])
    # A screen reader hears the count with the button's name.
    expect(page.get_by_role("button", name=re.compile(rf"^Notifications\s*{before} unread"))).to_be_visible()
    _poll_every(page, 60_000)  # back to a minute: the list is not redrawn under the click

    page.get_by_role("button", name="Notifications").click()
    item = page.get_by_role("button", name=re.compile(rf"Unread: Case {overdue['case']} reached the platform"))
    expect(item).to_be_visible()
    expect(item).to_contain_text(re.compile(r"CES?T"))  # the time in the viewer's zone
    item.click()
    expect(page).to_have_url(re.compile(re.escape(f"/cases/{overdue['case']}") + r"$"))
    expect(page.locator("#case-timeline-list")).to_be_attached()
    if before == 1:
        expect(badge).to_be_hidden()  # read: nothing unread is left
    else:
        expect(badge).to_have_text(re.compile(rf"^{before - 1} unread"))

    page.goto("/notifications")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(page.get_by_text(f"Case {overdue['case']} reached the platform")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the bell stays outside the folded menu
    expect(page.get_by_role("button", name=re.compile(r"^Notifications"))).to_be_visible()
    assert page.console_errors == [], page.console_errors


def test_a_customer_has_no_bell(actors, overdue):
    page = actors.new("customer")
    _sign_in(page, overdue["customer"])
    expect(page.locator("#nav-bell")).to_have_count(0)
