"""A large, realistic-looking data set for benchmarks, written with bulk inserts.

Unlike the demo seed (which drives the domain so every timeline is true), this writes
rows directly: it must produce a hundred thousand cases in seconds. The shapes match
what the domain writes — stages with their derived statuses, events, outbox rows and
money movements — so queries see realistic selectivity.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Iterator

from sqlalchemy import Engine, insert

from data.models import Case, CaseEvent, Company, MoneyMovement, OutboxEmail, Payment, User, new_id

# (stage, status, escalated, outcome, refund, weight)
SHAPES = [
    ("awaiting_merchant", "awaiting_merchant", False, None, None, 14),
    ("awaiting_customer", "awaiting_customer", False, None, None, 6),
    ("under_review", "under_review", True, None, None, 8),
    ("review_awaiting_merchant", "awaiting_merchant", True, None, None, 2),
    ("review_awaiting_customer", "awaiting_customer", True, None, None, 2),
    ("final_review", "under_review", True, None, None, 3),
    ("closed", "closed", False, "customer_won", "merchant", 20),
    ("closed", "closed", False, "merchant_won", "none", 15),
    ("closed", "closed", False, "withdrawn", "none", 6),
    ("closed", "closed", True, "customer_won", "merchant", 12),
    ("closed", "closed", True, "merchant_won", "none", 9),
    ("closed", "closed", True, "customer_won", "platform", 3),
]
REASONS = ["fraudulent", "product_not_received", "not_as_described", "product_unacceptable", "subscription_canceled"]
PROVIDERS = ["stripe"] * 7 + ["paypal"] * 3


def _batches(rows: list[dict], size: int = 5000) -> Iterator[list[dict]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def generate(engine: Engine, *, cases: int = 100_000, companies: int = 200, now: dt.datetime,
             seed: int = 7, progress=print) -> dict[str, int]:
    rng = random.Random(seed)
    t0 = now - dt.timedelta(days=90)
    company_rows = [{"id": new_id("biz_"), "name": f"Company {i:04d}", "support_email": None, "created_at": t0}
                    for i in range(companies)]
    n_customers = max(10, cases // 4)
    user_rows = [{"id": new_id("user_"), "email": f"customer{i}@bench.test", "name": f"Customer {i}",
                  "role": "customer", "company_id": None, "password_hash": None, "is_active": True, "created_at": t0}
                 for i in range(n_customers)]
    creators = [{"id": new_id("user_"), "email": f"creator{i}@bench.test", "name": f"Creator {i}",
                 "role": "creator", "company_id": c["id"], "password_hash": None, "is_active": True, "created_at": t0}
                for i, c in enumerate(company_rows)]
    reviewers = [{"id": new_id("user_"), "email": f"reviewer{i}@bench.test", "name": f"Reviewer {i}",
                  "role": "reviewer", "company_id": None, "password_hash": None, "is_active": True, "created_at": t0}
                 for i in range(20)]
    payments, case_rows, events, movements, emails = [], [], [], [], []
    weights = [s[-1] for s in SHAPES]
    # Company sizes follow a long tail, like a real marketplace.
    company_weights = [1.0 / (i + 1) ** 0.8 for i in range(companies)]
    for i in range(cases):
        company = rng.choices(company_rows, company_weights)[0]
        customer = user_rows[rng.randrange(n_customers)]
        created = t0 + dt.timedelta(seconds=rng.randrange(int((now - t0).total_seconds())))
        paid = created - dt.timedelta(days=rng.randrange(0, 25), seconds=rng.randrange(86400))
        amount = rng.choice([999, 1999, 2900, 4900, 9900, 19900, 49900])
        pay_id = new_id("pay_")
        payments.append({"id": pay_id, "company_id": company["id"], "customer_id": customer["id"],
                         "provider": rng.choice(PROVIDERS), "amount_minor": amount, "currency": "USD",
                         "product_title": "Membership", "paid_at": paid, "refunded_minor": 0, "refunded_at": None,
                         "refunded_externally": False, "created_at": paid})
        stage, status, escalated, outcome, refund, _ = rng.choices(SHAPES, weights)[0]
        open_ = status != "closed"
        due = created + dt.timedelta(days=rng.uniform(-2, 9)) if status.startswith("awaiting") else None
        updated = min(now, created + dt.timedelta(hours=rng.uniform(1, 200)))
        first_resp = created + dt.timedelta(hours=rng.expovariate(1 / 40)) if rng.random() < 0.8 else None
        closed_at = None if open_ else min(now, created + dt.timedelta(hours=rng.uniform(5, 500)))
        case_id = new_id("reso_")
        final_review = stage.startswith("final")
        case_rows.append({
            "id": case_id, "payment_id": pay_id, "company_id": company["id"], "customer_id": customer["id"],
            "reason": rng.choice(REASONS), "message": "Bench case", "amount_minor": amount, "currency": "USD",
            "stage": stage, "status": status, "escalated": escalated, "final_review": final_review,
            "customer_appealed": final_review and rng.random() < 0.5, "merchant_appealed": False,
            "outcome": outcome, "refund": refund, "response_due_at": due, "appeal_due_at": None,
            "final": not open_, "merchant_info_requests": 0, "info_requested_by_id": None,
            "assignee_id": rng.choice(reviewers)["id"] if escalated and rng.random() < 0.5 else None,
            "decided_by_id": None, "decision": None, "decision_amount_minor": None, "decision_reason": None,
            "final_decision": None, "final_decided_by_id": None,
            "refunded_minor": amount if refund in ("merchant", "platform") else 0, "credited_minor": 0,
            "created_at": created, "updated_at": updated, "first_merchant_response_at": first_resp,
            "escalated_at": updated if escalated else None, "appealed_at": None, "closed_at": closed_at,
            "version": 1,
        })
        n_events = rng.randint(2, 7)
        for k in range(n_events):
            at = created + (updated - created) * (k / max(1, n_events - 1))
            note = k == 2 and rng.random() < 0.3
            events.append({"id": new_id("revt_"), "case_id": case_id,
                           "action": "note" if note else ("created" if k == 0 else "responded"),
                           "reporter_type": "platform" if note else ("customer" if k % 2 == 0 else "merchant"),
                           "actor_id": None, "details": "…", "data": None,
                           "viewable_by_customer": not note, "viewable_by_merchant": not note, "created_at": at})
        if refund in ("merchant", "platform"):
            movements.append({"case_id": case_id, "kind": "merchant_refund", "amount_minor": amount,
                              "currency": "USD", "provider": "stripe",
                              "idempotency_key": f"{case_id}:merchant_refund", "status": "succeeded",
                              "attempts": 1, "next_attempt_at": None, "provider_reference": "re_bench",
                              "last_error": None, "created_at": closed_at or updated, "completed_at": closed_at or updated})
        emails.append({"case_id": case_id, "dedupe_key": f"bench:{case_id}", "template": "created",
                       "recipient": "creator@bench.test", "subject": f"[{case_id}] opened", "body_text": "…",
                       "body_html": "…", "status": "sent", "attempts": 1, "next_attempt_at": None,
                       "last_error": None, "created_at": created, "sent_at": created})
    plan = [(Company, company_rows), (User, user_rows + creators + reviewers), (Payment, payments),
            (Case, case_rows), (CaseEvent, events), (MoneyMovement, movements), (OutboxEmail, emails)]
    with engine.begin() as conn:
        for model, rows in plan:
            for batch in _batches(rows):
                conn.execute(insert(model), batch)
            progress(f"  inserted {len(rows):>8,} {model.__tablename__}")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return {model.__tablename__: len(rows) for model, rows in plan}
