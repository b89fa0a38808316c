"""`/search?q=…` — staff search: the navbar's field sends its text here. An exact case or
payment id opens that case; anything else lists the matching cases, newest first, 25 a
page. Filled by `callbacks/search.py`, which searches as the signed-in user (staff only);
nothing here reads the database: `q` only goes into a Store."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import SearchIds
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/search", title="Search · Resolution Center")


def layout(q=None, **_kwargs):
    query = q if isinstance(q, str) else ""
    pager = html.Div([
        dbc.Button("First page", id=SearchIds.FIRST, color="secondary", outline=True, size="sm", n_clicks=0,
                   style={"display": "none"}),
        dbc.Button(["Next page", html.I(className="bi bi-chevron-right ms-1", **{"aria-hidden": "true"})],
                   id=SearchIds.NEXT, color="primary", outline=True, size="sm", n_clicks=0, style={"display": "none"}),
    ], className="d-flex flex-wrap gap-2 justify-content-end mt-2")
    return html.Div([
        page_header("Search cases", f"Open and closed cases matching “{query.strip()}”, newest first."
                    if query.strip() else "Open and closed cases, newest first."),
        dcc.Store(id=SearchIds.QUERY, data=query),
        dcc.Store(id=SearchIds.AFTER, data=None),
        dcc.Store(id=SearchIds.NEXT_CURSOR, data=None),
        html.Div(id=SearchIds.ALERT),
        dcc.Loading(html.Div(id=SearchIds.RESULTS), type="dot"),
        pager,
    ])
