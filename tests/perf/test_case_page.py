"""Everything the case page reads (callbacks/case.py `case_page`, minus building the
Dash components): the case, its timeline with actors and files, the actions the
viewer may take, the customer's other cases, the company's dispute rate, money
movements and the outbox — for a long-running case and for a typical one."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from data.models import User
from data.read import case_view
from dashboard.cases.available import available_actions
from dashboard.context import Ctx
from dashboard.permissions import case_visibility, is_staff, load_case, party_of
from dashboard.timeline import events_for

GROUP = "case page"


@dataclass
class CasePage:
    timeline: list
    actions: list
    others: list
    other_total: int
    rate: case_view.DisputeRate
    movements: list
    emails: list


def read_case_page(session, now, viewer_id: str, case_id: str) -> CasePage:
    ctx = Ctx(session, now)
    user = session.get(User, viewer_id)
    case = load_case(ctx, user, case_id)
    party, staff = party_of(user, case), is_staff(user)
    timeline = case_view.timeline_entries(session, events_for(ctx, case, party, newest_first=False))
    actions = available_actions(ctx, case, user)
    _ = case.company.name, case.customer.email, case.payment.provider, case.assignee  # the side panels
    others, total = case_view.other_cases(session, case_visibility(user), customer_id=case.customer_id,
                                          exclude_case_id=case.id)
    rate = case_view.dispute_rate(session, company_id=case.company_id, now=now)
    movements = case_view.movements(session, case_id=case.id, settled_only=not staff)
    emails = case_view.outbox_for_case(session, case_id=case.id)[0] if staff else []
    return CasePage(timeline, actions, others, total, rate, movements, emails)


@pytest.fixture(scope="module")
def case_page(bench_session, world):
    def _read(case_id: str, viewer_id: str = world.reviewer_id) -> CasePage:
        with bench_session() as s:
            return read_case_page(s, world.now, viewer_id, case_id)

    return _read


def timeline_len(page: CasePage) -> int:
    return len(page.timeline)


def test_case_with_many_events(case_page, world, recorder):
    name = f"reviewer, case with {world.big_case_events} events"
    t = recorder.run(GROUP, name, lambda: case_page(world.big_case_id), count=timeline_len)
    page = t.result
    assert len(page.timeline) == world.big_case_events  # staff see every event, notes included
    created = [e.created_at for e in page.timeline]
    assert created == sorted(created) and page.timeline[0].action == "created"
    assert sum(len(e.files) for e in page.timeline) == 9 and len(page.emails) == 41
    assert "decide" in page.actions or "claim" in page.actions
    assert page.rate.cases > 0 and page.rate.payments > 0 and page.rate.percent is not None


def test_case_with_many_events_as_creator(case_page, world, recorder):
    name = f"creator, case with {world.big_case_events} events"
    t = recorder.run(GROUP, name, lambda: case_page(world.big_case_id, world.creator_id), count=timeline_len)
    page = t.result
    assert page.timeline and not any(e.staff_only for e in page.timeline)  # no internal notes, no email log
    assert page.emails == [] and len(page.timeline) < world.big_case_events


def test_typical_case(case_page, world, recorder):
    name = f"reviewer, typical case ({world.typical_case_events} events)"
    t = recorder.run(GROUP, name, lambda: case_page(world.typical_case_id), count=timeline_len)
    assert len(t.result.timeline) == world.typical_case_events
    recorder.ratio(f"case page: {world.big_case_events} events / {world.typical_case_events} events",
                   f"case page: reviewer, case with {world.big_case_events} events", f"case page: {name}")
