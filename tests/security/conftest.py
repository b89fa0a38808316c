"""Fixtures of the security suite: the real app (`python app.py`, see
tests/browser/live_app.py) on a fresh PostgreSQL database, and two companies whose
people try to reach each other's data.

    live_app   session  the running app (url, cli, runtime)
    world      session  World: company A (ours) and company B (the target), staff
    sign_in    function sign_in(email) -> requests.Session signed in through /login
    anon       function a requests.Session with no cookie
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
import requests

from tests.browser.live_app import running_app

PASSWORD = "s3cure-enough-for-tests"


@pytest.fixture(scope="session")
def live_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("security-live")) as app:
        yield app


@dataclass
class World:
    # company A: the signed-in attacker's side
    company_a: str
    creator_a: str
    customer_a: str
    case_a: str
    payment_a: str
    payment_a_free: str  # customer A's payment with no case yet
    # company B: the target
    company_b: str
    creator_b: str
    customer_b: str
    case_b: str
    payment_b: str
    payment_b_free: str  # customer B's eligible payment with no case
    file_b: str
    # staff
    reviewer: str
    manager: str
    customer_c: str  # deactivated in a test
    emails: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)

    @property
    def b_markers(self) -> list[str]:
        """Strings that only B's data contains: none may reach A's people."""
        return [self.case_b, self.payment_b, self.payment_b_free, self.file_b, self.company_b, self.customer_b,
                "Bravo Books", "Bianca Buyer", "bianca@bravo-buyer.test", "77.77", "66.66",
                "BRAVO-SECRET-MESSAGE", "Bravo rare first edition"]


def _png() -> bytes:
    from tests.factories import PNG_BYTES

    return PNG_BYTES


@pytest.fixture(scope="session")
def world(live_app) -> World:
    from dashboard import accounts
    from dashboard.cases.opening import open_case
    from dashboard.cases import review
    from dashboard.context import Ctx, utcnow
    from dashboard.evidence.files import upload
    from tests import factories

    rt = live_app.runtime()
    with rt.Session.begin() as s:
        ctx = Ctx(s, utcnow(), rt.settings)
        co_a = accounts.create_company(ctx, name="Alpha Apparel", support_email="help@alpha.test")
        co_b = accounts.create_company(ctx, name="Bravo Books", support_email="help@bravo.test")

        def person(role, email, name, company=None):
            return accounts.create_user(ctx, email=email, name=name, role=role,
                                        company_id=company.id if company else None, password=PASSWORD)

        creator_a = person("creator", "ann@alpha.test", "Ann Alpha", co_a)
        customer_a = person("customer", "carl@customer-a.test", "Carl Customer")
        creator_b = person("creator", "ben@bravo.test", "Ben Bravo", co_b)
        customer_b = person("customer", "bianca@bravo-buyer.test", "Bianca Buyer")
        customer_c = person("customer", "cleo@customer-c.test", "Cleo Customer")
        reviewer = person("reviewer", "rey@platform.test", "Rey Reviewer")
        manager = person("manager", "max@platform.test", "Max Manager")
        yesterday = ctx.now - dt.timedelta(days=1)
        pay_a = factories.payment(ctx, company=co_a, customer=customer_a, amount_minor=1234, paid_at=yesterday,
                                  product="Alpha hoodie")
        pay_a_free = factories.payment(ctx, company=co_a, customer=customer_a, amount_minor=1500, paid_at=yesterday,
                                       product="Alpha socks")
        pay_b = factories.payment(ctx, company=co_b, customer=customer_b, amount_minor=7777, paid_at=yesterday,
                                  product="Bravo rare first edition")
        pay_b_free = factories.payment(ctx, company=co_b, customer=customer_b, amount_minor=6666, paid_at=yesterday,
                                       product="Bravo rare first edition (2)")
        case_a = open_case(ctx, actor=customer_a, payment_id=pay_a.id, reason="product_not_received",
                           message="My Alpha hoodie never arrived.").case
        png = upload(ctx, customer_b, filename="bravo.png", data=_png(), declared_type="image/png")
        case_b = open_case(ctx, actor=customer_b, payment_id=pay_b.id, reason="not_as_described",
                           message="BRAVO-SECRET-MESSAGE: the book is a photocopy.", file_ids=[png.id]).case
        review.note(ctx, actor=reviewer, case_id=case_b.id, message="STAFF-ONLY-NOTE-31337 about Bianca")
        tokens = {who: accounts.issue_token(ctx, u) for who, u in (("creator_a", creator_a), ("customer_a", customer_a),
                                                                   ("creator_b", creator_b), ("reviewer", reviewer))}
        w = World(company_a=co_a.id, creator_a=creator_a.id, customer_a=customer_a.id, case_a=case_a.id,
                  payment_a=pay_a.id, payment_a_free=pay_a_free.id,
                  company_b=co_b.id, creator_b=creator_b.id, customer_b=customer_b.id, case_b=case_b.id,
                  payment_b=pay_b.id, payment_b_free=pay_b_free.id, file_b=png.id,
                  reviewer=reviewer.id, manager=manager.id, customer_c=customer_c.id, tokens=tokens,
                  emails={"creator_a": creator_a.email, "customer_a": customer_a.email, "creator_b": creator_b.email,
                          "customer_b": customer_b.email, "customer_c": customer_c.email,
                          "reviewer": reviewer.email, "manager": manager.email})
    return w


@pytest.fixture(autouse=True)
def no_server_errors(request):
    """Whatever a test sends, the app must answer it, not crash: no new traceback in its log."""
    if "live_app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("live_app")
    before = len(app.server_errors())
    yield
    new = app.server_errors()[before:]
    assert not new, "the app logged errors:\n" + app.log()[-4000:]


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def anon(live_app):
    with requests.Session() as s:
        yield s


@pytest.fixture
def sign_in(live_app, world):
    sessions = []

    def _sign_in(who: str) -> requests.Session:
        s = requests.Session()
        sessions.append(s)
        form = s.get(live_app.url + "/login")
        answer = s.post(live_app.url + "/login", allow_redirects=False,
                        data={"csrf_token": csrf_token(form.text), "email": world.emails[who], "password": PASSWORD,
                              "next": "", "tz": "UTC"})
        assert answer.status_code == 302, f"{who} could not sign in: {answer.status_code}"
        return s

    yield _sign_in
    for s in sessions:
        s.close()
