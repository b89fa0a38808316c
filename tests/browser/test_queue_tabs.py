"""Every case reachable from the queue, end to end: the Closed tab shows a closed case and
opens it; the view lives in the URL (a reload and Back restore it); a saved view comes
back in one click, is renamed and deleted.

The app runs on a database of its own (module scope), so these cases stay out of the
counts other browser tests read."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.live_app import running_app

pytestmark = pytest.mark.browser

PASSWORD = "every-case-reachable-1"


@pytest.fixture(scope="module")
def live_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("tabs-live"), print_log=True) as app:
        yield app


@pytest.fixture(scope="module")
def world(live_app):
    """A reviewer; one case decided (closed) a day ago, one escalated, one waiting on the merchant."""
    from dashboard.cases import opening, review, system
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = live_app.runtime()
    now = utcnow()
    with rt.Session.begin() as s:
        ctx = Ctx(s, now - dt.timedelta(days=10), rt.settings)
        company = factories.company(ctx, "Closed Tab Courses")
        customer = factories.user(ctx, "customer")
        reviewer = factories.user(ctx, "reviewer", name="Tia Tabs", email="tia@tabs.test", password=PASSWORD)
        ids = []
        for amount in (4200, 9900, 1500):
            pay = factories.payment(ctx, company=company, customer=customer, amount_minor=amount,
                                    paid_at=ctx.now - dt.timedelta(days=1))
            ids.append(opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="product_not_received",
                                         message="I paid and never got access.").case.id)
    closed, escalated, _waiting = ids
    for cid in (closed, escalated):
        with rt.Session.begin() as s:
            system.escalate_overdue(Ctx(s, now - dt.timedelta(days=3), rt.settings), cid)
    with rt.Session.begin() as s:
        review.decide(Ctx(s, now - dt.timedelta(days=1), rt.settings), actor=s.get(type(reviewer), reviewer.id),
                      case_id=closed, outcome="merchant_wins", reason="The logs show access.")
    return {"closed": closed, "escalated": escalated, "reviewer": reviewer.email}


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page.locator("#nav-user")).to_be_attached()


def tab(page, name: str):
    return page.locator("#queue-tabs .nav-link", has_text=name)


def active_tab(page):
    return page.locator("#queue-tabs .nav-link.active")


def row(page, case_id: str):
    return page.locator(f'.ag-center-cols-container .ag-row[row-id="{case_id}"]')


def test_the_closed_tab_shows_a_closed_case_and_opens_it(actors, world):
    page = actors.new("reviewer")
    sign_in(page, world["reviewer"])
    page.goto("/queue")
    expect(tab(page, "Closed (1)")).to_be_visible()
    tab(page, "Closed").click()
    expect(page).to_have_url(re.compile(r"/queue\?tab=closed$"))
    expect(row(page, world["closed"])).to_be_visible()
    expect(row(page, world["closed"])).to_contain_text("Closed · Merchant won")
    expect(row(page, world["escalated"])).to_have_count(0)
    page.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{world["closed"]}"] [col-id="id"]').click()
    expect(page).to_have_url(re.compile(re.escape(f"/cases/{world['closed']}") + r"$"))
    expect(page.locator("#case-timeline-list")).to_be_attached()
    page.go_back()  # the queue again, on the Closed tab
    expect(page).to_have_url(re.compile(r"/queue\?tab=closed$"))
    expect(active_tab(page)).to_contain_text("Closed")
    expect(row(page, world["closed"])).to_be_visible()
    assert page.console_errors == [], page.console_errors


def test_the_url_restores_the_view_after_a_reload_and_back_steps_through_views(actors, world):
    page = actors.new("reviewer")
    sign_in(page, world["reviewer"])
    page.goto("/queue?tab=all&sort=amount:desc&utm=ignored")
    expect(active_tab(page)).to_contain_text("All")
    first = page.locator(".ag-center-cols-container .ag-row[row-index='0']")
    expect(first).to_contain_text("$99.00")  # largest first, as the URL says
    expect(page.locator('.ag-header-cell[col-id="amount"] .ag-sort-descending-icon')).to_be_visible()
    page.reload()
    expect(active_tab(page)).to_contain_text("All")
    expect(first).to_contain_text("$99.00")
    tab(page, "Escalated").click()
    expect(page).to_have_url(re.compile(r"/queue\?sort=amount%3Adesc$"))
    expect(row(page, world["escalated"])).to_contain_text("Decide by")
    page.go_back()
    expect(active_tab(page)).to_contain_text("All")
    expect(row(page, world["closed"])).to_be_visible()
    page.go_forward()
    expect(active_tab(page)).to_contain_text("Escalated")
    expect(row(page, world["closed"])).to_have_count(0)
    page.goto("/queue?tab=%00&sort=;;&f.status=equals:&f.company=" + "x" * 1500)  # junk: the default view
    expect(active_tab(page)).to_contain_text("Escalated")
    assert page.console_errors == [], page.console_errors


def test_a_saved_view_round_trip(actors, world):
    page = actors.new("reviewer")
    sign_in(page, world["reviewer"])
    page.goto("/queue?tab=closed")
    expect(row(page, world["closed"])).to_be_visible()
    page.click("#queue-view-save")
    page.fill("#queue-view-name", "Closed this week")
    page.click("#queue-view-submit")
    expect(page.locator("#queue-view-feedback")).to_contain_text("Saved \u201cClosed this week\u201d")
    tab(page, "Open").click()
    expect(page).to_have_url(re.compile(r"/queue\?tab=open$"))
    page.locator("#queue-views").click()
    page.get_by_role("option", name="Closed this week").click()
    expect(page).to_have_url(re.compile(r"/queue\?tab=closed$"))
    expect(active_tab(page)).to_contain_text("Closed")
    expect(row(page, world["closed"])).to_be_visible()
    page.click("#queue-view-rename")
    page.fill("#queue-view-name", "Recently closed")
    page.click("#queue-view-submit")
    expect(page.locator("#queue-view-feedback")).to_contain_text("Renamed to \u201cRecently closed\u201d")
    page.click("#queue-view-delete")
    expect(page.locator("#queue-view-feedback")).to_contain_text("Deleted \u201cRecently closed\u201d")
    assert page.console_errors == [], page.console_errors
