"""`GET /metrics`: counts, rates, medians and money over a range of opening days."""
from __future__ import annotations

from typing import Optional

from dashboard.api.schemas.cases import OutcomeCounts, ReasonCounts, StatusCounts
from dashboard.api.schemas.common import Answer


class DayRange(Answer):
    start: str  # YYYY-MM-DD, UTC, included
    end: str


class CaseCounts(Answer):
    total: int
    open: int
    closed: int
    escalated: int
    decisions: int
    decisions_appealed: int
    denials_appealed: int
    by_status: StatusCounts  # type: ignore[valid-type]
    by_outcome: OutcomeCounts  # type: ignore[valid-type]
    by_reason: ReasonCounts  # type: ignore[valid-type]


class Rates(Answer):
    """Shares from 0 to 1; null when there is nothing to divide by."""

    escalation: Optional[float]
    appeal: Optional[float]
    customer_win: Optional[float]
    merchant_win: Optional[float]


class MoneyTotal(Answer):
    currency: str
    amount: float
    amount_minor: int


class MoneyMoved(Answer):
    refunded: list[MoneyTotal]
    credited: list[MoneyTotal]


class Metrics(Answer):
    range: DayRange
    cases: CaseCounts
    rates: Rates
    median_first_response_seconds: Optional[float]
    median_resolution_seconds: Optional[float]
    money: MoneyMoved
