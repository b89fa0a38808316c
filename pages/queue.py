"""`/queue`: the reviewer queue (SPEC §9), for reviewers and managers.

A skeleton only: `callbacks/queue.py` decides on load whether this user may see it,
and fills the tab counts and the grid's rows from the server.

The view is in the URL (`/queue?tab=closed&assigned=me&sort=amount:desc&f.company=Acme`,
`dashboard.saved_views`): the layout opens on the tab, "assigned to", sort and filters it
names, so a link is shareable and a reload shows the same rows. Anything in the query the
queue does not know is ignored. Nothing here reads the database.
"""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import saved_views
from dashboard.components.ids import QueueIds
from dashboard.components.queue_grid import TAB_HINTS, TAB_LABELS, queue_grid
from dashboard.components.queue_toolbar import toolbar
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/queue", title="Queue · Resolution Center")


def _set_value(component, component_id: str, value) -> None:
    """Open the toolbar's "assigned to" menu (components/queue_toolbar.py builds it with
    its default) on the URL's choice."""
    if getattr(component, "id", None) == component_id:
        component.value = value
        return
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            _set_value(child, component_id, value)


def saved_views_bar() -> html.Div:
    """The person's saved views: open one, save the current view (over one by naming it),
    rename or delete the one opened (`callbacks/saved_views.py`)."""
    button = {"size": "sm", "color": "light", "className": "border"}
    return html.Div([
        html.Label("Saved views", htmlFor=QueueIds.VIEWS, className="text-muted small me-2 mb-0"),
        dcc.Dropdown(id=QueueIds.VIEWS, placeholder="Open a saved view…", clearable=True, searchable=True,
                     # A long name is cut with an ellipsis (the whole of it in the list) instead
                     # of widening the box until Rename and Delete wrap.
                     options=[], style={"minWidth": "220px", "width": "18rem", "maxWidth": "100%"},
                     className="me-2"),
        dbc.Button([html.I(className="bi bi-bookmark-plus me-1", **{"aria-hidden": "true"}), "Save view…"],
                   id=QueueIds.VIEW_SAVE, title="Keep this tab, its filters and its sort under a name", **button),
        dbc.Button("Rename…", id=QueueIds.VIEW_RENAME, disabled=True, **button),
        dbc.Button("Delete", id=QueueIds.VIEW_DELETE, disabled=True, **button),
    ], className="d-flex align-items-center flex-wrap gap-1 mb-2")


def view_dialog() -> dbc.Modal:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Save this view", id=QueueIds.VIEW_DIALOG_TITLE)),
        dbc.ModalBody([
            dbc.Label("Name", html_for=QueueIds.VIEW_NAME),
            dbc.Input(id=QueueIds.VIEW_NAME, type="text", maxLength=saved_views.MAX_NAME, debounce=False,
                      placeholder="e.g. High-value PayPal, unassigned"),
            dbc.FormFeedback(id=QueueIds.VIEW_NAME_ERROR, type="invalid"),
            html.Div("The tab, \u201cassigned to\u201d, filters and sort are saved. Giving the name of a view "
                     "you already have saves over it.", className="form-text"),
        ]),
        dbc.ModalFooter([
            dbc.Button("Cancel", id=QueueIds.VIEW_CANCEL, color="secondary", outline=True),
            dbc.Button("Save", id=QueueIds.VIEW_SUBMIT, color="primary"),
        ]),
    ], id=QueueIds.VIEW_DIALOG, is_open=False)


def layout(**query):
    state = saved_views.from_params(query)
    refresh = html.Div([
        html.Span(id=QueueIds.REFRESHED_AT, className="text-muted small me-2"),
        dbc.Button([html.I(className="bi bi-arrow-clockwise me-1"), "Refresh"], id=QueueIds.REFRESH_BUTTON,
                   size="sm", color="light", className="border"),
    ], className="d-flex align-items-center")
    tabs = dbc.Tabs(
        [dbc.Tab(label=label, tab_id=tab, id=QueueIds.tab(tab)) for tab, label in TAB_LABELS.items()],
        id=QueueIds.TABS, active_tab=state["tab"], className="mb-2",
    )
    tools = toolbar()
    _set_value(tools, QueueIds.ASSIGNED, state["assigned"])
    body = html.Div([
        page_header("Reviewer queue", "Disputes waiting on the platform, the ones to keep an eye on, and every "
                    "closed case.", right=refresh),
        tabs,
        html.Div(TAB_HINTS[state["tab"]], id=QueueIds.TAB_HINT, className="text-muted small mb-2"),
        saved_views_bar(),
        html.Div(id=QueueIds.VIEW_FEEDBACK),
        tools,
        html.Div(id=QueueIds.FEEDBACK),
        queue_grid(QueueIds.GRID, sort=state["sort"], filter_model=saved_views.grid_filter_model(state)),
        view_dialog(),
    ], id=QueueIds.BODY, style={"display": "none"})
    return html.Div([
        # The page's own Location: refresh=False makes a change of view a history entry
        # (Back and Forward step through views) without Dash building the page again.
        dcc.Location(id=QueueIds.URL, refresh=False),
        # The view the URL holds; `pending` while a view from Back/Forward or a saved view
        # is being applied to the grid (callbacks/queue.py keep_url / follow_url).
        dcc.Store(id=QueueIds.VIEW_STATE, data={"state": state, "pending": None}),
        dcc.Store(id=QueueIds.APPLY),
        dcc.Store(id=QueueIds.APPLIED),
        dcc.Store(id=QueueIds.VIEW_MODE),
        dcc.Store(id=QueueIds.LOAD, data=True),
        dcc.Store(id=QueueIds.REFRESH, data=0),
        dcc.Store(id=QueueIds.GRID_SYNC),
        # Where each block of the grid ended (keyset cursors), so the next block is a seek.
        dcc.Store(id=QueueIds.GRID_CURSORS),
        dcc.Interval(id=QueueIds.INTERVAL, interval=60_000),
        html.Div(id=QueueIds.GATE),
        body,
    ])
