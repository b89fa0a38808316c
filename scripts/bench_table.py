"""The README's performance table from two `make bench` results, side by side:

    python scripts/bench_table.py instance/bench-100000.json instance/bench-1000000.json

Prints a Markdown table: per measure p50 / p95 at each scale, the bare SQL's p50 and our
ratio to it at the larger scale, the statements, and the growth of p95 from the smaller
scale to the larger (throughputs: per second at each scale).
"""
from __future__ import annotations

import json
import sys


def _fmt(v, digits=1):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}" if v < 1000 else f"{v:,.0f}"


def main(small_path: str, large_path: str) -> None:
    small, large = (json.load(open(p)) for p in (small_path, large_path))
    a = {r["name"]: r for r in small["results"]}
    print(f"{small['scale']['cases']:,} cases vs {large['scale']['cases']:,} cases; "
          f"commit {large.get('commit')}, {large.get('date')}, {large.get('machine')}\n")
    print("| measure | p50 / p95 ms (first file) | p50 / p95 ms (second file) | bare SQL p50 ms | ours / SQL | statements "
          "| growth (p95) | per s (first → second) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in large["results"]:
        s = a.get(r["name"], {})
        ratio = (r["p50_ms"] / r["sql_p50_ms"]) if r.get("p50_ms") and r.get("sql_p50_ms") else None
        growth = (r["p95_ms"] / s["p95_ms"]) if r.get("p95_ms") and s.get("p95_ms") else None
        per_s = (f"{_fmt(s.get('per_s'), 0)} → {_fmt(r.get('per_s'), 0)}" if r.get("per_s") else
                 (f"{_fmt(s.get('rss_mb'), 0)} → {_fmt(r.get('rss_mb'), 0)} MB" if r.get("rss_mb") else ""))
        print(f"| `{r['name']}` | {_fmt(s.get('p50_ms'))} / {_fmt(s.get('p95_ms'))} "
              f"| {_fmt(r.get('p50_ms'))} / {_fmt(r.get('p95_ms'))} | {_fmt(r.get('sql_p50_ms'))} "
              f"| {_fmt(ratio, 2) + '×' if ratio else '—'} | {r.get('statements') if r.get('statements') is not None else '—'} "
              f"| {_fmt(growth, 2) + '×' if growth else '—'} | {per_s} |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
