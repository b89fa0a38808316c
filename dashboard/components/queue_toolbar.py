"""The queue's toolbar (`pages/queue.py`): the "assigned to" filter, and what can be done
to the selected cases — claim, and for managers assign (`callbacks/queue_bulk.py`)."""
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import QueueIds

ASSIGNED_OPTIONS = [
    {"label": "Anyone", "value": "anyone"},
    {"label": "Unassigned", "value": "unassigned"},
    {"label": "Assigned to me", "value": "me"},
]


def toolbar():
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
