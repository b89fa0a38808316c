"""`/queue`: the reviewer queue (SPEC §9), for reviewers and managers.

A skeleton only: `callbacks/queue.py` decides on load whether this user may see it,
and fills the tab counts and the grid's rows from the server.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import QueueIds
from dashboard.components.queue_grid import TAB_HINTS, TAB_LABELS, queue_grid
from dashboard.components.queue_toolbar import toolbar
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/queue", title="Queue · Resolution Center")

def layout(**_kwargs):
    refresh = html.Div([
        html.Span(id=QueueIds.REFRESHED_AT, className="text-muted small me-2"),
        dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"), "Refresh"], id=QueueIds.REFRESH_BUTTON,
                   size="sm", color="light", className="border"),
    ], className="d-flex align-items-center")
    tabs = dbc.Tabs(
        [dbc.Tab(label=label, tab_id=tab, id=QueueIds.tab(tab)) for tab, label in TAB_LABELS.items()],
        id=QueueIds.TABS, active_tab="escalated", className="mb-2",
    )
    body = html.Div([
        page_header("Reviewer queue", "Disputes waiting on the platform, and the ones to keep an eye on.",
                    right=refresh),
        tabs,
        html.Div(TAB_HINTS["escalated"], id=QueueIds.TAB_HINT, className="text-muted small mb-2"),
        toolbar(),
        html.Div(id=QueueIds.FEEDBACK),
        queue_grid(QueueIds.GRID),
    ], id=QueueIds.BODY, style={"display": "none"})
    return html.Div([
        dcc.Store(id=QueueIds.LOAD, data=True),
        dcc.Store(id=QueueIds.REFRESH, data=0),
        dcc.Store(id=QueueIds.GRID_SYNC),
        # Where each block of the grid ended (keyset cursors), so the next block is a seek.
        dcc.Store(id=QueueIds.GRID_CURSORS),
        dcc.Interval(id=QueueIds.INTERVAL, interval=60_000),
        html.Div(id=QueueIds.GATE),
        body,
    ])
