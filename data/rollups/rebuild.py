"""Rebuilding the rollups from the cases, movements and payments themselves.

Used by the migration that introduced them (backfill), by `python -m dashboard
rebuild-rollups`, and after bulk loads that bypass the ORM (the benchmark data set).
It sums the same contributions `maintain` adds one change at a time
(`data.rollups.contrib`), so both always agree.

On PostgreSQL it is a few INSERT .. SELECT .. GROUP BY statements run by the server (a
million cases in about a minute, where streaming them through Python took a quarter of an
hour); the SQL below restates `contrib`'s definitions, and `tests/data/test_rollups.py`
holds the two equal (a rebuild must give exactly what the commits maintained). The cases
table is locked in SHARE mode for the duration: readers go on, writers wait, so no change
can slip between what is read and what is written.

On SQLite (the embedded default, small by nature) the rows are streamed through
`contrib` in opening-date order and written one UTC month at a time: every rollup key
belongs to one month, so memory holds one month of keys, never the cases.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable, Optional

from sqlalchemy import Connection, Engine, delete, func, insert, inspect, select, text

from data.models import Case, MoneyMovement, Payment
from data.rollups.contrib import CASE_FIELDS, MONEY_KINDS, CaseFacts, Delta, MovementFacts, PaymentFacts, utc_hour
from data.rollups.maintain import TABLE_ORDER, table_rows
from data.rollups.models import BINS, OpenCaseCount

Progress = Callable[[str], None]


def rebuild(bind: Engine | Connection, *, progress: Optional[Progress] = None) -> dict[str, int]:
    """Empty the rollup tables and fill them again; returns rows written per table."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            return rebuild(conn, progress=progress)
    conn, say = bind, progress or (lambda _msg: None)
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE cases, money_movements, payments IN SHARE MODE"))
    hourly = has_hour_grain(conn)
    for model in TABLE_ORDER:
        conn.execute(text(f"DELETE FROM {model.__tablename__}"))  # not the model: its columns may be newer
    if conn.dialect.name == "postgresql":
        return _rebuild_in_postgresql(conn, say, hourly)
    written: dict[str, int] = {m.__tablename__: 0 for m in TABLE_ORDER}
    t0 = time.perf_counter()

    def flush(delta: Delta) -> None:
        for model, rows in table_rows(delta, hourly=hourly).items():
            if model is OpenCaseCount:
                continue  # counted once, below
            for i in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[i:i + 5000])
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
              lambda d, row: d.add_movement(MovementFacts(*row[:5]), (utc_hour(row.created_at), *row[6:])),
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


def has_hour_grain(conn: Connection) -> bool:
    """Whether the rollup tables have the hour grain's `hour` column. The migrations that
    created the rollups (and added the '*' rows) backfill through this module before the
    one that added the hours has run, so the rows written must fit the schema of the moment."""
    return any(c["name"] == "hour" for c in inspect(conn).get_columns("rollup_cases"))


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


# ------------------------------------------------------------------ PostgreSQL
# Each fact once per rollup row it counts in (maintain._variants): hour, day and month; its
# company, all companies (''), and all companies whatever the provider and reason ('*').
# Without the hour grain (has_hour_grain false: an older migration's backfill): day and month.
def _variants(hourly: bool) -> str:
    grains = "('h'), ('d'), ('m')" if hourly else "('d'), ('m')"
    return f"""
    CROSS JOIN (VALUES {grains}) AS g(grain)
    CROSS JOIN (VALUES ('own'), ('all'), ('every')) AS k(level)"""


def _group(hourly: bool) -> str:
    """grain, company, period (and hour): the key columns before provider and reason."""
    group = """g.grain, CASE WHEN k.level = 'own' THEN x.company_id ELSE '' END,
    CASE WHEN g.grain = 'm' THEN date_trunc('month', x.day)::date ELSE x.day END"""
    return group + (", CASE WHEN g.grain = 'h' THEN x.hr ELSE 0 END" if hourly else "")


_PROVIDER = "CASE WHEN k.level = 'every' THEN '*' ELSE x.provider END"
_REASON = "CASE WHEN k.level = 'every' THEN '*' ELSE x.reason END"
_CASES = """(SELECT c.*, p.provider, (c.created_at AT TIME ZONE 'UTC')::date AS day,
                    extract(hour FROM c.created_at AT TIME ZONE 'UTC')::int AS hr
             FROM cases c JOIN payments p ON p.id = c.payment_id) AS x"""

# contrib.counters, in SQL (same names, same predicates).
_COUNTER_SQL = {
    "cases": "true",
    "open": "x.status <> 'closed'",
    "responded": "x.first_merchant_response_at IS NOT NULL",
    "escalated": "x.escalated",
    "escalated_ever": "x.escalated OR x.escalated_at IS NOT NULL",
    "decisions": "x.decision IS NOT NULL AND (x.final_review OR NOT (x.customer_appealed OR x.merchant_appealed))",
    "decisions_appealed": "x.final_review",
    "denials_appealed": "(x.customer_appealed OR x.merchant_appealed) AND NOT x.final_review",
    "closed": "x.status = 'closed'",
    "customer_won": "x.status = 'closed' AND x.outcome = 'customer_won'",
    "merchant_won": "x.status = 'closed' AND x.outcome = 'merchant_won'",
    "withdrawn": "x.status = 'closed' AND x.outcome = 'withdrawn'",
    "st_awaiting_merchant": "x.status = 'awaiting_merchant'",
    "st_awaiting_customer": "x.status = 'awaiting_customer'",
    "st_under_review": "x.status = 'under_review'",
    "out_customer_won": "x.outcome = 'customer_won'",
    "out_merchant_won": "x.outcome = 'merchant_won'",
    "out_withdrawn": "x.outcome = 'withdrawn'",
    "unanswered": "x.first_merchant_response_at IS NULL AND x.outcome IS DISTINCT FROM 'withdrawn'",
}


def _hour_bin(later: str, earlier: str) -> str:
    """contrib.hour_bin: whole hours, clamped to 0 .. BINS (extract(epoch) is exact numeric)."""
    return f"LEAST(GREATEST(floor(extract(epoch FROM {later} - {earlier}) / 3600), 0), {BINS})::int"


def _statements(hourly: bool = True) -> dict[str, str]:
    counters = ", ".join(_COUNTER_SQL)
    counts = ", ".join(f"count(*) FILTER (WHERE {pred})" for pred in _COUNTER_SQL.values())
    at = "grain, company_id, period, hour" if hourly else "grain, company_id, period"
    key = f"{at}, provider, reason"
    variants, group = _variants(hourly), _group(hourly)
    width = 4 if hourly else 3  # GROUP BY columns of the key before provider and reason

    def by(extra: int) -> str:
        return "GROUP BY " + ", ".join(str(i) for i in range(1, width + extra + 1))

    return {
        "rollup_cases": f"""
            INSERT INTO rollup_cases ({key}, {counters})
            SELECT {group}, {_PROVIDER}, {_REASON}, {counts}
            FROM {_CASES} {variants}
            {by(2)}""",
        "rollup_money": f"""
            INSERT INTO rollup_money ({key}, kind, currency, amount_minor)
            SELECT {group}, {_PROVIDER}, {_REASON}, x.kind, x.currency, sum(x.amount_minor)
            FROM (SELECT c.day, c.hr, c.company_id, c.provider, c.reason, m.kind, m.currency, m.amount_minor
                  FROM money_movements m JOIN {_CASES.replace(') AS x', ') AS c')} ON c.id = m.case_id
                  WHERE m.status = 'succeeded' AND m.kind IN ({", ".join(f"'{k}'" for k in MONEY_KINDS)})
                  UNION ALL
                  SELECT x.day, x.hr, x.company_id, x.provider, x.reason, 'case_refunded', x.currency, x.refunded_minor
                  FROM {_CASES} WHERE x.refunded_minor <> 0) AS x {variants}
            {by(4)} HAVING sum(x.amount_minor) <> 0""",
        "rollup_first_response": f"""
            INSERT INTO rollup_first_response ({key}, bin, n)
            SELECT {group}, {_PROVIDER}, {_REASON}, {_hour_bin('x.first_merchant_response_at', 'x.created_at')},
                   count(*)
            FROM {_CASES} {variants}
            WHERE x.first_merchant_response_at IS NOT NULL
            {by(3)}""",
        "rollup_resolution": f"""
            INSERT INTO rollup_resolution ({key}, outcome, bin, n)
            SELECT {group}, {_PROVIDER}, {_REASON}, coalesce(x.outcome, 'unknown'),
                   {_hour_bin('x.closed_at', 'x.created_at')}, count(*)
            FROM {_CASES} {variants}
            WHERE x.status = 'closed' AND x.closed_at IS NOT NULL
            {by(4)}""",
        "rollup_payments": f"""
            INSERT INTO rollup_payments ({at}, provider, n)
            SELECT {group}, {_PROVIDER}, count(*)
            FROM (SELECT company_id, provider, (paid_at AT TIME ZONE 'UTC')::date AS day,
                         extract(hour FROM paid_at AT TIME ZONE 'UTC')::int AS hr FROM payments) AS x
            {variants}
            {by(1)}""",
        "open_case_counts": """
            INSERT INTO open_case_counts (stage, assignee_id, n)
            SELECT stage, coalesce(assignee_id, ''), count(*) FROM cases WHERE status <> 'closed'
            GROUP BY 1, 2""",
    }


def _rebuild_in_postgresql(conn: Connection, say: Progress, hourly: bool = True) -> dict[str, int]:
    written, t0 = {}, time.perf_counter()
    for table, sql in _statements(hourly).items():
        t = time.perf_counter()
        written[table] = conn.exec_driver_sql(sql).rowcount
        say(f"  rollups: {table} {written[table]:,} rows in {time.perf_counter() - t:.1f}s")
    say(f"  rollups rebuilt in {time.perf_counter() - t0:.1f}s")
    return written
