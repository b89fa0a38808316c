"""The rollup tables behind every metric (managers' screen, company KPIs, `GET /metrics`).

Each row aggregates the cases opened in one period (`grain` 'h' = one UTC hour, 'd' = one
UTC day, 'm' = one UTC month; `period` the UTC day it starts on and `hour` the UTC hour of
an 'h' row, 0 for the others) for one company (`company_id`, or '' for all companies
together), one payment provider and one reason. Every grain and both company levels are
kept, so a query over any range reads whole months, whole days and the hours at its edges
(a day in the viewer's zone is not a UTC day), and the platform-wide view never sums over
ten thousand companies: what a metric costs grows with the periods and groups it covers,
not with the cases.

The histograms have hourly bins (0 .. BINS-1 hours, BINS = everything from 30 days on),
so a median read from them is exact to the hour.

Written only by `data.rollups.maintain` (at commit, from the changes to cases, money
movements and payments) and `data.rollups.rebuild`; never by hand.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer, PrimaryKeyConstraint, SmallInteger, String, column
from sqlalchemy.orm import Mapped, mapped_column

from data.models import Base

BINS = 720  # hourly bins up to 30 days; bin BINS holds everything from 30 days on

# The counters of `rollup_cases`, each a count of the cases of the row's group for which
# the predicate of the same name in `data.rollups.contrib.counters` holds now.
COUNTERS = (
    "cases", "open", "responded", "escalated", "escalated_ever", "decisions", "decisions_appealed",
    "denials_appealed", "closed", "customer_won", "merchant_won", "withdrawn",
    "st_awaiting_merchant", "st_awaiting_customer", "st_under_review",
    "out_customer_won", "out_merchant_won", "out_withdrawn", "unanswered",
)


def _every(table: str) -> Index:
    """The all-companies rows for every provider and reason ('*'), which the unfiltered
    platform view reads: a tenth of the rows, found without touching the rest."""
    star = column("provider") == "*"
    return Index(f"ix_{table}_every", "grain", "period", postgresql_where=star, sqlite_where=star)


def _counter() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


GROUP_KEY = ("grain", "company_id", "period", "hour", "provider", "reason")
GRAINS = ("h", "d", "m")


def _hour() -> Mapped[int]:
    # The UTC hour of an 'h' row (0 .. 23); 0 for days and months.
    return mapped_column(SmallInteger, server_default="0", sort_order=-3)


class _Group:
    # sort_order puts the key first in the table, in the order the primary key reads it.
    grain: Mapped[str] = mapped_column(String(1), sort_order=-6)
    company_id: Mapped[str] = mapped_column(String(40), sort_order=-5)
    period: Mapped[dt.date] = mapped_column(Date, sort_order=-4)
    hour: Mapped[int] = _hour()
    provider: Mapped[str] = mapped_column(String(30), sort_order=-2)
    reason: Mapped[str] = mapped_column(String(40), sort_order=-1)


class RollupCases(_Group, Base):
    __tablename__ = "rollup_cases"
    KEY = GROUP_KEY
    # The breakdown by company reads every company's rows of a period.
    __table_args__ = (PrimaryKeyConstraint(*KEY), Index("ix_rollup_cases_period", "grain", "period"),
                      _every("rollup_cases"))

    cases: Mapped[int] = _counter()
    open: Mapped[int] = _counter()
    responded: Mapped[int] = _counter()
    escalated: Mapped[int] = _counter()
    escalated_ever: Mapped[int] = _counter()
    decisions: Mapped[int] = _counter()
    decisions_appealed: Mapped[int] = _counter()
    denials_appealed: Mapped[int] = _counter()
    closed: Mapped[int] = _counter()
    customer_won: Mapped[int] = _counter()
    merchant_won: Mapped[int] = _counter()
    withdrawn: Mapped[int] = _counter()
    st_awaiting_merchant: Mapped[int] = _counter()
    st_awaiting_customer: Mapped[int] = _counter()
    st_under_review: Mapped[int] = _counter()
    out_customer_won: Mapped[int] = _counter()
    out_merchant_won: Mapped[int] = _counter()
    out_withdrawn: Mapped[int] = _counter()
    unanswered: Mapped[int] = _counter()


class RollupMoney(_Group, Base):
    """merchant_refund / customer_credit: succeeded movements; case_refunded: the cases'
    own `refunded_minor` (what the company page reports), per currency."""

    __tablename__ = "rollup_money"
    KEY = GROUP_KEY + ("kind", "currency")
    __table_args__ = (PrimaryKeyConstraint(*KEY), _every("rollup_money"))
    kind: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class RollupFirstResponse(_Group, Base):
    """Hours from opening to the merchant's first response, of the cases that have one."""

    __tablename__ = "rollup_first_response"
    KEY = GROUP_KEY + ("bin",)
    __table_args__ = (PrimaryKeyConstraint(*KEY), _every("rollup_first_response"))
    bin: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RollupResolution(_Group, Base):
    """Hours from opening to closing, of the cases closed now, by outcome."""

    __tablename__ = "rollup_resolution"
    KEY = GROUP_KEY + ("outcome", "bin")
    __table_args__ = (PrimaryKeyConstraint(*KEY), _every("rollup_resolution"))
    outcome: Mapped[str] = mapped_column(String(20))
    bin: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RollupPayments(Base):
    """Payments by the UTC hour, day or month they were paid in: the dispute rate's denominator."""

    __tablename__ = "rollup_payments"
    KEY = ("grain", "company_id", "period", "hour", "provider")
    __table_args__ = (PrimaryKeyConstraint(*KEY), _every("rollup_payments"))
    grain: Mapped[str] = mapped_column(String(1))
    company_id: Mapped[str] = mapped_column(String(40))
    period: Mapped[dt.date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    provider: Mapped[str] = mapped_column(String(30))
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OpenCaseCount(Base):
    """Open cases per internal stage and assignee ('' for nobody): the queue's tab counts."""

    __tablename__ = "open_case_counts"
    KEY = ("stage", "assignee_id")
    __table_args__ = (PrimaryKeyConstraint(*KEY),)
    stage: Mapped[str] = mapped_column(String(30))
    assignee_id: Mapped[str] = mapped_column(String(40))
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


ROLLUP_TABLES = (RollupCases, RollupMoney, RollupFirstResponse, RollupResolution, RollupPayments, OpenCaseCount)
