"""Callbacks of `/metrics` (managers only).

Each callback re-reads the signed-in user from the database and answers only a
manager; anyone else gets the "not for you" state and no data, whatever they send.
Filters from the browser are parsed and narrowed by `metrics.parse_filter` before they
reach SQL. Managers see every case, so the numbers are the platform's rollups. The dates
are days in the manager's time zone (`export_routes.metrics_zone`: saved, else the
browser's, else UTC), the same for the charts, the numbers and the CSV.
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from callbacks._session import acting_user
from data.read import metrics
from dashboard.components import charts
from dashboard.components.ids import MetricsIds
from dashboard.components.shell import empty_state
from dashboard.enums import Role
from dashboard.errors import DomainError
from dashboard.export_routes import metrics_zone

HIDDEN, SHOWN = {"display": "none"}, {}
NO_FIGURE = {"data": [], "layout": {}}
FORBIDDEN = empty_state("Metrics are for the platform's managers.", icon="lock",
                        hint="Use the menu above to go to your own pages.")
FILTERS = dict(start=Input(MetricsIds.DATES, "start_date"), end=Input(MetricsIds.DATES, "end_date"),
               companies=Input(MetricsIds.COMPANIES, "value"), providers=Input(MetricsIds.PROVIDERS, "value"),
               reasons=Input(MetricsIds.REASONS, "value"))
FIGURES = ("outcomes", "first_response", "resolution", "rates", "money")


def is_manager(user) -> bool:
    return user.role == Role.MANAGER


def _filter(ctx, user, start, end, companies, providers, reasons) -> metrics.MetricsFilter:
    zone = metrics_zone(user)
    return metrics.parse_filter(start, end, companies, providers, reasons, today=ctx.now.astimezone(zone).date(),
                                zone=zone)


def _bucket(value) -> str:
    return value if value in metrics.BUCKETS else "week"


def export_href(f: metrics.MetricsFilter) -> str:
    query = [("start", f.start.isoformat()), ("end", f.end.isoformat())]
    query += [("company", c) for c in f.company_ids] + [("provider", p) for p in f.providers]
    query += [("reason", r) for r in f.reasons]
    return "/metrics/export.csv?" + urlencode(query)


def _denied(alert) -> dict:
    return dict(alert=alert, body_style=HIDDEN, export_href="", export_style=HIDDEN, kpis=None,
                **{name: NO_FIGURE for name in FIGURES})


def kpi_rows(k: metrics.Kpis) -> html.Div:
    c, card = k.counts, charts.kpi_card
    volume = [
        card("cases", "Cases opened", f"{c.cases:,}", icon="folder2-open"),
        card("open", "Open now", f"{c.open:,}", note="of these cases, not closed yet", icon="hourglass-split"),
        card("first-response", "Median creator first response", charts.kpi_duration(k.median_first_response_s),
             note=f"over {c.responded:,} cases with a response", icon="reply"),
        card("resolution", "Median time to resolution", charts.kpi_duration(k.median_resolution_s),
             note=f"over {c.closed:,} closed cases", icon="flag"),
    ]
    outcomes = [
        card("escalation", "Escalation rate", charts.percent(c.escalation_rate),
             note=f"{c.escalated:,} of {c.cases:,} cases", icon="arrow-up-right-circle"),
        card("appeal", "Appeal rate", charts.percent(c.appeal_rate),
             note=f"{c.decisions_appealed:,} of {c.decisions:,} platform decisions; "
                  f"{c.denials_appealed:,} merchant denials appealed", icon="arrow-repeat"),
        card("customer-wins", "Customer win rate", charts.percent(c.customer_win_rate),
             note=f"{c.customer_won:,} of {c.closed:,} closed; merchant {charts.percent(c.merchant_win_rate)}, "
                  f"withdrawn {c.withdrawn:,}", icon="trophy"),
        card("refunded", "Refunded to customers", charts.money_text(k.refunded),
             note="from merchants' funds, completed", icon="cash-coin"),
        card("credited", "Credited to customers", charts.money_text(k.credited), note="platform credit",
             icon="wallet2"),
    ]
    return html.Div([dbc.Row([dbc.Col(x, md=6, xl=True) for x in volume], className="g-3 mb-3"),
                     dbc.Row([dbc.Col(x, md=6, xl=True) for x in outcomes], className="g-3")])


@callback(
    output=dict(alert=Output(MetricsIds.ALERT, "children"), body_style=Output(MetricsIds.BODY, "style"),
                export_href=Output(MetricsIds.EXPORT, "href"), export_style=Output(MetricsIds.EXPORT, "style"),
                kpis=Output(MetricsIds.KPIS, "children"), outcomes=Output(MetricsIds.OUTCOMES, "figure"),
                first_response=Output(MetricsIds.FIRST_RESPONSE, "figure"),
                resolution=Output(MetricsIds.RESOLUTION, "figure"), rates=Output(MetricsIds.RATES, "figure"),
                money=Output(MetricsIds.MONEY, "figure")),
    inputs=dict(**FILTERS, bucket=Input(MetricsIds.BUCKET, "value")),
)
def metrics_overview(start, end, companies, providers, reasons, bucket):
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return _denied(FORBIDDEN)
            f, b = _filter(ctx, user, start, end, companies, providers, reasons), _bucket(bucket)
            o = metrics.overview(ctx.session, f, bucket=b)  # the KPIs derived from the series and histograms
            return dict(
                alert=None, body_style=SHOWN, export_href=export_href(f), export_style=SHOWN, kpis=kpi_rows(o.kpis),
                outcomes=charts.outcome_mix_figure(o.outcomes, bucket=b, zone=f.zone),
                first_response=charts.first_response_figure(o.first_response),
                resolution=charts.resolution_figure(o.resolution),
                rates=charts.rates_figure(o.outcomes, bucket=b, zone=f.zone),
                money=charts.money_figure(o.money, bucket=b, zone=f.zone),
            )
    except DomainError as exc:
        return _denied(dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), exc.message], color="danger"))


@callback(Output(MetricsIds.VOLUME, "figure"), inputs=dict(**FILTERS, bucket=Input(MetricsIds.BUCKET, "value"),
                                                           stack=Input(MetricsIds.STACK, "value")))
def metrics_volume(start, end, companies, providers, reasons, bucket, stack):
    by, b = ("provider" if stack == "provider" else "reason"), _bucket(bucket)
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return NO_FIGURE
            f = _filter(ctx, user, start, end, companies, providers, reasons)
            return charts.volume_figure(metrics.volume_series(ctx.session, f, bucket=b, by=by),
                                        bucket=b, by=by, zone=f.zone)
    except DomainError:
        return NO_FIGURE


@callback(output=dict(company=Output(MetricsIds.BY_COMPANY, "children"),
                      provider=Output(MetricsIds.BY_PROVIDER, "children"),
                      reason=Output(MetricsIds.BY_REASON, "children")),
          inputs=FILTERS)
def metrics_breakdowns(start, end, companies, providers, reasons):
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return dict(company=None, provider=None, reason=None)
            f = _filter(ctx, user, start, end, companies, providers, reasons)
            out = {}
            for what in ("company", "provider", "reason"):
                rows = metrics.breakdown(ctx.session, f, by=what)
                out[what] = _breakdown(rows, what)
            return out
    except DomainError:
        return dict(company=None, provider=None, reason=None)


def _breakdown(rows, what: str):
    if not rows:
        return empty_state("No cases match these filters.", icon="bar-chart")
    hint = (html.Div("The 20 companies with the most cases; choose companies above to see others.",
                     className="text-muted small mb-2") if what == "company" and len(rows) >= 20 else None)
    return dbc.Row([
        dbc.Col(charts.graph(charts.breakdown_figure(rows, what=what), MetricsIds.breakdown_bar(what)), lg=5),
        dbc.Col([hint, charts.breakdown_table(rows, what=what)], lg=7),
    ], className="g-3")


@callback(Output(MetricsIds.COMPANIES, "options"), Input(MetricsIds.COMPANIES, "search_value"),
          State(MetricsIds.COMPANIES, "value"))
def metrics_company_options(search, chosen):
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return []
            found = metrics.company_options(ctx.session, search=search, include=chosen or ())
            return [{"label": name, "value": company_id} for company_id, name in found]
    except DomainError:
        return []
