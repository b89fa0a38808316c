"""`/queue`: the reviewer queue (SPEC §9), for reviewers and managers.

A skeleton only: `callbacks/queue.py` decides on load whether this user may see it,
and fills the tab counts and the grid's rows from the server.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import QueueIds
from dashboard.components.queue_grid import TAB_HINTS, TAB_LABELS, queue_grid
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/queue", title="Queue · Resolution Center")

ASSIGNED_OPTIONS = [
    {"label": "Anyone", "value": "anyone"},
    {"label": "Unassigned", "value": "unassigned"},
    {"label": "Assigned to me", "value": "me"},
]


def _toolbar():
    assigned = html.Div([
        html.Label("Assigned to", htmlFor=QueueIds.ASSIGNED, className="text-muted small me-2 mb-0"),
        dbc.Select(id=QueueIds.ASSIGNED, options=ASSIGNED_OPTIONS, value="anyone", size="sm",
                   style={"width": "auto"}),
    ], className="d-flex align-items-center")
    claim = dbc.Button([html.I(className="bi bi-person-check me-1"), "Claim"], id=QueueIds.CLAIM, size="sm",
                       color="primary", disabled=True, title="Take the selected case")
    assign = html.Div([
        dcc.Dropdown(id=QueueIds.ASSIGN_REVIEWER, placeholder="Assign to…", clearable=False, searchable=True,
                     style={"minWidth": "220px"}, className="me-2"),
        dbc.Button([html.I(className="bi bi-person-gear me-1"), "Assign"], id=QueueIds.ASSIGN, size="sm",
                   color="secondary", outline=True, disabled=True),
    # Shown (display: flex) to managers only; no d-flex class, which would beat display: none.
    ], id=QueueIds.ASSIGN_CONTROLS, className="align-items-center ms-3", style={"display": "none"})
    return html.Div([
        assigned,
        html.Div([
            html.Span(id=QueueIds.SELECTED, className="text-muted small me-3"),
            claim,
            assign,
        ], className="d-flex align-items-center"),
    ], className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2")


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
        _toolbar(),
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
