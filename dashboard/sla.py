"""Platform SLAs (issue 10, Deliver 4): by when the platform should decide a case it holds.

    first instance (stage under_review)   escalated_at + review_sla_hours        (48 h)
    final review   (stage final_review)   appealed_at  + final_review_sla_hours  (72 h)

An appealed merchant denial is first instance too (it goes to under_review): its clock is
the appeal, with the first-instance target. `cases.party.appeal` writes escalated_at =
appealed_at for a denial appealed before any escalation, so the rule below ("escalated_at,
else appealed_at") gives the appeal's moment, and the queue's sort on
coalesce(escalated_at, updated_at) (ix_cases_escalated_waiting) orders these cases by the
same clock. The appealed_at fallback is for rows written before that rule.

A state for the colour: "ok", "soon" (less than sla_warning_hours left), "missed" (the
moment has passed); None for a case the platform is not deciding now (no target).
Pure functions of stored fields: the queue, the phone cards and the metrics read the same.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Protocol

OK, SOON, MISSED = "ok", "soon", "missed"


class _Clocked(Protocol):
    stage: str
    escalated_at: Optional[dt.datetime]
    appealed_at: Optional[dt.datetime]


class _Targets(Protocol):
    review_sla_hours: int
    final_review_sla_hours: int
    sla_warning_hours: int


@dataclass(frozen=True)
class Target:
    started_at: dt.datetime  # when the clock started (the escalation, or the appeal)
    decide_by: dt.datetime
    hours: int  # the target in hours, as the settings said

    def state(self, now: dt.datetime, warning_hours: int) -> str:
        left = self.decide_by - now
        if left <= dt.timedelta(0):
            return MISSED
        if left <= dt.timedelta(hours=warning_hours):
            return SOON
        return OK


def target(case: _Clocked, settings: _Targets) -> Optional[Target]:
    """The case's SLA target now, or None when the platform is not deciding it."""
    if case.stage == "under_review":
        # First instance. For an appealed denial escalated_at is the appeal (see above);
        # appealed_at alone (no escalated_at) also starts the first-instance clock.
        start, hours = case.escalated_at or case.appealed_at, settings.review_sla_hours
    elif case.stage == "final_review":
        start, hours = case.appealed_at, settings.final_review_sla_hours
    else:
        return None
    if start is None:
        return None
    return Target(start, start + dt.timedelta(hours=hours), hours)


def decide_by(case: _Clocked, settings: _Targets) -> Optional[dt.datetime]:
    t = target(case, settings)
    return None if t is None else t.decide_by


def state(case: _Clocked, settings: _Targets, now: dt.datetime) -> Optional[str]:
    """"ok" / "soon" / "missed", or None without a target."""
    t = target(case, settings)
    return None if t is None else t.state(now, settings.sla_warning_hours)


def met(*, started_at: Optional[dt.datetime], decided_at: Optional[dt.datetime], hours: int) -> Optional[bool]:
    """Whether a decision taken at `decided_at` met a target of `hours` from `started_at`
    (None when either is unknown): for the metrics' "decided within target"."""
    if started_at is None or decided_at is None:
        return None
    return decided_at - started_at <= dt.timedelta(hours=hours)
