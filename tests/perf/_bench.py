"""Timing, recording and EXPLAIN helpers for the benchmarks (tests/perf).

`measure(fn)` warms up, then times `fn` RUNS times with `time.perf_counter` and keeps
the samples; nothing here ever asserts on a time. `Recorder` collects one row per
benchmark, prints it at once (`make bench` runs pytest with -s) and, at the end of
the session, prints the summary and writes it to test-artifacts/bench.txt.

`QueryLog` watches an engine for one extra, untimed call of the benchmarked function:
how many statements it ran (an N+1 shows up as a count that grows with the rows), and
the slowest SELECT, which `explain()` runs again under EXPLAIN (ANALYZE, BUFFERS) when
the benchmark is slow (BENCH_EXPLAIN_MS), into test-artifacts/bench-explain.txt.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import sqlalchemy as sa

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "3"))
EXPLAIN_MS = float(os.environ.get("BENCH_EXPLAIN_MS", "50"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# ------------------------------------------------------------------------ timing
@dataclass
class Timing:
    samples: list[float]  # seconds
    result: Any = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p90_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] * 1000  # nearest rank


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
    """EXPLAIN (ANALYZE, BUFFERS) of one SELECT, through a raw cursor (no parameter
    formatting, so LIKE patterns with % survive)."""
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
            label = name.strip()
            if index:
                label += f" using {index}"
            if table:
                label += f" on {table}"
            if label not in nodes:
                nodes.append(label)
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return " > ".join(nodes[:8]) + (f"; {float(took.group(1)):.1f} ms" if took else "")


# ---------------------------------------------------------------------- recorder
@dataclass
class Row:
    group: str
    name: str
    median_ms: float
    p90_ms: float
    rows: Optional[int]
    queries: Optional[int]
    per_second: Optional[tuple[float, str]] = None  # (rate, unit), for the jobs


@dataclass
class Recorder:
    header: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    ratios: list[tuple[str, str, str, str]] = field(default_factory=list)  # (label, numerator, denominator, note)
    explains: list[str] = field(default_factory=list)
    engine: Optional[sa.Engine] = None

    WIDTH = 58

    def add(self, group: str, name: str, timing: Timing, *, rows: Optional[int] = None,
            queries: Optional[int] = None, per_second: Optional[tuple[float, str]] = None) -> Row:
        row = Row(group, name, timing.median_ms, timing.p90_ms, rows, queries, per_second)
        self.rows.append(row)
        print("\n" + self.format_row(row), flush=True)
        return row

    def run(self, group: str, name: str, fn: Callable[[], Any], *, count: Callable[[Any], int] = len,
            engine: Optional[sa.Engine] = None, **measure_kw) -> Timing:
        """Measure `fn`, then call it once more under a QueryLog (untimed) to count its
        statements and, if it is slow, EXPLAIN its slowest SELECT."""
        timing = measure(fn, **measure_kw)
        engine = engine or self.engine
        queries = None
        if engine is not None:
            with QueryLog(engine) as log:
                fn()
            queries = log.count
            if timing.median_ms >= EXPLAIN_MS:
                self.explain_slowest(f"{group}: {name}", engine, log)
        rows = count(timing.result)
        self.add(group, name, timing, rows=rows if isinstance(rows, int) else len(rows), queries=queries)
        return timing

    def explain_slowest(self, title: str, engine: sa.Engine, log: QueryLog) -> None:
        stmt = log.slowest_select()
        if stmt is None:
            return
        plan = explain(engine, stmt.sql)
        self.explains.append(f"== {title}  (slowest statement {stmt.seconds * 1000:.1f} ms of {log.count})\n"
                             f"{stmt.sql}\n\n{plan}\n")
        print(f"\n   EXPLAIN {title}: {plan_summary(plan)}", flush=True)

    def ratio(self, label: str, numerator: str, denominator: str, note: str = "") -> None:
        self.ratios.append((label, numerator, denominator, note))

    def median(self, name: str) -> Optional[float]:
        for r in self.rows:
            if f"{r.group}: {r.name}" == name:
                return r.median_ms
        return None

    # ------------------------------------------------------------------ output
    def format_row(self, r: Row) -> str:
        rows = "" if r.rows is None else f"{r.rows:,}"
        queries = "" if r.queries is None else str(r.queries)
        name = f"{r.group}: {r.name}"
        return f"{name:<{self.WIDTH}} {r.median_ms:>10.1f} {r.p90_ms:>9.1f} {rows:>8} {queries:>7}"

    def summary(self, footer: list[str] = ()) -> str:
        out = [*self.header, ""]
        out.append(f"{'benchmark':<{self.WIDTH}} {'median ms':>10} {'p90 ms':>9} {'rows':>8} {'queries':>7}")
        out.append("-" * (self.WIDTH + 37))
        group = None
        for r in self.rows:
            if group is not None and r.group != group:
                out.append("")
            group = r.group
            out.append(self.format_row(r))
        rates = [r for r in self.rows if r.per_second]
        if rates:
            out += ["", "Throughput (batch / median)"]
            for r in rates:
                rate, unit = r.per_second
                per_item = f"{r.median_ms / r.rows:.2f} ms and {r.queries / r.rows:.1f} statements per item" \
                    if r.rows and r.queries else ""
                out.append(f"  {r.group}: {r.name}: {rate:,.0f} {unit} ({per_item})")
        lines = []
        width = max((len(label) for label, *_ in self.ratios), default=0)
        for label, num, den, note in self.ratios:
            a, b = self.median(num), self.median(den)
            if a is not None and b:
                lines.append(f"  {label:<{width}} {a / b:>7.2f}x" + (f"   {note}" if note else ""))
        if lines:
            out += ["", "Ratios (of medians)", *lines]
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
        return text
