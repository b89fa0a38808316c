"""Rebuilding the rollups from the cases, movements and payments themselves.

Used by the migration that introduced them (backfill), by `python -m dashboard
rebuild-rollups`, and after bulk loads that bypass the ORM (the benchmark data set).
It sums the same contributions `maintain` adds one change at a time
(`data.rollups.contrib`), so both always agree.

The rows are streamed in opening-date order and written one UTC month at a time: every
rollup key belongs to one month, so memory holds one month of keys, never the cases.
On PostgreSQL the cases table is locked in SHARE mode for the duration: readers go on,
writers wait, so no change can slip between what is read and what is written.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable, Optional

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from data.models import Case, MoneyMovement, Payment
from data.rollups.contrib import CASE_FIELDS, MONEY_KINDS, CaseFacts, Delta, MovementFacts, PaymentFacts
from data.rollups.maintain import TABLE_ORDER, table_rows
from data.rollups.models import OpenCaseCount

Progress = Callable[[str], None]


def rebuild(bind: Engine | Connection, *, progress: Optional[Progress] = None) -> dict[str, int]:
    """Empty the rollup tables and fill them again; returns rows written per table."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            return rebuild(conn, progress=progress)
    conn, say = bind, progress or (lambda _msg: None)
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE cases, money_movements, payments IN SHARE MODE"))
    for model in TABLE_ORDER:
        conn.execute(delete(model))
    written: dict[str, int] = {m.__tablename__: 0 for m in TABLE_ORDER}
    t0 = time.perf_counter()

    def flush(delta: Delta) -> None:
        for model, rows in table_rows(delta).items():
            if model is OpenCaseCount:
                continue  # counted once, below
            for i in range(0, len(rows), 5000):
                conn.execute(insert(model), rows[i:i + 5000])
            written[model.__tablename__] += len(rows)

    n = _by_month(conn, select(*(getattr(Case, f) for f in CASE_FIELDS), Payment.provider)
                  .join(Payment, Payment.id == Case.payment_id).order_by(Case.created_at),
                  lambda row: row.created_at,
                  lambda d, row: d.add_case(CaseFacts(*row[:-1]), row[-1]), flush, say, "cases")
    say(f"  rollups: {n:,} cases in {time.perf_counter() - t0:.1f}s")
    _by_month(conn, select(MoneyMovement.case_id, MoneyMovement.kind, MoneyMovement.currency,
                           MoneyMovement.amount_minor, MoneyMovement.status,
                           Case.created_at, Case.company_id, Payment.provider, Case.reason)
              .join(Case, Case.id == MoneyMovement.case_id).join(Payment, Payment.id == Case.payment_id)
              .where(MoneyMovement.status == "succeeded", MoneyMovement.kind.in_(MONEY_KINDS))
              .order_by(Case.created_at),
              lambda row: row.created_at,
              lambda d, row: d.add_movement(MovementFacts(*row[:5]), (_day(row.created_at), *row[6:])),
              flush, say, "money movements")
    _by_month(conn, select(Payment.paid_at, Payment.company_id, Payment.provider).order_by(Payment.paid_at),
              lambda row: row.paid_at, lambda d, row: d.add_payment(PaymentFacts(*row)), flush, say, "payments")
    stages = conn.execute(select(Case.stage, func.coalesce(Case.assignee_id, ""), func.count())
                          .where(Case.status != "closed").group_by(Case.stage, func.coalesce(Case.assignee_id, "")))
    rows = [{"stage": s, "assignee_id": a, "n": int(n)} for s, a, n in stages]
    if rows:
        conn.execute(insert(OpenCaseCount), rows)
    written[OpenCaseCount.__tablename__] = len(rows)
    say(f"  rollups rebuilt in {time.perf_counter() - t0:.1f}s: "
        + ", ".join(f"{k} {v:,}" for k, v in written.items()))
    return written


def _day(at: dt.datetime) -> dt.date:
    if at.tzinfo is None:  # SQLite through Core: naive UTC
        return at.date()
    return at.astimezone(dt.timezone.utc).date()


def _by_month(conn: Connection, stmt, when, add, flush, say, what: str) -> int:
    """Stream `stmt` (ordered by `when(row)`), adding rows to a Delta written per month."""
    delta, month, n, t0 = Delta(), None, 0, time.perf_counter()
    # Options on the statement: Connection.execution_options would change the connection
    # itself, and the migration's own statements after ours would run on a server cursor.
    result = conn.execute(stmt.execution_options(stream_results=True, yield_per=10_000))
    for row in result:
        m = _day(when(row)).replace(day=1)
        if month is not None and m != month:
            flush(delta)
            delta = Delta()
        month = m
        add(delta, row)
        n += 1
        if n % 200_000 == 0:
            say(f"  rollups: {n:,} {what} ({n / (time.perf_counter() - t0):,.0f}/s)")
    flush(delta)
    return n
