"""Phone width: below `PHONE_WIDTH` px an AG Grid of cases reads as a list of cards.

A card is one cell per case holding what the desktop columns say, line by line (each
grid's row data carries it as "card"). Which columns a grid shows is decided in the
browser from the window's width when the page loads (`cards_below_phone_width`, a
clientside callback body); the rows are the same server-paged blocks either way, so a
phone never receives more rows than a desktop.
"""
from __future__ import annotations

import json

PHONE_WIDTH = 576  # Bootstrap's sm breakpoint, as assets/app.css's card tables

QUEUE_ROW_HEIGHT = 96
QUEUE_COLUMN_DEFS = [
    {"field": "card", "headerName": "Cases", "flex": 1, "wrapText": True, "cellClass": "rc-queue-card",
     "sortable": False, "headerTooltip": "Tap a case to open it",
     # The card's deadline line (a party's "Due …" or the platform's "Decide by …") in the
     # desktop deadline cell's colours: red once missed, amber when due soon.
     "cellClassRules": {
         "bg-danger-subtle": "params.data != null && params.data.deadline_state === 'overdue'",
         "bg-warning-subtle": "params.data != null && params.data.deadline_state === 'soon'",
     }},
]
COMPANY_ROW_HEIGHT = 112
COMPANY_COLUMN_DEFS = [
    {"field": "card", "headerName": "Cases", "cellRenderer": "markdown", "flex": 1, "wrapText": True,
     "cellClass": "rc-grid-card", "sortable": False},
]


def cards_below_phone_width(column_defs: list[dict], row_height: int) -> str:
    """The body of a clientside callback (Input: any load signal, State: the grid's
    dashGridOptions; Outputs: columnDefs, dashGridOptions) that swaps in the card columns
    and their row height on a narrow window and leaves a wide one alone."""
    return """
    function(_load, options) {
        if (window.innerWidth >= %d) { return [dash_clientside.no_update, dash_clientside.no_update]; }
        return [%s, Object.assign({}, options || {}, {rowHeight: %d})];
    }
    """ % (PHONE_WIDTH, json.dumps(column_defs), row_height)
