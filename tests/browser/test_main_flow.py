"""The issue's main flow, end to end, in headless Chromium against the real app.

One long test: each actor (customer, creator, two reviewers, a manager) signs in at
/login in their own browser context and uses the screens as a person would. The
merchant's deadline is passed by running `python -m dashboard jobs --once --as-of` in a
subprocess against the same database. Every step checks the screen it lands on —
including the timeline each party sees — and every page must end with no browser
console error and no Dash callback error. Screenshots of the main screens go to
test-artifacts/screens/.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.browser.live_app import running_app

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"
# Markup a person typed must stay text on every screen (it reaches the timeline, tables, grids).
XSS = ' <img src=x onerror="top.__xss=1"> <script>top.__xss=2</script> [x](javascript:top.__xss=3)'
NOTE = "Internal: the refund history of this customer looks fine (NOTE-7Q4Z)"
PEOPLE = {
    # key: (email, name, role)
    "creator": ("cora@northwind.test", "Cora Creator", "creator"),
    "customer": ("cal@customer.test", "Cal Customer", "customer"),
    "reviewer": ("rita@platform.test", "Rita Reviewer", "reviewer"),
    "reviewer2": ("rob@platform.test", "Rob Reviewer", "reviewer"),
    "manager": ("mona@platform.test", "Mona Manager", "manager"),
}
HOME = {"customer": "/my-cases", "creator": "/company", "reviewer": "/queue", "reviewer2": "/queue",
        "manager": "/metrics"}


def png_bytes(width: int = 96, height: int = 64) -> bytes:
    """A small real PNG (a colour gradient), so the thumbnail has something to show."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, 160))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------- set-up
@pytest.fixture(scope="module")
def live_app(_pg_admin, tmp_path_factory):
    """An app and database of this test's own: its counts ("Open (1)") and its one escalation
    by the scheduler must not see the cases other browser tests opened in the shared app."""
    with running_app(_pg_admin, tmp_path_factory.mktemp("main-flow-live"), print_log=True) as app:
        yield app


def seed(app) -> dict:
    """People through the command line (as an operator would), the payment through the domain."""
    out = app.cli("create-company", "--name", "Northwind Courses", "--support-email", "support@northwind.test")
    company_id = re.search(r"biz_[A-Za-z0-9]+", out.stdout).group(0)
    app.cli_many(*[("create-user", "--email", email, "--name", name, "--role", role, "--password", PASSWORD,
                    *(("--company-id", company_id) if role == "creator" else ()))
                   for email, name, role in PEOPLE.values()])

    from data.models import Company
    from dashboard import accounts
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        customer = accounts.user_by_email(ctx, PEOPLE["customer"][0])
        payment = factories.payment(ctx, company=s.get(Company, company_id), customer=customer, amount_minor=5000,
                                    currency="USD", provider="stripe", paid_at=ctx.now - dt.timedelta(days=2),
                                    product="Watercolour masterclass" + XSS[:60])
        return {"company_id": company_id, "payment_id": payment.id}


# ---------------------------------------------------------------------------- helpers
def sign_in(page: Page, who: str) -> None:
    email, name, _role = PEOPLE[who]
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page).to_have_url(re.compile(re.escape(HOME[who]) + r"$"))
    expect(page.locator("#nav-user")).to_contain_text(name)


def assert_clean(page: Page, where: str) -> None:
    """No JS/console error, no Dash front-end error, no error alert on the page."""
    assert page.console_errors == [], f"{where}: browser console errors: {page.console_errors}"
    expect(page.locator(".dash-fe-error")).to_have_count(0)
    expect(page.locator("#case-error")).to_have_count(0)
    expect(page.locator(".alert-danger")).to_have_count(0)


def timeline(page: Page):
    return page.locator("#case-timeline-list")


def event(page: Page, action: str):
    return page.locator(f"#case-timeline-list > li.case-action-{action}")


def choose_action(page: Page, label: str) -> None:
    page.locator("#case-act-choice label").filter(has_text=re.compile("^" + re.escape(label) + "$")).click()
    expect(page.locator("#case-act-submit")).to_contain_text(label)


def action_labels(page: Page) -> list[str]:
    expect(page.locator("#case-actions")).to_be_visible()
    return [t.strip() for t in page.locator("#case-act-choice label").all_inner_texts()]


def submit(page: Page, toast: str) -> None:
    expect(page.locator("#case-act-submit")).to_be_enabled()  # the required fields are filled
    page.click("#case-act-submit")
    expect(page.locator("#case-toast")).to_contain_text(toast)
    expect(page.locator("#case-feedback .alert")).to_have_count(0)


def open_case_page(page: Page, case_id: str) -> None:
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-view")).to_have_attribute("data-case-id", case_id)


def kpi(page: Page, key: str) -> str:
    return page.locator(f"#metrics-kpi-{key}").inner_text().strip()


def volume_total(page: Page) -> float:
    """The sum of every bar in the 'cases opened' chart, read from the rendered Plotly figure."""
    page.wait_for_function("() => { const g = document.querySelector('#metrics-volume .js-plotly-plot');"
                           " return g && Array.isArray(g.data); }")
    return page.evaluate("""() => document.querySelector('#metrics-volume .js-plotly-plot').data
        .reduce((sum, trace) => sum + (trace.y || []).reduce((a, b) => a + (Number(b) || 0), 0), 0)""")


def open_metrics(page: Page) -> None:
    page.goto("/metrics")
    expect(page.locator("#metrics-body")).to_be_visible()
    expect(page.locator("#metrics-kpi-cases")).to_be_visible()
    expect(page.locator("#metrics-volume .js-plotly-plot")).to_be_attached()


def queue_tab(page: Page, tab: str):
    return page.locator("#queue-tabs a, #queue-tabs button").filter(has_text=re.compile(f"^{tab}"))


# ---------------------------------------------------------------------------- the flow
def test_dispute_from_opening_to_final_review(live_app, actors):
    ids = seed(live_app)
    payment_id = ids["payment_id"]
    customer, creator = actors.new("customer", timezone="Europe/Paris"), actors.new("creator")
    reviewer, reviewer2, manager = actors.new("reviewer"), actors.new("reviewer2"), actors.new("manager")

    # The manager's numbers before anything happens.
    sign_in(manager, "manager")
    open_metrics(manager)
    cases_before = int(kpi(manager, "cases").replace(",", ""))
    escalation_before = kpi(manager, "escalation")
    volume_before = volume_total(manager)
    shot(manager, "01-metrics-before")
    assert_clean(manager, "manager opened the metrics")

    # 1. The customer opens a case on the payment, with a PNG.
    sign_in(customer, "customer")
    row = customer.locator(f'#my-cases-payments-table tr[data-row="{payment_id}"]')
    expect(row).to_contain_text("Watercolour masterclass")
    expect(customer.locator("#my-cases-cases-table")).to_contain_text("You have no cases.")
    shot(customer, "02-my-cases")
    row.get_by_role("button", name="Open a case").click()
    expect(customer.locator("#my-cases-modal")).to_be_visible()
    expect(customer.locator("#my-cases-form-payment")).to_contain_text("$50.00")
    customer.select_option("#my-cases-reason", "not_as_described")
    customer.fill("#my-cases-message", "The course videos stop after lesson 2; the rest are blank.")
    customer.set_input_files("#my-cases-upload input[type=file]",
                             files=[{"name": "blank-lesson.png", "mimeType": "image/png", "buffer": png_bytes()}])
    expect(customer.locator("#my-cases-files")).to_contain_text("blank-lesson.png")
    shot(customer, "03-open-case-form")
    customer.click("#my-cases-submit")
    link = customer.locator("#my-cases-new-case-link")
    expect(link).to_be_visible()
    case_id = re.search(r"reso_[A-Za-z0-9]+", link.inner_text()).group(0)
    expect(customer.locator(f'#my-cases-cases-table tr[data-row="{case_id}"]')).to_contain_text("Waiting for the seller")
    link.click()
    expect(customer).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(customer.locator("#case-status")).to_have_text("Awaiting merchant")
    expect(event(customer, "created")).to_have_count(1)
    expect(event(customer, "created")).to_contain_text("The course videos stop after lesson 2")
    customer.wait_for_function("() => { const i = document.querySelector('#case-timeline-list img');"
                               " return i && i.complete && i.naturalWidth === 96; }")
    shot(customer, "04-case-customer-opened")
    assert_clean(customer, "customer opened the case")

    # 2. The creator sees it under "Needs your response", opens it and asks for information.
    sign_in(creator, "creator")
    needs = creator.locator(f'#company-needs-table tr[data-row="{case_id}"]')
    expect(needs).to_contain_text("Cal Customer")
    expect(needs).to_contain_text("Accept, deny or ask for information")
    expect(creator.locator("#company-needs-count")).to_have_text("1")
    shot(creator, "05-company")
    needs.get_by_role("link", name="Respond").click()
    expect(creator).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(creator.locator("#case-evidence img")).to_have_count(1)
    assert action_labels(creator) == ["Accept & refund", "Deny", "Request information", "Add evidence"]
    choose_action(creator, "Request information")
    creator.fill("#case-act-message", "Which device and browser did you watch on? A screenshot of lesson 3 helps.")
    shot(creator, "06-case-creator-request-info")
    submit(creator, "Your request for information was sent.")
    expect(creator.locator("#case-status")).to_have_text("Awaiting customer")
    expect(event(creator, "requested_more_info")).to_have_count(1)
    assert_clean(creator, "creator requested information")

    # 3. The customer replies on the case page.
    customer.goto("/my-cases")
    expect(customer.locator(f'#my-cases-cases-table tr[data-row="{case_id}"]')).to_contain_text("Reply needed by")
    open_case_page(customer, case_id)
    expect(event(customer, "requested_more_info")).to_contain_text("Which device and browser")
    choose_action(customer, "Reply")
    customer.fill("#case-act-message", "Chrome on a laptop. Lesson 3 is a black screen for all 40 minutes." + XSS)
    submit(customer, "Your reply was sent.")
    expect(customer.locator("#case-status")).to_have_text("Awaiting merchant")
    expect(event(customer, "responded")).to_have_count(1)
    assert_clean(customer, "customer replied")

    # The reviewer's queue before the deadline passes: nothing escalated yet.
    sign_in(reviewer, "reviewer")
    expect(queue_tab(reviewer, "Escalated")).to_have_text("Escalated (0)")
    expect(queue_tab(reviewer, "Open")).to_have_text("Open (1)")

    # 4. The merchant's deadline passes: the jobs escalate the case.
    as_of = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)).isoformat(timespec="seconds")
    counts = json.loads(live_app.cli("jobs", "--once", "--as-of", as_of).stdout)
    assert counts["escalation"]["escalated"] == 1, counts
    assert all(not job.get("errors") and not job.get("failed") for job in counts.values() if isinstance(job, dict)), counts
    reviewer.click("#queue-refresh-button")
    expect(queue_tab(reviewer, "Escalated")).to_have_text("Escalated (1)")
    grid_row = reviewer.locator(f'.ag-center-cols-container .ag-row[row-id="{case_id}"]')
    expect(grid_row).to_contain_text("Northwind Courses")
    expect(grid_row).to_contain_text("Unassigned")
    shot(reviewer, "07-queue-escalated")

    # 5. Reviewer 1 claims it on the queue.
    # Rows are ticked (the queue selects several at once for bulk actions).
    reviewer.locator(f'.ag-row[row-id="{case_id}"] input[type="checkbox"]').first.click()
    expect(reviewer.locator("#queue-selected")).to_have_text(f"Selected: {case_id}")
    reviewer.click("#queue-claim")
    expect(reviewer.locator("#queue-feedback")).to_contain_text(f"{case_id} is yours now")
    expect(queue_tab(reviewer, "Mine")).to_have_text("Mine (1)")
    expect(grid_row).to_contain_text("You")
    assert_clean(reviewer, "reviewer claimed")
    reviewer.locator(f'.ag-pinned-left-cols-container .ag-row[row-id="{case_id}"] [col-id="id"], '
                     f'.ag-center-cols-container .ag-row[row-id="{case_id}"] [col-id="id"]').first.click()
    expect(reviewer).to_have_url(re.compile(f"/cases/{case_id}$"))
    expect(reviewer.locator("#case-status")).to_have_text("Under review")
    expect(event(reviewer, "escalated")).to_have_count(1)
    expect(reviewer.locator("#case-parties")).to_contain_text("Rita Reviewer")

    # An internal note: staff see it, marked; the parties never do (checked below).
    choose_action(reviewer, "Internal note")
    reviewer.fill("#case-act-message", NOTE)
    submit(reviewer, "Your internal note was added.")
    expect(event(reviewer, "note")).to_contain_text(NOTE)
    expect(event(reviewer, "note").locator(".case-internal-badge")).to_have_count(1)

    # 6. ... and decides a partial refund: edit the prefilled amount, confirm the money dialog.
    choose_action(reviewer, "Decide")
    expect(reviewer.locator("#case-decide-amount")).to_have_value("50.00")
    reviewer.fill("#case-decide-amount", "20.00")
    reviewer.fill("#case-act-message", "Lessons 3-8 were blank; lessons 1-2 were delivered. Refunding 6 of 15 lessons.")
    reviewer.click("#case-act-submit")
    dialog = reviewer.locator("#case-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("$20.00 will be refunded to the customer from the funds of Northwind Courses")
    expect(dialog).to_contain_text("partial refund of the $50.00 paid")
    shot(reviewer, "08-case-decide-confirm")
    reviewer.click("#case-confirm-ok")
    expect(reviewer.locator("#case-toast")).to_contain_text("The decision was recorded.")
    expect(dialog).to_be_hidden()
    expect(reviewer.locator("#case-status")).to_have_text("Closed")
    expect(event(reviewer, "decided")).to_have_count(1)
    expect(event(reviewer, "refund_issued")).to_contain_text("$20.00")
    expect(reviewer.locator("#case-outcome")).to_contain_text("Refunded by the merchant")
    expect(reviewer.locator("#case-outcome")).to_contain_text("$20.00 refunded")
    expect(reviewer.locator("#case-money")).to_contain_text("Completed")
    shot(reviewer, "09-case-decided")
    assert_clean(reviewer, "reviewer decided")

    # 7. The creator appeals on the case page.
    open_case_page(creator, case_id)
    expect(event(creator, "refund_issued")).to_have_count(1)
    assert "Appeal" in action_labels(creator)
    choose_action(creator, "Appeal")
    expect(creator.locator("#case-act-submit")).to_be_disabled()  # an appeal needs its message first
    creator.fill("#case-act-message", "Lessons 3-8 play fine on our side; here is the server log of the stream.")
    expect(creator.locator("#case-act-submit")).to_be_enabled()
    creator.click("#case-act-submit")
    expect(creator.locator("#case-confirm")).to_contain_text("only appeal")  # the case's one appeal: confirmed
    creator.click("#case-confirm-ok")
    expect(creator.locator("#case-toast")).to_contain_text("Your appeal was filed.")
    expect(event(creator, "appealed")).to_have_count(1)
    expect(creator.locator("#case-status")).to_have_text("Under review")
    assert_clean(creator, "creator appealed")

    # 8. Reviewer 1 decided, so may not do the final review: no such action offered.
    open_case_page(reviewer, case_id)
    expect(reviewer.locator("#case-header")).to_contain_text("Merchant appealed")
    labels = action_labels(reviewer)
    assert "Final review" not in labels and "Decide" not in labels, labels
    assert "Internal note" in labels, labels

    # ... reviewer 2 overturns it: the platform reimburses the merchant.
    sign_in(reviewer2, "reviewer2")
    expect(queue_tab(reviewer2, "Appealed")).to_have_text("Appealed (1)")
    open_case_page(reviewer2, case_id)
    choose_action(reviewer2, "Final review")
    reviewer2.locator("#case-final-decision label").filter(has_text="Overturn the decision").click()
    expect(reviewer2.locator("#case-final-remedy-group")).to_be_hidden()
    reviewer2.fill("#case-act-message", "The stream logs show the lessons were served in full.")
    reviewer2.click("#case-act-submit")
    expect(reviewer2.locator("#case-confirm")).to_contain_text(
        "the platform will pay Northwind Courses back $20.00")
    reviewer2.click("#case-confirm-ok")
    expect(reviewer2.locator("#case-toast")).to_contain_text("The final decision was recorded.")
    expect(event(reviewer2, "final_decision")).to_have_count(1)
    expect(event(reviewer2, "merchant_reimbursed")).to_contain_text("$20.00")
    outcome = reviewer2.locator("#case-outcome")
    expect(outcome).to_contain_text("Refund covered by the platform")
    expect(outcome).to_contain_text("Final review: overturned")
    expect(reviewer2.locator("#case-money")).to_contain_text("Platform reimbursement to the merchant")
    assert action_labels(reviewer2) == ["Internal note"]  # closed for good: nothing else to do
    shot(reviewer2, "10-case-final-review-staff")
    assert_clean(reviewer2, "reviewer 2 overturned")

    # 9. Each party's timeline: the whole story, the money, and never the internal note.
    for who, page in (("customer", customer), ("creator", creator)):
        open_case_page(page, case_id)
        for action in ("created", "requested_more_info", "responded", "escalated", "decided", "refund_issued",
                       "appealed", "final_decision"):
            expect(event(page, action)).to_have_count(1)
        expect(page.locator("#case-outcome")).to_contain_text("Final review: overturned")
        expect(event(page, "note")).to_have_count(0)
        expect(page.locator(".case-internal-badge")).to_have_count(0)
        expect(timeline(page)).not_to_contain_text("NOTE-7Q4Z")
        assert "NOTE-7Q4Z" not in page.content(), f"the internal note reached the {who}'s page"
        expect(page.locator("#case-parties")).not_to_contain_text("Rita Reviewer")
        shot(page, f"11-case-final-{who}")
        assert_clean(page, f"{who} read the closed case")
    expect(event(creator, "merchant_reimbursed")).to_contain_text("$20.00")
    # ... while staff still see the note.
    expect(event(reviewer2, "note")).to_contain_text(NOTE)

    # 10. A manager sees the numbers and charts change.
    open_metrics(manager)
    expect(manager.locator("#metrics-kpi-cases")).to_have_text(str(cases_before + 1))
    expect(manager.locator("#metrics-kpi-escalation")).not_to_have_text(escalation_before)
    expect(manager.locator("#metrics-kpi-escalation")).to_have_text("100%")
    assert volume_total(manager) == volume_before + 1
    for chart in ("metrics-volume", "metrics-outcomes", "metrics-rates", "metrics-money"):
        ticks = [t.strip() for t in manager.locator(f"#{chart} .xtick text").all_text_contents()]
        assert ticks and len(ticks) == len(set(ticks)), f"{chart}: repeated date ticks {ticks}"
    shot(manager, "12-metrics-after")
    assert_clean(manager, "manager read the metrics")

    for name, page in actors.pages.items():
        assert page.console_errors == [], f"{name}: {page.console_errors}"
        assert page.evaluate("() => window.__xss") is None, f"markup ran on the {name}'s page"
    assert live_app.server_errors() == [], live_app.log()[-4000:]
