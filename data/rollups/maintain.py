"""Keeping the rollups true in the same transaction as every change that moves them.

Why at commit, in the same transaction, rather than by a job: a metric is then never
stale and never needs a freshness note; there is no watermark to get wrong (a job that
reads "changed since" misses rows committed late by long transactions); and a rolled
back change leaves no trace. The cost is one multi-row upsert per table at commit.

How: a flush records what changed — for a case or money movement its facts before
(from the attribute history, or the row itself when an old value was never loaded) and
after; for a payment or case inserted, its facts — against the innermost transaction.
A savepoint that commits hands its record to its parent; one that rolls back drops it.
When the outermost transaction commits, the record becomes one `Delta` (old facts
subtracted, new facts added) and is added to the tables with `INSERT .. ON CONFLICT DO
UPDATE SET n = n + excluded.n`, every table in one order and its rows sorted by key, so
two transactions never wait on each other's rollup rows in opposite orders (no
deadlocks); the rows stay locked only for the moment of the commit.

Anything that writes cases with Core statements or COPY bypasses this; it must call
`data.rollups.rebuild` afterwards (the benchmark generator does). A bulk UPDATE or DELETE
through a session that would change what a case, payment or money movement counts for is
refused outright (`_refuse_bulk_writes`), so that mistake cannot drift the metrics silently.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from typing import Any, Iterable, Optional

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from data.models import Case, MoneyMovement, Payment
from data.rollups.contrib import (CASE_FIELDS, MOVEMENT_FIELDS, PAYMENT_FIELDS, CaseFacts, Delta, Group,
                                  MovementFacts, PaymentFacts, utc_hour)
from data.rollups.models import (COUNTERS, OpenCaseCount, RollupCases, RollupFirstResponse, RollupMoney,
                                 RollupPayments, RollupResolution)

_TRACKED = {Case: (CaseFacts, CASE_FIELDS), MoneyMovement: (MovementFacts, MOVEMENT_FIELDS)}
_OLD = "rollups.old"        # session.info: {object: old facts}, between before_flush and after_flush
_RECORD = "rollups.record"  # session.info: {transaction: [(sign, facts)]}


# ---------------------------------------------------------------- facts of objects
def _now(obj) -> tuple:
    cls, fields = _TRACKED.get(type(obj)) or (PaymentFacts, PAYMENT_FIELDS)
    return cls(*(getattr(obj, f) for f in fields))


def _before(session: Session, obj) -> tuple:
    """The object's facts as the database holds them before this flush."""
    cls, fields = _TRACKED[type(obj)]
    state = inspect(obj)
    values, unknown = {}, []
    for f in fields:
        hist = state.attrs[f].history
        if hist.deleted:
            values[f] = hist.deleted[0]
        elif hist.unchanged:
            values[f] = hist.unchanged[0]
        elif hist.added:  # set without its old value ever being loaded
            unknown.append(f)
        else:
            values[f] = getattr(obj, f)
    if unknown:
        model = type(obj)
        with session.no_autoflush:
            row = session.execute(select(*(getattr(model, f) for f in unknown))
                                  .where(*(c == v for c, v in zip(model.__mapper__.primary_key,
                                                                  state.identity)))).one()
        values.update(zip(unknown, row))
    return cls(**values)


def _innermost(session: Session):
    return session.get_nested_transaction() or session.get_transaction()


@event.listens_for(Session, "before_flush")
def _remember_old(session: Session, _ctx, _instances) -> None:
    old = {}
    for obj in list(session.dirty) + list(session.deleted):
        if type(obj) in _TRACKED and inspect(obj).has_identity:
            old[obj] = _before(session, obj)
    session.info[_OLD] = old


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _ctx) -> None:
    old = session.info.pop(_OLD, {})
    entries = []
    for obj in session.new:
        if type(obj) in _TRACKED or type(obj) is Payment:
            entries.append((1, _now(obj)))
    for obj in session.dirty:
        if obj in old and obj not in session.deleted:
            before, after = old[obj], _now(obj)
            if before != after:
                entries += [(-1, before), (1, after)]
    for obj in session.deleted:
        if obj in old:
            entries.append((-1, old[obj]))
        elif type(obj) is Payment:
            entries.append((-1, _now(obj)))
    if entries:
        session.info.setdefault(_RECORD, {}).setdefault(_innermost(session), []).extend(entries)


# Columns a bulk UPDATE may set without changing any rollup (the money executor's lease).
_UNTRACKED = {"money_movements": {"attempts", "next_attempt_at", "last_error", "provider_reference"}}
_TRACKED_TABLES = {"cases", "payments", "money_movements"}


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_writes(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _TRACKED_TABLES:
        return
    if state.is_update:
        # The SET clause's columns (a private attribute; when it cannot be read, refuse).
        values = getattr(state.statement, "_values", None) or {}
        columns = {getattr(k, "key", k) for k in values}
        if columns and columns <= _UNTRACKED.get(name, set()):
            return
    raise RuntimeError(f"A bulk {'UPDATE' if state.is_update else 'DELETE'} of {name} through a session would "
                       "bypass the metrics rollups: change the rows through the ORM (or run "
                       "data.rollups.rebuild after a bulk load).")


@event.listens_for(Session, "after_commit")
def _savepoint_released(session: Session) -> None:
    nested = session.get_nested_transaction()
    record = session.info.get(_RECORD)
    if nested is not None and record and nested in record:
        record.setdefault(nested.parent, []).extend(record.pop(nested))


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    record = session.info.get(_RECORD)
    if record:
        record.pop(transaction, None)  # rolled back (a committed savepoint was handed on)


@event.listens_for(Session, "before_commit")
def _apply_at_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: its record goes to its parent in after_commit
    session.flush()
    record = session.info.pop(_RECORD, None)
    if not record:
        return
    entries = [e for es in record.values() for e in es]
    delta = delta_of(session, entries)
    if not delta.is_empty():
        add(session, delta)


# ------------------------------------------------------------------- to a delta
def delta_of(session: Session, entries: Iterable[tuple[int, tuple]]) -> Delta:
    entries = list(entries)
    cases = [f for _, f in entries if isinstance(f, CaseFacts)]
    movements = [f for _, f in entries if isinstance(f, MovementFacts)]
    providers = _providers(session, {c.payment_id for c in cases})
    groups = _case_groups(session, {m.case_id for m in movements})
    delta = Delta()
    for sign, f in entries:
        if isinstance(f, CaseFacts):
            delta.add_case(f, providers[f.payment_id], sign)
        elif isinstance(f, MovementFacts):
            delta.add_movement(f, groups[f.case_id], sign)
        else:
            delta.add_payment(f, sign)
    return delta


def _providers(session: Session, payment_ids: set[str]) -> dict[str, str]:
    out, missing = {}, []
    for pid in payment_ids:
        p = session.identity_map.get(identity_key(Payment, pid))
        if p is not None and "provider" in p.__dict__:
            out[pid] = p.provider
        else:
            missing.append(pid)
    for chunk in _chunks(missing):
        out.update(session.execute(select(Payment.id, Payment.provider).where(Payment.id.in_(chunk))).all())
    return out


def _case_groups(session: Session, case_ids: set[str]) -> dict[str, Group]:
    out: dict[str, Group] = {}
    for chunk in _chunks(sorted(case_ids)):
        rows = session.execute(select(Case.id, Case.created_at, Case.company_id, Payment.provider, Case.reason)
                               .join(Payment, Payment.id == Case.payment_id).where(Case.id.in_(chunk)))
        for case_id, created_at, company_id, provider, reason in rows:
            out[case_id] = (utc_hour(created_at), company_id, provider, reason)
    return out


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------- to the tables
def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


ALL = "*"  # provider and reason of the all-companies rows that count every provider and reason


def _variants(hour: dt.datetime, company_id: str, provider: str, reason: Optional[str], *, hourly: bool = True):
    """The nine rows a fact counts in: its UTC hour, its day and its month, each for its
    company, for all companies, and for all companies whatever the provider and reason
    ('*': the rows the unfiltered platform view reads, a tenth of the others). Keys are
    (grain, company, period, hour, dims...): an hour row's period is its day.

    `hourly=False` leaves the hours out and the key without its hour: the schema before the
    hour grain, which older migrations' backfills write into (see rebuild)."""
    day = hour.date()
    dims, every = ((provider, reason), (ALL, ALL)) if reason is not None else ((provider,), (ALL,))
    grains = (("h", day, hour.hour), ("d", day, 0), ("m", month_of(day), 0)) if hourly else \
        (("d", day, None), ("m", month_of(day), None))
    for grain, period, h in grains:
        at = (period,) if h is None else (period, h)
        yield (grain, company_id, *at, *dims)
        yield (grain, "", *at, *dims)
        yield (grain, "", *at, *every)


def table_rows(delta: Delta, *, hourly: bool = True) -> dict[Any, list[dict]]:
    """The delta as rows per table, expanded to every grain, both company levels and the
    all-dimensions rows (`_variants`), summed per key and sorted by key."""
    acc: dict[Any, dict[tuple, Any]] = defaultdict(dict)
    for kind, key, values in delta.nonzero():
        if kind == "stages":
            stage, assignee = key
            acc[OpenCaseCount][(stage, assignee)] = acc[OpenCaseCount].get((stage, assignee), 0) + values
            continue
        if kind == "payments":
            hour, company_id, provider = key
            for k in _variants(hour, company_id, provider, None, hourly=hourly):
                acc[RollupPayments][k] = acc[RollupPayments].get(k, 0) + values
            continue
        hour, company_id, provider, reason, *rest = key
        model = {"cases": RollupCases, "money": RollupMoney, "first_response": RollupFirstResponse,
                 "resolution": RollupResolution}[kind]
        for v in _variants(hour, company_id, provider, reason, hourly=hourly):
            k = v + tuple(rest)
            if kind == "cases":
                row = acc[model].setdefault(k, defaultdict(int))
                for name, n in values.items():
                    row[name] += n
            else:
                acc[model][k] = acc[model].get(k, 0) + values
    out = {}
    for model in TABLE_ORDER:
        keys = model.KEY if hourly else tuple(k for k in model.KEY if k != "hour")
        rows = []
        for k in sorted(acc.get(model, {})):
            v = acc[model][k]
            row = dict(zip(keys, k))
            if model is RollupCases:
                row.update({name: v.get(name, 0) for name in COUNTERS})
            else:
                row[VALUE_COLUMN[model]] = v
            rows.append(row)
        if rows:
            out[model] = rows
    return out


TABLE_ORDER = (RollupCases, RollupMoney, RollupFirstResponse, RollupResolution, RollupPayments, OpenCaseCount)
VALUE_COLUMN = {RollupMoney: "amount_minor", RollupFirstResponse: "n", RollupResolution: "n",
                RollupPayments: "n", OpenCaseCount: "n"}


_PG_TYPES = {"VARCHAR": "text", "DATE": "date", "INTEGER": "int", "BIGINT": "bigint", "SMALLINT": "smallint"}


@functools.cache
def _upsert_sql(dialect: str, model) -> str:
    """INSERT .. ON CONFLICT (key) DO UPDATE SET v = v + excluded.v, as driver SQL.

    Written out once per table rather than built with SQLAlchemy per commit: compiling a
    multi-row INSERT costs more than running it. On PostgreSQL the rows travel as one
    array per column (`unnest`), so a commit's rows for a table are one statement; on
    SQLite they go through the driver's executemany, which loops in C."""
    table = model.__table__
    values = COUNTERS if model is RollupCases else (VALUE_COLUMN[model],)
    cols = [*model.KEY, *values]
    listed = ", ".join(cols)
    update = ", ".join(f"{v} = {table.name}.{v} + excluded.{v}" for v in values)
    conflict = f"ON CONFLICT ({', '.join(model.KEY)}) DO UPDATE SET {update}"
    if dialect == "postgresql":
        arrays = ", ".join(f"%s::{_PG_TYPES[str(table.c[c].type).split('(')[0]]}[]" for c in cols)
        return f"INSERT INTO {table.name} ({listed}) SELECT * FROM unnest({arrays}) AS u({listed}) {conflict}"
    return f"INSERT INTO {table.name} ({listed}) VALUES ({', '.join('?' for _ in cols)}) {conflict}"


def add(session_or_conn, delta: Delta) -> None:
    """Add `delta` to the rollup tables (in the caller's transaction): one statement per
    table on PostgreSQL, one executemany on SQLite."""
    conn = session_or_conn.connection() if isinstance(session_or_conn, Session) else session_or_conn
    dialect = conn.dialect.name
    for model, rows in table_rows(delta).items():
        values = COUNTERS if model is RollupCases else (VALUE_COLUMN[model],)
        cols = [*model.KEY, *values]
        if dialect == "postgresql":
            conn.exec_driver_sql(_upsert_sql(dialect, model), tuple([r[c] for r in rows] for c in cols))
        else:
            conn.exec_driver_sql(_upsert_sql(dialect, model), [tuple(r[c] for c in cols) for r in rows])
