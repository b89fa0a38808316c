"""Plotly figures and KPI cards for the metrics screen, built from read-model results.

No queries here: every function takes the aggregates `data.read.metrics` returned and
draws them with one palette, titles, axis labels and hover text. An empty result
draws an empty figure with a sentence saying so, never blank axes.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.components import palette
from dashboard.components.case_table import scroll_region
from dashboard.components.format import OUTCOME_LABELS, PROVIDER_LABELS, duration, money, reason_label
from dashboard.components.ids import MetricsIds
from dashboard.money.amounts import to_major

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PALETTE = ["#0d6efd", "#6f42c1", "#20c997", "#fd7e14", "#d63384", "#0dcaf0", "#ffc107", "#198754", "#6c757d"]
REASON_ORDER = ["fraudulent", "product_not_received", "not_as_described", "product_unacceptable",
                "subscription_canceled"]
PROVIDER_ORDER = ["stripe", "paypal", "crypto", "coinbase_commerce"]
KEY_COLORS = {**{k: PALETTE[i] for i, k in enumerate(REASON_ORDER)},
              **{k: PALETTE[i] for i, k in enumerate(PROVIDER_ORDER)}}
# Outcomes in the one set the company page and the outcome badges use (palette.py).
STATE_COLORS = {"open": palette.OPEN_COLOR, **palette.OUTCOME_COLORS}
STATE_LABELS = {"open": "Still open", **OUTCOME_LABELS}
MONEY_COLORS = {"merchant_refund": "#dc3545", "customer_credit": "#20c997"}
MONEY_LABELS = {"merchant_refund": "Refunded", "customer_credit": "Credited"}
CURRENCY_PATTERNS = ("", "/", ".", "x")
RATE_COLORS = {"escalation": "#d63384", "appeal": "#0dcaf0"}
MEDIAN_COLOR = "#212529"
BUCKET_WORDS = {"day": "Day", "week": "Week (from Monday)", "month": "Month"}
# Each bar spans its whole day, week (from Monday) or month on the date axis.
PERIODS = {"day": dict(xperiod=86_400_000), "week": dict(xperiod=7 * 86_400_000, xperiod0="2024-01-01"),
           "month": dict(xperiod="M1")}
HEIGHT = 320
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def key_label(key: str) -> str:
    return PROVIDER_LABELS.get(key) or reason_label(key)


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, **extra) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        template="plotly_white", font={"family": FONT, "size": 12, "color": "#212529"},
        height=HEIGHT, margin={"l": 56, "r": 16, "t": 40, "b": 104},
        # At the foot of the figure, under the x-axis title, so it never runs into the title,
        # the median annotations or (when it needs two rows) the axis title.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0,
                "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT}}, **extra,
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return fig


def empty_figure(title: str, message: str = "No cases match these filters.") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#6c757d"})
    _layout(fig, title, "", "")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def zone_words(zone: str) -> str:
    """The zone the days and weeks were cut in, as an axis names it: the filter's IANA name
    ("Europe/Berlin"; its abbreviation changes with summer time), UTC as "UTC"."""
    return zone if isinstance(zone, str) and zone else "UTC"


def opened_axis(bucket: str, zone: str) -> str:
    return f"{BUCKET_WORDS[bucket]} the case was opened ({zone_words(zone)})"


def bucket_label(start: str, bucket: str) -> str:
    """'Mon 2 Mar 2026', 'Week of 2 Mar 2026' or 'March 2026' for a bucket's first day."""
    day = dt.date.fromisoformat(start)
    if bucket == "month":
        return day.strftime("%B %Y")
    text = f"{day.day} {day.strftime('%b %Y')}"
    return f"Week of {text}" if bucket == "week" else f"{day.strftime('%a')} {text}"


def _on_periods(bucket: str, x: Sequence[str]) -> dict:
    """Trace settings that place `x` (bucket starts) on the middle of their period, with the
    bucket spelled out in the hover text."""
    return dict(x=list(x), xperiodalignment="middle", hovertext=[bucket_label(b, bucket) for b in x],
                **PERIODS[bucket])


def _date_axis(fig: go.Figure, bucket: str) -> None:
    if bucket == "month":
        fig.update_xaxes(type="date", tickformat="%b %Y", dtick="M1", ticklabelmode="period")
    else:
        fig.update_xaxes(type="date", tickformat="%d %b")
        # Over a few buckets Plotly ticks every few hours, repeating one day: label each bucket
        # instead, with its first day, under the middle of its bar.
        starts = sorted({str(x)[:10] for trace in fig.data for x in (trace.x or ())})
        if 0 < len(starts) <= 12:
            half = dt.timedelta(hours=84 if bucket == "week" else 12)
            days = [dt.date.fromisoformat(s) for s in starts]
            fig.update_xaxes(tickvals=[dt.datetime.combine(d, dt.time()) + half for d in days],
                             ticktext=[d.strftime("%d %b") for d in days])


# ------------------------------------------------------------------- over time
def volume_figure(rows: Sequence[tuple[str, str, int]], *, bucket: str, by: str, zone: str = "UTC") -> go.Figure:
    title = f"Cases opened per {bucket}, by {by}"
    if not rows:
        return empty_figure(title)
    order = REASON_ORDER if by == "reason" else PROVIDER_ORDER
    keys = sorted({k for _, k, _ in rows}, key=lambda k: (order.index(k) if k in order else len(order), k))
    fig = go.Figure()
    for key in keys:
        points = [(b, n) for b, k, n in rows if k == key]
        fig.add_bar(**_on_periods(bucket, [b for b, _ in points]), y=[n for _, n in points], name=key_label(key),
                    marker_color=KEY_COLORS.get(key, PALETTE[-1]),
                    hovertemplate=f"{key_label(key)}<br>%{{hovertext}}: %{{y}} cases<extra></extra>")
    _layout(fig, title, opened_axis(bucket, zone), "Cases opened", barmode="stack")
    _date_axis(fig, bucket)
    return fig


def outcome_mix_figure(series, *, bucket: str, zone: str = "UTC") -> go.Figure:
    """`series`: [(bucket, Counts)] — every case opened in the bucket, by where it stands now."""
    title = "Outcome mix, by when the case was opened"
    if not series:
        return empty_figure(title)
    x = [b for b, _ in series]
    parts = {"customer_won": [c.customer_won for _, c in series], "merchant_won": [c.merchant_won for _, c in series],
             "withdrawn": [c.withdrawn for _, c in series],
             "open": [c.cases - c.customer_won - c.merchant_won - c.withdrawn for _, c in series]}
    fig = go.Figure()
    for state, values in parts.items():
        fig.add_bar(**_on_periods(bucket, x), y=values, name=STATE_LABELS[state], marker_color=STATE_COLORS[state],
                    hovertemplate=f"{STATE_LABELS[state]}<br>%{{hovertext}}: %{{y}} cases<extra></extra>")
    _layout(fig, title, opened_axis(bucket, zone), "Cases", barmode="stack")
    _date_axis(fig, bucket)
    return fig


def rates_figure(series, *, bucket: str, zone: str = "UTC") -> go.Figure:
    title = "Escalation and appeal rates"
    if not series:
        return empty_figure(title)
    x = [b for b, _ in series]
    fig = go.Figure()
    fig.add_scatter(
        **_on_periods(bucket, x), y=[c.escalation_rate for _, c in series], name="Escalation rate",
        mode="lines+markers", line={"color": RATE_COLORS["escalation"]},
        customdata=[[c.escalated, c.cases] for _, c in series],
        hovertemplate="Escalated<br>%{hovertext}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} cases)"
                      "<extra></extra>")
    fig.add_scatter(
        **_on_periods(bucket, x), y=[c.appeal_rate for _, c in series], name="Appeal rate (platform decisions)",
        mode="lines+markers", line={"color": RATE_COLORS["appeal"], "dash": "dot"}, connectgaps=False,
        customdata=[[c.decisions_appealed, c.decisions] for _, c in series],
        hovertemplate="Appealed<br>%{hovertext}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} "
                      "decisions)<extra></extra>")
    _layout(fig, title, opened_axis(bucket, zone), "Share")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    _date_axis(fig, bucket)
    return fig


def money_figure(rows: Sequence[tuple[str, str, str, int]], *, bucket: str, zone: str = "UTC") -> go.Figure:
    """`rows`: (bucket, kind, currency, minor units). One series per kind and currency:
    amounts in different currencies are never added together."""
    title = "Money refunded and credited to customers"
    if not rows:
        return empty_figure(title, "No money was refunded or credited on these cases.")
    fig = go.Figure()
    totals: dict[str, int] = {}
    for _, _, c, a in rows:
        totals[c] = totals.get(c, 0) + a
    currencies = sorted(totals, key=lambda c: (-totals[c], c))  # the main currency gets solid bars
    for kind in ("merchant_refund", "customer_credit"):
        for i, currency in enumerate(currencies):
            points = [(b, a) for b, k, c, a in rows if k == kind and c == currency]
            if not points:
                continue
            name = MONEY_LABELS[kind] + (f" ({currency})" if len(currencies) > 1 else "")
            # Same colour per kind; each further currency gets its own hatching.
            fig.add_bar(**_on_periods(bucket, [b for b, _ in points]), y=[float(to_major(a, currency)) for _, a in points],
                        name=name,
                        marker={"color": MONEY_COLORS[kind], "pattern": {"shape": CURRENCY_PATTERNS[i % 4]}},
                        customdata=[money(a, currency) for _, a in points],
                        hovertemplate=f"{name}<br>%{{hovertext}}: %{{customdata}}<extra></extra>")
    y_title = "Amount" + (f" ({currencies[0]})" if len(currencies) == 1 else "")
    _layout(fig, title, opened_axis(bucket, zone), y_title, barmode="group")
    _date_axis(fig, bucket)
    return fig


# ------------------------------------------------------------------ histograms
def _median_line(fig: go.Figure, x: float, text: str) -> None:
    fig.add_vline(x=x, line={"color": MEDIAN_COLOR, "dash": "dash", "width": 1.5})
    fig.add_annotation(x=x, y=1, yref="paper", text=text, showarrow=False, xanchor="left", yanchor="bottom",
                       xshift=4, font={"size": 11, "color": MEDIAN_COLOR})


def first_response_figure(hist) -> go.Figure:
    """Hours from opening to the merchant's first response, in bins; the last bin is open-ended."""
    title = "Creator first-response time"
    if not hist.counts:
        return empty_figure(title, "No creator has responded to these cases yet.")
    width_h = hist.bin_seconds / 3600
    x, y, labels = [], [], []
    for idx, _, n in hist.counts:
        lo = idx * width_h
        x.append(lo + width_h / 2)
        y.append(n)
        labels.append(f"{lo:g} h or more" if idx == hist.bins else f"{lo:g}–{lo + width_h:g} h")
    fig = go.Figure(go.Bar(x=x, y=y, width=width_h * 0.95, marker_color=PALETTE[0], customdata=labels,
                           name="Cases", hovertemplate="%{customdata}: %{y} cases<extra></extra>"))
    _layout(fig, title, "Time from opening to the first creator response", "Cases", showlegend=False)
    last = (hist.bins + 1) * width_h
    ticks = [h for h in range(0, int(last) + 1, 24)]
    fig.update_xaxes(range=[0, last], tickvals=ticks,
                     ticktext=[f"{h // 24}d" + ("+" if h >= hist.bins * width_h else "") for h in ticks])
    if hist.median_s is not None:
        _median_line(fig, hist.median_s / 3600, f"median {duration(dt.timedelta(seconds=hist.median_s))}")
    return fig


def resolution_figure(hist) -> go.Figure:
    """Days from opening to closing of closed cases, stacked by outcome."""
    title = "Time to resolution"
    if not hist.counts:
        return empty_figure(title, "None of these cases is closed yet.")
    width_d = hist.bin_seconds / 86400
    fig = go.Figure()
    for outcome in ("customer_won", "merchant_won", "withdrawn"):
        points = [(idx, n) for idx, g, n in hist.counts if g == outcome]
        if not points:
            continue
        fig.add_bar(
            x=[idx * width_d + width_d / 2 for idx, _ in points], y=[n for _, n in points], width=width_d * 0.95,
            name=STATE_LABELS[outcome], marker_color=STATE_COLORS[outcome],
            customdata=[f"{idx * width_d:g} days or more" if idx == hist.bins else
                        f"{idx * width_d:g}–{(idx + 1) * width_d:g} days" for idx, _ in points],
            hovertemplate=f"{STATE_LABELS[outcome]}<br>%{{customdata}}: %{{y}} cases<extra></extra>")
    _layout(fig, title, "Days from opening to closing", "Closed cases", barmode="stack")
    shown = max(7, max(idx for idx, _, _ in hist.counts) + 1)
    fig.update_xaxes(range=[0, (shown + 0.1) * width_d])
    if hist.median_s is not None:
        _median_line(fig, hist.median_s / 86400, f"median {duration(dt.timedelta(seconds=hist.median_s))}")
    return fig


# ------------------------------------------------------------------- breakdowns
def breakdown_figure(rows, *, what: str) -> go.Figure:
    """Horizontal bars, one per company/provider/reason, split by where the cases stand."""
    title = f"Cases by {what}"
    if not rows:
        return empty_figure(title)
    rows = list(reversed(rows))  # largest at the top
    labels = [key_label(r.label) if what != "company" else r.label for r in rows]
    fig = go.Figure()
    for state in ("customer_won", "merchant_won", "withdrawn", "open"):
        values = [r.counts.cases - r.counts.closed if state == "open" else getattr(r.counts, state) for r in rows]
        fig.add_bar(y=labels, x=values, orientation="h", name=STATE_LABELS[state], marker_color=STATE_COLORS[state],
                    hovertemplate=f"%{{y}}<br>{STATE_LABELS[state]}: %{{x}} cases<extra></extra>")
    _layout(fig, title, "Cases", "", barmode="stack")
    fig.update_layout(height=max(HEIGHT, 170 + 28 * len(rows)), margin={"l": 8, "r": 16, "t": 40, "b": 104})
    fig.update_yaxes(automargin=True)
    return fig


def graph(fig: go.Figure, graph_id: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=fig, config=GRAPH_CONFIG)


def _pct(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def breakdown_table(rows, *, what: str) -> html.Div:
    with_payments = what != "reason"
    head = ["Company" if what == "company" else what.title(), "Cases", "Open"]
    head += ["Payments", "Dispute rate"] if with_payments else []
    head += ["Escalation rate", "Customer win rate", "Merchant win rate"]
    body = []
    for r in rows:
        c = r.counts
        cells = [r.label if what == "company" else key_label(r.label), f"{c.cases:,}", f"{c.open:,}"]
        if with_payments:
            cells += [f"{r.payments:,}", _pct(r.dispute_rate)]
        cells += [_pct(c.escalation_rate), _pct(c.customer_win_rate), _pct(c.merchant_win_rate)]
        body.append(html.Tr([html.Td(cells[0])] + [html.Td(v, className="text-end") for v in cells[1:]]))
    return scroll_region(dbc.Table(
        [html.Thead(html.Tr([html.Th(head[0])] + [html.Th(h, className="text-end") for h in head[1:]])),
         html.Tbody(body)],
        size="sm", hover=True, className="mb-0 align-middle", id=MetricsIds.breakdown_table(what),
    ), label=f"Breakdown by {what}")


# ------------------------------------------------------------------------ KPIs
def kpi_card(key: str, label: str, value: str, *, note: Optional[str] = None, icon: str = "graph-up") -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div([html.I(className=f"bi bi-{icon} me-2"), label], className="text-muted small text-nowrap"),
        html.Div(value, className="fs-4 fw-semibold mt-1 text-nowrap", id=MetricsIds.kpi(key)),
        html.Div(note, className="text-muted small mt-1") if note else None,
    ]), className="h-100 shadow-sm")


def money_text(amounts: dict[str, int]) -> str:
    """'$1,234.00 · €50.00' — one amount per currency, never summed across them."""
    if not amounts:
        return money(0, "USD")
    return " · ".join(money(a, c) for c, a in sorted(amounts.items(), key=lambda kv: (-kv[1], kv[0])))


def percent(value: Optional[float]) -> str:
    return _pct(value)


def kpi_duration(seconds: Optional[float]) -> str:
    """A median from the hourly rollups: the hour the middle case's wait falls in."""
    if seconds is None:
        return "—"
    hours = int(seconds // 3600)
    if hours >= 720:
        return "30d or more"
    if hours == 0:
        return "under 1h"
    d, h = divmod(hours, 24)
    return f"{d}d {h}h" if d else f"{h}h"


# ------------------------------------------------------------------------- SLAs
SLA_COLORS = {"first": "#0d6efd", "final": "#6f42c1", "share": "#198754", "target": "#adb5bd"}


def sla_weekly_figure(weeks, *, zone: str = "UTC") -> go.Figure:
    """`weeks`: data.read.sla.Week rows. Bars: first and final decisions taken that week
    (stacked); line: the share of them made within their target (right axis)."""
    title = "Decisions per week, share within target"
    if not weeks:
        return empty_figure(title, "No platform decisions were taken in these dates.")
    x = [w.start.isoformat() for w in weeks]
    fig = go.Figure()
    fig.add_bar(**_on_periods("week", x), y=[w.decided for w in weeks], name="Decisions",
                marker_color=SLA_COLORS["first"], customdata=[[w.within] for w in weeks],
                hovertemplate="Decisions<br>%{hovertext}: %{y} (%{customdata[0]} within target)<extra></extra>")
    fig.add_bar(**_on_periods("week", x), y=[w.final_decided for w in weeks], name="Final decisions",
                marker_color=SLA_COLORS["final"], customdata=[[w.final_within] for w in weeks],
                hovertemplate="Final decisions<br>%{hovertext}: %{y} (%{customdata[0]} within target)<extra></extra>")
    fig.add_scatter(**_on_periods("week", x), y=[w.share_within for w in weeks], name="Within target",
                    mode="lines+markers", yaxis="y2", line={"color": SLA_COLORS["share"]},
                    customdata=[[w.within + w.final_within, w.decided + w.final_decided] for w in weeks],
                    hovertemplate="Within target<br>%{hovertext}: %{y:.0%} (%{customdata[0]} of %{customdata[1]})"
                                  "<extra></extra>")
    _layout(fig, title, f"Week of the decision (from Monday, {zone_words(zone)})", "Decisions", barmode="stack")
    # After _layout, which titles every y axis alike.
    fig.update_layout(margin={"l": 56, "r": 56, "t": 40, "b": 104},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%",
                              "tickmode": "array", "tickvals": [0, 0.25, 0.5, 0.75, 1], "showgrid": False,
                              "title": {"text": "Within target"}})
    _date_axis(fig, "week")
    return fig


def sla_reviewer_table(rows) -> html.Div:
    """`rows`: data.read.sla.ReviewerRow, most decisions first."""
    head = ["Reviewer", "Decisions", "of which final", "Within target", "Median time to decision"]
    body = [html.Tr([html.Td(r.name), html.Td(f"{r.decisions:,}", className="text-end"),
                     html.Td(f"{r.final_decisions:,}", className="text-end"),
                     html.Td(f"{_pct(r.share_within)} ({r.within:,})", className="text-end"),
                     html.Td(duration(r.median_to_decision) if r.median_to_decision is not None else "—",
                             className="text-end")]) for r in rows]
    return scroll_region(dbc.Table(
        [html.Thead(html.Tr([html.Th(head[0])] + [html.Th(h, className="text-end") for h in head[1:]])),
         html.Tbody(body)],
        size="sm", hover=True, className="mb-0 align-middle", id=MetricsIds.SLA_REVIEWERS_TABLE,
    ), label="Decisions by reviewer")


# ---------------------------------------------------------------- staffing forecast
FORECAST_COLORS = {"arrived": "#6c757d", "escalations": "#d63384", "final_reviews": "#6f42c1", "reviewers": "#212529"}


def forecast_figure(f) -> go.Figure:
    """`f`: data.read.forecast.Forecast. Grey bars: escalations of the past days' deadlines;
    coloured bars: what the coming days' deadlines and appeal windows are expected to bring;
    dashed line: reviewers needed (right axis)."""
    title = "Escalations, past and expected"
    if not f.arrived and not f.days:
        return empty_figure(title, "Nothing to forecast.")
    fig = go.Figure()
    past = [d.isoformat() for d, _ in f.arrived]
    coming = [d.day.isoformat() for d in f.days]
    fig.add_bar(**_on_periods("day", past), y=[n for _, n in f.arrived], name="Escalated (first deadline that day)",
                marker_color=FORECAST_COLORS["arrived"],
                hovertemplate="Escalated<br>%{hovertext}: %{y}<extra></extra>")
    fig.add_bar(**_on_periods("day", coming), y=[round(d.escalations, 1) for d in f.days], name="Expected escalations",
                marker_color=FORECAST_COLORS["escalations"], customdata=[[d.deadlines] for d in f.days],
                hovertemplate="Expected escalations<br>%{hovertext}: %{y} (of %{customdata[0]} deadlines)"
                              "<extra></extra>")
    fig.add_bar(**_on_periods("day", coming), y=[round(d.final_reviews, 1) for d in f.days],
                name="Expected final reviews", marker_color=FORECAST_COLORS["final_reviews"],
                hovertemplate="Expected final reviews<br>%{hovertext}: %{y}<extra></extra>")
    if any(d.reviewers_needed is not None for d in f.days):
        fig.add_scatter(**_on_periods("day", coming), y=[d.reviewers_needed for d in f.days], name="Reviewers needed",
                        mode="lines+markers", yaxis="y2", line={"color": FORECAST_COLORS["reviewers"], "dash": "dash"},
                        hovertemplate="Reviewers needed<br>%{hovertext}: %{y}<extra></extra>")
    _layout(fig, title, "Day", "Cases", barmode="stack")
    top = max([d.reviewers_needed or 0 for d in f.days] + [1])
    fig.update_layout(margin={"l": 56, "r": 56, "t": 40, "b": 104},
                      yaxis2={"overlaying": "y", "side": "right", "range": [0, top * 1.1], "tickformat": ",d",
                              "tickmode": "auto", "nticks": 5, "showgrid": False, "title": {"text": "Reviewers needed"}})
    fig.add_vline(x=dt.datetime.combine(f.today, dt.time()).isoformat(), line_dash="dot", line_color="#adb5bd")
    _date_axis(fig, "day")
    return fig
