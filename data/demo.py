"""The demo data set for the embedded default (SPEC §10).

Every case is played through the real domain functions with back-dated `now`
values, the way it would have happened: opened, answered, escalated by the same
deadline functions the scheduler calls, decided, appealed; money settled through
the sandbox gateway and emails delivered (as `.eml` files in MAIL_DIR) at the
moment of each step. So each timeline, email and money movement is a true one.

Unlike the rest of `data/`, this module drives the domain (`dashboard`) and the
outbox job: it is a client of the whole application, not a layer below it.
Deterministic for a given `seed` and `now`. Runs once: `manager@demo.test` marks it.
"""
from __future__ import annotations

import datetime as dt
import random
import struct
import time
import zlib
from typing import Callable, Optional

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from data.db import make_engine, make_session_factory
from data.models import Case, CaseEvent, Company, EvidenceFile, MoneyMovement, OutboxEmail, Payment, User

DEMO_PASSWORD = "demo"
MARKER_EMAIL = "manager@demo.test"
DEMO_LOGINS = (
    ("customer", "customer@demo.test"),
    ("creator", "creator@demo.test"),
    ("reviewer", "reviewer@demo.test"),
    ("reviewer", "reviewer2@demo.test"),
    ("manager", "manager@demo.test"),
)
HISTORY_DAYS = 90


def demo_logins_text() -> str:
    lines = [f"Demo logins (password '{DEMO_PASSWORD}'):"]
    lines += [f"  {role:<9} {email}" for role, email in DEMO_LOGINS]
    return "\n".join(lines)


def is_seeded(session) -> bool:
    return session.scalar(select(User.id).where(User.email == MARKER_EMAIL)) is not None


# --------------------------------------------------------------------------- content
COMPANIES = (
    ("Northwind Academy", "USD", (("Pro membership (monthly)", 2900), ("Trading masterclass", 19900),
                                  ("1:1 coaching call", 15000))),
    ("Pixel Forge Studio", "USD", (("Lightroom preset pack", 1900), ("Procreate brush bundle", 2400),
                                   ("Portfolio review", 8900))),
    ("Cardio Club", "USD", (("Monthly training plan", 3900), ("12-week transformation program", 12900))),
    ("Signal Room", "USD", (("Premium signals (monthly)", 9900), ("VIP Discord access", 4900))),
    ("Lumen Languages", "EUR", (("Spanish A1–B1 course", 14900), ("Conversation sessions (5 pack)", 6000))),
)
EXTRA_CREATORS = (("Nora West", 0), ("Pablo Ruiz", 1), ("Dana Kim", 2), ("Omar Haddad", 3), ("Lea Fischer", 4))
FIRST = ("Ava", "Ben", "Chloe", "Diego", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jonas", "Kira", "Liam", "Maya",
         "Noah", "Olivia", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe")
LAST = ("Nguyen", "Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Okafor", "Tanaka", "Dubois", "Silva", "Novak",
        "Larsen", "Haddad", "Brown", "Ivanova", "Costa")

OPENING = {
    "fraudulent": ("I don't recognise this charge. I never bought {p} and nobody else uses my card.",
                   "My card was used without my permission for {p}. Please reverse it."),
    "product_not_received": ("I paid for {p} but never got access. The login link in the email does not work.",
                             "It has been over a week and {p} was never delivered. Support doesn't answer."),
    "not_as_described": ("{p} was advertised with weekly live sessions; there have been none since I joined.",
                         "The sales page promised far more than {p} contains. Half the modules are empty."),
    "product_unacceptable": ("The files in {p} are corrupted and will not open on any device.",
                             "The quality of {p} is nothing like the previews: blurry and unusable."),
    "subscription_canceled": ("I cancelled before the renewal date but was charged again for {p}.",
                              "I cancelled {p} last month (confirmation attached) and was still billed."),
}
MERCHANT_ASK = ("Could you send a screenshot of the error you see when you log in?",
                "Which email address did you use at checkout? We can't find your account.",
                "Can you tell us which modules are missing so we can check?")
CUSTOMER_REPLY = ("Here is the screenshot of the error page.", "I used this same email address at checkout.",
                  "Modules 4 to 7 are empty, and the replay links give a 404.")
DENIALS = ("Our records show the customer logged in 14 times and downloaded every file. Access log attached.",
           "The customer received access immediately after payment; see the attached delivery receipt.",
           "The renewal happened before the cancellation request, as our terms state at checkout.")
REVIEW_ASK = {"merchant": ("Please send the access log for this customer's account since the purchase.",
                           "Please share proof that the product was delivered."),
              "customer": ("Please send your bank statement line for this charge.",
                           "Please send the cancellation confirmation you mentioned.")}
NOTES = ("Checked the payment provider: no earlier disputes from this customer.",
         "This company's dispute rate is up this month; keep an eye on similar cases.",
         "Customer wrote to support twice before opening the case — looks genuine.")
APPEALS = {"customer": ("I disagree: the access log shows logins from a country I've never been to.",
                        "The decision ignores that the course content was never delivered."),
           "merchant": ("The customer used the product fully; we ask for a second look at the logs.",
                        "The refund is out of proportion: most of the program was delivered.")}
REASONS = {"refund": "The merchant could not show that the product was delivered as sold.",
           "partial": "Part of the program was unavailable for two weeks; a partial refund is fair.",
           "credit": "The product was delivered late; platform credit compensates the customer.",
           "merchant_wins": "The access logs show the customer used the product extensively."}
FINAL = {"uphold": "A second reviewer checked the evidence and agrees with the first decision.",
         "overturn": "On final review the evidence points the other way; the first decision is reversed."}
WITHDRAWALS = ("Sorted it out with the creator directly, thanks!", "My bank explained the charge; my mistake.", None)


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 32) -> bytes:
    """A tiny valid PNG: a checkerboard in `rgb` and white."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += bytes(rgb) if (x // 8 + y // 8) % 2 else b"\xff\xff\xff"
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def _pdf(lines: list[str]) -> bytes:
    """A tiny valid one-page PDF showing `lines` (ASCII)."""
    text = " ".join("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines)
    stream = f"BT /F1 12 Tf 72 720 Td 16 TL {text} ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# ---------------------------------------------------------------------------- stories
class Story:
    """One case, played step by step. Before each step the case's own deadlines that
    fell due are acted on first, as of their due time, exactly as the scheduler would."""

    def __init__(self, seeder: "Seeder", customer: User, company: Company, reason: str):
        self.s, self.customer, self.company, self.reason = seeder, customer, company, reason
        self.creator: User = seeder.rng.choice(seeder.creators[company.id])
        self.case_id: Optional[str] = None
        self.payment_id: Optional[str] = None
        self.clock: Optional[dt.datetime] = None
        self.reviewer: Optional[User] = None

    # -- plumbing
    def _commit_step(self, at: dt.datetime, fn: Callable) -> None:
        s = self.s
        ctx = s.ctx(at)
        fn(ctx)
        s.deliver_emails(ctx, self.case_id)
        s.session.commit()
        self.clock = at
        s.settle_money(at, self.case_id)

    def _catch_up(self, until: dt.datetime) -> None:
        from dashboard.cases import system
        from dashboard.enums import Stage

        while True:
            case = self.s.session.get(Case, self.case_id)
            stage = Stage(case.stage)
            if stage in (Stage.AWAITING_MERCHANT, Stage.AWAITING_CUSTOMER) and case.response_due_at <= until:
                fn, due = system.escalate_overdue, case.response_due_at
            elif stage != Stage.CLOSED and case.response_due_at is not None and case.response_due_at <= until:
                fn, due = system.expire_review_request, case.response_due_at
            elif stage == Stage.CLOSED and not case.final and case.appeal_due_at and case.appeal_due_at <= until:
                fn, due = system.close_appeal_window, case.appeal_due_at
            else:
                return
            self._commit_step(due, lambda ctx, fn=fn: fn(ctx, self.case_id))

    def step(self, at: dt.datetime, fn: Callable) -> "Story":
        assert at < self.s.now, "a demo step in the future"
        if self.clock is not None:
            assert at > self.clock, "demo steps out of order"
            self._catch_up(at)
        self._commit_step(at, fn)
        return self

    def later(self, lo: float, hi: float) -> dt.datetime:
        """Some time after the last step, squeezed to stay before `now`."""
        room = (self.s.now - self.clock).total_seconds() / 86400 * 0.8
        hi = min(hi, room)
        return self.clock + dt.timedelta(days=self.s.rng.uniform(min(lo, hi / 2), hi))

    def finish(self) -> None:
        self._catch_up(self.s.now)

    def _file(self, ctx, owner: User, kind: str) -> list[str]:
        from dashboard.evidence.files import upload

        name, data = self.s.evidence(kind)
        return [upload(ctx, owner, filename=name, data=data).id]

    # -- what people do
    def open(self, at: dt.datetime, *, file: Optional[str] = None) -> "Story":
        from dashboard.cases.opening import open_case

        s, rng = self.s, self.s.rng
        product, amount = rng.choice(s.catalog[self.company.id])
        paid_at = max(at - dt.timedelta(days=rng.uniform(0.1, 25)), s.now - dt.timedelta(days=HISTORY_DAYS - 1))
        payment = s.payment(self.customer, self.company, paid_at, amount=amount, product=product,
                            provider="paypal" if rng.random() < 0.3 else "stripe")
        self.payment_id = payment.id
        message = rng.choice(OPENING[self.reason]).format(p=product)

        def do(ctx):
            files = self._file(ctx, self.customer, file) if file else []
            self.case_id = open_case(ctx, actor=self.customer, payment_id=payment.id, reason=self.reason,
                                     message=message, file_ids=files).id

        return self.step(at, do)

    def ask(self, at):
        from dashboard.cases.party import merchant_request_info

        text = self.s.rng.choice(MERCHANT_ASK)
        return self.step(at, lambda ctx: merchant_request_info(ctx, actor=self.creator, case_id=self.case_id,
                                                               message=text))

    def reply(self, at, *, by: str = "customer", file: Optional[str] = None):
        from dashboard.cases.party import reply

        actor = self.customer if by == "customer" else self.creator
        text = self.s.rng.choice(CUSTOMER_REPLY) if by == "customer" else "Attached is what you asked for."
        return self.step(at, lambda ctx: reply(ctx, actor=actor, case_id=self.case_id, message=text,
                                               file_ids=self._file(ctx, actor, file) if file else ()))

    def accept(self, at):
        from dashboard.cases.party import accept

        text = self.s.rng.choice(("Sorry about this — refund on its way.", None))
        return self.step(at, lambda ctx: accept(ctx, actor=self.creator, case_id=self.case_id, message=text))

    def deny(self, at, *, file: Optional[str] = None):
        from dashboard.cases.party import deny

        text = self.s.rng.choice(DENIALS)
        return self.step(at, lambda ctx: deny(ctx, actor=self.creator, case_id=self.case_id, message=text,
                                              file_ids=self._file(ctx, self.creator, file) if file else ()))

    def withdraw(self, at):
        from dashboard.cases.party import withdraw

        text = self.s.rng.choice(WITHDRAWALS)
        return self.step(at, lambda ctx: withdraw(ctx, actor=self.customer, case_id=self.case_id, message=text))

    def appeal(self, at, by: str):
        from dashboard.cases.party import appeal

        actor = self.customer if by == "customer" else self.creator
        text = self.s.rng.choice(APPEALS[by])
        return self.step(at, lambda ctx: appeal(ctx, actor=actor, case_id=self.case_id, message=text))

    def evidence(self, at, kind: str = "png"):
        from dashboard.cases.party import add_evidence

        return self.step(at, lambda ctx: add_evidence(ctx, actor=self.customer, case_id=self.case_id,
                                                      file_ids=self._file(ctx, self.customer, kind),
                                                      message="One more screenshot."))

    def claim(self, at, reviewer: Optional[User] = None, *, by_manager: bool = False):
        from dashboard.cases.review import assign, claim

        self.reviewer = reviewer or self.s.rng.choice(self.s.reviewers)
        if by_manager:
            return self.step(at, lambda ctx: assign(ctx, actor=self.s.manager, case_id=self.case_id,
                                                    reviewer_id=self.reviewer.id))
        return self.step(at, lambda ctx: claim(ctx, actor=self.reviewer, case_id=self.case_id))

    def note(self, at):
        from dashboard.cases.review import note

        text = self.s.rng.choice(NOTES)
        return self.step(at, lambda ctx: note(ctx, actor=self.reviewer, case_id=self.case_id, message=text))

    def review_ask(self, at, party: str):
        from dashboard.cases.review import request_info_from

        text = self.s.rng.choice(REVIEW_ASK[party])
        return self.step(at, lambda ctx: request_info_from(ctx, actor=self.reviewer, case_id=self.case_id,
                                                           party=party, message=text))

    def decide(self, at, kind: str):
        """kind: refund | partial | credit | partial_credit | merchant_wins"""
        from dashboard.cases.review import decide

        outcome = {"partial": "refund", "partial_credit": "credit"}.get(kind, kind)
        amount = None
        if kind.startswith("partial"):
            full = self.s.session.get(Payment, self.payment_id).amount_minor
            amount = max(100, int(full * self.s.rng.choice((0.3, 0.4, 0.5, 0.6))))
        reason = REASONS["partial" if kind == "partial" else outcome]
        return self.step(at, lambda ctx: decide(ctx, actor=self.reviewer, case_id=self.case_id, outcome=outcome,
                                                reason=reason, amount=amount))

    def final(self, at, decision: str, remedy: Optional[str] = None):
        from dashboard.cases.review import final_decide

        return self.step(at, lambda ctx: final_decide(ctx, actor=self.reviewer, case_id=self.case_id,
                                                      decision=decision, reason=FINAL[decision], remedy=remedy))

    def refunded_elsewhere(self, at):
        from dashboard.cases.system import report_refunded

        return self.step(at, lambda ctx: report_refunded(
            ctx, payment=ctx.session.get(Payment, self.payment_id),
            note="The merchant refunded it from the payment provider's dashboard."))

    def other_reviewer(self) -> User:
        decider = self.reviewer
        return self.s.rng.choice([u for u in (*self.s.reviewers, self.s.manager) if u.id != decider.id])


# ---------------------------------------------------------------------------- seeding
class Seeder:
    def __init__(self, runtime, session, now: dt.datetime, rng: random.Random):
        from jobs.mail import FileTransport

        self.runtime, self.session, self.now, self.rng = runtime, session, now, rng
        self.settings = runtime.settings
        self.transport = FileTransport(self.settings.mail_dir)
        self.R = float(self.settings.response_days)
        self.A = float(self.settings.appeal_days)
        self.creators: dict[str, list[User]] = {}
        self.catalog: dict[str, list[tuple[str, int]]] = {}
        self.currency: dict[str, str] = {}
        self.evidence_count = 0

    def ctx(self, at: dt.datetime):
        from dashboard.context import Ctx

        return Ctx(self.session, at, self.settings)

    def ago(self, lo: float, hi: float) -> dt.datetime:
        return self.now - dt.timedelta(days=self.rng.uniform(lo, hi))

    def deliver_emails(self, ctx, case_id: str) -> None:
        """The step's emails go out at once, as if the outbox job ran that moment. Done
        inside the step's transaction (not by `deliver_outbox`, which takes two more
        transactions per email): the demo is alone, so no lease is needed."""
        from jobs.mail import build_message
        from jobs.outbox import mark_sent, outgoing

        pending = select(OutboxEmail).where(OutboxEmail.case_id == case_id, OutboxEmail.status == "pending")
        for e in self.session.scalars(pending.order_by(OutboxEmail.id)).all():
            e.attempts += 1
            mail = outgoing(e)
            self.transport.send(build_message(mail, self.settings), mail)
            mark_sent(ctx, e)

    def settle_money(self, at: dt.datetime, case_id: str) -> None:
        """Money moves right after the step commits, as the app does (SPEC §6)."""
        from dashboard.money.executor import settle_due

        pending = select(MoneyMovement.id).where(MoneyMovement.case_id == case_id, MoneyMovement.status == "pending")
        if self.session.scalar(pending.limit(1)) is not None:
            settle_due(self.session, self.runtime.gateways, at, settings=self.settings, case_id=case_id)
        else:
            self.session.commit()

    def evidence(self, kind: str) -> tuple[str, bytes]:
        self.evidence_count += 1
        n = self.evidence_count
        if kind == "png":
            colour = self.rng.choice(((70, 130, 180), (200, 80, 60), (90, 160, 90), (150, 110, 200)))
            return f"screenshot-{n}.png", _png(colour)
        if kind == "pdf":
            return f"receipt-{n}.pdf", _pdf([f"Receipt {n:05d}", "Delivery confirmed", "Thank you for your order"])
        return f"chat-log-{n}.txt", (f"[support chat #{n}]\ncustomer: hello, I can't access my purchase\n"
                                     f"agent: we'll look into it\n").encode()

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
        from dashboard import accounts

        ctx = self.ctx(self.now - dt.timedelta(days=HISTORY_DAYS + 30))
        shared_hash = generate_password_hash(DEMO_PASSWORD)  # hashing is slow on purpose: once, not 50 times

        def person(email: str, name: str, role: str, company_id: Optional[str] = None) -> User:
            u = accounts.create_user(ctx, email=email, name=name, role=role, company_id=company_id)
            u.password_hash = shared_hash
            return u

        self.manager = person(MARKER_EMAIL, "Morgan Manager", "manager")
        self.session.flush()  # the marker first: a concurrent seeder stops on its unique email
        self.reviewers = [person("reviewer@demo.test", "Riley Reviewer", "reviewer"),
                          person("reviewer2@demo.test", "Robin Reviewer", "reviewer")]
        self.companies = []
        for i, (name, currency, products) in enumerate(COMPANIES):
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
        from dashboard.cases.system import report_refunded

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

    # -- the cases
    def story(self, customer: Optional[User] = None, company: Optional[Company] = None) -> Story:
        rng = self.rng
        company = company or rng.choices(self.companies, weights=(30, 22, 18, 18, 12))[0]
        customer = customer or rng.choice(self.customers)
        reason = rng.choices(list(OPENING), weights=(12, 30, 25, 15, 18))[0]
        return Story(self, customer, company, reason)

    def maybe_file(self, p: float, kinds=("png", "pdf", "txt")) -> Optional[str]:
        return self.rng.choice(kinds) if self.rng.random() < p else None

    def escalated_at(self, st: Story, esc: dt.datetime) -> Story:
        """A case the merchant ignored, so the platform took it over at `esc`."""
        return st.open(esc - dt.timedelta(days=self.R), file=self.maybe_file(0.4))

    def reviewed(self, st: Story, esc: dt.datetime, until: dt.datetime) -> Story:
        """Escalated at `esc`, claimed by a reviewer some time before `until`."""
        self.escalated_at(st, esc)
        st.claim(esc + (until - esc) * self.rng.uniform(0.1, 0.5), by_manager=self.rng.random() < 0.25)
        if self.rng.random() < 0.3:
            st.note(st.clock + (until - st.clock) * 0.5)
        return st

    # Open cases --------------------------------------------------------------------
    def awaiting_merchant(self, st: Story) -> None:
        st.open(self.ago(0.05, self.R - 0.3), file=self.maybe_file(0.4))
        if self.rng.random() < 0.2:
            st.evidence(st.clock + (self.now - st.clock) * 0.5)

    def awaiting_customer(self, st: Story) -> None:
        asked = self.ago(0.1, self.R - 0.3)
        st.open(asked - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)), file=self.maybe_file(0.3))
        st.ask(asked)

    def merchant_after_reply(self, st: Story) -> None:
        replied = self.ago(0.05, self.R - 0.3)
        asked = replied - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6))
        st.open(asked - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)))
        st.ask(asked).reply(replied, file=self.maybe_file(0.5))

    def escalated_unanswered(self, st: Story) -> None:
        self.escalated_at(st, self.ago(0.05, 20))

    def escalated_claimed(self, st: Story) -> None:
        self.reviewed(st, self.ago(0.5, 20), self.now)

    def escalated_customer_silent(self, st: Story) -> None:
        asked = self.ago(self.R + 0.05, self.R + 15)
        st.open(asked - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)))
        st.ask(asked)

    def appealed_denial(self, st: Story) -> None:
        appealed = self.ago(0.05, 15)
        denied = appealed - dt.timedelta(days=self.rng.uniform(0.1, self.A - 0.3))
        st.open(denied - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)), file=self.maybe_file(0.4))
        st.deny(denied, file=self.maybe_file(0.5, ("pdf",))).appeal(appealed, "customer")
        if self.rng.random() < 0.4:
            st.claim(appealed + (self.now - appealed) * self.rng.uniform(0.1, 0.6))

    def review_awaiting(self, st: Story, party: str) -> None:
        asked = self.ago(0.05, self.R - 0.3)
        self.reviewed(st, asked - dt.timedelta(days=self.rng.uniform(0.3, 8)), asked)
        st.review_ask(asked, party)

    def final_review(self, st: Story, appellant: str, *, ask: Optional[str] = None) -> None:
        end = self.ago(0.05, self.R - 0.3) if ask else self.now
        appealed = end - dt.timedelta(days=self.rng.uniform(0.1, 5 if ask else 12))
        decided = appealed - dt.timedelta(days=self.rng.uniform(0.1, self.A - 0.3))
        self.reviewed(st, decided - dt.timedelta(days=self.rng.uniform(0.3, 4)), decided)
        kinds = ("merchant_wins", "merchant_wins", "partial") if appellant == "customer" else ("refund", "credit")
        st.decide(decided, self.rng.choice(kinds)).appeal(appealed, appellant)
        if ask or self.rng.random() < 0.3:
            st.claim(appealed + (end - appealed) * self.rng.uniform(0.1, 0.6), st.other_reviewer())
        if ask:
            st.review_ask(end, ask)

    # Closed cases ------------------------------------------------------------------
    def accepted(self, st: Story) -> None:
        st.open(self.ago(1, 60), file=self.maybe_file(0.3))
        if self.rng.random() < 0.3:
            st.ask(st.later(0.1, 3)).reply(st.later(0.1, 3))
        st.accept(st.later(0.05, 3))

    def denied(self, st: Story, *, appealable: bool) -> None:
        denied = self.ago(0.05, self.A - 0.3) if appealable else self.ago(self.A + 0.2, 55)
        st.open(denied - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)), file=self.maybe_file(0.3))
        st.deny(denied, file=self.maybe_file(0.5, ("pdf", "txt")))

    def withdrawn(self, st: Story) -> None:
        st.open(self.ago(1, 60))
        if self.rng.random() < 0.4:
            st.ask(st.later(0.1, 3))
        st.withdraw(st.later(0.05, 3))

    def decided(self, st: Story, kind: str, *, appealable: bool) -> None:
        decided = self.ago(0.05, self.A - 0.3) if appealable else self.ago(self.A + 0.2, 45)
        self.reviewed(st, decided - dt.timedelta(days=self.rng.uniform(0.3, 4)), decided)
        st.decide(decided, kind)

    def final_decided(self, st: Story, first: str, verdict: str, remedy: Optional[str] = None) -> None:
        final = self.ago(0.2, 35)
        appealed = final - dt.timedelta(days=self.rng.uniform(0.2, 5))
        decided = appealed - dt.timedelta(days=self.rng.uniform(0.1, self.A - 0.3))
        self.reviewed(st, decided - dt.timedelta(days=self.rng.uniform(0.3, 4)), decided)
        st.decide(decided, first).appeal(appealed, "customer" if first == "merchant_wins" else "merchant")
        st.claim(appealed + (final - appealed) * 0.3, st.other_reviewer())
        st.final(final, verdict, remedy)

    def denial_appeal_decided(self, st: Story, kind: str) -> None:
        appealed = self.ago(2, 40)
        denied = appealed - dt.timedelta(days=self.rng.uniform(0.1, self.A - 0.3))
        st.open(denied - dt.timedelta(days=self.rng.uniform(0.1, self.R - 0.6)))
        st.deny(denied, file=self.maybe_file(0.4, ("pdf",))).appeal(appealed, "customer")
        st.claim(st.later(0.05, 0.8)).decide(st.later(0.1, 1.0), kind)

    def review_silence(self, st: Story, party: str) -> None:
        """The platform asked `party`, who never answered (§3.7)."""
        expired = self.ago(1.5, 25)
        asked = expired - dt.timedelta(days=self.R)
        self.reviewed(st, asked - dt.timedelta(days=self.rng.uniform(0.3, 3)), asked)
        st.review_ask(asked, party)
        if party == "merchant":  # the review goes on without the merchant's answer
            st.decide(expired + dt.timedelta(days=self.rng.uniform(0.1, 1.2)), "refund")

    def refunded_elsewhere(self, st: Story) -> None:
        if self.rng.random() < 0.5:
            st.open(self.ago(1, 50)).refunded_elsewhere(st.later(0.2, self.R - 0.5))
        else:
            escalated = self.ago(1.5, 30)
            self.escalated_at(st, escalated).refunded_elsewhere(escalated + dt.timedelta(days=self.rng.uniform(0.1, 1)))

    def accepted_during_review(self, st: Story) -> None:
        asked = self.ago(1, 40)
        self.reviewed(st, asked - dt.timedelta(days=self.rng.uniform(0.3, 3)), asked)
        st.review_ask(asked, "merchant").accept(st.later(0.1, 0.9))

    def final_customer_silent(self, st: Story) -> None:
        expired = self.ago(0.5, 20)
        asked = expired - dt.timedelta(days=self.R)
        appealed = asked - dt.timedelta(days=self.rng.uniform(0.1, 2))
        decided = appealed - dt.timedelta(days=self.rng.uniform(0.1, self.A - 0.3))
        self.reviewed(st, decided - dt.timedelta(days=self.rng.uniform(0.3, 3)), decided)
        st.decide(decided, "refund").appeal(appealed, "merchant")
        st.claim(appealed + (asked - appealed) * 0.5, st.other_reviewer()).review_ask(asked, "customer")

    # -- the plan
    def plan(self) -> list[tuple[Callable[[Story], None], int, Optional[User], Optional[Company]]]:
        c, cos = self.customer, self.companies
        f = self.final_review
        return [
            # customer@demo.test's own cases, and cases waiting on creator@demo.test's company
            (self.awaiting_merchant, 1, c, cos[0]), (self.awaiting_customer, 1, c, cos[1]),
            (self.escalated_unanswered, 1, c, cos[2]), (self.accepted, 1, c, cos[0]),
            (lambda st: self.denied(st, appealable=True), 1, c, cos[3]),
            (lambda st: self.decided(st, "credit", appealable=True), 1, c, cos[1]),
            (self.awaiting_merchant, 5, None, cos[0]), (self.merchant_after_reply, 1, None, cos[0]),
            (lambda st: self.review_awaiting(st, "merchant"), 1, None, cos[0]),
            (lambda st: f(st, "customer", ask="merchant"), 1, None, cos[0]),
            # open cases
            (self.awaiting_merchant, 10, None, None), (self.awaiting_customer, 7, None, None),
            (self.merchant_after_reply, 4, None, None), (self.escalated_unanswered, 8, None, None),
            (self.escalated_claimed, 8, None, None), (self.escalated_customer_silent, 4, None, None),
            (self.appealed_denial, 6, None, None),
            (lambda st: self.review_awaiting(st, "merchant"), 2, None, None),
            (lambda st: self.review_awaiting(st, "customer"), 3, None, None),
            (lambda st: f(st, "customer"), 4, None, None), (lambda st: f(st, "merchant"), 3, None, None),
            (lambda st: f(st, "merchant", ask="customer"), 1, None, None),
            # closed cases
            (self.accepted, 13, None, None), (lambda st: self.denied(st, appealable=True), 4, None, None),
            (lambda st: self.denied(st, appealable=False), 10, None, None), (self.withdrawn, 8, None, None),
            *((lambda st, k=k, a=a: self.decided(st, k, appealable=a), n, None, None)
              for k, a, n in (("refund", True, 2), ("refund", False, 3), ("partial", True, 2), ("partial", False, 3),
                              ("credit", True, 1), ("credit", False, 3), ("partial_credit", False, 1),
                              ("merchant_wins", True, 2), ("merchant_wins", False, 4))),
            (lambda st: self.final_decided(st, "merchant_wins", "uphold"), 2, None, None),
            (lambda st: self.final_decided(st, "refund", "uphold"), 2, None, None),
            (lambda st: self.final_decided(st, "refund", "overturn"), 2, None, None),
            (lambda st: self.final_decided(st, "credit", "overturn"), 1, None, None),
            (lambda st: self.final_decided(st, "merchant_wins", "overturn", "refund"), 2, None, None),
            (lambda st: self.final_decided(st, "merchant_wins", "overturn", "credit"), 1, None, None),
            (lambda st: self.denial_appeal_decided(st, "refund"), 2, None, None),
            (lambda st: self.denial_appeal_decided(st, "merchant_wins"), 2, None, None),
            (lambda st: self.denial_appeal_decided(st, "partial_credit"), 1, None, None),
            (lambda st: self.review_silence(st, "customer"), 3, None, None),
            (lambda st: self.review_silence(st, "merchant"), 2, None, None),
            (self.refunded_elsewhere, 4, None, None), (self.accepted_during_review, 2, None, None),
            (self.final_customer_silent, 1, None, None),
        ]

    def cases(self) -> None:
        for play, count, customer, company in self.plan():
            for _ in range(count):
                st = self.story(customer, company)
                play(st)
                st.finish()


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def summary(session) -> dict:
    by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    by_outcome = dict(session.execute(select(Case.outcome, func.count()).where(Case.outcome.is_not(None))
                                      .group_by(Case.outcome)).all())
    return {
        "companies": _count(session, Company), "users": _count(session, User),
        "payments": _count(session, Payment), "cases": _count(session, Case),
        "by_status": by_status, "by_outcome": by_outcome,
        "events": _count(session, CaseEvent), "files": _count(session, EvidenceFile),
        "emails_sent": _count(session, OutboxEmail, OutboxEmail.status == "sent"),
        "money_movements": _count(session, MoneyMovement),
    }


def _session_factory(runtime):
    """The runtime's sessions, except on a SQLite file: there the demo's ~2,000 small
    transactions get their own connection with `synchronous=NORMAL`, which in WAL mode
    cannot corrupt the file and skips an fsync per commit (10x faster commits)."""
    engine = runtime.engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return runtime.Session, None
    fast = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(fast, "connect")
    def _relaxed(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return make_session_factory(fast), fast


def seed_demo(runtime, now: dt.datetime, *, seed: int = 20260301) -> dict:
    """Build the demo data set as of `now` unless it exists. Returns what it holds,
    with "created" telling whether this call made it."""
    started = time.perf_counter()
    factory, own_engine = _session_factory(runtime)
    try:
        return _seed(runtime, factory, now, seed, started)
    finally:
        if own_engine is not None:
            own_engine.dispose()


def _seed(runtime, factory, now: dt.datetime, seed: int, started: float) -> dict:
    with factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Thousands of tiny transactions: do not wait for the WAL flush of each. A crash
            # can lose the last ones but never corrupts anything.
            event.listen(session, "after_begin",
                         lambda _s, _tx, conn: conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF"))
        if is_seeded(session):
            return {"created": False, **summary(session)}
        seeder = Seeder(runtime, session, now.astimezone(dt.timezone.utc), random.Random(seed))
        try:
            seeder.people()
        except IntegrityError:  # another process is seeding right now
            session.rollback()
            return {"created": False, **summary(session)}
        seeder.payments_without_cases()
        seeder.cases()
        return {"created": True, "seconds": round(time.perf_counter() - started, 2), **summary(session)}
