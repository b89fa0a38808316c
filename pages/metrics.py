"""`/metrics` — the managers' view of every dispute: volumes, response times, escalation
and appeal rates, outcomes, money, and breakdowns by company, provider and reason, all
under one set of filters, with a CSV export of the filtered cases.

Filled by `callbacks/metrics.py` (which checks the role on every call); nothing here
reads the database. The dates are days in the viewer's time zone, named under the filters
(`zone_note`); the default range is the last 90 of them.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import dash
import flask
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.charts import GRAPH_CONFIG
from dashboard.components.format import PROVIDER_LABELS, reason_label
from dashboard.components.ids import MetricsIds
from dashboard.components.shell import page_header
from dashboard.enums import Provider, Reason
from dashboard.components.format import viewer_zone

dash.register_page(__name__, path="/metrics", title="Metrics · Resolution Center")

DEFAULT_DAYS = 90


def _graph(graph_id: str, *, extra=None) -> dbc.Card:
    body = [dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"minHeight": "320px"})]
    return dbc.Card(dbc.CardBody([extra, dcc.Loading(body, type="dot")] if extra is not None else dcc.Loading(body, type="dot"),
                                 className="p-2"), className="h-100 shadow-sm")


def zone_note(zone: ZoneInfo, now: dt.datetime) -> str:
    """'Days in Europe/Paris (CET).' — and, where the zone is not a whole number of hours
    from UTC, where its days start (the finest the metrics count in is the UTC hour)."""
    local = now.astimezone(zone)
    abbreviation = local.tzname() or "UTC"
    abbreviation = f"UTC{abbreviation}" if abbreviation[:1] in "+-" else abbreviation
    note = "Days in UTC." if zone.key == "UTC" else f"Days in {zone.key} ({abbreviation})."
    offset = int((local.utcoffset() or dt.timedelta()).total_seconds() // 60)
    early = -offset % 60  # minutes past the whole UTC hour at which local midnight falls
    if early:
        sign = "+" if offset >= 0 else "-"
        note += (f" This zone is UTC{sign}{abs(offset) // 60}:{abs(offset) % 60:02d}, so each day here starts "
                 f"{early} minutes before midnight (at 23:{60 - early:02d}), on the whole UTC hour.")
    return note


def _filters(today: dt.date, note: str) -> dbc.Card:
    label = "form-label small text-muted mb-1"
    return dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col([html.Label("Cases opened between", className=label, htmlFor=MetricsIds.DATES),
                     dcc.DatePickerRange(id=MetricsIds.DATES, start_date=(today - dt.timedelta(days=DEFAULT_DAYS - 1))
                                         .isoformat(), end_date=today.isoformat(), display_format="D MMM YYYY",
                                         first_day_of_week=1, minimum_nights=0, clearable=False,
                                         max_date_allowed=(today + dt.timedelta(days=1)).isoformat(),
                                         className="d-block")], lg=4, md=6),
            dbc.Col([html.Label("Companies", className=label, htmlFor=MetricsIds.COMPANIES),
                     dcc.Dropdown(id=MetricsIds.COMPANIES, multi=True, placeholder="All companies — type to search",
                                  options=[])], lg=3, md=6),
            dbc.Col([html.Label("Providers", className=label, htmlFor=MetricsIds.PROVIDERS),
                     dcc.Dropdown(id=MetricsIds.PROVIDERS, multi=True, placeholder="All providers",
                                  options=[{"label": PROVIDER_LABELS[p.value], "value": p.value} for p in Provider])],
                    lg=2, md=6),
            dbc.Col([html.Label("Reasons", className=label, htmlFor=MetricsIds.REASONS),
                     dcc.Dropdown(id=MetricsIds.REASONS, multi=True, placeholder="All reasons",
                                  options=[{"label": reason_label(r.value), "value": r.value} for r in Reason])],
                    lg=3, md=6),
        ], className="g-3"),
        html.Div([
            html.Span("Group by", className="small text-muted me-2"),
            dbc.RadioItems(id=MetricsIds.BUCKET, inline=True, value="week", className="d-inline-block small",
                           options=[{"label": "Day", "value": "day"}, {"label": "Week", "value": "week"},
                                    {"label": "Month", "value": "month"}]),
            html.Span([html.I(className="bi bi-info-circle me-1"),
                       f"{note} Every number and chart below counts the cases opened in this range "
                       "that match the filters."], className="small text-muted ms-lg-3"),
        ], className="mt-3 d-flex flex-wrap align-items-center"),
    ]), className="shadow-sm mb-3")


def layout(**_kwargs):
    # The saved zone, else the browser's, else UTC: the rule the callbacks and the CSV use
    # (dashboard.export_routes.metrics_zone, which this page may not import: it reaches the API's errors).
    zone = viewer_zone()
    now = flask.current_app.extensions["rc"].now()
    today = now.astimezone(zone).date()
    export = html.A([html.I(className="bi bi-download me-2"), "Export CSV"], id=MetricsIds.EXPORT,
                    href="/metrics/export.csv", className="btn btn-outline-primary btn-sm",
                    title="Download the filtered cases as CSV", style={"display": "none"})
    return html.Div([
        page_header("Metrics", "Disputes across every company on the platform", right=export),
        html.Div(id=MetricsIds.ALERT),
        html.Div(id=MetricsIds.BODY, style={"display": "none"}, children=[
            _filters(today, zone_note(zone, now)),
            dcc.Loading(html.Div(id=MetricsIds.KPIS, className="mb-3"), type="dot"),
            dbc.Row([
                dbc.Col(_graph(MetricsIds.VOLUME, extra=html.Div([
                    html.Span("Stack by", className="text-muted me-2"),
                    dbc.RadioItems(id=MetricsIds.STACK, inline=True, value="reason", className="d-inline-block",
                                   options=[{"label": "Reason", "value": "reason"},
                                            {"label": "Provider", "value": "provider"}]),
                ], className="small d-flex justify-content-end px-2")), lg=6),
                dbc.Col(_graph(MetricsIds.OUTCOMES), lg=6),
                dbc.Col(_graph(MetricsIds.FIRST_RESPONSE), lg=6),
                dbc.Col(_graph(MetricsIds.RESOLUTION), lg=6),
                dbc.Col(_graph(MetricsIds.RATES), lg=6),
                dbc.Col(_graph(MetricsIds.MONEY), lg=6),
            ], className="g-3 mb-3"),
            dbc.Card([
                dbc.CardHeader([html.I(className="bi bi-table me-2"), html.Span("Breakdowns", className="fw-semibold"),
                                html.Span(" — dispute rate is cases opened ÷ payments made in the range; win rates "
                                          "are shares of closed cases.", className="text-muted small")],
                               className="bg-white"),
                dbc.CardBody(dbc.Tabs([
                    dbc.Tab(dcc.Loading(html.Div(id=MetricsIds.BY_COMPANY, className="pt-3"), type="dot"),
                            label="By company", tab_id="company"),
                    dbc.Tab(dcc.Loading(html.Div(id=MetricsIds.BY_PROVIDER, className="pt-3"), type="dot"),
                            label="By provider", tab_id="provider"),
                    dbc.Tab(dcc.Loading(html.Div(id=MetricsIds.BY_REASON, className="pt-3"), type="dot"),
                            label="By reason", tab_id="reason"),
                ], id=MetricsIds.TABS, active_tab="company")),
            ], className="shadow-sm mb-3"),
            _sla_section(),
            _forecast_section(),
        ]),
    ])


def _header(icon: str, title: str, note) -> dbc.CardHeader:
    return dbc.CardHeader([html.I(className=f"bi bi-{icon} me-2"), html.H2(title, className="h6 d-inline fw-semibold"),
                           html.Span(note, className="text-muted small ms-1")], className="bg-white")


def _sla_section() -> dbc.Card:
    """Filled by callbacks/metrics_sla.metrics_sla: the cases past or near their target now
    (linked to the queue), the KPIs, decisions per week and per reviewer."""
    return dbc.Card([
        _header("stopwatch", "Platform SLAs", html.Span(id=MetricsIds.SLA_NOTE)),
        dbc.CardBody([
            dcc.Loading(html.Div(id=MetricsIds.SLA_OPEN, className="mb-3"), type="dot"),
            dcc.Loading(html.Div(id=MetricsIds.SLA_KPIS, className="mb-3"), type="dot"),
            dbc.Row([
                dbc.Col(dcc.Loading(dcc.Graph(id=MetricsIds.SLA_WEEKLY, config=GRAPH_CONFIG,
                                              style={"minHeight": "320px"}), type="dot"), lg=7),
                dbc.Col([html.H3("By reviewer", className="h6 mt-2"),
                         dcc.Loading(html.Div(id=MetricsIds.SLA_REVIEWERS), type="dot")], lg=5),
            ], className="g-3"),
        ]),
    ], className="shadow-sm mb-3")


def _forecast_section() -> dbc.Card:
    """Filled by callbacks/metrics_sla.metrics_forecast: the whole platform, whatever the filters."""
    return dbc.Card([
        _header("people", "Staffing forecast", " — the whole platform, whatever the filters above."),
        dbc.CardBody([
            dcc.Store(id=MetricsIds.FORECAST_LOAD, data=True),
            dcc.Loading(dcc.Graph(id=MetricsIds.FORECAST, config=GRAPH_CONFIG, style={"minHeight": "320px"}), type="dot"),
            html.Div(id=MetricsIds.FORECAST_NOTE, className="small text-muted px-2 pb-2"),
        ], className="p-2"),
    ], className="shadow-sm")
