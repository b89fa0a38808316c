"""Reads of the rollups beyond the metrics screen: the queue's tab counts and a company's
own numbers on its page. Both cost what their few rollup rows cost, whatever the cases."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data.models import Case
from data.rollups.contrib import median_hours
from data.rollups.models import OpenCaseCount, RollupCases, RollupFirstResponse, RollupMoney


def stage_counts(session: Session) -> dict[tuple[str, Optional[str]], int]:
    """Open cases per (internal stage, assignee id or None)."""
    rows = session.execute(select(OpenCaseCount.stage, OpenCaseCount.assignee_id, OpenCaseCount.n)
                           .where(OpenCaseCount.n != 0))
    return {(stage, assignee or None): int(n) for stage, assignee, n in rows}


@dataclass(frozen=True)
class CompanyKpis:
    total: int
    open: int
    responded: int
    # The middle answered case's wait, to the hour (lower middle for an even count).
    median_first_response: Optional[dt.timedelta]
    # Of the cases whose first-response window has passed (or that were answered): answered in time.
    responded_in_window: int
    response_window_cases: int
    escalated: int
    outcomes: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)  # currency -> minor units

    @property
    def response_rate(self) -> Optional[float]:
        if not self.response_window_cases:
            return None
        return self.responded_in_window / self.response_window_cases


def company_kpis(session: Session, company_id: str, *, now: dt.datetime,
                 response_window: dt.timedelta) -> CompanyKpis:
    """A merchant's own numbers over all its cases: from its monthly rollup rows, plus one
    indexed count of the cases opened on the day the response window now ends in (an
    unanswered case counts once its window has passed, to the second)."""
    mine = and_(RollupCases.grain == "m", RollupCases.company_id == company_id)
    c = session.execute(select(*(func.coalesce(func.sum(getattr(RollupCases, n)), 0).label(n) for n in (
        "cases", "open", "responded", "escalated_ever", "customer_won", "merchant_won", "withdrawn")))
        .where(mine)).one()
    hours = {int(b): int(n) for b, n in session.execute(
        select(RollupFirstResponse.bin, func.sum(RollupFirstResponse.n))
        .where(RollupFirstResponse.grain == "m", RollupFirstResponse.company_id == company_id)
        .group_by(RollupFirstResponse.bin)) if n}
    refunded = {cur: int(v) for cur, v in session.execute(
        select(RollupMoney.currency, func.sum(RollupMoney.amount_minor))
        .where(RollupMoney.grain == "m", RollupMoney.company_id == company_id, RollupMoney.kind == "case_refunded")
        .group_by(RollupMoney.currency).order_by(RollupMoney.currency)) if v}
    window_h = response_window // dt.timedelta(hours=1)
    in_window = sum(n for h, n in hours.items() if h < window_h)
    cutoff = now - response_window
    unanswered_before = int(session.scalar(
        select(func.coalesce(func.sum(RollupCases.unanswered), 0))
        .where(RollupCases.grain == "d", RollupCases.company_id == company_id,
               RollupCases.period < cutoff.astimezone(dt.timezone.utc).date())) or 0)
    day_start = dt.datetime.combine(cutoff.astimezone(dt.timezone.utc).date(), dt.time(), dt.timezone.utc)
    unanswered_on_day = int(session.scalar(
        select(func.count()).select_from(Case)
        .where(Case.company_id == company_id, Case.created_at >= day_start, Case.created_at <= cutoff,
               Case.first_merchant_response_at.is_(None),
               or_(Case.outcome.is_(None), Case.outcome != "withdrawn"))) or 0)
    median = median_hours(hours)
    outcomes = {k: int(getattr(c, k)) for k in ("customer_won", "merchant_won", "withdrawn") if getattr(c, k)}
    return CompanyKpis(total=int(c.cases), open=int(c.open), responded=int(c.responded),
                       median_first_response=None if median is None else dt.timedelta(hours=median),
                       responded_in_window=in_window,
                       response_window_cases=int(c.responded) + unanswered_before + unanswered_on_day,
                       escalated=int(c.escalated_ever), outcomes=outcomes, refunded=refunded)
