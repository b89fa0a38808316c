"""Cases for the reviewer-queue tests, each brought to its state through the domain's own
actions (one committed transaction per action, at an explicit moment), so the queue is
tested against states the app really produces.

    qc = QueueCases(Session, settings, w)
    cid = qc.under_review(at=T0)          # opened at T0, escalated 7 days later
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from data.models import Case, User
from dashboard.cases import opening, party, review, system
from dashboard.context import Ctx
from tests import factories
from tests.factories import T0, days

H = dt.timedelta(hours=1)


class QueueCases:
    def __init__(self, Session, settings, w):  # noqa: N803
        self.Session, self.settings, self.w = Session, settings, w

    def do(self, fn, *args, at: dt.datetime, **kwargs):
        with self.Session.begin() as s:
            result = fn(Ctx(s, at, self.settings), *args, **kwargs)
            return result.id if isinstance(result, Case) else result

    def get(self, case_id: str) -> Case:
        with self.Session() as s:
            return s.get(Case, case_id)

    # ---------------------------------------------------------------- reaching states
    def open(self, *, at: dt.datetime = T0, customer: Optional[User] = None, company=None, amount: int = 5000,
             currency: str = "USD", provider: str = "stripe", reason: str = "product_not_received") -> str:
        customer = customer or self.w.customer
        company = company or self.w.company
        with self.Session.begin() as s:
            ctx = Ctx(s, at, self.settings)
            pay = factories.payment(ctx, company=company, customer=customer, amount_minor=amount, currency=currency,
                                    provider=provider, paid_at=at - days(1))
            return opening.open_case(ctx, actor=customer, payment_id=pay.id, reason=reason,
                                     message="I paid and never got access.").case.id

    def customer_of(self, case_id: str) -> User:
        with self.Session() as s:
            return s.get(User, s.get(Case, case_id).customer_id)

    def creator_for(self, case_id: str) -> User:
        return self.w.creator if self.get(case_id).company_id == self.w.company.id else self.w.other_creator

    def awaiting_customer(self, *, at: dt.datetime = T0, **kw) -> str:
        cid = self.open(at=at, **kw)
        self.do(party.merchant_request_info, actor=self.creator_for(cid), case_id=cid,
                message="Which email did you buy with?", at=at + H)
        return cid

    def under_review(self, *, at: dt.datetime = T0, **kw) -> str:
        """The merchant stayed silent for 7 days: escalated at `at + 7 days`."""
        cid = self.open(at=at, **kw)
        self.do(system.escalate_overdue, cid, at=at + days(7))
        return cid

    def appealed_denial(self, *, at: dt.datetime = T0, **kw) -> str:
        """Denied an hour after opening, appealed by the customer at `at + 2h`."""
        cid = self.open(at=at, **kw)
        self.do(party.deny, actor=self.creator_for(cid), case_id=cid, message="Access was granted.", at=at + H)
        self.do(party.appeal, actor=self.customer_of(cid), case_id=cid, message="It was not.", at=at + 2 * H)
        return cid

    def review_awaiting(self, who: str, *, by: Optional[User] = None, at: dt.datetime = T0, **kw) -> str:
        """Under review, then the reviewer asks `who` at `at + 7d + 1h` (and so holds the case)."""
        cid = self.under_review(at=at, **kw)
        self.do(review.request_info_from, actor=by or self.w.reviewer, case_id=cid, party=who,
                message="Please send more details.", at=at + days(7) + H)
        return cid

    def decided(self, *, by: Optional[User] = None, at: dt.datetime = T0, **kw) -> str:
        """Under review, decided for the merchant at `at + 7d + 1h` (closed, assigned to `by`)."""
        cid = self.under_review(at=at, **kw)
        self.do(review.decide, actor=by or self.w.manager, case_id=cid, outcome="merchant_wins",
                reason="The logs show access.", at=at + days(7) + H)
        return cid

    def final_review(self, *, at: dt.datetime = T0, **kw) -> str:
        """Decided, then appealed by the customer at `at + 7d + 2h`."""
        cid = self.decided(at=at, **kw)
        self.do(party.appeal, actor=self.customer_of(cid), case_id=cid, message="Please look again.",
                at=at + days(7) + 2 * H)
        return cid

    def accepted(self, *, at: dt.datetime = T0, **kw) -> str:
        cid = self.open(at=at, **kw)
        self.do(party.accept, actor=self.creator_for(cid), case_id=cid, at=at + H)
        return cid

    def claim(self, case_id: str, user: User, *, at: dt.datetime) -> None:
        self.do(review.claim, actor=user, case_id=case_id, at=at)
