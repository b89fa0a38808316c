"""`/audit` — managers only: sign-ins (success, failure, throttled, sign-out) and staff
decisions, newest first, filtered by kind and date, paged on the server, exportable
as CSV. Filled by `callbacks/audit.py`, which checks the role on every call."""
import datetime as dt

import dash
import flask
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.audit import KIND_LABELS
from dashboard.components.ids import AuditIds
from dashboard.components.shell import page_header

dash.register_page(__name__, path="/audit", title="Audit log · Resolution Center")

DEFAULT_DAYS = 30


def layout(**_kwargs):
    today = flask.current_app.extensions["rc"].now().date()
    label = "form-label small text-muted mb-1"
    export = html.A([html.I(className="bi bi-download me-1"), "Export CSV"], id=AuditIds.EXPORT, href="/audit/export.csv",
                    className="btn btn-outline-secondary btn-sm")
    return html.Div([
        page_header("Audit log", "Who signed in, who was refused, and what the platform's staff decided.",
                    right=export),
        html.Div(id=AuditIds.ALERT),
        html.Div(id=AuditIds.BODY, children=[
            dbc.Row([
                dbc.Col([html.Label("What", className=label, htmlFor=AuditIds.KINDS),
                         dcc.Dropdown(id=AuditIds.KINDS, multi=True, placeholder="Everything",
                                      options=[{"label": text, "value": kind.value}
                                               for kind, text in KIND_LABELS.items()])], lg=6, md=6),
                dbc.Col([html.Label("When (UTC days)", className=label, htmlFor=AuditIds.DATES),
                         dcc.DatePickerRange(id=AuditIds.DATES,
                                             start_date=(today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
                                             end_date=today.isoformat(), display_format="D MMM YYYY",
                                             first_day_of_week=1, minimum_nights=0, clearable=True,
                                             className="d-block")], lg=4, md=6),
            ], className="g-3 mb-3"),
            dbc.Card([
                dbc.CardBody(dcc.Loading(html.Div(id=AuditIds.TABLE), type="dot"), className="p-0"),
                dbc.CardFooter(html.Div([
                    html.Span(id=AuditIds.PAGER_TEXT, className="text-muted small"),
                    dbc.Pagination(id=AuditIds.PAGER, max_value=1, active_page=1, size="sm", fully_expanded=False,
                                   first_last=True, previous_next=True, className="mb-0"),
                ], className="d-flex justify-content-between align-items-center flex-wrap gap-2"),
                    className="bg-white"),
            ], className="shadow-sm"),
        ]),
    ])
