"""The demo world's people, payments and plumbing: a session, the clock helpers, and
money and email going out at the moment of each step."""
from __future__ import annotations

import datetime as dt
import random
from typing import Optional

from sqlalchemy import event, update
from werkzeug.security import generate_password_hash

from data.models import Company, MoneyMovement, OutboxEmail, Payment, StaffNotification, User
from dashboard import accounts, duty
from dashboard.cases.system import report_refunded
from dashboard.context import Ctx
from dashboard.money.executor import settle_due
from dashboard.demo import content
from dashboard.demo.content import (COMPANIES, DEMO_PASSWORD, DEMO_ZONES, EXTRA_CREATORS, FIRST, HISTORY_DAYS, LAST,
                                    MARKER_EMAIL, OTHER_ZONES, SECOND_REVIEWER)
from dashboard.notifications.mail import FileTransport, build_message
from dashboard.notifications.outbox import mark_sent, outgoing


class World:
    """The demo's session, clock and people. Scenarios and stories act through it."""

    def __init__(self, runtime, session, now: dt.datetime, rng: random.Random):
        self.runtime, self.session, self.now, self.rng = runtime, session, now, rng
        self.settings = runtime.settings
        self.transport = FileTransport(self.settings.mail_dir)
        self.R = float(self.settings.response_days)
        self.A = float(self.settings.appeal_days)
        self.creators: dict[str, list[User]] = {}
        self.catalog: dict[str, list[tuple[str, int]]] = {}
        self.currency: dict[str, str] = {}
        self.evidence_count = 0
        self.money_due = False  # a step recorded a movement to pay
        self.queued_emails: list[OutboxEmail] = []  # ... or emails to send
        event.listen(session, "before_flush", self._watch_flush)

    def ctx(self, at: dt.datetime) -> Ctx:
        return Ctx(self.session, at, self.settings)

    def ago(self, lo: float, hi: float) -> dt.datetime:
        return self.now - dt.timedelta(days=self.rng.uniform(lo, hi))

    def deliver_emails(self, ctx) -> None:
        """The step's emails go out at once, as if the outbox job ran that moment. Done
        inside the step's transaction (not by `deliver_outbox`, which takes two more
        transactions per email): the demo is alone, so no lease is needed."""
        queued, self.queued_emails = self.queued_emails, []
        for e in sorted(queued, key=lambda e: e.id):
            e.attempts += 1
            mail = outgoing(e)
            self.transport.send(build_message(mail, self.settings), mail)
            mark_sent(ctx, e)

    def _watch_flush(self, session, _flush_context, _instances) -> None:
        """Notice what a step queued (emails to deliver, money to move) without querying."""
        for o in session.new:
            if isinstance(o, OutboxEmail) and o.status == "pending":
                self.queued_emails.append(o)
            elif isinstance(o, MoneyMovement) and o.status == "pending":
                self.money_due = True

    def settle_money(self, at: dt.datetime, case_id: str) -> None:
        """Money moves right after the step commits, as the app does (SPEC §6)."""
        if self.money_due:
            self.money_due = False
            settle_due(self.session, self.runtime.gateways, at, settings=self.settings, case_id=case_id)

    def evidence(self, kind: str) -> tuple[str, bytes]:
        self.evidence_count += 1
        return content.evidence(kind, self.evidence_count, self.rng)

    def payment(self, customer: User, company: Company, paid_at: dt.datetime, *, amount: Optional[int] = None,
                product: Optional[str] = None, provider: str = "stripe") -> Payment:
        if amount is None:
            product, amount = self.rng.choice(self.catalog[company.id])
        p = Payment(company_id=company.id, customer_id=customer.id, provider=provider, amount_minor=amount,
                    currency=self.currency[company.id], product_title=product, paid_at=paid_at, created_at=paid_at)
        self.session.add(p)
        self.session.flush()
        return p

    # -- people
    def people(self) -> None:
        ctx = self.ctx(self.now - dt.timedelta(days=HISTORY_DAYS + 30))
        shared_hash = generate_password_hash(DEMO_PASSWORD)  # hashing is slow on purpose: once, not 50 times

        def person(email: str, name: str, role: str, company_id: Optional[str] = None) -> User:
            # People sit in a few zones, so emails and screens show deadlines in each one's own.
            # Chosen by position, not by self.rng: the rest of the seed stays as it was.
            zone = DEMO_ZONES.get(email) or OTHER_ZONES[len(zoned) % len(OTHER_ZONES)]
            u = accounts.create_user(ctx, email=email, name=name, role=role, company_id=company_id, time_zone=zone)
            u.password_hash = shared_hash
            zoned.append(u)
            return u

        zoned: list[User] = []

        self.manager = person(MARKER_EMAIL, "Morgan Manager", "manager")
        self.session.flush()  # the marker first: a concurrent seeder stops on its unique email
        self.reviewers = [person("reviewer@demo.test", "Riley Reviewer", "reviewer"),
                          person(SECOND_REVIEWER, "Robin Reviewer", "reviewer")]
        for member in (self.manager, *self.reviewers):
            # The history's staff notifications are not emailed (months of past escalations
            # would sit in the outbox as due); `settle_history` gives them back email at once.
            member.notify_mode = "off"
        self.companies = []
        for name, currency, products in COMPANIES:
            slug = name.split()[0].lower()
            co = accounts.create_company(ctx, name=name, support_email=f"support@{slug}.demo.test")
            self.companies.append(co)
            self.catalog[co.id], self.currency[co.id] = list(products), currency
            self.creators[co.id] = []
        self.creators[self.companies[0].id].append(
            person("creator@demo.test", "Casey Creator", "creator", self.companies[0].id))
        for name, index in EXTRA_CREATORS:
            co = self.companies[index]
            email = name.lower().replace(" ", ".") + "@demo.test"
            self.creators[co.id].append(person(email, name, "creator", co.id))
        self.customer = person("customer@demo.test", "Charlie Customer", "customer")
        self.customers = []
        names = [(f, last) for f in FIRST for last in LAST]
        for first, last in self.rng.sample(names, 39):
            email = f"{first}.{last}".lower().replace("ü", "ue") + "@demo.test"
            self.customers.append(person(email, f"{first} {last}", "customer"))
        self.session.commit()

    # -- payments without cases (the customer page shows why each can or cannot be disputed)
    def payments_without_cases(self) -> None:
        rng, days = self.rng, dt.timedelta(days=1)
        c, cos = self.customer, self.companies
        for company, provider, age in ((cos[0], "stripe", 2.5), (cos[2], "paypal", 6), (cos[1], "stripe", 15),
                                       (cos[3], "crypto", 4), (cos[3], "coinbase_commerce", 10),
                                       (cos[0], "stripe", 45), (cos[4], "paypal", 70)):
            self.payment(c, company, self.now - age * days, provider=provider)
        refunded = self.payment(c, cos[1], self.now - 9 * days)
        report_refunded(self.ctx(self.now - 7 * days), payment=refunded, note="Refunded by the creator.")
        providers = ("stripe",) * 10 + ("paypal",) * 5 + ("crypto",) * 3 + ("coinbase_commerce",) * 2
        for customer in self.customers:
            for _ in range(rng.randint(1, 3)):
                paid = self.ago(0.5, HISTORY_DAYS - 1)
                p = self.payment(customer, rng.choice(cos), paid, provider=rng.choice(providers))
                refund_at = paid + rng.uniform(1, 10) * days
                if p.provider in ("stripe", "paypal") and rng.random() < 0.12 and refund_at < self.now:
                    report_refunded(self.ctx(refund_at), payment=p)
        self.session.commit()

    def settle_history(self) -> None:
        """After the stories: the staff have read what arrived before the last day (a fresh
        demo's bell shows the day's work, not 99+ of history), are emailed at once from now
        on, and the manager has put Riley on duty, so new escalations and appeals go to the
        person on duty (not to every reviewer) and the auto-assignment hands them work."""
        ctx = self.ctx(self.now)
        n = StaffNotification
        self.session.execute(update(n).where(n.read_at.is_(None), n.created_at < self.now - dt.timedelta(days=1))
                             .values(read_at=n.created_at).execution_options(synchronize_session=False))
        duty.set_duty(ctx, actor=self.manager, user_id=self.reviewers[0].id, on_duty=True)
        # The auto-assignment's first run after that (the job's rule, `jobs.assignment`): Riley
        # is given cases up to capacity; the rest wait in the queue for someone to claim.
        cases = duty.claim_unassigned(ctx, limit=500)
        parked, staff = duty.parked(ctx, [c.id for c in cases]), duty.on_duty_staff(ctx)
        for case in cases:
            to = None if case.id in parked else duty.pick(staff, case)
            if to is not None:
                duty.assign_automatically(ctx, case, to)
        self.deliver_emails(ctx)
        for member in (self.manager, *self.reviewers):
            member.notify_mode = "immediate"
        self.session.commit()
