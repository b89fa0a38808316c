"""Callbacks of `/team` (managers).

The user is re-read from the database on every call; anyone who is not a manager gets
the "not for you" state, no rows and no figure, and a save from them is refused by the
domain too (`dashboard.duty.set_duty`). Whose switch or capacity changed comes from the
component that fired (its pattern id), and is only handed to the domain, which checks
that it is an active reviewer or manager; the value is checked there as well.

The rows are a list rather than a table so that each person's line wraps on a phone.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, callback, html, no_update
from dash import ctx as dash_ctx

from callbacks._session import acting_user
from data.read import team as team_read
from data.read import workload
from dashboard import duty
from dashboard.components.charts import FONT, empty_figure
from dashboard.components.ids import TeamIds
from dashboard.components.shell import empty_state
from dashboard.enums import Role
from dashboard.errors import DomainError

HIDDEN = {"display": "none"}
DECIDED_DAYS = 7
FORBIDDEN = dbc.Alert([html.I(className="bi bi-lock me-2"), "The team's duty and capacity are for the platform's "
                       "managers."], color="secondary", className="mt-2")
ROLE_WORDS = {"reviewer": "Reviewer", "manager": "Manager"}
KIND_COLORS = {"escalated": "#d63384", "appeals": "#0dcaf0", "waiting": "#adb5bd"}
KIND_LABELS = {"escalated": "Escalated", "appeals": "Appeals", "waiting": "Waiting on a party"}


def _waiting(load: workload.Workload) -> int:
    return max(0, load.open - load.escalated - load.appeals)


def _plural(n: int, one: str, many: Optional[str] = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def member_row(m: workload.StaffLoad, decided: int, default_capacity: int) -> dbc.ListGroupItem:
    """One person: name and role, their open cases and decisions, the switch and the capacity."""
    capacity = m.capacity if m.capacity is not None else default_capacity
    held = (f"{m.load.open} of {capacity} open" if m.on_duty else _plural(m.load.open, "open case"))
    counts = (f"{m.load.escalated} escalated · {_plural(m.load.appeals, 'appeal')} · {_waiting(m.load)} waiting on "
              f"a party · {decided} decided in the last {DECIDED_DAYS} days")
    return dbc.ListGroupItem(html.Div([
        html.Div([
            html.Div([html.Span(m.name, className="fw-semibold me-2"),
                      dbc.Badge(ROLE_WORDS.get(m.role, m.role), color="light", text_color="dark", className="me-2"),
                      dbc.Badge(held, color="primary" if m.on_duty else "secondary",
                                className="team-held")]),
            html.Div(counts, className="text-muted small mt-1"),
        ], className="me-auto"),
        html.Div([
            dbc.Switch(id=TeamIds.duty(m.user_id), label="On duty", value=bool(m.on_duty), className="mb-0 me-3"),
            html.Label([html.Span("Capacity", className="small text-muted me-2"),
                        dbc.Input(id=TeamIds.capacity(m.user_id), type="number", value=m.capacity, debounce=True,
                                  placeholder=f"{default_capacity}", inputmode="numeric", size="sm",
                                  style={"width": "5.5rem"})],
                       className="d-flex align-items-center mb-0",
                       title=f"Open cases from {duty.MIN_CAPACITY} to {duty.MAX_CAPACITY}; empty: the default "
                             f"({default_capacity})"),
        ], className="d-flex align-items-center flex-wrap gap-2"),
    ], className="d-flex justify-content-between align-items-center flex-wrap gap-2"),
        className="team-member", id=f"team-member-{m.user_id}")


NOBODY_ON_DUTY = ("Nobody is on duty: new escalations and appeals wait unassigned in the queue until someone "
                  "goes on duty here or a reviewer claims them.")


def nobody_on_duty() -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-info-circle me-2"), NOBODY_ON_DUTY], color="info",
                     className="py-2 small m-2 team-nobody-on-duty")


def member_list(members: list[workload.StaffLoad], decided: dict[str, int], default_capacity: int):
    if not members:
        return empty_state("There are no active reviewers or managers yet.", icon="people")
    return html.Div([
        None if any(m.on_duty for m in members) else nobody_on_duty(),
        dbc.ListGroup([member_row(m, decided.get(m.user_id, 0), default_capacity) for m in members], flush=True),
        html.Div(f"Capacity: the most open cases the scheduler gives someone on duty ({duty.MIN_CAPACITY}–"
                 f"{duty.MAX_CAPACITY}); leave it empty for the default, {default_capacity}. Cases someone "
                 f"already holds stay theirs when they go off duty.", className="text-muted small p-3"),
    ])


def workload_figure(members: list[workload.StaffLoad], default_capacity: int) -> go.Figure:
    """Open cases per person, stacked by kind, with each person's capacity marked: solid for
    those on duty (the scheduler fills them up to it), hollow for those off duty."""
    title = "Open cases and capacity"
    if not members:
        return empty_figure(title, "Nobody to show yet.")
    names = [m.name + ("" if m.on_duty else " (off duty)") for m in members]
    fig = go.Figure()
    for kind in ("escalated", "appeals", "waiting"):
        values = [getattr(m.load, kind) if kind != "waiting" else _waiting(m.load) for m in members]
        fig.add_bar(y=names, x=values, orientation="h", name=KIND_LABELS[kind], marker_color=KIND_COLORS[kind],
                    hovertemplate=f"%{{y}}: %{{x}} {KIND_LABELS[kind].lower()}<extra></extra>")
    for on_duty, label, color in ((True, "Capacity (on duty)", "#212529"), (False, "Capacity (off duty)", "#6c757d")):
        marks = [(n, m.capacity if m.capacity is not None else default_capacity)
                 for n, m in zip(names, members) if bool(m.on_duty) is on_duty]
        if marks:
            fig.add_scatter(y=[n for n, _ in marks], x=[c for _, c in marks], mode="markers", name=label,
                            marker={"symbol": "line-ns" if on_duty else "line-ns-open", "size": 24,
                                    "color": color, "line": {"width": 3 if on_duty else 2, "color": color}},
                            hovertemplate="%{y}: capacity %{x}<extra></extra>")
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}, barmode="stack",
        template="plotly_white", font={"family": FONT, "size": 12, "color": "#212529"},
        # The legend sits between the title and the bars, clear of the axis title below them.
        height=170 + 34 * len(members), margin={"l": 16, "r": 16, "t": 78, "b": 48},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        hoverlabel={"font": {"family": FONT}})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="Open cases", rangemode="tozero", dtick=None)
    return fig


def _team(ctx):
    members = workload.staff_workload(ctx.session)
    return members, ctx.settings.auto_assign_capacity


@callback(
    Output(TeamIds.ALERT, "children"), Output(TeamIds.BODY, "style"), Output(TeamIds.LIST, "children"),
    Input(TeamIds.LOAD, "data"),
)
def load_team(_load):
    """Every active reviewer and manager with their switch, capacity and counts (managers)."""
    try:
        with acting_user() as (ctx, user):
            if user.role != Role.MANAGER:
                return FORBIDDEN, HIDDEN, None
            members, default = _team(ctx)
            decided = team_read.decided_since(ctx.session, ctx.now - dt.timedelta(days=DECIDED_DAYS))
            return None, {}, member_list(members, decided, default)
    except DomainError as exc:
        return dbc.Alert(exc.message, color="danger"), HIDDEN, None


@callback(Output(TeamIds.CHART, "figure"), Input(TeamIds.LOAD, "data"), Input(TeamIds.SAVED, "data"))
def team_chart(_load, _saved):
    """The chart, drawn again after each save (a new capacity moves its mark)."""
    try:
        with acting_user() as (ctx, user):
            if user.role != Role.MANAGER:
                return empty_figure("Open cases and capacity", "Only managers see this.")
            members, default = _team(ctx)
            return workload_figure(members, default)
    except DomainError:
        return empty_figure("Open cases and capacity", "Sign in again to see this.")


def _changed_value(trigger: dict, ids: list, values: list) -> Any:
    for component_id, value in zip(ids or [], values or []):
        if component_id == trigger:
            return value
    raise LookupError(trigger)


def _saved_text(member, default: int) -> str:
    capacity = member.capacity if member.capacity is not None else default
    which = "their own" if member.capacity is not None else "the default"
    if member.on_duty:
        return (f"{member.name} is on duty: the scheduler gives them new escalations and appeals, within a minute, "
                f"until they hold {capacity} open cases ({which} capacity).")
    return (f"{member.name} is off duty: nothing new is assigned to them automatically, and the cases they hold "
            f"stay theirs. Their capacity is {capacity} ({which}) for when they are back on duty.")


def _alert(children, color: str, icon: str) -> dbc.Alert:
    return dbc.Alert([html.I(className=f"bi bi-{icon} me-2"), children], color=color, className="py-2 small",
                     dismissable=True)


@callback(
    Output(TeamIds.FEEDBACK, "children"), Output(TeamIds.SAVED, "data"), Output(TeamIds.LOAD, "data"),
    Input(TeamIds.duty(ALL), "value"), Input(TeamIds.capacity(ALL), "value"),
    State(TeamIds.duty(ALL), "id"), State(TeamIds.capacity(ALL), "id"), State(TeamIds.SAVED, "data"),
    State(TeamIds.LOAD, "data"),
    prevent_initial_call=True,
)
def save_duty(duty_values, capacity_values, duty_ids, capacity_ids, saved, load=0):
    """A switch or a capacity changed: save it at once and say what it means. A refused
    capacity draws the rows again from what is saved (a new LOAD: load_team), so the box
    shows the saved value, and the error, naming the refused value, replaces any earlier one."""
    unchanged = no_update
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(trigger.get("user"), str):
        return no_update, no_update, unchanged
    try:
        if trigger.get("type") == TeamIds.DUTY:
            change = {"on_duty": _changed_value(trigger, duty_ids, duty_values)}
        elif trigger.get("type") == TeamIds.CAPACITY:
            change = {"capacity": _changed_value(trigger, capacity_ids, capacity_values)}
        else:
            return no_update, no_update, unchanged
    except LookupError:
        return no_update, no_update, unchanged
    try:
        with acting_user() as (ctx, user):
            done = duty.set_duty(ctx, actor=user, user_id=trigger["user"], **change)
            if not done.changed:
                # The renderer also fires this when it draws the rows (their values are the
                # saved ones), and a value typed again is no change either: nothing to say.
                return no_update, no_update, unchanged
            text = _saved_text(done.member, ctx.settings.auto_assign_capacity)
            if not any(m.on_duty for m in workload.staff_workload(ctx.session)):
                text = f"{text} {NOBODY_ON_DUTY}"
    except DomainError as exc:
        if trigger.get("type") != TeamIds.CAPACITY or change["capacity"] is None or exc.code != "invalid_capacity":
            return _alert(f"Nothing was changed: {exc.message}", "danger", "exclamation-triangle"), no_update, unchanged
        # Naming the refused value makes a second refusal read as new, not as the old error left up.
        value = change["capacity"]
        shown = f" {str(value)[:20]}" if isinstance(value, (int, float, str)) else ""
        return (_alert(f"Nothing was changed: capacity{shown} refused. {exc.message} The box shows the saved value "
                       f"again.", "danger", "exclamation-triangle"), no_update, (load if isinstance(load, int) else 0) + 1)
    return _alert(text, "success", "check-circle"), (saved if isinstance(saved, int) else 0) + 1, unchanged
