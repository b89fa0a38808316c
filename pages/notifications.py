"""`/notifications` — a reviewer's or manager's notifications, newest first, 25 a page
(keyset-paged on the server), "Mark all read", and how they want to be emailed. Filled
by `callbacks/notifications.py`, which reads as the signed-in user (staff only); nothing
here reads the database."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.ids import NotificationIds as N
from dashboard.components.shell import page_header
from dashboard.notifications.staff import MODES

dash.register_page(__name__, path="/notifications", title="Notifications · Resolution Center")


def layout(**_kwargs):
    pager = html.Div([
        dbc.Button("First page", id=N.FIRST, color="secondary", outline=True, size="sm", n_clicks=0,
                   style={"display": "none"}),
        dbc.Button(["Next page", html.I(className="bi bi-chevron-right ms-1", **{"aria-hidden": "true"})],
                   id=N.NEXT, color="primary", outline=True, size="sm", n_clicks=0, style={"display": "none"}),
    ], className="d-flex flex-wrap gap-2 justify-content-end mt-2")
    preference = dbc.Card(dbc.CardBody([
        html.H2("Email me", className="h6"),
        dbc.RadioItems(id=N.MODE, options=[{"label": label, "value": value} for value, label in MODES.items()],
                       value=None),
        dbc.Button("Save", id=N.MODE_SAVE, color="primary", size="sm", n_clicks=0, className="mt-2"),
        html.Div(id=N.MODE_FEEDBACK, className="mt-2", **{"aria-live": "polite"}),
    ]), className="mb-3")
    return html.Div([
        page_header("Notifications", "Work that arrived for you, newest first. Opening one marks it read.",
                    right=dbc.Button("Mark all read", id=N.MARK_ALL, color="secondary", outline=True, size="sm",
                                     n_clicks=0)),
        dcc.Store(id=N.AFTER, data=None),
        dcc.Store(id=N.NEXT_CURSOR, data=None),
        dcc.Store(id=N.RELOAD, data=0),
        html.Div(id=N.ALERT, **{"aria-live": "polite"}),
        dbc.Row([
            dbc.Col([dcc.Loading(html.Div(id=N.LIST), type="dot"), pager], lg=8),
            dbc.Col(preference, lg=4),
        ], className="g-3"),
    ])
