"""Issue 9's "Done when": a full case walked again in Chromium as each party, checking at
every step what each person is told.

The customer (in Paris, on a 390 px phone) opens a case; the creator denies it; the
customer appeals the denial; a reviewer claims the case and decides a partial refund,
which is final: the case has had its one appeal. Then the other road: information asked
and given, the company silent until the platform takes the case, a full refund (nothing
for the customer to appeal), the merchant's appeal, the first decider kept off the final
review, and a second reviewer overturning it. At each step:

- the email each person got (the outbox rows of the case, by recipient): the facts, not
  the wording — the case id, the exact amounts, the appeal right and its deadline in the
  recipient's zone, finality, and no email to whoever acted (the opener's receipt aside);
- the action panel's explanation of an action the person could expect and no longer has
  (the appeal used, the decision made);
- the phone layout (no sideways scroll at 390 px) and axe-core (no serious or critical
  violation) on every screen the people see.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.checks import DESKTOP, PHONE, assert_accessible, assert_fits_phone, axe_source
from tests.browser.conftest import shot
from tests.browser.live_app import running_app

pytestmark = pytest.mark.browser

PASSWORD = "walk-the-case-again"
PEOPLE = {  # key: (email, name, role, browser time zone)
    "customer": ("paula@customer.test", "Paula Customer", "customer", "Europe/Paris"),
    "creator": ("carl@lakeside.test", "Carl Creator", "creator", "America/New_York"),
    "reviewer": ("rhea@platform.test", "Rhea Reviewer", "reviewer", "UTC"),
    "reviewer2": ("remy@platform.test", "Remy Reviewer", "reviewer", "Asia/Tokyo"),
}
HOME = {"customer": "/my-cases", "creator": "/company", "reviewer": "/queue", "reviewer2": "/queue"}
COMPANY = "Lakeside Pottery"


@pytest.fixture(scope="module")
def walk_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("walk")) as app:
        out = app.cli("create-company", "--name", COMPANY, "--support-email", "help@lakeside.test")
        app.company_id = re.search(r"biz_[A-Za-z0-9]+", out.stdout).group(0)
        app.cli_many(*[("create-user", "--email", email, "--name", name, "--role", role, "--password", PASSWORD,
                        *(("--company-id", app.company_id) if role == "creator" else ()))
                       for email, name, role, _zone in PEOPLE.values()])
        yield app


def seed(app, product: str = "Wheel-throwing weekend") -> dict:
    """A $50.00 payment of the customer's to the company, three days ago."""
    company_id = app.company_id

    from data.models import Company
    from dashboard import accounts
    from dashboard.context import Ctx, utcnow
    from tests import factories

    rt = app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        customer = accounts.user_by_email(ctx, PEOPLE["customer"][0])
        payment = factories.payment(ctx, company=s.get(Company, company_id), customer=customer, amount_minor=5000,
                                    currency="USD", provider="stripe", paid_at=ctx.now - dt.timedelta(days=3),
                                    product=product)
        return {"company_id": company_id, "payment_id": payment.id}


class Mailbox:
    """The case's emails in the outbox, read by recipient; `new()` gives those written
    since the last call, as {recipient email: [(subject, text)]}."""

    def __init__(self, app):
        self.app, self.seen = app, set()

    def new(self, case_id: str) -> dict[str, list[tuple[str, str]]]:
        from data.models import OutboxEmail

        with self.app.runtime().Session() as s:
            rows = s.execute(select(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.body_text)
                             .where(OutboxEmail.case_id == case_id).order_by(OutboxEmail.id)).all()
        got: dict[str, list[tuple[str, str]]] = {}
        for row_id, recipient, subject, text in rows:
            if row_id in self.seen:
                continue
            self.seen.add(row_id)
            got.setdefault(recipient.lower(), []).append((subject, " ".join(text.split())))
        return got


def email(of: str) -> str:
    return PEOPLE[of][0]


def one_email(box: dict, who: str) -> tuple[str, str]:
    mails = box.get(email(who), [])
    assert len(mails) == 1, f"{who} should get exactly one email now, got {mails}"
    return mails[0]


@pytest.fixture
def people(browser, walk_app):
    made = {}
    for who, (_email, _name, _role, zone) in PEOPLE.items():
        ctx = browser.new_context(viewport=PHONE if who == "customer" else DESKTOP, base_url=walk_app.url,
                                  timezone_id=zone, bypass_csp=True)  # axe is injected as a script tag
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        page.console_errors = []
        page.on("pageerror", lambda e, page=page: page.console_errors.append(str(e)))
        made[who] = page
    yield made
    for page in made.values():
        page.context.close()


def sign_in(page: Page, who: str) -> None:
    page.goto("/login")
    page.fill("#email", email(who))
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    expect(page).to_have_url(re.compile(re.escape(HOME[who]) + r"$"))
    expect(page.locator("#nav-user")).to_contain_text(PEOPLE[who][1])


def look(page: Page, where: str) -> None:
    """The screen as it is now: fits a phone where the person is on one, passes axe."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    if page.viewport_size["width"] <= PHONE["width"]:
        assert_fits_phone(page, where)
    assert_accessible(page, where)
    assert page.console_errors == [], f"{where}: {page.console_errors}"


def open_case(page: Page, case_id: str) -> None:
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-view")).to_have_attribute("data-case-id", case_id)
    expect(page.locator("#case-actions")).to_be_visible()


def labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#case-act-choice label").all_inner_texts()]


def act(page: Page, label: str, message: str, *, confirm: bool, toast: str, amount: str | None = None) -> None:
    page.locator("#case-act-choice label").filter(has_text=re.compile("^" + re.escape(label) + "$")).click()
    if amount is not None:
        page.fill("#case-decide-amount", amount)
    page.fill("#case-act-message", message)
    expect(page.locator("#case-act-submit")).to_be_enabled()
    page.click("#case-act-submit")
    if confirm:
        expect(page.locator("#case-confirm")).to_be_visible()
        page.click("#case-confirm-ok")
    expect(page.locator("#case-toast")).to_contain_text(toast)
    expect(page.locator("#case-feedback .alert")).to_have_count(0)


def open_a_case(customer: Page, payment_id: str, message: str) -> str:
    customer.goto("/my-cases")
    row = customer.locator(f'#my-cases-payments-table tr[data-row="{payment_id}"]')
    row.get_by_role("button", name="Open a case").click()
    expect(customer.locator("#my-cases-modal")).to_be_visible()
    customer.select_option("#my-cases-reason", "not_as_described")
    customer.fill("#my-cases-message", message)
    look(customer, "open-a-case form (phone)")
    customer.click("#my-cases-submit")
    link = customer.locator("#my-cases-new-case-link")
    expect(link).to_be_visible()
    return re.search(r"reso_[A-Za-z0-9]+", link.inner_text()).group(0)


def test_a_denied_case_appealed_and_decided_as_each_party(walk_app, people):
    axe_source()
    ids = seed(walk_app)
    mail = Mailbox(walk_app)
    customer, creator, reviewer = people["customer"], people["creator"], people["reviewer"]

    # Everyone signs in once first: each person's time zone is taken from their browser then.
    sign_in(creator, "creator")
    sign_in(customer, "customer")

    # 1. The customer, on a phone, opens a case on the payment.
    look(customer, "customer's payments and cases (phone)")
    case_id = open_a_case(customer, ids["payment_id"],
                          "The weekend was cut to one afternoon; the wheel sessions never happened.")

    box = mail.new(case_id)
    subject, text = one_email(box, "customer")  # the receipt: the one email about one's own action
    assert case_id in subject + text and COMPANY in subject, (subject, text)
    assert "$50.00" in text, text
    subject, text = one_email(box, "creator")
    assert case_id in subject + text and "$50.00" in text, (subject, text)
    assert "answer by" in text and re.search(r"\bE[SD]T\b", text), f"the creator's deadline in New York time: {text}"
    assert email("reviewer") not in box

    open_case(customer, case_id)
    shot(customer, "walk-01-customer-opened-phone")
    look(customer, "customer's case page after opening (phone)")

    # 2. The creator denies it (a confirmation first).
    creator.goto("/company")
    expect(creator.locator(f'#company-needs tr[data-row="{case_id}"]')).to_be_visible()
    look(creator, "creator's company page")
    open_case(creator, case_id)
    assert "Deny" in labels(creator), labels(creator)
    look(creator, "creator's case page, case awaiting them")
    act(creator, "Deny", "Both sessions ran as booked; the attendance sheet is attached to our records.",
        confirm=True, toast="You denied the case.")

    box = mail.new(case_id)
    assert email("creator") not in box, "no email about one's own action"
    subject, text = one_email(box, "customer")
    assert case_id in subject + text, (subject, text)
    assert "You can appeal once, by" in text, f"the denial tells the customer their appeal right: {text}"
    assert re.search(r"\bCET\b|\bCEST\b", text), f"the appeal deadline in the customer's (Paris) time: {text}"

    # 3. The customer appeals the denial: the case's only appeal.
    open_case(customer, case_id)
    assert "Appeal" in labels(customer), labels(customer)
    look(customer, "customer's case page after the denial (phone)")
    act(customer, "Appeal", "The studio's own email of 14 March cancels the second day.", confirm=True,
        toast="Your appeal was filed.")
    expect(customer.locator("#case-status")).to_have_text("Under review")

    box = mail.new(case_id)
    assert email("customer") not in box, "no email about one's own appeal"
    subject, text = one_email(box, "creator")
    assert case_id in subject + text and "appeal" in (subject + text).lower(), (subject, text)

    # The creator has no appeal of their own left, and is told why.
    open_case(creator, case_id)
    assert "Appeal" not in labels(creator), labels(creator)
    look(creator, "creator's case page after the customer's appeal")

    # 4. A reviewer claims the case and decides a partial refund.
    sign_in(reviewer, "reviewer")
    look(reviewer, "reviewer's queue")
    open_case(reviewer, case_id)
    if "Claim" in labels(reviewer):
        reviewer.locator("#case-act-choice label").filter(has_text=re.compile("^Claim$")).click()
        expect(reviewer.locator("#case-act-submit")).to_be_enabled()
        reviewer.click("#case-act-submit")
        expect(reviewer.locator("#case-toast")).to_contain_text("The case is now assigned to you.")
    expect(reviewer.locator("#case-act-choice label").filter(has_text=re.compile("^Decide$"))).to_have_count(1)
    look(reviewer, "reviewer's case page, claimed")
    act(reviewer, "Decide", "One of two days was delivered: half of the price is refunded.", confirm=True,
        toast="The decision was recorded.", amount="25.00")
    expect(reviewer.locator("#case-status")).to_have_text("Closed")
    expect(reviewer.locator("#case-outcome")).to_contain_text("$25.00")

    box = mail.new(case_id)
    assert email("reviewer") not in box, "no email about one's own decision"
    _subject, text = one_email(box, "customer")
    assert "$25.00 of $50.00 refunded to you" in text, text
    assert "This is final" in text, f"the customer is told the decision is final (the one appeal used): {text}"
    _subject, text = one_email(box, "creator")
    assert "$25.00" in text and "$50.00" in text, text
    assert "This is final" in text, text

    # 5. Nobody can appeal now, and the page says why: the case's only appeal was used.
    for who, page in (("customer", customer), ("creator", creator)):
        open_case(page, case_id)
        assert "Appeal" not in labels(page), (who, labels(page))
        expect(page.locator("#case-act-reasons")).to_contain_text("only appeal")
        expect(page.locator("#case-outcome")).to_contain_text("$25.00")
        shot(page, f"walk-05-final-{who}")
        look(page, f"{who}'s case page, decided and final")
    # The reviewer who decided has nothing left to decide; the panel says so.
    open_case(reviewer, case_id)
    assert "Decide" not in labels(reviewer), labels(reviewer)
    look(reviewer, "reviewer's case page, decided")
    assert walk_app.server_errors() == [], walk_app.log()[-4000:]


def test_an_escalated_refund_appealed_by_the_merchant_and_overturned(walk_app, people):
    """The other road: the creator asks for information, the customer replies, nobody at the
    company answers in time and the platform takes the case; a full refund leaves the
    customer nothing to appeal (and says so), the creator appeals, the first decider may not
    do the final review (and is told so), a second reviewer overturns: the customer keeps
    the refund, the platform reimburses the company."""
    axe_source()
    ids = seed(walk_app, product="Glazing masterclass")
    mail = Mailbox(walk_app)
    customer, creator, reviewer, reviewer2 = (people[k] for k in ("customer", "creator", "reviewer", "reviewer2"))
    for who, page in (("creator", creator), ("customer", customer), ("reviewer", reviewer),
                      ("reviewer2", reviewer2)):
        sign_in(page, who)

    case_id = open_a_case(customer, ids["payment_id"], "The masterclass video stops after ten minutes.")
    mail.new(case_id)  # the opening's emails: checked in the walk above

    # The creator asks for information (1 of 3); the customer replies on the phone.
    open_case(creator, case_id)
    act(creator, "Request information", "Which device did you watch on?", confirm=False,
        toast="Your request for information was sent.")
    box = mail.new(case_id)
    assert email("creator") not in box
    _subject, text = one_email(box, "customer")
    assert "reply by" in text and re.search(r"\bCET\b|\bCEST\b", text), text
    open_case(customer, case_id)
    look(customer, "customer's case page, asked for information (phone)")
    act(customer, "Reply", "A laptop, in Chrome.", confirm=False, toast="Your reply was sent.")
    box = mail.new(case_id)
    assert email("customer") not in box
    _subject, text = one_email(box, "creator")
    assert "answer by" in text and "2 of 3 requests left" in text, text

    # Nobody answers: the jobs escalate the case once the deadline has passed.
    as_of = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=8)).isoformat(timespec="seconds")
    walk_app.cli("jobs", "--once", "--as-of", as_of)
    mail.new(case_id)

    # The reviewer claims and refunds the whole payment.
    open_case(reviewer, case_id)
    if "Claim" in labels(reviewer):
        reviewer.locator("#case-act-choice label").filter(has_text=re.compile("^Claim$")).click()
        expect(reviewer.locator("#case-act-submit")).to_be_enabled()
        reviewer.click("#case-act-submit")
        expect(reviewer.locator("#case-toast")).to_contain_text("The case is now assigned to you.")
    act(reviewer, "Decide", "The video is cut short on every device we tried.", confirm=True,
        toast="The decision was recorded.", amount="50.00")
    box = mail.new(case_id)
    assert email("reviewer") not in box
    _subject, text = one_email(box, "customer")
    assert "$50.00" in text and "refunded to you" in text, text
    _subject, text = one_email(box, "creator")
    assert "You can appeal once, by" in text and re.search(r"\bE[SD]T\b", text), text

    # The customer has nothing to appeal, and is told why.
    open_case(customer, case_id)
    assert "Appeal" not in labels(customer), labels(customer)
    expect(customer.locator("#case-act-reasons")).to_contain_text("fully in your favour")
    look(customer, "customer's case page, refunded in full (phone)")

    # The creator appeals; the first decider may not make the final review.
    open_case(creator, case_id)
    act(creator, "Appeal", "Our logs show the whole video was streamed.", confirm=True,
        toast="Your appeal was filed.")
    box = mail.new(case_id)
    assert email("creator") not in box
    open_case(reviewer, case_id)
    assert "Final review" not in labels(reviewer), labels(reviewer)
    expect(reviewer.locator("#case-act-reasons")).to_contain_text("You made the first decision")
    look(reviewer, "first decider's case page after the appeal")

    # A second reviewer overturns the decision: final; the customer keeps the refund.
    open_case(reviewer2, case_id)
    reviewer2.locator("#case-act-choice label").filter(has_text=re.compile("^Final review$")).click()
    reviewer2.locator("#case-final-decision label").filter(has_text="Overturn the decision").click()
    reviewer2.fill("#case-act-message", "The stream logs show the video was served in full.")
    expect(reviewer2.locator("#case-act-submit")).to_be_enabled()
    reviewer2.click("#case-act-submit")
    expect(reviewer2.locator("#case-confirm")).to_be_visible()
    look(reviewer2, "second reviewer's final-review confirmation")
    reviewer2.click("#case-confirm-ok")
    expect(reviewer2.locator("#case-toast")).to_contain_text("The final decision was recorded.")
    box = mail.new(case_id)
    assert email("reviewer2") not in box
    _subject, text = one_email(box, "customer")
    assert f"You keep the $50.00 refund; the platform reimburses {COMPANY}" in text, text
    assert "This is final" in text, text
    _subject, text = one_email(box, "creator")
    assert "$50.00" in text and "the platform pays" in text and "This is final" in text, text
    for who, page in (("customer", customer), ("creator", creator)):
        open_case(page, case_id)
        assert "Appeal" not in labels(page), (who, labels(page))
        look(page, f"{who}'s case page after the final review")
    assert walk_app.server_errors() == [], walk_app.log()[-4000:]
