"""`GET /payments`: a customer's own payments, newest first, each saying whether a case
can be opened on it and, if not, why (`dashboard.eligibility.payment_verdict`)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from data.models import Case, Payment, User
from dashboard.api.auth import CUSTOMERS
from dashboard.api.paging import SortKey, fetch_page, page_request
from dashboard.api.routing import endpoint
from dashboard.api.serializers import payment_model, payment_page_json
from dashboard.context import Ctx
from dashboard.eligibility import NO_CASE, payment_verdict
from dashboard.permissions import payment_visibility

KEYS = [SortKey(Payment.paid_at, "paid_at", True, kind="dt"), SortKey(Payment.id, "id", True)]


@endpoint("/payments", roles=CUSTOMERS)
def list_payments(ctx: Ctx, user: User) -> dict[str, Any]:
    req = page_request("payments", KEYS)
    stmt = select(Payment).where(payment_visibility(user), Payment.customer_id == user.id)
    rows, page_info = fetch_page(ctx.session, stmt, KEYS, req, "payments", options=(joinedload(Payment.company),))
    cases = dict(ctx.session.execute(select(Case.payment_id, Case.id).where(Case.payment_id.in_([p.id for p in rows]))
                                     ).all()) if rows else {}
    data = []
    for p in rows:
        verdict = payment_verdict(ctx, user, p, existing_case_id=cases.get(p.id, NO_CASE))
        data.append(payment_model(p, case_id=cases.get(p.id), verdict=verdict))
    return payment_page_json(data, page_info)
