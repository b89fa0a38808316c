"""`/team` (callbacks/team.py), called as plain functions: managers see every active
reviewer and manager with their switch, capacity, open cases and last week's decisions, and
a chart of open cases against capacity; a switch or a capacity saves at once and says what
it means; everyone else gets nothing and changes nothing, whatever the browser sends."""
from __future__ import annotations

import datetime as dt
import json

import plotly.utils
import pytest
from sqlalchemy import select

from callbacks import team as cb
from data.models import AuditEvent, User
from dashboard.cases import opening, review, system
from dashboard.components.ids import TeamIds
from dashboard.components.shell import NAV_BY_ROLE
from dashboard.context import Ctx
from dashboard.enums import Role
from tests import factories


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.fixture
def w(runtime):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, runtime.now() - dt.timedelta(days=30), runtime.settings))


def escalated_case(runtime, w, at) -> str:
    with runtime.Session.begin() as s:
        ctx = Ctx(s, at, runtime.settings)
        pay = factories.payment(ctx, company=w.company, customer=w.customer, paid_at=at)
        case_id = opening.open_case(ctx, actor=w.customer, payment_id=pay.id, reason="fraudulent",
                                    message="Not me.").case.id
    with runtime.Session.begin() as s:
        system.escalate_overdue(Ctx(s, at + dt.timedelta(days=8), runtime.settings), case_id)
    return case_id


def act(runtime, at, fn, **kw):
    with runtime.Session.begin() as s:
        return fn(Ctx(s, at, runtime.settings), **kw)


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def user_state(runtime, user_id):
    with runtime.Session() as s:
        u = s.get(User, user_id)
        return bool(u.on_duty), u.capacity


def save(as_user, user, monkeypatch, kind, member_id, value, *, others=()):
    """Fire save_duty as the browser does when `member_id`'s switch or capacity changes:
    the alert and the save counter."""
    return save_all(as_user, user, monkeypatch, kind, member_id, value, others=others)[:2]


def save_all(as_user, user, monkeypatch, kind, member_id, value, *, others=()):
    """The same, with the third output: the new LOAD that draws the rows again (or no_update)."""
    trigger = {"type": kind, "user": member_id}
    monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": trigger})())
    ids = [{"type": kind, "user": other} for other in others] + [trigger]
    values = [None for _ in others] + [value]
    duty_args = (values, ids) if kind == TeamIds.DUTY else ([], [])
    capacity_args = (values, ids) if kind == TeamIds.CAPACITY else ([], [])
    with as_user(user):
        return cb.save_duty(duty_args[0], capacity_args[0], duty_args[1], capacity_args[1], 4, 4)


def test_a_manager_sees_each_person_their_open_cases_and_decisions(runtime, as_user, w, now):
    held = escalated_case(runtime, w, now - dt.timedelta(days=20))
    act(runtime, now - dt.timedelta(days=2), review.claim, actor=w.reviewer, case_id=held)
    decided = escalated_case(runtime, w, now - dt.timedelta(days=20))
    act(runtime, now - dt.timedelta(days=3), review.decide, actor=w.reviewer2, case_id=decided,
        outcome="merchant_wins", reason="Delivered.")
    old = escalated_case(runtime, w, now - dt.timedelta(days=25))
    act(runtime, now - dt.timedelta(days=9), review.decide, actor=w.reviewer2, case_id=old,  # 9 days ago: not counted
        outcome="merchant_wins", reason="Delivered.")
    with as_user(w.manager):
        alert, style, rows = cb.load_team(0)
    assert alert is None and style == {}
    out = text(rows)
    for person in (w.reviewer, w.reviewer2, w.manager):
        assert person.name in out and json.dumps(TeamIds.duty(person.id)).replace(" ", "") in out.replace(" ", "")
    assert w.creator.name not in out and w.customer.name not in out
    assert "1 escalated · 0 appeals · 0 waiting on a party · 0 decided in the last 7 days" in out  # the reviewer
    assert "0 escalated · 0 appeals · 0 waiting on a party · 1 decided in the last 7 days" in out  # the second
    assert "1 open case" in out and "leave it empty for the default, 10" in out


def test_a_switch_saves_at_once_and_says_what_it_means(runtime, as_user, w, monkeypatch):
    alert, saved = save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, True, others=[w.reviewer2.id])
    assert saved == 5
    assert f"{w.reviewer.name} is on duty" in text(alert) and "within a minute" in text(alert)
    assert "until they hold 10 open cases (the default capacity)" in text(alert)
    assert user_state(runtime, w.reviewer.id) == (True, None)
    assert user_state(runtime, w.reviewer2.id) == (False, None)  # only the one that changed
    with runtime.Session() as s:
        assert s.scalars(select(AuditEvent.kind).where(AuditEvent.actor_id == w.manager.id)).all() == ["staff.duty"]
    alert, _ = save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, False)
    assert "is off duty" in text(alert) and "stay theirs" in text(alert)
    assert user_state(runtime, w.reviewer.id) == (False, None)


def test_a_capacity_saves_and_a_bad_one_changes_nothing(runtime, as_user, w, monkeypatch):
    save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, True)
    alert, saved = save(as_user, w.manager, monkeypatch, TeamIds.CAPACITY, w.reviewer.id, 12)
    assert "until they hold 12 open cases (their own capacity)" in text(alert) and saved == 5
    assert user_state(runtime, w.reviewer.id) == (True, 12)
    for bad in (0, 201, 2.5, "12", True):
        alert, saved = save(as_user, w.manager, monkeypatch, TeamIds.CAPACITY, w.reviewer.id, bad)
        alert, saved, reload = save_all(as_user, w.manager, monkeypatch, TeamIds.CAPACITY, w.reviewer.id, bad,
                                        others=[w.reviewer2.id])
        assert "Capacity is a whole number of open cases from 1 to 200" in text(alert)
        # The refused value is named (a second refusal reads as new) and the rows are drawn
        # again (LOAD 4 -> 5), so the box shows the saved 12 instead of what was typed.
        assert f"Nothing was changed: capacity {bad} refused." in text(alert) and "saved value again" in text(alert)
        assert reload == 5
        assert saved is cb.no_update and user_state(runtime, w.reviewer.id) == (True, 12)
    with as_user(w.manager):
        _, _, rows = cb.load_team(reload)
    [box] = [c for c in walk(rows) if getattr(c, "id", None) == TeamIds.capacity(w.reviewer.id)]
    assert box.value == 12
    alert, _ = save(as_user, w.manager, monkeypatch, TeamIds.CAPACITY, w.reviewer.id, None)  # emptied: the default
    assert "(the default capacity)" in text(alert) and user_state(runtime, w.reviewer.id) == (True, None)


def test_someone_who_is_not_staff_cannot_be_put_on_duty(runtime, as_user, w, monkeypatch):
    alert, saved = save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.creator.id, True)
    assert "Nothing was changed: Choose a reviewer or manager." in text(alert) and saved is cb.no_update
    assert user_state(runtime, w.creator.id) == (False, None)


@pytest.mark.parametrize("role", ["reviewer", "creator", "customer"])
def test_nobody_else_sees_or_changes_anything(runtime, as_user, w, monkeypatch, role):
    who = {"reviewer": w.reviewer, "creator": w.creator, "customer": w.customer}[role]
    with as_user(who):
        alert, style, rows = cb.load_team(0)
        figure = cb.team_chart(0, 0)
    assert "for the platform's managers" in text(alert) and style == {"display": "none"} and rows is None
    assert w.reviewer2.name not in text(figure)
    alert, saved = save(as_user, who, monkeypatch, TeamIds.DUTY, w.reviewer2.id, True)
    assert "Only managers can put people on duty" in text(alert) and saved is cb.no_update
    alert, _, reload = save_all(as_user, who, monkeypatch, TeamIds.CAPACITY, who.id, 50)
    assert "Only managers" in text(alert) and reload is cb.no_update
    assert user_state(runtime, w.reviewer2.id) == (False, None) and user_state(runtime, who.id) == (False, None)


def test_signed_out_gets_nothing(as_user, w, monkeypatch):
    with as_user(None):
        alert, style, rows = cb.load_team(0)
    assert "Sign in again" in text(alert) and style == {"display": "none"} and rows is None
    alert, saved = save(as_user, None, monkeypatch, TeamIds.DUTY, w.reviewer.id, True)
    assert "Sign in again" in text(alert) and saved is cb.no_update


@pytest.mark.parametrize("trigger", [None, "team-load", {"type": "team-duty"}, {"type": "other", "user": "u"},
                                     {"type": "team-duty", "user": 5}, {"type": "team-duty", "user": "not-listed"}])
def test_a_trigger_that_is_not_a_listed_switch_or_capacity_does_nothing(as_user, w, monkeypatch, trigger):
    monkeypatch.setattr(cb, "dash_ctx", type("Ctx", (), {"triggered_id": trigger})())
    with as_user(w.manager):
        assert cb.save_duty([True], [], [TeamIds.duty(w.reviewer.id)], [], 0) == (cb.no_update,) * 3


def test_the_chart_shows_open_cases_by_kind_and_the_capacity_of_those_on_duty(runtime, as_user, w, monkeypatch, now):
    case_id = escalated_case(runtime, w, now - dt.timedelta(days=20))
    act(runtime, now - dt.timedelta(days=1), review.claim, actor=w.reviewer, case_id=case_id)
    save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, True)
    save(as_user, w.manager, monkeypatch, TeamIds.CAPACITY, w.reviewer.id, 7)
    with as_user(w.manager):
        figure = cb.team_chart(0, 1)
    bars = {t.name: dict(zip(t.y, t.x)) for t in figure.data if t.type == "bar"}
    assert bars["Escalated"][w.reviewer.name] == 1
    assert bars["Escalated"][f"{w.reviewer2.name} (off duty)"] == 0
    marks = {t.name: list(zip(t.y, t.x)) for t in figure.data if t.type == "scatter"}
    assert marks["Capacity (on duty)"] == [(w.reviewer.name, 7)]
    # Off duty: their capacity too (the default, 10), drawn hollow, for when they are back.
    assert (f"{w.reviewer2.name} (off duty)", 10) in marks["Capacity (off duty)"]
    # The legend sits above the bars, clear of the "Open cases" axis title under them.
    assert figure.layout.legend.yanchor == "bottom" and figure.layout.legend.y >= 1
    assert figure.layout.xaxis.title.text == "Open cases"


def test_nobody_on_duty_says_new_escalations_wait_unassigned(runtime, as_user, w, monkeypatch):
    with as_user(w.manager):
        _, _, rows = cb.load_team(0)
    assert "Nobody is on duty: new escalations and appeals wait unassigned" in text(rows)
    save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, True)
    with as_user(w.manager):
        _, _, rows = cb.load_team(0)
    assert "Nobody is on duty" not in text(rows)
    alert, _ = save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, False)  # the last one goes off
    assert "is off duty" in text(alert) and "Nobody is on duty: new escalations" in text(alert)


def test_the_case_page_shows_the_automatic_assignment_to_staff_only(runtime, as_user, w, monkeypatch, now):
    from callbacks import case as case_cb
    from jobs.assignment import assign_waiting

    save(as_user, w.manager, monkeypatch, TeamIds.DUTY, w.reviewer.id, True)
    case_id = escalated_case(runtime, w, now - dt.timedelta(days=9))
    with runtime.Session() as s:
        assert assign_waiting(s, now, settings=runtime.settings)["assigned"] == 1
    sentence = f"Assigned automatically to {w.reviewer.name} (on duty, 1 of 10 open)."
    for staff in (w.reviewer, w.manager):
        with as_user(staff):
            assert sentence in text(case_cb.render_case(case_id, 0))
    for party in (w.customer, w.creator):
        with as_user(party):
            page = text(case_cb.render_case(case_id, 0))
        assert "Assigned automatically" not in page and w.reviewer.name not in page


def test_the_navbar_offers_team_to_managers_only():
    offered = {role for role, links in NAV_BY_ROLE.items() if ("Team", "/team") in links}
    assert offered == {Role.MANAGER}
