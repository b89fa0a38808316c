"""What one case, money movement or payment contributes to the rollups.

This is the one definition of every metric: `maintain` adds a row's contribution when it
appears, subtracts its old one and adds its new one when it changes, and `rebuild`
sums the contributions of every row. So the two can never disagree, and a metric is a
sum over rollup rows of what these functions say.

Facts are plain tuples of the columns a contribution reads, so the same code works on
ORM objects (old values from attribute history) and on rows streamed from the database.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple, Optional

from data.rollups.models import BINS

HOUR = dt.timedelta(hours=1)
CLOSED = "closed"
MONEY_KINDS = ("merchant_refund", "customer_credit")


class CaseFacts(NamedTuple):
    created_at: dt.datetime
    company_id: str
    payment_id: str
    reason: str
    stage: str
    status: str
    escalated: bool
    escalated_at: Optional[dt.datetime]
    first_merchant_response_at: Optional[dt.datetime]
    decision: Optional[str]
    final_review: bool
    customer_appealed: bool
    merchant_appealed: bool
    outcome: Optional[str]
    closed_at: Optional[dt.datetime]
    refunded_minor: int
    currency: str
    assignee_id: Optional[str]


class MovementFacts(NamedTuple):
    case_id: str
    kind: str
    currency: str
    amount_minor: int
    status: str


class PaymentFacts(NamedTuple):
    paid_at: dt.datetime
    company_id: str
    provider: str


CASE_FIELDS = CaseFacts._fields
MOVEMENT_FIELDS = MovementFacts._fields
PAYMENT_FIELDS = PaymentFacts._fields

# (UTC hour the case was opened in, as an aware datetime on the hour; company id, provider, reason)
Group = tuple[dt.datetime, str, str, str]


def hour_bin(later: dt.datetime, earlier: dt.datetime) -> int:
    """Whole hours from `earlier` to `later`, 0 .. BINS (BINS = 30 days or more)."""
    return max(0, min(BINS, (later - earlier) // HOUR))


def utc_day(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.timezone.utc).date()


def utc_hour(at: dt.datetime) -> dt.datetime:
    """The UTC hour `at` falls in (naive values, as SQLite returns them through Core, are UTC)."""
    at = at.replace(tzinfo=dt.timezone.utc) if at.tzinfo is None else at.astimezone(dt.timezone.utc)
    return at.replace(minute=0, second=0, microsecond=0)


def median_hours(hours: dict[int, int]) -> Optional[int]:
    """The hour bin of the middle case (of the lower of the two middle cases for an even
    count), so the median is exact to the hour; None without cases."""
    total = sum(hours.values())
    if not total:
        return None
    rank, seen = (total + 1) // 2, 0
    for h in sorted(hours):
        seen += hours[h]
        if seen >= rank:
            return h
    return None  # unreachable


def group_of(case: CaseFacts, provider: str) -> Group:
    return utc_hour(case.created_at), case.company_id, provider, case.reason


def counters(c: CaseFacts) -> dict[str, int]:
    """The counters this case adds to its group, by name (see models.COUNTERS)."""
    appealed = bool(c.customer_appealed or c.merchant_appealed)
    closed = c.status == CLOSED
    flags = {
        "cases": True,
        "open": not closed,
        "responded": c.first_merchant_response_at is not None,
        "escalated": bool(c.escalated),
        "escalated_ever": bool(c.escalated) or c.escalated_at is not None,
        # A platform decision that could be appealed: not the decision on an appealed
        # denial (that one is final, SPEC §3.4). One that went to final review was appealed.
        "decisions": c.decision is not None and (bool(c.final_review) or not appealed),
        "decisions_appealed": bool(c.final_review),
        "denials_appealed": appealed and not c.final_review,
        "closed": closed,
        "customer_won": closed and c.outcome == "customer_won",
        "merchant_won": closed and c.outcome == "merchant_won",
        "withdrawn": closed and c.outcome == "withdrawn",
        "st_awaiting_merchant": c.status == "awaiting_merchant",
        "st_awaiting_customer": c.status == "awaiting_customer",
        "st_under_review": c.status == "under_review",
        "out_customer_won": c.outcome == "customer_won",
        "out_merchant_won": c.outcome == "merchant_won",
        "out_withdrawn": c.outcome == "withdrawn",
        # Never answered and not withdrawn: the company page counts these once the
        # response window has passed (the boundary day is read from the cases).
        "unanswered": c.first_merchant_response_at is None and c.outcome != "withdrawn",
    }
    return {name: 1 for name, on in flags.items() if on}


class Delta:
    """Signed sums keyed by rollup group, ready to be added to the tables."""

    def __init__(self) -> None:
        self.cases: dict[Group, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.money: dict[tuple, int] = defaultdict(int)          # group + (kind, currency)
        self.first_response: dict[tuple, int] = defaultdict(int)  # group + (bin,)
        self.resolution: dict[tuple, int] = defaultdict(int)      # group + (outcome, bin)
        self.payments: dict[tuple, int] = defaultdict(int)        # (hour, company, provider)
        self.stages: dict[tuple[str, str], int] = defaultdict(int)  # (stage, assignee or '')

    def add_case(self, c: CaseFacts, provider: str, sign: int = 1) -> None:
        g = group_of(c, provider)
        row = self.cases[g]
        for name, n in counters(c).items():
            row[name] += sign * n
        if c.refunded_minor:
            self.money[g + ("case_refunded", c.currency)] += sign * int(c.refunded_minor)
        if c.first_merchant_response_at is not None:
            self.first_response[g + (hour_bin(c.first_merchant_response_at, c.created_at),)] += sign
        if c.status == CLOSED and c.closed_at is not None:
            self.resolution[g + (c.outcome or "unknown", hour_bin(c.closed_at, c.created_at))] += sign
        if c.status != CLOSED:
            self.stages[(c.stage, c.assignee_id or "")] += sign

    def add_movement(self, m: MovementFacts, case_group: Group, sign: int = 1) -> None:
        if m.status == "succeeded" and m.kind in MONEY_KINDS:
            self.money[case_group + (m.kind, m.currency)] += sign * int(m.amount_minor)

    def add_payment(self, p: PaymentFacts, sign: int = 1) -> None:
        self.payments[(utc_hour(p.paid_at), p.company_id, p.provider)] += sign

    def is_empty(self) -> bool:
        return not any(self.nonzero())

    def nonzero(self):
        """(table name, key, values) of every entry that changes something."""
        for g, row in self.cases.items():
            values = {k: v for k, v in row.items() if v}
            if values:
                yield "cases", g, values
        for name in ("money", "first_response", "resolution", "payments", "stages"):
            for key, v in getattr(self, name).items():
                if v:
                    yield name, key, v
