"""One demo case, played step by step through the domain, each step as of its own
back-dated moment and in its own transaction, like the app would have done it."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Callable, Optional

from data.models import Case, Company, Payment, User
from dashboard.cases import opening, party, review, system
from dashboard.enums import Stage
from dashboard.evidence.files import upload
from dashboard.demo.content import (APPEALS, CUSTOMER_REPLY, DENIALS, FINAL, HISTORY_DAYS, MERCHANT_ASK, NOTES, OPENING,
                               REASONS, REVIEW_ASK, WITHDRAWALS)

if TYPE_CHECKING:
    from dashboard.demo.world import World


class Story:
    """One case, played step by step. Before each step the case's own deadlines that
    fell due are acted on first, as of their due time, exactly as the scheduler would."""

    def __init__(self, world: "World", customer: User, company: Company, reason: str):
        self.s, self.customer, self.company, self.reason = world, customer, company, reason
        self.creator: User = world.rng.choice(world.creators[company.id])
        self.case_id: Optional[str] = None
        self.payment_id: Optional[str] = None
        self.clock: Optional[dt.datetime] = None
        self.reviewer: Optional[User] = None

    # -- plumbing
    def _commit_step(self, at: dt.datetime, fn: Callable) -> None:
        s = self.s
        ctx = s.ctx(at)
        fn(ctx)
        s.deliver_emails(ctx)
        s.session.commit()
        self.clock = at
        s.settle_money(at, self.case_id)

    def _catch_up(self, until: dt.datetime) -> None:
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
        name, data = self.s.evidence(kind)
        return [upload(ctx, owner, filename=name, data=data).id]

    # -- what people do
    def open(self, at: dt.datetime, *, file: Optional[str] = None) -> "Story":
        s, rng = self.s, self.s.rng
        product, amount = rng.choice(s.catalog[self.company.id])
        paid_at = max(at - dt.timedelta(days=rng.uniform(0.1, 25)), s.now - dt.timedelta(days=HISTORY_DAYS - 1))
        payment = s.payment(self.customer, self.company, paid_at, amount=amount, product=product,
                            provider="paypal" if rng.random() < 0.3 else "stripe")
        self.payment_id = payment.id
        message = rng.choice(OPENING[self.reason]).format(p=product)

        def do(ctx):
            files = self._file(ctx, self.customer, file) if file else []
            self.case_id = opening.open_case(ctx, actor=self.customer, payment_id=payment.id, reason=self.reason,
                                             message=message, file_ids=files).case.id

        return self.step(at, do)

    def ask(self, at: dt.datetime) -> "Story":
        text = self.s.rng.choice(MERCHANT_ASK)
        return self.step(at, lambda ctx: party.merchant_request_info(
            ctx, actor=self.creator, case_id=self.case_id, message=text))

    def reply(self, at: dt.datetime, *, by: str = "customer", file: Optional[str] = None) -> "Story":
        actor = self.customer if by == "customer" else self.creator
        text = self.s.rng.choice(CUSTOMER_REPLY) if by == "customer" else "Attached is what you asked for."
        return self.step(at, lambda ctx: party.reply(
            ctx, actor=actor, case_id=self.case_id, message=text,
            file_ids=self._file(ctx, actor, file) if file else ()))

    def accept(self, at: dt.datetime) -> "Story":
        text = self.s.rng.choice(("Sorry about this — refund on its way.", None))
        return self.step(at, lambda ctx: party.accept(ctx, actor=self.creator, case_id=self.case_id, message=text))

    def deny(self, at: dt.datetime, *, file: Optional[str] = None) -> "Story":
        text = self.s.rng.choice(DENIALS)
        return self.step(at, lambda ctx: party.deny(
            ctx, actor=self.creator, case_id=self.case_id, message=text,
            file_ids=self._file(ctx, self.creator, file) if file else ()))

    def withdraw(self, at: dt.datetime) -> "Story":
        text = self.s.rng.choice(WITHDRAWALS)
        return self.step(at, lambda ctx: party.withdraw(ctx, actor=self.customer, case_id=self.case_id, message=text))

    def appeal(self, at: dt.datetime, by: str) -> "Story":
        actor = self.customer if by == "customer" else self.creator
        text = self.s.rng.choice(APPEALS[by])
        return self.step(at, lambda ctx: party.appeal(ctx, actor=actor, case_id=self.case_id, message=text))

    def evidence(self, at: dt.datetime, kind: str = "png") -> "Story":
        return self.step(at, lambda ctx: party.add_evidence(
            ctx, actor=self.customer, case_id=self.case_id, file_ids=self._file(ctx, self.customer, kind),
            message="One more screenshot."))

    def claim(self, at: dt.datetime, reviewer: Optional[User] = None, *, by_manager: bool = False) -> "Story":
        self.reviewer = reviewer or self.s.rng.choice(self.s.reviewers)
        if by_manager:
            return self.step(at, lambda ctx: review.assign(
                ctx, actor=self.s.manager, case_id=self.case_id, reviewer_id=self.reviewer.id))
        return self.step(at, lambda ctx: review.claim(ctx, actor=self.reviewer, case_id=self.case_id))

    def note(self, at: dt.datetime) -> "Story":
        text = self.s.rng.choice(NOTES)
        return self.step(at, lambda ctx: review.note(ctx, actor=self.reviewer, case_id=self.case_id, message=text))

    def review_ask(self, at: dt.datetime, who: str) -> "Story":
        text = self.s.rng.choice(REVIEW_ASK[who])
        return self.step(at, lambda ctx: review.request_info_from(
            ctx, actor=self.reviewer, case_id=self.case_id, party=who, message=text))

    def decide(self, at: dt.datetime, kind: str) -> "Story":
        """kind: refund | partial | credit | partial_credit | merchant_wins"""
        outcome = {"partial": "refund", "partial_credit": "credit"}.get(kind, kind)
        amount = None
        if kind.startswith("partial"):
            full = self.s.session.get(Payment, self.payment_id).amount_minor
            amount = max(100, int(full * self.s.rng.choice((0.3, 0.4, 0.5, 0.6))))
        reason = REASONS["partial" if kind == "partial" else outcome]
        return self.step(at, lambda ctx: review.decide(
            ctx, actor=self.reviewer, case_id=self.case_id, outcome=outcome, reason=reason, amount=amount))

    def final(self, at: dt.datetime, decision: str, remedy: Optional[str] = None) -> "Story":
        return self.step(at, lambda ctx: review.final_decide(
            ctx, actor=self.reviewer, case_id=self.case_id, decision=decision, reason=FINAL[decision], remedy=remedy))

    def refunded_elsewhere(self, at: dt.datetime) -> "Story":
        return self.step(at, lambda ctx: system.report_refunded(
            ctx, payment=ctx.session.get(Payment, self.payment_id),
            note="The merchant refunded it from the payment provider's dashboard."))

    def other_reviewer(self) -> User:
        """Someone on staff other than the reviewer who decided (for the final review)."""
        decider = self.reviewer
        return self.s.rng.choice([u for u in (*self.s.reviewers, self.s.manager) if u.id != decider.id])
