"""The queue's toolbar (`pages/queue.py`): the "assigned to" filter, and what can be done
to the selected cases (`callbacks/queue_bulk.py`) — claim, add one internal note to each,
and for managers assign, with each reviewer's open cases in the menu.

The controls wrap onto further lines at phone width (flex-wrap); each button's visible
words are its accessible name, and the selection count is announced politely."""
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.cases.bulk import MAX_CASES
from dashboard.components.ids import QueueIds

ASSIGNED_OPTIONS = [
    {"label": "Anyone", "value": "anyone"},
    {"label": "Unassigned", "value": "unassigned"},
    {"label": "Assigned to me", "value": "me"},
]


def _icon(name: str) -> html.I:
    return html.I(className=f"bi bi-{name} me-1", **{"aria-hidden": "true"})


def note_dialog() -> dbc.Modal:
    """One note, added to each selected case's timeline for staff only."""
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Add an internal note", id=QueueIds.NOTE_TITLE)),
        dbc.ModalBody([
            dbc.Label("Note", html_for=QueueIds.NOTE_TEXT),
            dbc.Textarea(id=QueueIds.NOTE_TEXT, rows=4, value="",
                         placeholder="What the next reviewer should know about these cases."),
            # d-block: shown whenever it has words (the callback fills it and marks the field invalid).
            dbc.FormFeedback(id=QueueIds.NOTE_ERROR, className="d-block"),
            html.Div("Only the platform's staff see internal notes; the customer and the merchant never do, and "
                     "no one is emailed.", className="form-text"),
        ]),
        dbc.ModalFooter([
            dbc.Button("Cancel", id=QueueIds.NOTE_CANCEL, color="secondary", outline=True),
            dbc.Button([_icon("journal-plus"), "Add the note"], id=QueueIds.NOTE_SUBMIT, color="primary"),
        ]),
    ], id=QueueIds.NOTE_DIALOG, is_open=False, labelledby=QueueIds.NOTE_TITLE)


def toolbar():
    assigned = html.Div([
        html.Label("Assigned to", htmlFor=QueueIds.ASSIGNED, className="text-muted small me-2 mb-0"),
        dbc.Select(id=QueueIds.ASSIGNED, options=ASSIGNED_OPTIONS, value="anyone", size="sm",
                   style={"width": "auto"}),
    ], className="d-flex align-items-center")
    claim = dbc.Button([_icon("person-check"), "Claim"], id=QueueIds.CLAIM, size="sm", color="primary",
                       disabled=True, title="Take the selected cases: they become yours")
    note = dbc.Button([_icon("journal-plus"), "Add note"], id=QueueIds.NOTE_OPEN, size="sm", color="secondary",
                      outline=True, disabled=True, title="Add one internal note to each selected case")
    assign = html.Div([
        html.Label("Assign the selected cases to", htmlFor=QueueIds.ASSIGN_REVIEWER, className="visually-hidden"),
        dcc.Dropdown(id=QueueIds.ASSIGN_REVIEWER, placeholder="Assign to…", clearable=False, searchable=True,
                     style={"minWidth": "15rem", "flex": "1 1 15rem"}),
        dbc.Button([_icon("person-gear"), "Assign"], id=QueueIds.ASSIGN, size="sm", color="secondary",
                   outline=True, disabled=True, title="Give the selected cases to the person chosen"),
    # Shown (display: flex) to managers only; no d-flex class, which would beat display: none.
    ], id=QueueIds.ASSIGN_CONTROLS, className="align-items-center flex-wrap gap-2", style={"display": "none"})
    selected = html.Span(id=QueueIds.SELECTED, className="text-muted small", role="status",
                         title=f"At most {MAX_CASES} cases at once", **{"aria-live": "polite"})
    return html.Div([
        html.Div([
            assigned,
            html.Div([selected, claim, note, assign], className="d-flex align-items-center flex-wrap gap-2"),
        ], className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2"),
        note_dialog(),
    ])
