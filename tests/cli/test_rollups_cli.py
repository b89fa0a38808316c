"""`python -m dashboard rebuild-rollups`: after rows were written behind the application's
back (a bulk load, a repair by hand), the metrics come back true."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from data.read import metrics as m
from data.rollups.models import ROLLUP_TABLES
from dashboard.cases import opening
from dashboard.context import Ctx
from tests import factories

T = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.timezone.utc)


def test_rebuild_rollups_restores_the_metrics(cli, tmp_path):
    runtime = cli.runtime()
    with runtime.Session.begin() as s:
        ctx = Ctx(s, T, factories.test_settings(tmp_path))
        w = factories.world(ctx)
        opening.open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me")
    day = m.MetricsFilter(T.date(), T.date())
    with runtime.Session.begin() as s:
        assert m.counts(s, day).cases == 1
        for model in ROLLUP_TABLES:  # as a bulk load would leave them: nothing counted
            s.execute(delete(model))
    with runtime.Session() as s:
        assert m.counts(s, day).cases == 0

    done = cli("rebuild-rollups")
    assert done.returncode == 0, done.stderr
    assert "Rebuilt the metrics rollups" in done.stdout and "rollup_cases" in done.stdout
    with runtime.Session() as s:
        assert (m.counts(s, day).cases, m.counts(s, day).open) == (1, 1)
    runtime.engine.dispose()
