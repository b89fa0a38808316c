"""Two people acting on one case at the same moment (SPEC §3): exactly one wins, the
other gets 409 with the case as it now is. Real threads, each with its own request,
hitting the WSGI app; proven on PostgreSQL, where row locks are real."""
from __future__ import annotations

import threading

import pytest

from data.models import CaseEvent, MoneyMovement, SandboxGatewayCall
from tests.api.test_actions_sdk import escalated


def race(api, path: str, actors_and_bodies) -> list[tuple[int, dict]]:
    for user, _ in actors_and_bodies:
        api.token(user)  # issue tokens before the race, not during it
    barrier = threading.Barrier(len(actors_and_bodies))
    results: list = [None] * len(actors_and_bodies)

    def act(i, user, body):
        client = api.server.test_client()
        barrier.wait()
        r = client.post(f"/api/v1{path}", json=body, headers=api.headers(user))
        results[i] = (r.status_code, r.get_json())

    threads = [threading.Thread(target=act, args=(i, u, b)) for i, (u, b) in enumerate(actors_and_bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(results, key=lambda r: r[0])


@pytest.mark.postgres
def test_two_reviewers_deciding_at_once(api, w, story):
    case_id = escalated(story, w)
    body = {"outcome": "refund", "reason": "Not delivered."}
    (ok, won), (conflict, lost) = race(api, f"/resolution_center_cases/{case_id}/decision",
                                       [(w.reviewer, body), (w.reviewer2, body)])
    assert (ok, conflict) == (200, 409), (won, lost)
    assert won["status"] == "closed" and won["refunded"] == 50.0
    assert lost["error"]["case"]["status"] == "closed"
    assert story.count(CaseEvent, case_id=case_id, action="decided") == 1
    assert story.count(MoneyMovement, case_id=case_id) == 1
    assert story.count(SandboxGatewayCall) == 1


@pytest.mark.postgres
def test_two_reviewers_claiming_at_once(api, w, story):
    case_id = escalated(story, w)
    (ok, won), (conflict, lost) = race(api, f"/resolution_center_cases/{case_id}/claim",
                                       [(w.reviewer, {}), (w.reviewer2, {})])
    assert (ok, conflict) == (200, 409), (won, lost)
    assert lost["error"]["code"] == "assigned_to_another_reviewer"
    assert lost["error"]["case"]["assignee"]["id"] == won["assignee"]["id"]
    assert story.count(CaseEvent, case_id=case_id, action="assigned") == 1


@pytest.mark.postgres
def test_two_creators_accepting_and_denying_at_once(api, w, story):
    case_id = story.open()
    results = race(api, f"/resolution_center_cases/{case_id}/accept", [(w.creator, {}), (w.creator2, {})])
    assert [status for status, _ in results] == [200, 409]
    assert story.count(SandboxGatewayCall) == 1
    assert story.count(MoneyMovement, case_id=case_id) == 1


@pytest.mark.postgres
def test_two_customers_requests_opening_one_payment_at_once(api, w):
    body = {"receipt_id": w.payment.id, "reason": "fraudulent", "message": "Not me."}
    results = race(api, "/resolution_center_cases", [(w.customer, body), (w.customer, body)])
    assert [status for status, _ in results] == [201, 409]
    assert results[1][1]["error"]["code"] == "case_already_exists"
