"""The queue's bulk actions (callbacks/queue_bulk.py) — claim, assign, add a note to the
selected rows — called as plain functions by a signed-in user, as of the runtime's clock.

Each answers (summary, refresh bump, clear the selection); the note also closes or keeps
its dialog. The summary names every case that was not changed, by id and why."""
from __future__ import annotations

import json
import threading

import plotly.utils
import pytest
from dash import no_update

from callbacks import queue as cb
from callbacks import queue_bulk as bulk
from data.models import Case, CaseEvent
from dashboard.cases.bulk import MAX_CASES
from dashboard.context import Ctx
from tests import factories
from tests.factories import days
from tests.queue_cases import H, QueueCases

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(40), runtime.settings))


@pytest.fixture
def qc(runtime, w):
    return QueueCases(runtime.Session, runtime.settings, w)


@pytest.fixture
def cases(qc, w, now):
    return dict(
        escalated=qc.under_review(at=now - days(8)),
        escalated2=qc.under_review(at=now - days(8) + H),
        escalated3=qc.under_review(at=now - days(8) + 2 * H),
        final=qc.final_review(at=now - days(9)),      # decided by the manager
        fresh=qc.open(at=now - H, provider="paypal"),
    )


def case_row(Session, case_id):  # noqa: N803
    with Session() as s:
        return s.get(Case, case_id)


def notes(Session, case_id):  # noqa: N803
    with Session() as s:
        return [e.details for e in s.query(CaseEvent).filter_by(case_id=case_id, action="note")]


def selected(*case_ids, mine=False):
    return [{"id": c, "company": "whatever the browser says", "assigned_to_me": mine} for c in case_ids]


# ------------------------------------------------------------------------------ claim
def test_claim_three_where_one_is_someone_elses_names_it_and_claims_the_others(as_user, w, cases, qc, runtime, now):
    a, b, c = cases["escalated"], cases["escalated2"], cases["escalated3"]
    qc.claim(b, w.reviewer2, at=now - 2 * H)   # 10:00 UTC; the viewer is in Paris (UTC+2 in June)
    with as_user(w.reviewer, tz="Europe/Paris"):
        alert, bump, deselect = bulk.claim_selected(1, selected(a, b, c), 3)
    said = text(alert)
    assert bump == 4 and deselect is True  # the grid reloads and the selection is cleared
    assert "Claimed 2 of 3. You will find them under Mine." in said
    assert "Not claimed (1)" in said and b in said
    assert f"already assigned to {w.reviewer2.name} since 12:00 CEST" in said
    assert f"/cases/{b}" in said  # each refused case links to its page
    assert a not in said and c not in said
    assert case_row(runtime.Session, a).assignee_id == case_row(runtime.Session, c).assignee_id == w.reviewer.id
    assert case_row(runtime.Session, b).assignee_id == w.reviewer2.id
    with as_user(w.reviewer):
        assert cb.refresh_counts(None, None, 4)[3] == "Mine (2)"


def test_claim_one_then_a_second_reviewer_is_told_who_has_it(as_user, w, cases, runtime):
    with as_user(w.reviewer):
        alert, bump, _ = bulk.claim_selected(1, selected(cases["escalated"]), 3)
    assert bump == 4 and "is yours now" in text(alert)
    with as_user(w.reviewer):  # again: nothing changes, and it says so
        alert, _, _ = bulk.claim_selected(1, selected(cases["escalated"]), 4)
    assert "was already yours; nothing changed" in text(alert)
    with as_user(w.reviewer2):
        alert, bump, _ = bulk.claim_selected(1, selected(cases["escalated"]), 4)
    assert bump == 5  # the grid refreshes to show who has it
    assert "Could not claim" in text(alert) and f"already assigned to {w.reviewer.name}" in text(alert)
    assert case_row(runtime.Session, cases["escalated"]).assignee_id == w.reviewer.id


def test_claim_says_which_were_already_yours_and_which_are_closed(as_user, w, qc, cases, runtime, now):
    closed = qc.accepted(at=now - days(2))
    qc.claim(cases["escalated"], w.reviewer, at=now - H)
    with as_user(w.reviewer):
        alert, _, _ = bulk.claim_selected(1, selected(cases["escalated"], closed, cases["fresh"]), 0)
    said = text(alert)
    assert "Claimed 1 of 3." in said and "1 was already yours." in said
    assert closed in said and "closed" in said
    assert case_row(runtime.Session, cases["fresh"]).assignee_id == w.reviewer.id


def test_the_first_decider_is_refused_the_final_review_only(as_user, w, cases, runtime):
    with as_user(w.manager):
        alert, _, _ = bulk.claim_selected(1, selected(cases["final"], cases["escalated"]), 0)
    said = text(alert)
    assert "Claimed 1 of 2." in said and cases["final"] in said and "final review goes to another reviewer" in said
    assert case_row(runtime.Session, cases["final"]).assignee_id is None


def test_claim_needs_a_readable_selection(as_user, w, cases, runtime):
    with as_user(w.reviewer):
        for junk in (None, [], [{}], "reso_x", [{"id": "../../admin"}], [{"id": cases["escalated"] + "' OR 1=1"}],
                     selected(cases["escalated"]) + [{"id": 7}]):
            alert, bump, deselect = bulk.claim_selected(1, junk, 0)
            assert bump is no_update and deselect is no_update and "Select cases in the list first" in text(alert)
    assert case_row(runtime.Session, cases["escalated"]).assignee_id is None


def test_more_than_the_cap_is_refused_whole_and_says_so(as_user, w, cases, runtime):
    too_many = selected(cases["escalated"]) + selected(*(f"reso_x{i}" for i in range(MAX_CASES)))
    with as_user(w.reviewer):
        alert, bump, _ = bulk.claim_selected(1, too_many, 0)
    assert bump is no_update and f"at most {MAX_CASES} can be changed at once. Unselect 1" in text(alert)
    assert case_row(runtime.Session, cases["escalated"]).assignee_id is None


@pytest.mark.parametrize("who", ["customer", "creator", "other_creator"])
def test_parties_cannot_claim_assign_or_note_even_naming_a_case(as_user, w, cases, runtime, who):
    with as_user(getattr(w, who)):
        claimed = bulk.claim_selected(1, selected(cases["escalated"]), 0)
        assigned = bulk.assign_selected(1, selected(cases["escalated"]), getattr(w, who).id, 0)
        noted = bulk.note_selected(1, selected(cases["escalated"]), "Hello", 0)
    assert claimed[1] is no_update and "Only the platform" in text(claimed[0])
    assert assigned[1] is no_update and "Only managers" in text(assigned[0])
    assert noted[1] is no_update and "Only the platform" in text(noted[0])
    row = case_row(runtime.Session, cases["escalated"])
    assert row.assignee_id is None and notes(runtime.Session, cases["escalated"]) == []


def test_claiming_a_case_that_does_not_exist(as_user, w):
    with as_user(w.reviewer):
        alert, _, _ = bulk.claim_selected(1, selected("reso_doesnotexist1234"), 0)
    assert "Could not claim reso_doesnotexist1234" in text(alert) and "Case not found" in text(alert)


@pytest.mark.postgres
def test_two_reviewers_claiming_at_once_one_wins(flask_app, w, cases, runtime):
    """Row locks make the second claim wait for the first, then see it taken."""
    from flask_login import login_user

    from dashboard.auth import SessionUser

    barrier, results = threading.Barrier(2), {}

    def claim(user):
        with flask_app.test_request_context("/_dash-update-component", method="POST"):
            login_user(SessionUser(user))
            barrier.wait()
            results[user.id] = text(bulk.claim_selected(1, selected(cases["escalated"]), 0)[0])

    threads = [threading.Thread(target=claim, args=(u,)) for u in (w.reviewer, w.reviewer2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winner = case_row(runtime.Session, cases["escalated"]).assignee_id
    loser = w.reviewer2 if winner == w.reviewer.id else w.reviewer
    assert winner in (w.reviewer.id, w.reviewer2.id)
    assert "is yours now" in results[winner]
    assert "Could not claim" in results[loser.id] and "already assigned to" in results[loser.id]


# ------------------------------------------------------------------------------ assign
def test_only_managers_get_the_menu_with_each_persons_open_cases(as_user, w, cases, qc, now):
    qc.claim(cases["escalated"], w.reviewer, at=now - H)
    qc.claim(cases["escalated2"], w.reviewer, at=now - H)
    qc.claim(cases["fresh"], w.reviewer, at=now - H)
    with as_user(w.reviewer):
        assert bulk.assign_menu(True, 0) == (HIDDEN, [])
    with as_user(w.manager):
        style, options = bulk.assign_menu(True, 0)
    assert style != HIDDEN
    labels = {o["value"]: o["label"] for o in options}
    assert labels[w.reviewer.id] == f"{w.reviewer.name} — 3 open (2 escalated)"
    assert labels[w.reviewer2.id] == f"{w.reviewer2.name} — no open cases"
    assert labels[w.manager.id] == f"{w.manager.name} (you), manager — no open cases"
    assert labels[bulk.UNASSIGN] == "Nobody (back to the queue)"
    assert not set(labels) & {w.customer.id, w.creator.id, w.integration.id}


def test_the_load_words():
    from data.read.workload import Workload

    assert bulk.load_text(Workload()) == "no open cases"
    assert bulk.load_text(Workload(7, 3, 1)) == "7 open (3 escalated, 1 appeal)"
    assert bulk.load_text(Workload(4, 0, 2)) == "4 open (2 appeals)"
    assert bulk.load_text(Workload(2, 0, 0)) == "2 open"


def test_the_menu_says_who_is_over_capacity():
    from data.read.workload import StaffLoad, Workload

    riley = StaffLoad("u1", "Riley", "reviewer", True, None, Workload(13, 13, 0))
    assert bulk.staff_option(riley, "me", 10)["label"] == "Riley — 13 open (13 escalated) · on duty · over capacity (10)"
    own = StaffLoad("u1", "Riley", "reviewer", False, 20, Workload(13, 0, 0))
    assert bulk.staff_option(own, "me", 10)["label"] == "Riley — 13 open"  # their own capacity, 20: room left
    full = StaffLoad("u1", "Riley", "reviewer", True, 13, Workload(13, 0, 0))
    assert bulk.staff_option(full, "me", 10)["label"] == "Riley — 13 open · on duty"  # at capacity, not over


def test_reviewers_cannot_assign_to_others(as_user, w, cases, runtime):
    with as_user(w.reviewer):
        alert, bump, _ = bulk.assign_selected(1, selected(cases["escalated"]), w.reviewer2.id, 0)
    assert bump is no_update and "Only managers" in text(alert)
    assert case_row(runtime.Session, cases["escalated"]).assignee_id is None


def test_managers_assign_several_and_unassign(as_user, w, cases, runtime):
    a, b = cases["escalated"], cases["escalated2"]
    with as_user(w.manager):
        alert, bump, deselect = bulk.assign_selected(1, selected(a, b), w.reviewer2.id, 0)
        assert bump == 1 and deselect is True and f"Assigned all 2 to {w.reviewer2.name}." in text(alert)
        assert case_row(runtime.Session, a).assignee_id == case_row(runtime.Session, b).assignee_id == w.reviewer2.id
        # The menu re-reads the load after the action (REFRESH is one of its inputs).
        labels = {o["value"]: o["label"] for o in bulk.assign_menu(True, 1)[1]}
        assert labels[w.reviewer2.id] == f"{w.reviewer2.name} — 2 open (2 escalated)"
        alert, _, _ = bulk.assign_selected(1, selected(a, b, cases["fresh"]), w.reviewer2.id, 1)
        assert f"Assigned 1 of 3 to {w.reviewer2.name}." in text(alert)
        assert f"2 were already {w.reviewer2.name}'s." in text(alert)
        alert, _, _ = bulk.assign_selected(1, selected(a), bulk.UNASSIGN, 2)
        assert f"{a} is back in the queue, unassigned." in text(alert)
        assert case_row(runtime.Session, a).assignee_id is None
        # Only staff can be given cases: said once, nothing changed.
        alert, bump, _ = bulk.assign_selected(1, selected(a, b), w.customer.id, 2)
        assert bump is no_update and "Choose an active reviewer" in text(alert) and "Not tried" not in text(alert)
        alert, bump, _ = bulk.assign_selected(1, selected(a), None, 2)
        assert bump is no_update and "Choose whom" in text(alert)
    assert case_row(runtime.Session, a).assignee_id is None
    assert case_row(runtime.Session, b).assignee_id == w.reviewer2.id


def test_a_final_review_cannot_go_to_the_reviewer_who_decided_but_the_rest_do(as_user, w, cases, runtime):
    with as_user(w.manager):  # QueueCases decides as the manager
        alert, _, _ = bulk.assign_selected(1, selected(cases["final"], cases["escalated"]), w.manager.id, 0)
    said = text(alert)
    assert f"Assigned 1 of 2 to {w.manager.name}." in said and "Not assigned (1)" in said
    assert cases["final"] in said and "cannot do its final review" in said
    assert case_row(runtime.Session, cases["final"]).assignee_id is None
    assert case_row(runtime.Session, cases["escalated"]).assignee_id == w.manager.id


# ------------------------------------------------------------------------------ note
def test_one_note_on_each_selected_case_then_the_dialog_closes(as_user, w, cases, runtime):
    a, b = cases["escalated"], cases["fresh"]
    with as_user(w.reviewer):
        alert, bump, deselect, is_open, value, error, invalid = bulk.note_selected(
            1, selected(a, b), "  Same buyer as last week.  ", 5)
    assert "Added the note to all 2 selected cases." in text(alert)
    assert (bump, deselect, is_open, value, error, invalid) == (6, True, False, "", "", False)
    assert notes(runtime.Session, a) == notes(runtime.Session, b) == ["Same buyer as last week."]


@pytest.mark.parametrize("note, said", [("   ", "Write the note first"), (None, "Write the note first"),
                                        ("x" * 100_000, "the limit is")])
def test_a_refused_note_keeps_the_dialog_open_and_says_why_under_the_field(as_user, w, cases, runtime, note, said):
    with as_user(w.reviewer):
        alert, bump, deselect, is_open, value, error, invalid = bulk.note_selected(
            1, selected(cases["escalated"], cases["fresh"]), note, 0)
    assert alert is bump is deselect is is_open is value is no_update
    assert said in error and invalid is True
    assert notes(runtime.Session, cases["escalated"]) == notes(runtime.Session, cases["fresh"]) == []


def test_a_note_needs_a_selection(as_user, w, cases):
    with as_user(w.reviewer):
        alert, bump, _, is_open, *_ = bulk.note_selected(1, [], "A note", 0)
    assert "Select cases" in text(alert) and bump is no_update and is_open is False
