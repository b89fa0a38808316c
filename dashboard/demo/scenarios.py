"""The demo's cases: a library of small scenarios, each a story with its times chosen
backwards from `now` so that open cases are really still waiting and closed ones
closed the way the rules say, and the plan of how many of each to play."""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional

from data.models import Company, User
from dashboard.demo.content import OPENING
from dashboard.demo.story import Story
from dashboard.demo.world import World


class Scenarios:
    def __init__(self, world: World):
        self.w = world
        self.rng, self.now = world.rng, world.now
        self.R, self.A = world.R, world.A  # response and appeal windows, in days

    def ago(self, lo: float, hi: float) -> dt.datetime:
        return self.now - dt.timedelta(days=self.rng.uniform(lo, hi))

    def story(self, customer: Optional[User] = None, company: Optional[Company] = None) -> Story:
        rng = self.rng
        company = company or rng.choices(self.w.companies, weights=(30, 22, 18, 18, 12))[0]
        customer = customer or rng.choice(self.w.customers)
        reason = rng.choices(list(OPENING), weights=(12, 30, 25, 15, 18))[0]
        return Story(self.w, customer, company, reason)

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
        c, cos = self.w.customer, self.w.companies
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

    def play_all(self) -> None:
        for play, count, customer, company in self.plan():
            for _ in range(count):
                st = self.story(customer, company)
                play(st)
                st.finish()
