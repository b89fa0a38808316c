"""Build (or reuse) the benchmark data set before pytest starts: `python -m tests.perf.build`.

`make bench` runs this first, so the build of a million cases is never cut short by
pytest's per-test timeout; the benchmarks' `bench_cache` fixture then finds the cache
ready. Same environment as the benchmarks: BENCH_DATABASE_URL, BENCH_CASES (default
1,000,000), BENCH_FRESH=1 to rebuild.
"""
from __future__ import annotations

import os
import sys

from tests import _dbs
from tests.perf import _databases


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip() or _dbs.DEFAULT_PG_ADMIN_URL
    reason = _dbs.pg_unreachable_reason(url)
    if reason:
        print(f"bench: {reason}", file=sys.stderr)
        return 2
    for name in _databases.drop_stale_copies(url):
        print(f"bench: dropped {name}, left by an earlier run")
    info = _databases.ensure_cache(url, cases=_databases.bench_cases(), fresh=_databases.bench_fresh(),
                                   progress=lambda m: print(m, flush=True))
    counts = ", ".join(f"{table} {n:,}" for table, n in info.counts.items() if n)
    print(f"bench: data set ready ({'reused' if info.reused else f'built in {info.build_seconds:.0f} s'}): {counts}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
