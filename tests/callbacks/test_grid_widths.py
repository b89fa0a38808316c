"""The staff queue's and the creator's grids fit a 1280 px window: at that width the queue
grid is about 1194 px wide and the creator's All cases grid about 1190 px (the review walk
measured both), so the columns' fixed and minimum widths must add up to no more, or the
last columns are cut off or squeezed to "…"."""
from __future__ import annotations

import importlib

from dashboard.components import queue_grid
from tests.callbacks.test_ids import page_registry  # noqa: F401  (pages import only once Dash registers them)

QUEUE_AT_1280 = 1194
COMPANY_AT_1280 = 1190
TICK_BOX = 44  # the queue grid's selection column


def _least(col: dict) -> int:
    return col["width"] if col.get("flex") == 0 else col.get("minWidth", 0)


def test_the_queue_columns_fit_at_1280_and_the_assignee_is_next_to_the_case():
    cols = queue_grid.COLUMN_DEFS
    assert TICK_BOX + sum(_least(c) for c in cols) <= QUEUE_AT_1280
    assert [c["field"] for c in cols][:2] == ["id", "assignee"]
    # Column ids are URL state (saved views, sort) and stay the same.
    assert {c["field"] for c in cols} == {"id", "assignee", "company", "customer", "amount", "provider", "reason",
                                          "status", "waiting", "deadline", "created"}


def test_the_company_columns_fit_at_1280_and_amount_keeps_its_room(page_registry):  # noqa: F811
    company = importlib.import_module("pages.company")
    cols = {c["field"]: c for c in company.COLUMN_DEFS}
    assert sum(c.get("minWidth", 0) for c in cols.values()) <= COMPANY_AT_1280
    assert cols["amount"]["minWidth"] >= 100
    assert all(c.get("minWidth") for c in cols.values())  # none can be squeezed to "…"


def test_the_saved_views_box_has_a_capped_width(page_registry):  # noqa: F811
    """A long view name is cut with an ellipsis (the dropdown's own style) instead of
    widening the box until Rename and Delete wrap onto a second line."""
    from dashboard.components.ids import QueueIds

    bar = importlib.import_module("pages.queue").saved_views_bar()
    [box] = [c for c in bar.children if getattr(c, "id", None) == QueueIds.VIEWS]
    assert box.style["width"] == "18rem" and box.style["maxWidth"] == "100%"
