"""The one action table (issue 12): names, routes, input models and `perform`, and the
confirmation's `consequences` agreeing with what each action then really does."""
from __future__ import annotations

import pytest

from data.models import Case
from dashboard.cases.actions import ACTIONS, ActionInput, perform
from dashboard.cases.available import PARTY_ACTIONS, STAFF_ACTIONS
from dashboard.cases.consequences import consequences, remedy_needed, takes_amount
from dashboard.errors import Invalid
from tests.domain import stages

ROUTES = {"accept": "accept", "deny": "deny", "request_info": "request_info", "reply": "reply", "appeal": "appeal",
          "withdraw": "withdraw", "add_evidence": "evidence", "claim": "claim", "assign": "assign", "note": "notes",
          "decide": "decision", "final_decide": "final_decision"}


def test_every_action_a_person_is_offered_is_in_the_table_with_its_route():
    assert {a.value for a in (*PARTY_ACTIONS, *STAFF_ACTIONS)} == set(ACTIONS)
    assert {name: spec.route for name, spec in ACTIONS.items()} == ROUTES
    for name, spec in ACTIONS.items():
        assert spec.name.value == name and issubclass(spec.input, ActionInput)
        assert spec.input.model_json_schema()["type"] == "object"


def _perform(story, who, cid, name, body):
    return story.run(lambda ctx: perform(ctx, actor=getattr(story.w, who), case_id=cid, name=name, body=body))


@pytest.mark.parametrize("name, body, code", [
    ("assign", {}, "reviewer_id_required"),
    ("assign", {"reviewer_id": 7}, "invalid_field"),
    ("decide", {"outcome": "refund", "reason": "x", "amount": "12"}, "invalid_amount"),
    ("decide", {"outcome": "refund", "reason": "x", "amount": True}, "invalid_amount"),
    ("note", {"message": 5}, "invalid_field"),
    ("add_evidence", {"attachments": "file_1"}, "invalid_attachments"),
    ("claim_everything", {}, "unknown_action"),
    (None, {}, "unknown_action"),
])
def test_bodies_are_read_with_the_apis_codes(story, name, body, code):
    cid = stages.under_review(story)
    before = story.snapshot(cid)
    with pytest.raises(Invalid) as err:
        _perform(story, "manager", cid, name, body)
    assert err.value.code == code
    assert story.snapshot(cid) == before


def test_request_info_is_the_merchants_question_or_the_staffs(story):
    cid = story.open()
    _perform(story, "creator", cid, "request_info", {"message": "Which email?", "party": "merchant"})
    assert story.case(cid).stage == "awaiting_customer"  # the merchant always asks the customer
    story.new_payment()
    cid = stages.under_review(story)
    _perform(story, "reviewer", cid, "request_info", {"message": "The logs, please.", "party": "merchant"})
    assert story.case(cid).stage == "review_awaiting_merchant"


# name, who, state, body -> what the confirmation plans must be what the action does
SCENARIOS = {
    "accept": ("accept", "creator", "awaiting_merchant", {}),
    "withdraw": ("withdraw", "customer", "awaiting_merchant", {}),
    "refund decision": ("decide", "manager", "under_review", {"outcome": "refund", "amount": 1200, "reason": "Half."}),
    "full refund by default": ("decide", "manager", "under_review", {"outcome": "refund", "reason": "All."}),
    "credit decision": ("decide", "manager", "under_review", {"outcome": "credit", "amount": 900, "reason": "Some."}),
    "merchant wins": ("decide", "manager", "under_review", {"outcome": "merchant_wins", "reason": "Used."}),
    "merchant wins on appeal": ("decide", "reviewer", "appealed_denial", {"outcome": "merchant_wins",
                                                                          "reason": "Used."}),
    "refund on appeal": ("decide", "reviewer", "appealed_denial", {"outcome": "refund", "reason": "Broken."}),
    "uphold": ("final_decide", "reviewer", "final_review", {"decision": "uphold", "reason": "Right."}),
    "overturn a refund": ("final_decide", "reviewer", "final_review", {"decision": "overturn", "reason": "Wrong."}),
    "deny": ("deny", "creator", "awaiting_merchant", {"message": "Delivered."}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_consequences_are_what_the_action_does(story, scenario):
    name, who, state, body = SCENARIOS[scenario]
    cid = stages.ALL[state](story)
    spec = ACTIONS[name]

    def act(ctx):
        case = ctx.session.get(Case, cid)
        was = case.outcome
        args = spec.input.model_validate(body).arguments()
        planned = consequences(case, name, args)
        done = perform(ctx, actor=getattr(story.w, who), case_id=cid, name=name, body=body)
        moved = [(m.kind, m.amount_minor) for m in done.movements]
        assert [(p.kind.value, p.amount_minor) for p in planned.movements] == moved
        assert planned.final == done.final
        assert planned.outcome is None or planned.outcome.value == done.case.outcome
        assert planned.changes_outcome == (planned.outcome is not None and was != done.case.outcome)
        return planned.irreversible

    irreversible = story.run(act)
    assert irreversible == (scenario not in ("merchant wins", "merchant wins on appeal", "uphold", "deny"))


def test_overturning_a_merchant_win_plans_the_remedy_it_needs(story):
    cid = stages.appealed_denial(story)
    story.do(lambda ctx: perform(ctx, actor=story.w.manager, case_id=cid, name="decide",
                                 body={"outcome": "merchant_wins", "reason": "Used."}))
    with story.Session() as s:
        case = s.get(Case, cid)
        # A decision on an appealed denial is final: nothing is left to overturn; shown on a fresh merchant win.
        assert case.final
        case.final, case.customer_appealed = False, False  # in memory only: the rule reads the outcome
        assert remedy_needed(case, "overturn") and not remedy_needed(case, "uphold")
        assert takes_amount(case, "final_decide", {"decision": "overturn"})
        planned = consequences(case, "final_decide", {"decision": "overturn", "remedy": "credit", "amount": 700})
        assert [(p.kind.value, p.amount_minor) for p in planned.movements] == [("customer_credit", 700)]
        assert consequences(case, "final_decide", {"decision": "overturn"}).movements == ()  # remedy_required
        s.rollback()
