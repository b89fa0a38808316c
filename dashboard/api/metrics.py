"""`GET /metrics` for managers: case counts by status, outcome and reason, rates,
median times and money refunded and credited, over cases opened in a date range.

Aggregated in SQL by the metrics read model (`data.read.metrics`) that the screens
use, so the API and the dashboard never disagree. Parameters: `start`, `end`
(YYYY-MM-DD, UTC, both included; default the last 90 days), repeatable `company_id`,
`provider`, `reason`.
"""
from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import func, select

from data.models import Case, Payment, User
from data.read import metrics as read
from dashboard.api.auth import MANAGERS
from dashboard.api.params import query_list
from dashboard.api.routing import endpoint
from dashboard.api.serializers import major
from dashboard.context import Ctx
from dashboard.enums import Outcome, Reason, Status
from dashboard.permissions import case_visibility


def _by(ctx: Ctx, visible, f: read.MetricsFilter) -> dict[str, dict[str, int]]:
    stmt = (select(Case.status, Case.outcome, Case.reason, func.count())
            .select_from(Case).join(Payment, Payment.id == Case.payment_id)
            .where(visible, Case.created_at >= f.start_at, Case.created_at < f.end_before,
                   *([Case.company_id.in_(f.company_ids)] if f.company_ids else []),
                   *([Payment.provider.in_(f.providers)] if f.providers else []),
                   *([Case.reason.in_(f.reasons)] if f.reasons else []))
            .group_by(Case.status, Case.outcome, Case.reason))
    out = {"status": {s.value: 0 for s in Status}, "outcome": {o.value: 0 for o in Outcome},
           "reason": {r.value: 0 for r in Reason}}
    for status, outcome, reason, n in ctx.session.execute(stmt):
        for group, value in (("status", status), ("outcome", outcome), ("reason", reason)):
            if value in out[group]:
                out[group][value] += int(n)
    return out


def _money(totals: dict[str, int]) -> list[dict[str, Any]]:
    return [{"currency": cur.lower(), "amount": major(minor, cur), "amount_minor": minor}
            for cur, minor in sorted(totals.items())]


@endpoint("/metrics", roles=MANAGERS)
def get_metrics(ctx: Ctx, user: User) -> dict[str, Any]:
    f = read.parse_filter(request.args.get("start"), request.args.get("end"), query_list("company_id"),
                          query_list("provider"), query_list("reason"), today=ctx.now.date())
    visible = case_visibility(user)
    k = read.kpis(ctx.session, visible, f)
    c = k.counts
    return {
        "range": {"start": f.start.isoformat(), "end": f.end.isoformat()},
        "cases": {
            "total": c.cases, "open": c.open, "closed": c.closed, "escalated": c.escalated,
            "decisions": c.decisions, "decisions_appealed": c.decisions_appealed,
            "denials_appealed": c.denials_appealed,
            **{f"by_{group}": counts for group, counts in _by(ctx, visible, f).items()},
        },
        "rates": {"escalation": c.escalation_rate, "appeal": c.appeal_rate,
                  "customer_win": c.customer_win_rate, "merchant_win": c.merchant_win_rate},
        "median_first_response_seconds": k.median_first_response_s,
        "median_resolution_seconds": k.median_resolution_s,
        "money": {"refunded": _money(k.refunded), "credited": _money(k.credited)},
    }
