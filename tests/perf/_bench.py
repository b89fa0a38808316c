"""Timing, recording and EXPLAIN helpers for the benchmarks (tests/perf).

`Recorder.bench(name, fn, sql=...)` warms up, times `fn` RUNS times (p50 and p95 by nearest
rank), counts the statements of one more, untimed call (`QueryLog`), and times `sql` — the
bare SQL a DBA would write for the same answer, run on a plain DBAPI connection — the
same way, so every result carries its own baseline from the same run (`sql_p50_ms`).
Nothing here asserts on a time: each test asserts that the answer is right.

At the end of the session the Recorder prints the table (name, p50, p95, sql p50, ratio,
statements) and writes instance/bench.json, test-artifacts/bench.txt and, for benchmarks
slower than BENCH_EXPLAIN_MS, EXPLAIN (ANALYZE, BUFFERS) of their slowest statement into
test-artifacts/bench-explain.txt.
"""
from __future__ import annotations

import json
import math
import os
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import sqlalchemy as sa

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
EXPLAIN_MS = float(os.environ.get("BENCH_EXPLAIN_MS", "50"))
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ROOT / "instance" / "bench.json"


# ------------------------------------------------------------------------ timing
def nearest_rank(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Timing:
    samples: list[float]  # seconds
    result: Any = None

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        return nearest_rank(self.samples, 0.95) * 1000


def measure(fn: Callable[[], Any], *, runs: int = RUNS, warmup: int = WARMUP,
            before_each: Optional[Callable[[int], None]] = None) -> Timing:
    """`fn()` `warmup` times untimed, then `runs` times timed. `before_each(i)` (untimed)
    prepares run i (warm-ups are numbered first), for benchmarks that consume their input."""
    result = None
    for i in range(warmup):
        if before_each:
            before_each(i)
        result = fn()
    samples = []
    for i in range(warmup, warmup + runs):
        if before_each:
            before_each(i)
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return Timing(samples, result)


# -------------------------------------------------------------------- statements
@dataclass
class Statement:
    sql: str  # with the parameters filled in (psycopg2's mogrify), ready to paste into psql
    seconds: float


class QueryLog:
    """Statements run on `engine` inside `with QueryLog(engine) as log:`."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.statements: list[Statement] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_t0"].pop()
        try:
            sql = cursor.mogrify(statement, parameters).decode()
        except Exception:  # noqa: BLE001 - executemany or a driver without mogrify
            sql = statement
        self.statements.append(Statement(sql, elapsed))

    def __enter__(self) -> "QueryLog":
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)

    @property
    def count(self) -> int:
        return len(self.statements)

    def slowest_select(self) -> Optional[Statement]:
        selects = [s for s in self.statements
                   if s.sql.lstrip().upper().startswith(("SELECT", "WITH")) and "FOR UPDATE" not in s.sql.upper()]
        return max(selects, key=lambda s: s.seconds, default=None)


def explain(engine: sa.Engine, sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one SELECT, through a raw cursor."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
        return plan
    finally:
        raw.close()


_NODE = re.compile(r"^\s*(?:->\s*)?([A-Z][A-Za-z ]+?)(?: using (\S+))?(?: on (\S+)(?: \w+)?)?\s+\(cost=")


def plan_summary(plan: str) -> str:
    """The plan's nodes in one line, e.g. 'Limit > Sort > Seq Scan on cases; 41.2 ms'."""
    nodes = []
    for line in plan.splitlines():
        m = _NODE.match(line)
        if m:
            name, index, table = m.groups()
            label = name.strip() + (f" using {index}" if index else "") + (f" on {table}" if table else "")
            if label not in nodes:
                nodes.append(label)
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return " > ".join(nodes[:8]) + (f"; {float(took.group(1)):.1f} ms" if took else "")


class BareSQL:
    """A plain DBAPI connection (autocommit) for the baselines: `run(sql, params)` -> rows."""

    def __init__(self, engine: sa.Engine):
        self.raw = engine.raw_connection()
        self.raw.driver_connection.autocommit = True  # the psycopg2 connection itself

    def run(self, sql: str, params: Any = None) -> list[tuple]:
        cur = self.raw.cursor()
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def close(self) -> None:
        self.raw.close()


# ---------------------------------------------------------------------- recorder
@dataclass
class Result:
    name: str
    p50_ms: Optional[float]  # None where there is no latency (worker.rss)
    p95_ms: Optional[float]
    sql_p50_ms: Optional[float]
    statements: Optional[int]
    per_s: Optional[float] = None
    rss_mb: Optional[float] = None
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items() if k != "extra"}
        out = {k: v for k, v in out.items()
               if v is not None or k in ("p50_ms", "p95_ms", "sql_p50_ms", "statements")}
        return out | self.extra


@dataclass
class Recorder:
    engine: Optional[sa.Engine] = None
    header: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    explains: list[str] = field(default_factory=list)
    bare: Optional[BareSQL] = None
    meta: dict = field(default_factory=dict)  # scale, commit, date, machine for bench.json

    WIDTH = 34

    def bench(self, name: str, fn: Callable[[], Any], *, sql: Optional[Callable[[BareSQL], Any]] = None,
              engine: Optional[sa.Engine] = None, runs: int = RUNS, warmup: int = WARMUP,
              **extra) -> tuple[Timing, Optional[Timing]]:
        """Time `fn` and its bare-SQL twin `sql(bare)`; record; return both timings (their
        `.result` is the last answer of each, for the test to check)."""
        timing = measure(fn, runs=runs, warmup=warmup)
        engine = engine or self.engine
        statements = None
        if engine is not None:
            with QueryLog(engine) as log:
                fn()
            statements = log.count
            if timing.p50_ms >= EXPLAIN_MS:
                self.explain_slowest(name, engine, log)
        baseline = None
        if sql is not None and self.bare is not None:
            baseline = measure(lambda: sql(self.bare), runs=runs, warmup=warmup)
        self.add(Result(name, timing.p50_ms, timing.p95_ms, baseline.p50_ms if baseline else None, statements,
                        extra=extra))
        return timing, baseline

    def add(self, result: Result) -> Result:
        self.results.append(result)
        print("\n" + self.format_row(result), flush=True)
        return result

    def explain_slowest(self, title: str, engine: sa.Engine, log: QueryLog) -> None:
        stmt = log.slowest_select()
        if stmt is None:
            return
        plan = explain(engine, stmt.sql)
        self.explains.append(f"== {title}  (slowest statement {stmt.seconds * 1000:.1f} ms of {log.count})\n"
                             f"{stmt.sql}\n\n{plan}\n")
        print(f"\n   EXPLAIN {title}: {plan_summary(plan)}", flush=True)

    # ------------------------------------------------------------------ output
    def format_row(self, r: Result) -> str:
        sql = "" if r.sql_p50_ms is None else f"{r.sql_p50_ms:.1f}"
        ratio = "" if not r.sql_p50_ms or r.p50_ms is None else f"{r.p50_ms / r.sql_p50_ms:.2f}x"
        p50 = "" if r.p50_ms is None else f"{r.p50_ms:.1f}"
        p95 = "" if r.p95_ms is None else f"{r.p95_ms:.1f}"
        statements = "" if r.statements is None else str(r.statements)
        more = []
        if r.per_s is not None:
            more.append(f"{r.per_s:,.0f}/s")
        if r.rss_mb is not None:
            more.append(f"{r.rss_mb:.0f} MB")
        more += [f"{k}={v}" for k, v in r.extra.items()]
        return (f"{r.name:<{self.WIDTH}} {p50:>9} {p95:>9} {sql:>9} {ratio:>7} {statements:>6}  "
                + ", ".join(more)).rstrip()

    def summary(self, footer: list[str] = ()) -> str:
        out = [*self.header, ""]
        out.append(f"{'name':<{self.WIDTH}} {'p50 ms':>9} {'p95 ms':>9} {'sql p50':>9} {'ratio':>7} {'stmts':>6}  "
                   f"other")
        out.append("-" * (self.WIDTH + 60))
        out += [self.format_row(r) for r in self.results]
        out += ["", *footer]
        return "\n".join(out).rstrip() + "\n"

    def write(self, footer: list[str] = ()) -> str:
        text = self.summary(footer)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "bench.txt").write_text(text)
        explain_file = ARTIFACTS / "bench-explain.txt"
        if self.explains:
            explain_file.write_text("\n".join(self.explains))
        elif explain_file.exists():
            explain_file.unlink()
        RESULTS.parent.mkdir(exist_ok=True)
        text_json = json.dumps({**self.meta, "results": [r.as_json() for r in self.results]}, indent=2) + "\n"
        RESULTS.write_text(text_json)
        # Also kept per scale, so runs at two sizes can be compared (scripts/bench_table.py).
        cases = (self.meta.get("scale") or {}).get("cases")
        if cases:
            RESULTS.with_name(f"bench-{cases}.json").write_text(text_json)
        return text
