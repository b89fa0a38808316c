"""`/team` — managers: who is on duty for the automatic assignment and with what capacity,
how many open cases each reviewer and manager holds (escalated, appeals, waiting on a
party), what they decided in the last 7 days, and a chart of open cases against capacity.

Filled by `callbacks/team.py`, which checks the role on every call; a switch or a capacity
saves as soon as it changes. Nothing here reads the database."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.charts import GRAPH_CONFIG
from dashboard.components.ids import TeamIds
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/team", title="Team · Resolution Center")


def layout(**_kwargs):
    return html.Div([
        dcc.Store(id=TeamIds.LOAD, data=0),
        dcc.Store(id=TeamIds.SAVED, data=0),
        page_header("Team", "Who is on duty: the scheduler gives each new escalation and appeal to the person on "
                            "duty with the fewest open cases, up to their capacity."),
        html.Div(id=TeamIds.ALERT),
        html.Div(id=TeamIds.BODY, style={"display": "none"}, children=[
            # Where a save says what it did (read out by screen readers as it changes).
            html.Div(id=TeamIds.FEEDBACK, role="status", **{"aria-live": "polite"}),
            dbc.Row([
                dbc.Col(dbc.Card(dbc.CardBody(dcc.Loading(html.Div(id=TeamIds.LIST), type="dot"), className="p-0"),
                                 className="shadow-sm"), lg=7),
                dbc.Col(dbc.Card(dbc.CardBody(dcc.Graph(id=TeamIds.CHART, config=GRAPH_CONFIG,
                                                        style={"minHeight": "240px"}), className="p-2"),
                                 className="shadow-sm"), lg=5),
            ], className="g-3"),
        ]),
    ])
