"""Callbacks of `/metrics`' SLA section and staffing forecast (managers only).

Like `callbacks/metrics.py`: each call re-reads the signed-in user and answers a manager
alone; anyone else gets nothing, whatever they send. The SLA section follows the page's
filters, its dates read as the days decisions were taken on (`data.read.sla`); the
forecast is the whole platform's (`data.read.forecast`). Targets come from the settings
(`review_sla_hours`, `final_review_sla_hours`, `sla_warning_hours`); days are the manager's
(`export_routes.metrics_zone`).
"""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from callbacks._session import acting_user
from callbacks.metrics import FILTERS, NO_FIGURE, is_manager
from data.read import forecast as fc
from data.read import metrics, sla
from dashboard.components import charts
from dashboard.components.format import duration
from dashboard.components.ids import MetricsIds
from dashboard.components.shell import empty_state
from dashboard.errors import DomainError
from dashboard.export_routes import metrics_zone

NOTHING = dict(note=None, open=None, kpis=None, weekly=NO_FIGURE, reviewers=None)


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def _hours(h: int) -> str:
    return f"{h} h"


def sla_note(win: sla.Window, zone, review_hours: int, final_hours: int) -> str:
    zone_name = getattr(zone, "key", str(zone))
    note = (f" — decisions taken from {_day(win.start)} to {_day(win.end)} (days in {zone_name}) on the cases "
            f"matching the filters; targets: a decision within {_hours(review_hours)} of the case reaching the "
            f"platform, a final decision within {_hours(final_hours)} of the appeal.")
    if win.capped:
        note += f" The range is longer than {sla.MAX_DAYS} days, so this section covers its last {sla.MAX_DAYS}."
    return note


def _open_card(key: str, title: str, overdue: int, soon: int, *, target: int, warning: int, tab: str,
               tab_label: str) -> dbc.Card:
    color = "danger" if overdue else "warning" if soon else "success"
    words = (f"{overdue:,} past the {_hours(target)} target" if overdue else "none past the target")
    words += f" · {soon:,} due within {_hours(warning)}"
    return dbc.Card(dbc.CardBody([
        html.Div(title, className="text-muted small"),
        html.Div(words, className=f"fw-semibold text-{color}-emphasis", id=MetricsIds.kpi(key)),
        dcc.Link([f"Open the {tab_label} tab", html.I(className="bi bi-arrow-right ms-1")], href=f"/queue?tab={tab}",
                 className="small"),
    ]), className=f"h-100 shadow-sm border-{color}")


def open_cards(o: sla.OpenNow, s) -> dbc.Row:
    w = s.sla_warning_hours
    return dbc.Row([
        dbc.Col(_open_card("sla-open-review", "Under review now", o.review_overdue, o.review_due_soon,
                           target=s.review_sla_hours, warning=w, tab="escalated", tab_label="Escalated"), md=6),
        dbc.Col(_open_card("sla-open-final", "In final review now", o.final_overdue, o.final_due_soon,
                           target=s.final_review_sla_hours, warning=w, tab="appealed", tab_label="Appealed"), md=6),
    ], className="g-3")


def _median(value) -> str:
    return "—" if value is None else duration(value)


def kpi_row(t: sla.Totals, s) -> dbc.Row:
    card = charts.kpi_card
    cards = [
        card("sla-within", "Decided within target", charts.percent(t.share_within),
             note=f"{t.within:,} of {t.decided:,} decisions within {_hours(s.review_sla_hours)}", icon="check2-circle"),
        card("sla-final-within", "Final decisions within target", charts.percent(t.final_share_within),
             note=f"{t.final_within:,} of {t.final_decided:,} within {_hours(s.final_review_sla_hours)}",
             icon="check2-all"),
        card("sla-first-action", "Median time to first platform action", _median(t.median_first_action),
             note="from the case reaching the platform", icon="hand-index"),
        card("sla-decision", "Median time to decision", _median(t.median_to_decision),
             note="from the case reaching the platform", icon="hourglass-bottom"),
        card("sla-final", "Median time to final decision", _median(t.median_to_final), note="from the appeal",
             icon="hourglass"),
    ]
    return dbc.Row([dbc.Col(c, md=6, xl=True) for c in cards], className="g-3")


@callback(output=dict(note=Output(MetricsIds.SLA_NOTE, "children"), open=Output(MetricsIds.SLA_OPEN, "children"),
                      kpis=Output(MetricsIds.SLA_KPIS, "children"), weekly=Output(MetricsIds.SLA_WEEKLY, "figure"),
                      reviewers=Output(MetricsIds.SLA_REVIEWERS, "children")),
          inputs=FILTERS)
def metrics_sla(start, end, companies, providers, reasons):
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return NOTHING
            zone, s = metrics_zone(user), ctx.settings
            f = metrics.parse_filter(start, end, companies, providers, reasons,
                                     today=ctx.now.astimezone(zone).date(), zone=zone)
            out = sla.section(ctx.session, f, now=ctx.now, review_hours=s.review_sla_hours,
                              final_hours=s.final_review_sla_hours, warning_hours=s.sla_warning_hours)
            reviewers = (charts.sla_reviewer_table(out.reviewers) if out.reviewers else
                         empty_state("No platform decisions were taken in these dates.", icon="person-check"))
            return dict(note=sla_note(out.window, zone, s.review_sla_hours, s.final_review_sla_hours),
                        open=open_cards(out.open_now, s), kpis=kpi_row(out.totals, s),
                        weekly=charts.sla_weekly_figure(out.weeks, zone=f.zone), reviewers=reviewers)
    except DomainError:
        return NOTHING


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def forecast_note(f: fc.Forecast) -> str:
    esc, appeal, cap = f.escalation_rate, f.appeal_rate, f.capacity
    due = sum(d.deadlines for d in f.days)
    parts = [f"Expected: the {due:,} open case{'' if due == 1 else 's'} whose answer is due in the next "
             f"{len(f.days)} days"]
    parts[0] += (f", at the share of the cases opened {esc.lag} to {esc.lag + esc.days - 1} days ago that went to "
                 f"the platform once no longer waiting on a party ({charts.percent(esc.value)}: "
                 f"{esc.part:,} of {esc.whole:,})"
                 if esc.value is not None else ", but no recent case has reached its deadline to measure a rate by")
    parts.append(f"final reviews: the open appeal windows of platform decisions at the recent appeal rate "
                 f"({charts.percent(appeal.value)}: {appeal.part:,} of {appeal.whole:,} decisions)"
                 if appeal.value is not None else "no recent platform decision to measure an appeal rate by")
    per = cap.per_reviewer_per_day
    if per is None:
        parts.append(f"reviewers needed are not shown: nobody decided a case in the last {cap.days} days")
    else:
        parts.append(f"reviewers needed at {per:.1f} cases per reviewer per day" if per >= 1 else
                     f"reviewers needed at {per:.2f} cases per reviewer per day")
        parts[-1] += (f" ({_count(cap.decisions, 'decision')} by {_count(cap.reviewers, 'reviewer')} "
                      f"in the last {cap.days} days)")
    return ("; ".join(parts) + ". Grey bars: the cases whose first deadline fell on that day that escalated "
            "(the same measure, looking back).")


@callback(output=dict(figure=Output(MetricsIds.FORECAST, "figure"), note=Output(MetricsIds.FORECAST_NOTE, "children")),
          inputs=dict(load=Input(MetricsIds.FORECAST_LOAD, "data")))
def metrics_forecast(load):
    try:
        with acting_user() as (ctx, user):
            if not is_manager(user):
                return dict(figure=NO_FIGURE, note=None)
            f = fc.forecast(ctx.session, now=ctx.now, zone=metrics_zone(user), response_days=ctx.settings.response_days)
            return dict(figure=charts.forecast_figure(f), note=forecast_note(f))
    except DomainError:
        return dict(figure=NO_FIGURE, note=None)
