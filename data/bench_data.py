"""The benchmark data set: a marketplace's two years of disputes, written with PostgreSQL COPY.

Unlike the demo seed (which drives the domain so every timeline is true), this writes rows
directly: a million cases must build in minutes. Each case is *simulated* through the
lifecycle (dashboard/lifecycle.py) from the day it was opened: the merchant answers or not,
deadlines escalate, reviewers decide, parties appeal, money moves and emails go out; the
story stops at `now`, so open cases are the recent ones and every stored field is what the
domain would have written at that point (stage <-> status/escalated, response_due_at only on
awaiting_* stages, appeal windows, decisions, refunds and credits, closed_at, final).

Shape at `cases` = 1,000,000 (everything scales with `cases`): 10,000 companies with a
Zipf-like long tail, 500,000 customers, 2,000,000 payments (half with a case; the rest plain
payments, some of them crypto), ~8 events per case (a few cases with ~500), ~1 outbox row per
case (sent emails are kept OUTBOX_KEEP_DAYS; the timeline keeps every `email_sent`), money
movements and credit entries matching the outcomes, 20 reviewers and 3 managers, and a few
hundred cases overdue (escalations the scheduler has not run yet, the last MISSED_HOURS).

How it is written: one transaction that TRUNCATEs the tables, drops their secondary indexes
and unique constraints (none that a foreign key needs), and streams each chunk of about CHUNK
cases (whole days) with `COPY ... FREEZE`: worker processes simulate the chunks, each from its
own seeded generator, while this process COPYs them in order (at most 2 x workers chunks are
held in memory). Then the indexes are rebuilt exactly as the migrations defined them (their
own `pg_get_indexdef` / `pg_get_constraintdef`). Serial keys come from their sequences in COPY
order. Foreign keys are not checked row by row (`session_replication_role = replica`): the
generator only writes ids it made. Then `data.rollups.rebuild` if that module exists, then
ANALYZE. Ids are the published prefixes plus 16 hex digits drawn from the seeded generators,
so the same seed and `now` give the same database.

This module imports nothing from `dashboard/` or `jobs/`: the domain words it writes are
spelled out below and must follow dashboard/enums.py.
"""
from __future__ import annotations

import collections
import datetime as dt
import importlib
import importlib.util
import io
import math
import multiprocessing
import os
import random
import time
from bisect import bisect
from typing import Callable, Optional

from sqlalchemy import Engine

DAY, HOUR, MINUTE = 86_400, 3_600, 60
SPAN_DAYS = 730  # two years of cases
RESPONSE_DAYS = APPEAL_DAYS = 7  # dashboard.settings defaults
MISSED_HOURS = 24  # escalations due in the last day are left undone: the escalation job's work
OUTBOX_KEEP_DAYS = 95  # sent emails older than this are not in the outbox any more (~1 row per case)
CHUNK = 4_000  # cases per COPY round
QUEUE = 3  # chunks waiting for the writer at most
BIG_CASE_EVERY = 50_000  # one case in this many is a long-running one with ~BIG_CASE_EVENTS
BIG_CASE_EVENTS = 500

# Tables in load order, with the columns each COPY writes (the models' own names).
COLUMNS = {
    "companies": ("id", "name", "support_email", "created_at"),
    "users": ("id", "email", "name", "role", "company_id", "password_hash", "is_active", "session_epoch",
              "created_at"),
    "payments": ("id", "company_id", "customer_id", "provider", "amount_minor", "currency", "product_title",
                 "provider_reference", "paid_at", "refunded_minor", "refunded_at", "refunded_externally", "created_at"),
    "cases": ("id", "payment_id", "company_id", "customer_id", "reason", "message", "amount_minor", "currency",
              "stage", "status", "escalated", "final_review", "customer_appealed", "merchant_appealed", "outcome",
              "refund", "response_due_at", "appeal_due_at", "final", "merchant_info_requests",
              "info_requested_by_id", "assignee_id", "decided_by_id", "decision", "decision_amount_minor",
              "decision_reason", "final_decision", "final_decided_by_id", "refunded_minor", "credited_minor",
              "created_at", "updated_at", "first_merchant_response_at", "escalated_at", "appealed_at", "closed_at",
              "version", "first_platform_action_at", "decided_at", "final_decided_at"),
    "case_events": ("id", "case_id", "action", "reporter_type", "actor_id", "details", "data",
                    "viewable_by_customer", "viewable_by_merchant", "created_at"),
    "outbox_emails": ("case_id", "dedupe_key", "template", "recipient", "subject", "body_text", "body_html",
                      "status", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at"),
    "money_movements": ("case_id", "kind", "amount_minor", "currency", "provider", "idempotency_key", "status",
                        "attempts", "next_attempt_at", "provider_reference", "last_error", "created_at",
                        "completed_at"),
    "credit_entries": ("user_id", "case_id", "amount_minor", "currency", "idempotency_key", "memo",
                       "created_at"),
}
# The serial keys (case_events.seq, outbox/money/credit ids) are left to their sequences: COPY
# order is chunk order, so `seq` follows the cases' opening order as it would in production.

# Domain vocabulary (dashboard/enums.py), with realistic weights.
REASONS = (("product_not_received", 30), ("not_as_described", 25), ("fraudulent", 15),
           ("product_unacceptable", 15), ("subscription_canceled", 15))
CASE_PROVIDERS = (("stripe", 75), ("paypal", 25))  # only fiat payments can have a case
PLAIN_PROVIDERS = (("stripe", 70), ("paypal", 20), ("crypto", 6), ("coinbase_commerce", 4))
CURRENCIES = (("USD", 85), ("EUR", 10), ("GBP", 5))
PRICES = (499, 999, 1499, 1999, 2900, 4900, 9900, 14900, 19900, 49900, 99900)
PRICE_WEIGHTS = (8, 14, 10, 14, 16, 12, 10, 6, 5, 3, 2)
PRODUCTS = ("Membership", "Course", "Coaching call", "Signals group", "Software license", "E-book")

# dashboard.enums.STAGE_STATUS: stage -> (public status, escalated; None keeps it)
STAGE_STATUS = {
    "awaiting_merchant": ("awaiting_merchant", False), "awaiting_customer": ("awaiting_customer", False),
    "under_review": ("under_review", True), "review_awaiting_merchant": ("awaiting_merchant", True),
    "review_awaiting_customer": ("awaiting_customer", True), "final_review": ("under_review", True),
    "final_awaiting_merchant": ("awaiting_merchant", True), "final_awaiting_customer": ("awaiting_customer", True),
    "closed": ("closed", None),
}
N = "\\N"  # COPY's NULL


class _Cut(Exception):
    """The story reached `now`: the case is stored as it stands."""


def _table(pairs) -> list:
    """A weighted choice as a list to index with random(): each value `weight` times."""
    return [value for value, weight in pairs for _ in range(weight)]


class _Generator:
    def __init__(self, *, cases: int, now: dt.datetime, seed: int, companies: Optional[int]):
        self.rng = random.Random(seed)
        self.cases = cases
        self.now = int(now.timestamp())
        self.t0 = self.now - SPAN_DAYS * DAY
        self.n_companies = companies or max(20, cases // 100)
        self.n_customers = max(50, cases // 2)
        self.n_plain = cases  # payments without a case: 2 payments per case in all
        self._days: dict[int, str] = {}
        # Timestamps are whole seconds: "<day prefix><second of the day>", both looked up.
        self._sod = [f"{h:02d}:{m:02d}:{x:02d}+00" for h in range(24) for m in range(60) for x in range(60)]
        self.rnd = self.rng.random
        self.reasons, self.case_providers = _table(REASONS), _table(CASE_PROVIDERS)
        self.plain_providers, self.currencies = _table(PLAIN_PROVIDERS), _table(CURRENCIES)
        self.prices = _table(zip(PRICES, PRICE_WEIGHTS))
        self.seed = seed
        self.lines: dict[str, list[str]] = {t: [] for t in COLUMNS}
        # Zipf-like company sizes (s = 1): a few giants, most companies tiny.
        weights = [1.0 / (i + 1) for i in range(self.n_companies)]
        total, acc = sum(weights), 0.0
        self.company_cum = []
        for w in weights:
            acc += w / total
            self.company_cum.append(acc)
        self.company_ids = [self.id("biz_") for _ in range(self.n_companies)]
        # Large companies have several creators; all of them get the company's emails.
        self.creators: list[list[tuple[str, str]]] = []
        self.customer_ids = [self.id("user_") for _ in range(self.n_customers)]
        self.reviewers = [self.id("user_") for _ in range(20)]
        self.managers = [self.id("user_") for _ in range(3)]
        self.staff = self.reviewers + self.managers[:1]  # who reviews cases
        self.staff_email = {uid: f"reviewer{i}@bench.test" for i, uid in enumerate(self.reviewers)}
        self.staff_email[self.managers[0]] = "manager0@bench.test"
        self.big = set(self.rng.sample(range(cases // 20, cases - cases // 20),
                                       max(1, cases // BIG_CASE_EVERY))) if cases >= 100 else set()

    # ------------------------------------------------------------------ helpers
    def id(self, prefix: str) -> str:
        return f"{prefix}{self.rng.getrandbits(64):016x}"

    def ts(self, s: Optional[int]) -> str:
        if s is None:
            return N
        d, rest = divmod(s, DAY)
        p = self._days.get(d)
        if p is None:
            p = self._days[d] = dt.datetime.fromtimestamp(d * DAY, dt.timezone.utc).strftime("%Y-%m-%d ")
        return p + self._sod[rest]

    def pick(self, table: list):
        return table[int(self.rnd() * len(table))]

    def company(self) -> int:
        return min(bisect(self.company_cum, self.rnd()), self.n_companies - 1)

    def delay(self, median_hours: float, sigma: float) -> int:
        return max(60, int(self.rng.lognormvariate(math.log(median_hours * HOUR), sigma)))

    def customer(self) -> int:
        # Mild skew: a few customers buy (and dispute) far more than the rest.
        return int(self.n_customers * self.rng.random() ** 1.6)

    def emit(self, table: str, fields) -> None:
        self.lines[table].append("\t".join(fields))

    # ----------------------------------------------------------- small tables
    def companies_and_users(self) -> None:
        rng = self.rng
        for i, cid in enumerate(self.company_ids):
            created = self.t0 - rng.randrange(30 * DAY, 900 * DAY)
            self.emit("companies", (cid, f"Company {i:05d}", f"support@company{i:05d}.bench.test", self.ts(created)))
            n = 3 if i < max(1, self.n_companies // 100) else 1
            people = []
            for k in range(n):
                uid = self.id("user_")
                email = f"creator{i}-{k}@bench.test"
                people.append((uid, email))
                self.emit("users", (uid, email, f"Creator {i}-{k}", "creator", cid, N, "t", "0", self.ts(created)))
            self.creators.append(people)
        for i, uid in enumerate(self.customer_ids):
            created = self.t0 - DAY + int(SPAN_DAYS * DAY * rng.random() ** 0.7)
            self.emit("users", (uid, f"customer{i}@bench.test", f"Customer {i}", "customer", N, N, "t", "0",
                                self.ts(created)))
        for role, ids in (("reviewer", self.reviewers), ("manager", self.managers)):
            for i, uid in enumerate(ids):
                self.emit("users", (uid, f"{role}{i}@bench.test", f"{role.capitalize()} {i}", role, N, N, "t", "0",
                                    self.ts(self.t0 - 60 * DAY)))

    # ----------------------------------------------------------- case times
    def day_counts(self) -> list[int]:
        """Cases opened per day: growing over the two years, quieter at weekends."""
        w = [(0.5 + d / SPAN_DAYS) * (0.8 if d % 7 in (5, 6) else 1.0) for d in range(SPAN_DAYS)]
        total, out, acc, given = sum(w), [], 0.0, 0
        for x in w:
            acc += x
            n = round(self.cases * acc / total) - given
            out.append(n)
            given += n
        return out

    # ----------------------------------------------------------- one case
    def case(self, index: int, created: int) -> None:
        rng, now = self.rng, self.now
        company = self.company()
        customer_no = self.customer()
        customer = self.customer_ids[customer_no]
        amount = self.pick(self.prices)
        currency = self.pick(self.currencies)
        provider = self.pick(self.case_providers)
        paid = created - HOUR - int(self.rnd() * 25 * DAY)
        c = {
            "id": self.id("reso_"), "payment_id": self.id("pay_"), "company": company,
            "company_id": self.company_ids[company], "customer_id": customer, "customer_no": customer_no, "amount": amount,
            "currency": currency, "provider": provider, "created": created, "updated": created,
            "stage": "awaiting_merchant", "status": "awaiting_merchant", "escalated": False, "final_review": False,
            "customer_appealed": False, "merchant_appealed": False, "outcome": None, "refund": None,
            "due": None, "appeal_due": None, "final": False, "requests": 0, "asker": None, "assignee": None,
            "decided_by": None, "decision": None, "decision_amount": None, "decision_reason": None,
            "final_decision": None, "final_by": None, "refunded": 0, "credited": 0, "first_response": None,
            "escalated_at": None, "appealed_at": None, "closed_at": None, "events": [], "emails": [],
            "first_platform": None, "decided_at": None, "final_decided_at": None,
            "money": [], "payment_refunded_at": None, "refunded_externally": False,
        }
        try:
            self.story(c, big=index in self.big)
        except _Cut:
            pass
        self.write_case(c, paid)

    def at(self, c, t: int) -> int:
        if t > self.now:
            raise _Cut
        c["updated"] = t
        return t

    def stage(self, c, stage: str, t: int) -> None:
        """dashboard.lifecycle.set_stage: the public fields follow the stage."""
        was_closed = c["stage"] == "closed"
        c["stage"] = stage
        c["status"], escalated = STAGE_STATUS[stage]
        if escalated is not None:
            c["escalated"] = escalated
        c["due"] = t + RESPONSE_DAYS * DAY if c["status"] in ("awaiting_merchant", "awaiting_customer") else None
        if stage == "closed" and not was_closed:
            c["closed_at"] = t
        elif stage != "closed":
            c["closed_at"] = None
        if stage.startswith("final"):
            c["final_review"] = True

    def event(self, c, t: int, action: str, reporter: str, actor: Optional[str], details: str,
              data: Optional[str] = None, staff_only: bool = False, notify: tuple = ()) -> None:
        c["events"].append((t, action, reporter, actor, details, data, staff_only))
        for who in notify:  # "customer" | "merchant" | "asker" (whoever asked for the information)
            if who == "customer":
                self.email(c, t, action, (f"customer{c['customer_no']}@bench.test",))
            elif who == "asker" and c["asker"] in self.staff_email:
                self.email(c, t, action, (self.staff_email[c["asker"]],))
            else:
                self.email(c, t, action, [e for _, e in self.creators[c["company"]]])

    def email(self, c, t: int, template: str, recipients) -> None:
        for r in recipients:
            c["emails"].append((t, template, r))

    # The lifecycle, as the domain would have run it up to `now`.
    def story(self, c, *, big: bool) -> None:
        rng = self.rng
        t = c["created"]
        self.event(c, t, "created", "customer", c["customer_id"], "I was charged but never got access to what I paid for.",
                   notify=("merchant",))
        self.stage(c, "awaiting_merchant", t)
        if big:
            self.escalate(c, c["due"])
            return self.long_review(c)
        if rng.random() < 0.01:  # refunded through the provider while the case waits (§3.10)
            t = self.at(c, t + rng.randrange(HOUR, 5 * DAY))
            c["refunded_externally"], c["payment_refunded_at"], c["refunded"] = True, t, 0
            self.event(c, t, "refunded_elsewhere", "system", None,
                       "The payment was refunded outside the Resolution Center, which settles the case in the "
                       "customer's favour.", notify=("customer", "merchant"))
            self.stage(c, "closed", t)
            c["outcome"], c["refund"], c["final"] = "customer_won", "merchant", True
            return
        while True:  # the merchant's turn
            due = c["due"]
            r = rng.random()
            if r < 0.06:  # the customer withdraws first
                t = self.at(c, t + int((due - t) * rng.uniform(0.02, 0.6)))
                self.event(c, t, "withdrew", "customer", c["customer_id"], "Sorted it out with the seller.",
                           notify=("merchant",))
                self.stage(c, "closed", t)
                c["outcome"], c["refund"], c["final"] = "withdrawn", "none", True
                return
            answer = t + self.delay(16, 1.1)
            if r < 0.16 or answer >= due:  # silence: escalated at the deadline
                return self.review(c, self.escalate(c, due))
            t = self.at(c, answer)
            creator = self.creators[c["company"]][0][0]
            c["first_response"] = c["first_response"] or t
            r = rng.random()
            if c["requests"] < 3 and r < (0.2 if c["requests"] == 0 else 0.05):
                c["requests"] += 1
                c["asker"] = creator
                self.event(c, t, "requested_more_info", "merchant", creator,
                           "Could you send the email address you used at checkout?", '{"from": "customer"}',
                           notify=("customer",))
                self.stage(c, "awaiting_customer", t)
                reply = t + self.delay(10, 1.0)
                if rng.random() < 0.2 or reply >= c["due"]:
                    return self.review(c, self.escalate(c, c["due"]))
                t = self.at(c, reply)
                self.event(c, t, "responded", "customer", c["customer_id"], "Here it is; the order number too.",
                           notify=("merchant",))
                self.stage(c, "awaiting_merchant", t)
                c["asker"] = None
                continue
            if r < 0.55:
                self.event(c, t, "accepted", "merchant", creator, "Sorry about that, refunding you now.",
                           notify=("customer",))
                self.stage(c, "closed", t)
                c["outcome"], c["refund"], c["final"], c["appeal_due"] = "customer_won", "merchant", True, None
                self.movement(c, t, "merchant_refund", c["amount"])
                return
            self.event(c, t, "denied", "merchant", creator, "Access was delivered; our logs show three logins.",
                       notify=("customer",))
            self.stage(c, "closed", t)
            c["outcome"], c["refund"], c["appeal_due"] = "merchant_won", "none", t + APPEAL_DAYS * DAY
            if rng.random() < 0.3:  # the customer appeals the denial: the platform decides, finally
                t = self.at(c, t + int(APPEAL_DAYS * DAY * rng.uniform(0.02, 0.9)))
                self.event(c, t, "appealed", "customer", c["customer_id"], "The logins were not mine.",
                           '{"by": "customer"}', notify=("customer", "merchant"))
                self.stage(c, "under_review", t)
                c["customer_appealed"], c["appealed_at"], c["appeal_due"] = True, t, None
                c["escalated_at"] = c["escalated_at"] or t
                return self.review(c, t)
            return self.close_window(c)

    def escalate(self, c, due: int) -> int:
        if self.now - MISSED_HOURS * HOUR < due <= self.now:
            raise _Cut  # the scheduler has not got to it yet: overdue
        t = self.at(c, due)
        silent = "merchant" if c["stage"] == "awaiting_merchant" else "customer"
        self.event(c, t, "escalated", "system", None,
                   f"The {silent} did not respond in time, so the case was escalated to the platform for review.",
                   f'{{"did_not_respond": "{silent}"}}', notify=("customer", "merchant"))
        self.stage(c, "under_review", t)
        c["escalated_at"] = t
        return t

    def claim(self, c, t: int, *, not_by: Optional[str] = None) -> str:
        reviewer = self.rng.choice([r for r in self.staff if r != not_by])
        t = self.at(c, t)
        self.event(c, t, "assigned", "platform", reviewer, "Claimed the case.",
                   f'{{"assignee_id": "{reviewer}"}}', staff_only=True)
        c["assignee"] = reviewer
        c["first_platform"] = c["first_platform"] or t
        return reviewer

    def review(self, c, t: int) -> None:
        """Under review (first instance, or an appealed denial): claim, maybe ask, decide."""
        rng = self.rng
        reviewer = self.claim(c, t + self.delay(3, 1.0))
        t = c["updated"]
        if rng.random() < 0.25:
            t = self.at(c, t + self.delay(2, 1.0))
            self.event(c, t, "note", "platform", reviewer, "Checked the delivery logs; nothing conclusive.",
                       staff_only=True)
        if rng.random() < 0.2:
            party = rng.choice(("customer", "merchant"))
            t = self.at(c, t + self.delay(4, 1.0))
            c["asker"] = reviewer
            self.event(c, t, "requested_more_info", "platform", reviewer, "Please send proof of delivery or use.",
                       f'{{"from": "{party}"}}', notify=(party,))
            self.stage(c, f"review_awaiting_{party}", t)
            reply = t + self.delay(14, 1.0)
            if rng.random() < 0.25 or reply >= c["due"]:  # no answer by the deadline
                due = self.at(c, c["due"])
                c["asker"] = None
                if party == "customer":
                    self.event(c, due, "no_response", "system", None,
                               "The customer did not provide the requested information in time, so the case was "
                               "closed in the merchant's favour.", notify=("customer", "merchant"))
                    self.stage(c, "closed", due)
                    c["outcome"], c["refund"], c["final"], c["appeal_due"] = "merchant_won", "none", True, None
                    return
                self.event(c, due, "no_response", "system", None,
                           "The merchant did not provide the requested information in time; the review continues "
                           "without it.", notify=("customer", "merchant"))
                self.stage(c, "under_review", due)
                t = due
            else:
                t = self.at(c, reply)
                who = c["customer_id"] if party == "customer" else self.creators[c["company"]][0][0]
                self.event(c, t, "responded", party, who, "Attached what you asked for.", notify=("asker",))
                if party == "merchant":
                    c["first_response"] = c["first_response"] or t
                self.stage(c, "under_review", t)
                c["asker"] = None
        t = self.at(c, t + self.delay(28, 0.7))
        self.decide(c, t, reviewer)

    def decide(self, c, t: int, reviewer: str) -> None:
        rng = self.rng
        r = rng.random()
        appealed = c["customer_appealed"] or c["merchant_appealed"]
        if r < 0.45:
            decision = "refund"
            amount = c["amount"] if rng.random() < 0.85 else max(100, int(c["amount"] * rng.uniform(0.3, 0.9)))
            c["outcome"], c["refund"] = "customer_won", "merchant"
        elif r < 0.6:
            decision, amount = "credit", c["amount"]
            c["outcome"], c["refund"] = "customer_won", "none"
        else:
            decision, amount = "merchant_wins", None
            c["outcome"], c["refund"] = "merchant_won", "none"
        c["decision"], c["decision_amount"], c["decided_by"], c["assignee"] = decision, amount, reviewer, reviewer
        c["decided_at"] = t
        c["decision_reason"] = "Weighed both sides' evidence against the listing."
        self.event(c, t, "decided", "platform", reviewer, "The platform decided the case. " + c["decision_reason"],
                   f'{{"decision": "{decision}", "amount": {amount if amount else "null"}, '
                   f'"final": {"true" if appealed else "false"}}}', notify=("customer", "merchant"))
        self.stage(c, "closed", t)
        if appealed:
            c["final"], c["appeal_due"] = True, None
        else:
            c["appeal_due"] = t + APPEAL_DAYS * DAY
        self.remedy(c, t, decision, amount)
        if appealed:
            return
        if rng.random() < 0.1:  # the loser appeals the platform's decision: final review
            party = "merchant" if c["outcome"] == "customer_won" else "customer"
            t = self.at(c, t + int(APPEAL_DAYS * DAY * rng.uniform(0.02, 0.9)))
            who = c["customer_id"] if party == "customer" else self.creators[c["company"]][0][0]
            self.event(c, t, "appealed", party, who, "This decision overlooks our evidence.", f'{{"by": "{party}"}}',
                       notify=("customer", "merchant"))
            self.stage(c, "final_review", t)
            c[f"{party}_appealed"], c["appealed_at"], c["appeal_due"], c["assignee"] = True, t, None, None
            final_reviewer = self.claim(c, t + self.delay(5, 1.0), not_by=reviewer)
            t = self.at(c, c["updated"] + self.delay(36, 0.7))
            self.final_decide(c, t, final_reviewer)
            return
        self.close_window(c)

    def remedy(self, c, t: int, decision: str, amount: Optional[int]) -> None:
        if decision == "refund":
            self.movement(c, t, "merchant_refund", amount)
        elif decision == "credit":
            self.movement(c, t, "customer_credit", amount)

    def final_decide(self, c, t: int, reviewer: str) -> None:
        rng = self.rng
        overturn = rng.random() < 0.3
        c["final_decision"], c["final_by"], c["assignee"] = ("overturn" if overturn else "uphold"), reviewer, reviewer
        c["final"], c["appeal_due"], c["final_decided_at"] = True, None, t
        remedy = None
        if overturn and c["outcome"] == "merchant_won":
            remedy = "refund" if rng.random() < 0.7 else "credit"
            c["outcome"], c["refund"] = "customer_won", ("merchant" if remedy == "refund" else "none")
        elif overturn:  # a customer win overturned: the customer keeps it, the platform pays the merchant
            if c["refund"] == "merchant":
                c["refund"] = "platform"
                self.movement(c, t, "platform_reimbursement", c["decision_amount"] or c["amount"])
            c["outcome"] = "merchant_won"
        self.event(c, t, "final_decision", "platform", reviewer,
                   f"The appeal was reviewed and the decision {'overturned' if overturn else 'upheld'}.",
                   f'{{"decision": "{c["final_decision"]}", "remedy": {f"{chr(34)}{remedy}{chr(34)}" if remedy else "null"}}}',
                   notify=("customer", "merchant"))
        self.stage(c, "closed", t)
        if remedy:
            self.remedy(c, t, remedy, c["amount"])

    def close_window(self, c) -> None:
        t = self.at(c, c["appeal_due"])
        self.event(c, t, "appeal_window_closed", "system", None,
                   "The appeal window passed without an appeal; the outcome is final.")
        c["final"] = True

    def long_review(self, c) -> None:
        """A case stuck under review for weeks: notes, evidence requests and replies, ~500 events."""
        rng = self.rng
        reviewer = self.claim(c, c["updated"] + HOUR)
        t = c["updated"]
        while len(c["events"]) + len(c["emails"]) < BIG_CASE_EVENTS - 4:
            t = self.at(c, t + rng.randrange(5 * MINUTE, HOUR))
            if rng.random() < 0.7:
                self.event(c, t, "note", "platform", reviewer, "Compared the chat logs with the delivery receipts.",
                           staff_only=True)
            else:
                party = rng.choice(("customer", "merchant"))
                who = c["customer_id"] if party == "customer" else self.creators[c["company"]][0][0]
                self.event(c, t, "responded", party, who, "More context on what happened.", notify=("asker",))

    def movement(self, c, t: int, kind: str, amount: int) -> None:
        c["money"].append((t, kind, amount))

    # ----------------------------------------------------------- rows
    def write_case(self, c, paid: int) -> None:
        rng, rnd, now, ts, lines = self.rng, self.rnd, self.now, self.ts, self.lines
        cid, cur = c["id"], c["currency"]
        events = c["events"]  # (t, action, reporter, actor, details, data, staff_only)
        # Money: the intent at the outcome, paid by the money job seconds later.
        refunded_minor, refunded_at = 0, c["payment_refunded_at"]
        mm = lines["money_movements"]
        for t, kind, amount in c["money"]:
            key = f"{cid}:{kind}"
            done = t + 5 + int(rnd() * 55)
            if kind == "customer_credit":
                mm.append(f"{cid}\t{kind}\t{amount}\t{cur}\tplatform_credit\t{key}\tsucceeded\t1\t{N}\t"
                          f"credit:{key}\t{N}\t{ts(t)}\t{ts(t)}")
                lines["credit_entries"].append(f"{c['customer_id']}\t{cid}\t{amount}\t"
                                               f"{cur}\t{key}\tResolution Center case {cid}\t{ts(t)}")
                c["credited"] += amount
                events.append((t, "credit_issued", "system", None, "Platform credit was added to the customer's "
                               "balance.", f'{{"amount": {amount}, "currency": "{cur}"}}', False))
                continue
            provider = c["provider"] if kind == "merchant_refund" else "platform"
            failed = rnd() < 0.003
            if done > now or (failed and t + 4 * HOUR > now):  # not paid yet: due to the money job
                retrying = done <= now
                mm.append(f"{cid}\t{kind}\t{amount}\t{cur}\t{provider}\t{key}\tpending\t"
                          f"{2 if retrying else 0}\t{ts(min(done, now))}\t{N}\t"
                          f"{'gateway timeout' if retrying else N}\t{ts(t)}\t{N}")
                continue
            if failed:
                mm.append(f"{cid}\t{kind}\t{amount}\t{cur}\t{provider}\t{key}\tfailed\t5\t{N}\t{N}\t"
                          f"card_declined: the charge was disputed\t{ts(t)}\t{N}")
                events.append((t + 3 * HOUR, "refund_failed", "system", None,
                               "Moving the money failed and needs staff: card_declined.", None, True))
                continue
            ref = f"{'tr' if provider == 'platform' else 're'}_{rng.getrandbits(48):012x}"
            mm.append(f"{cid}\t{kind}\t{amount}\t{cur}\t{provider}\t{key}\tsucceeded\t1\t{N}\t{ref}\t{N}\t"
                      f"{ts(t)}\t{ts(done)}")
            if kind == "merchant_refund":
                c["refunded"] += amount
                refunded_minor += amount
                refunded_at = done
                events.append((done, "refund_issued", "system", None,
                               f"The refund went back to the customer through {provider.capitalize()} (ref {ref}).",
                               f'{{"amount": {amount}, "currency": "{cur}", "reference": "{ref}"}}', False))
            else:
                events.append((done, "merchant_reimbursed", "system", None,
                               f"The platform reimbursed the merchant (ref {ref}).", None, False))
        if c["refunded_externally"]:
            refunded_minor = c["amount"]
        # Emails: written with their cause, sent by the outbox job seconds later (an
        # `email_sent` staff event each); sent ones older than OUTBOX_KEEP_DAYS have left the outbox.
        ob = lines["outbox_emails"]
        keep_from = now - OUTBOX_KEEP_DAYS * DAY
        for k, (t, template, recipient) in enumerate(c["emails"]):
            sent = t + 2 + int(rnd() * 38)
            r = rnd()
            status, attempts, next_at, error, sent_at = "sent", 1, N, N, sent
            if sent > now:
                status, attempts, next_at, sent_at = "pending", 0, ts(t), None
            elif r < 0.002:
                status, attempts, error, sent_at = "failed", 5, "550 5.1.1 mailbox unavailable", None
                events.append((sent, "email_failed", "system", None, "The email could not be delivered.", None, True))
            elif r < 0.003 and t > now - 2 * DAY:
                status, attempts, next_at, error, sent_at = "pending", 3, ts(now + 60 + int(rnd() * HOUR)), \
                    "421 4.7.0 try again later", None
            else:
                events.append((sent, "email_sent", "system", None, f"Email sent to {recipient}.", None, True))
            if t >= keep_from or status != "sent":
                ob.append(f"{cid}\tbench:{cid}:{k}\t{template}\t{recipient}\t[{cid}] {template}\t"
                          f"{_BODY_TEXT.format(case=cid, what=template)}\t{_BODY_HTML.format(case=cid, what=template)}"
                          f"\t{status}\t{attempts}\t{next_at}\t{error}\t{ts(t)}\t{ts(sent_at)}")
        events.sort(key=lambda e: e[0])
        ce = lines["case_events"]
        bits = rng.getrandbits
        for t, action, reporter, actor, details, data, staff_only in events:
            if t > now:
                continue
            vis = "f" if staff_only else "t"
            ce.append(f"revt_{bits(64):016x}\t{cid}\t{action}\t{reporter}\t{actor or N}\t{details}\t"
                      f"{data or N}\t{vis}\t{vis}\t{ts(t)}")
        lines["payments"].append(
            f"{c['payment_id']}\t{c['company_id']}\t{c['customer_id']}\t{c['provider']}\t{c['amount']}\t{cur}\t"
            f"{self.pick(PRODUCTS)}\tpi_{bits(48):012x}\t{ts(paid)}\t{refunded_minor}\t"
            f"{ts(refunded_at) if refunded_minor else N}\t{'t' if c['refunded_externally'] else 'f'}\t{ts(paid)}")
        b = lambda v: "t" if v else "f"  # noqa: E731
        o = lambda v: N if v is None else v  # noqa: E731
        # updated_at: what apply() last touched (emails and payouts do not move it).
        lines["cases"].append("\t".join((
            cid, c["payment_id"], c["company_id"], c["customer_id"], self.pick(self.reasons),
            "I was charged but never got access to what I paid for.", str(c["amount"]), cur,
            c["stage"], c["status"], b(c["escalated"]), b(c["final_review"]), b(c["customer_appealed"]),
            b(c["merchant_appealed"]), o(c["outcome"]), o(c["refund"]), ts(c["due"]), ts(c["appeal_due"]),
            b(c["final"]), str(c["requests"]), o(c["asker"]), o(c["assignee"]), o(c["decided_by"]), o(c["decision"]),
            N if c["decision_amount"] is None else str(c["decision_amount"]), o(c["decision_reason"]),
            o(c["final_decision"]), o(c["final_by"]), str(c["refunded"]), str(c["credited"]), ts(c["created"]),
            ts(c["updated"]), ts(c["first_response"]), ts(c["escalated_at"]), ts(c["appealed_at"]),
            ts(c["closed_at"]), str(1 + len(c["events"])), ts(c["first_platform"]), ts(c["decided_at"]),
            ts(c["final_decided_at"]))))

    def plain_payments(self, n: int, start: int, end: int) -> None:
        """Payments without a case, paid in [start, end): renewals, one-offs, crypto."""
        rnd, ts, bits, pick = self.rnd, self.ts, self.rng.getrandbits, self.pick
        out, span = self.lines["payments"], max(1, end - start)
        for _ in range(n):
            paid = start + int(rnd() * span)
            amount, provider = pick(self.prices), pick(self.plain_providers)
            refunded = provider in ("stripe", "paypal") and rnd() < 0.03
            out.append(f"pay_{bits(64):016x}\t{self.company_ids[self.company()]}\t"
                       f"{self.customer_ids[self.customer()]}\t{provider}\t{amount}\t{pick(self.currencies)}\t"
                       f"{pick(PRODUCTS)}\tpi_{bits(48):012x}\t{ts(paid)}\t{amount if refunded else 0}\t"
                       f"{ts(paid + DAY) if refunded else N}\t{'t' if refunded and rnd() < 0.5 else 'f'}\t{ts(paid)}")


_BODY_TEXT = ("Hello,\n\nThere is news on Resolution Center case {case}: {what}. Open the case to see what "
              "happened, what you can do next and by when.\n\nThe Resolution Center team").replace("\n", "\\n")
_BODY_HTML = ("<p>Hello,</p><p>There is news on Resolution Center case <b>{case}</b>: {what}. "
              "<a href=\"https://example.test/cases/{case}\">Open the case</a> to see what happened, what you can do "
              "next and by when.</p><p>The Resolution Center team</p>")

# Secondary indexes and unique constraints of the loaded tables that no foreign key needs:
# dropped before the COPYs and rebuilt after, from their own definitions.
_SECONDARY = """
SELECT c.relname AS tbl, i.relname AS idx, pg_get_indexdef(x.indexrelid) AS indexdef,
       con.conname, pg_get_constraintdef(con.oid) AS condef
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE c.relname = ANY(%s) AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid)
ORDER BY c.relname, i.relname
"""


def _elapsed(t0: float) -> float:
    return max(1e-9, time.perf_counter() - t0)


def _chunks(day_counts: list[int], size: int) -> list[tuple[int, int, int]]:
    """(first day, end day, index of its first case): runs of whole days of about `size` cases."""
    out, first_day, first_case, n, index = [], 0, 0, 0, 0
    for day, count in enumerate(day_counts):
        n += count
        index += count
        if n >= size or day == len(day_counts) - 1:
            out.append((first_day, day + 1, first_case))
            first_day, first_case, n = day + 1, index, 0
    return out


_WORLD: Optional[_Generator] = None  # set before the worker processes fork


def _make_chunk(job: tuple[int, int, int, int]) -> tuple[dict[str, str], dict[str, int], float]:
    """One chunk's rows as COPY text per table, from its own seeded generator."""
    number, first_day, end_day, first_case = job
    t0 = time.perf_counter()
    g = _WORLD
    g.rng = random.Random(f"{g.seed}:{number}")
    g.rnd = g.rng.random
    g.lines = {t: [] for t in COLUMNS}
    counts = g.day_counts()
    index = first_case
    for day in range(first_day, end_day):
        start = g.t0 + day * DAY
        for sec in sorted(int(g.rnd() * DAY) for _ in range(counts[day])):
            g.case(index, start + sec)
            index += 1
    before = round(first_case * g.n_plain / g.cases)
    after = round(index * g.n_plain / g.cases)
    g.plain_payments(after - before, g.t0 + first_day * DAY, g.t0 + end_day * DAY)
    rows = {t: len(v) for t, v in g.lines.items()}
    text = {t: "\n".join(v) + "\n" for t, v in g.lines.items() if v}
    g.lines = {t: [] for t in COLUMNS}
    return text, rows, time.perf_counter() - t0


def generate(engine: Engine, *, cases: int, now: dt.datetime, seed: int = 7, companies: Optional[int] = None,
             progress: Callable[[str], None] = print, workers: Optional[int] = None,
             rebuild_indexes: bool = True) -> dict[str, int]:
    """Write the data set into the (migrated, PostgreSQL) database of `engine`; returns rows per table.

    `workers` processes simulate the chunks (default: one per core; 0 = in this process)
    while this one COPYs them in order; at most 2 x workers chunks are ever held."""
    global _WORLD
    if engine.dialect.name != "postgresql":
        raise RuntimeError("the benchmark data set is written with PostgreSQL COPY")
    started = time.perf_counter()
    g = _Generator(cases=cases, now=now, seed=seed, companies=companies)
    workers = (os.cpu_count() or 1) if workers is None else workers
    tables = list(COLUMNS)
    rows = {t: 0 for t in tables}
    copy_s = {t: 0.0 for t in tables}
    raw = engine.raw_connection()
    pool = None
    try:
        cur = raw.cursor()

        def copy(table: str, text: str, n: int) -> None:
            t0 = time.perf_counter()
            cur.copy_expert(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN WITH (FREEZE)",
                            io.StringIO(text), size=1 << 18)
            copy_s[table] += time.perf_counter() - t0
            rows[table] += n

        cur.execute("SET session_replication_role = replica")  # no per-row FK triggers
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")
        # FREEZE needs the tables emptied in this transaction; it also spares the VACUUM.
        cur.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")
        secondary = []
        if rebuild_indexes:
            cur.execute(_SECONDARY, (tables,))
            secondary = cur.fetchall()
            for tbl, idx, _indexdef, conname, _condef in secondary:
                cur.execute(f'ALTER TABLE {tbl} DROP CONSTRAINT "{conname}"' if conname else f'DROP INDEX "{idx}"')
        t0 = time.perf_counter()
        g.companies_and_users()
        for t in ("companies", "users"):
            copy(t, "\n".join(g.lines[t]) + "\n", len(g.lines[t]))
            g.lines[t] = []
        progress(f"  companies {rows['companies']:,} rows, users {rows['users']:,} rows ({_elapsed(t0):.1f} s)")

        jobs = [(k, *chunk) for k, chunk in enumerate(_chunks(g.day_counts(), CHUNK))]
        _WORLD = g
        if workers > 0:
            pool = multiprocessing.get_context("fork").Pool(workers)
            window: collections.deque = collections.deque()
            pending = iter(jobs)

            def results():
                for job in pending:
                    window.append(pool.apply_async(_make_chunk, (job,)))
                    if len(window) >= 2 * workers:
                        yield window.popleft().get()
                while window:
                    yield window.popleft().get()
        else:
            def results():
                for job in jobs:
                    yield _make_chunk(job)

        gen_t0, last, done, gen_s = time.perf_counter(), time.perf_counter(), 0, 0.0
        for number, (text, counts, seconds) in enumerate(results()):
            gen_s += seconds
            for t in tables:
                if t in text:
                    copy(t, text.pop(t), counts[t])
            done = rows["cases"]
            if time.perf_counter() - last >= 10 or number == len(jobs) - 1:
                last = time.perf_counter()
                el = _elapsed(gen_t0)
                progress(f"  {done:>11,} / {cases:,} cases ({done / el:,.0f} cases/s), "
                         f"{rows['case_events']:,} events, {rows['payments']:,} payments, "
                         f"{rows['outbox_emails']:,} emails; {el:.0f} s")
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
        load_s = _elapsed(gen_t0)
        for t in tables:
            progress(f"  {t:<16} {rows[t]:>11,} rows  {rows[t] / load_s:>9,.0f} rows/s "
                     f"(COPY {copy_s[t]:.1f} s: {rows[t] / max(copy_s[t], 1e-9):,.0f} rows/s)")
        progress(f"  generated ({workers or 1} process{'es' if workers > 1 else ''}, {gen_s:.0f} CPU-s) and copied in "
                 f"{load_s:.0f} s: {sum(rows.values()) / load_s:,.0f} rows/s over all tables")
        t1 = time.perf_counter()
        for tbl, idx, indexdef, conname, condef in secondary:
            ti = time.perf_counter()
            cur.execute(f'ALTER TABLE {tbl} ADD CONSTRAINT "{conname}" {condef}' if conname else indexdef)
            if time.perf_counter() - ti > 5:
                progress(f"  index {idx}: {time.perf_counter() - ti:.0f} s")
        if secondary:
            progress(f"  {len(secondary)} secondary indexes and unique constraints rebuilt in {_elapsed(t1):.0f} s")
        cur.execute("RESET ALL")
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        _WORLD = None
        if pool is not None:
            pool.terminate()
        raw.close()
    if importlib.util.find_spec("data.rollups") is not None:
        t2 = time.perf_counter()
        importlib.import_module("data.rollups").rebuild(engine, progress=progress)
        progress(f"  rollups rebuilt in {_elapsed(t2):.0f} s")
    t3 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    progress(f"  ANALYZE in {_elapsed(t3):.0f} s; data set built in {_elapsed(started):.0f} s")
    return rows
