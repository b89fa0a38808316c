"""Rollups: aggregate tables kept true at commit, read by every metric.

- `models`   the tables (`rollup_*`, `open_case_counts`)
- `contrib`  what one case, movement or payment contributes: the definition of each metric
- `maintain` the session hooks that add each transaction's changes at its commit
- `rebuild`  the whole thing again from the rows (migration backfill, CLI, bulk loads)
- `counts`   small reads that are not metrics screens: queue tab counts, company KPIs

Importing `data.models` imports this package, so every ORM session of the process keeps
the rollups (the hooks are registered on the Session class).
"""
from data.rollups import maintain as _maintain  # noqa: F401 - registers the session hooks
from data.rollups.counts import company_kpis, stage_counts
from data.rollups.rebuild import rebuild

__all__ = ["rebuild", "stage_counts", "company_kpis"]
