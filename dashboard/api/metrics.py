"""`GET /metrics` for managers: case counts by status, outcome and reason, rates,
median times and money refunded and credited, over cases opened in a date range.

Read from the rollups by the metrics read model (`data.read.metrics`) that the screens
use, so the API and the dashboard never disagree. Medians are whole hours (the middle
case's wait, to the hour). Parameters: `start`, `end`
(YYYY-MM-DD, UTC, both included; default the last 90 days), repeatable `company_id`,
`provider`, `reason`.
"""
from __future__ import annotations

from typing import Any

from flask import request

from data.models import User
from data.read import metrics as read
from dashboard.api.auth import MANAGERS
from dashboard.api.routing import endpoint
from dashboard.api.schemas.metrics import Metrics
from dashboard.api.schemas.queries import MetricsQuery
from dashboard.api.serializers import major
from dashboard.context import Ctx
from dashboard.enums import Outcome, Reason, Status
from dashboard.validation import parse


def _by(totals: dict[str, int]) -> dict[str, dict[str, int]]:
    """Cases by status, outcome and reason, every key present (from the same rollups)."""
    return {
        "status": {s.value: totals[f"st_{s.value}"] if s != Status.CLOSED else totals["closed"] for s in Status},
        "outcome": {o.value: totals[f"out_{o.value}"] for o in Outcome},
    }


def _reasons(ctx: Ctx, f: read.MetricsFilter) -> dict[str, int]:
    out = {r.value: 0 for r in Reason}
    for row in read.breakdown(ctx.session, f, by="reason", limit=len(out)):
        out[row.key] = row.counts.cases
    return out


def _money(totals: dict[str, int]) -> list[dict[str, Any]]:
    return [{"currency": cur.lower(), "amount": major(minor, cur), "amount_minor": minor}
            for cur, minor in sorted(totals.items())]


@endpoint("/metrics", roles=MANAGERS)
def get_metrics(ctx: Ctx, user: User) -> dict[str, Any]:
    query = parse(MetricsQuery, request.args, source="query")
    f = read.parse_filter(query.start, query.end, query.company_id, query.provider, query.reason,
                          today=ctx.now.date())
    k = read.kpis(ctx.session, f)
    c = k.counts
    by = _by(read.counter_totals(ctx.session, f))
    by["reason"] = _reasons(ctx, f)
    return Metrics.model_validate({
        "range": {"start": f.start.isoformat(), "end": f.end.isoformat()},
        "cases": {
            "total": c.cases, "open": c.open, "closed": c.closed, "escalated": c.escalated,
            "decisions": c.decisions, "decisions_appealed": c.decisions_appealed,
            "denials_appealed": c.denials_appealed,
            **{f"by_{group}": counts for group, counts in by.items()},
        },
        "rates": {"escalation": c.escalation_rate, "appeal": c.appeal_rate,
                  "customer_win": c.customer_win_rate, "merchant_win": c.merchant_win_rate},
        "median_first_response_seconds": k.median_first_response_s,
        "median_resolution_seconds": k.median_resolution_s,
        "money": {"refunded": _money(k.refunded), "credited": _money(k.credited)},
    }).wire()
