"""Many cases at once, for the job tests that need a backlog: one creator per company
(so each case opening is one email), customers reused, each case on its own payment."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard import accounts
from dashboard.cases import opening
from dashboard.context import Ctx
from tests import factories


@dataclass
class Backlog:
    case_ids: list[str]
    company_of: dict[str, str]  # case id -> company id
    tokens: dict[str, str]  # company id -> its creator's API token


def open_cases(runtime, opened_at: list[dt.datetime], *, companies: int = 6, customers: int = 20) -> Backlog:
    """One case opened at each moment of `opened_at` (in that order), in one transaction."""
    settings = runtime.settings
    with runtime.Session.begin() as s:
        ctx = Ctx(s, min(opened_at) - dt.timedelta(days=1), settings)
        cos = [factories.company(ctx) for _ in range(companies)]
        creators = [factories.user(ctx, "creator", company_id=c.id) for c in cos]
        people = [factories.user(ctx, "customer") for _ in range(customers)]
        tokens = {c.company_id: accounts.issue_token(ctx, c) for c in creators}
        ids, company_of = [], {}
        for i, at in enumerate(opened_at):
            ctx = Ctx(s, at, settings)
            co, customer = cos[i % companies], people[i % customers]
            pay = factories.payment(ctx, company=co, customer=customer, paid_at=at - dt.timedelta(hours=1),
                                    amount_minor=1000 + i)
            case = opening.open_case(ctx, actor=customer, payment_id=pay.id, reason="product_not_received",
                                     message=f"Never arrived ({i}).").case
            ids.append(case.id)
            company_of[case.id] = co.id
    return Backlog(ids, company_of, tokens)
