"""SPEC §3: every (action × party × situation), written out as one table.

Reading a row: in this situation, this party trying each action gets
    F  — Forbidden (403): this party can never do it;
    C  — Conflict (409): it could, but not now;
    =  — allowed, and the case stays where it is (an event is written);
    a name from LANDS — allowed, and the case lands exactly there.
Refused actions must change nothing: not the case row, not its events, emails,
movements, files or credits.

The table is the spec's, typed out by hand; it is deliberately not derived from
`dashboard.lifecycle.TRANSITIONS`, so a wrong entry there makes a test fail here.
"""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.cases import party, review
from dashboard.enums import Stage
from dashboard.errors import Conflict, Forbidden
from dashboard.evidence import files
from tests.factories import PNG_BYTES, days
from tests.domain import stages

F, C, SAME = "F", "C", "="
ACTIONS = ("accept", "deny", "ask_customer", "ask_merchant", "reply", "withdraw", "appeal",
           "evidence", "claim", "assign", "note", "decide", "final_decide")
_ = SAME

# Parties that can never act on a case at all, whatever its state.
NEVER = {
    "customer": ("accept", "deny", "ask_customer", "ask_merchant", "claim", "assign", "note", "decide", "final_decide"),
    "merchant": ("ask_merchant", "withdraw", "claim", "assign", "note", "decide", "final_decide"),
    "platform": ("accept", "deny", "reply", "withdraw", "appeal"),
}

_CLOSED_FOR_GOOD = {
    #            accept deny ask_c ask_m reply withdraw appeal evidence claim assign note decide final
    "customer": (F,     F,   F,    F,    C,    C,       C,     C,       F,    F,     F,   F,     F),
    "merchant": (C,     C,   C,    F,    C,    F,       C,     C,       F,    F,     F,   F,     F),
    "platform": (F,     F,   C,    C,    F,    F,       F,     C,       C,    C,     _,   C,     C),
}

TABLE = {
    "awaiting_merchant": {
        "customer": (F, F, F, F, C, "withdrawn", C, _, F, F, F, F, F),
        "merchant": ("accepted", "denied", "awaiting_customer", F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "awaiting_customer": {
        "customer": (F, F, F, F, "awaiting_merchant", "withdrawn", C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "under_review": {
        "customer": (F, F, F, F, C, C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, "review_awaiting_customer", "review_awaiting_merchant", F, F, F, _, _, _, _,
                     "merchant_wins", C),
    },
    "review_awaiting_merchant": {
        "customer": (F, F, F, F, C, C, C, _, F, F, F, F, F),
        "merchant": ("accepted", C, C, F, "under_review", F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "review_awaiting_customer": {
        "customer": (F, F, F, F, "under_review", C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "closed_denied": {
        "customer": (F, F, F, F, C, C, "appealed_denial", C, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, C, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, C, C, C, _, C, C),
    },
    "appealed_denial": {
        "customer": (F, F, F, F, C, C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, "review_awaiting_customer", "review_awaiting_merchant", F, F, F, _, _, _, _,
                     "merchant_wins_final", C),
    },
    "decided": {
        "customer": (F, F, F, F, C, C, "final_review_by_customer", C, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, "final_review_by_merchant", C, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, C, C, C, _, C, C),
    },
    "final_review": {
        "customer": (F, F, F, F, C, C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, "review_awaiting_customer", "review_awaiting_merchant", F, F, F, _, _, _, _, C,
                     "upheld"),
    },
    "final_awaiting_merchant": {
        "customer": (F, F, F, F, C, C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, "under_review", F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "final_awaiting_customer": {
        "customer": (F, F, F, F, "under_review", C, C, _, F, F, F, F, F),
        "merchant": (C, C, C, F, C, F, C, _, F, F, F, F, F),
        "platform": (F, F, C, C, F, F, F, _, _, _, _, C, C),
    },
    "closed_accepted": _CLOSED_FOR_GOOD,
    "closed_withdrawn": _CLOSED_FOR_GOOD,
    "closed_window_passed": _CLOSED_FOR_GOOD,
    "closed_final_decided": _CLOSED_FOR_GOOD,
    "closed_appeal_decided": _CLOSED_FOR_GOOD,
}


class In:
    """A deadline relative to the moment of the action."""

    def __init__(self, delta: dt.timedelta):
        self.delta = delta


KEEP = object()  # unchanged by the action
WEEK = In(days(7))

# Where an allowed action lands: public fields of SPEC §3 (plus the flags we keep).
LANDS = {
    "withdrawn": dict(status="closed", outcome="withdrawn", refund="none", escalated=False,
                      response_due_at=None, final=True),
    "accepted": dict(status="closed", outcome="customer_won", refund="merchant", escalated=KEEP,
                     response_due_at=None, final=True),
    "denied": dict(status="closed", outcome="merchant_won", refund="none", escalated=False,
                   response_due_at=None, appeal_due_at=WEEK, final=False),
    "awaiting_customer": dict(status="awaiting_customer", escalated=False, response_due_at=WEEK),
    "awaiting_merchant": dict(status="awaiting_merchant", escalated=False, response_due_at=WEEK),
    "review_awaiting_customer": dict(status="awaiting_customer", escalated=True, response_due_at=WEEK),
    "review_awaiting_merchant": dict(status="awaiting_merchant", escalated=True, response_due_at=WEEK),
    "under_review": dict(status="under_review", escalated=True, response_due_at=None),
    "appealed_denial": dict(status="under_review", escalated=True, customer_appealed=True,
                            merchant_appealed=False, response_due_at=None, appeal_due_at=None, final=False),
    "final_review_by_customer": dict(status="under_review", escalated=True, customer_appealed=True,
                                     merchant_appealed=False, response_due_at=None, final_review=True,
                                     assignee_id=None),
    "final_review_by_merchant": dict(status="under_review", escalated=True, customer_appealed=False,
                                     merchant_appealed=True, response_due_at=None, final_review=True,
                                     assignee_id=None),
    "merchant_wins": dict(status="closed", outcome="merchant_won", refund="none", escalated=True,
                          decision="merchant_wins", response_due_at=None, appeal_due_at=WEEK, final=False),
    "merchant_wins_final": dict(status="closed", outcome="merchant_won", refund="none", escalated=True,
                                decision="merchant_wins", response_due_at=None, appeal_due_at=None, final=True),
    "upheld": dict(status="closed", outcome="customer_won", refund="merchant", escalated=True,
                   final_decision="uphold", response_due_at=None, appeal_due_at=None, final=True),
}
# Money each allowed action records (kind, amount in cents); anything else records none.
MOVES = {"accepted": [("merchant_refund", 5000)]}


def _evidence(ctx, *, actor, case_id):
    f = files.upload(ctx, actor, filename="more.png", data=PNG_BYTES)
    return party.add_evidence(ctx, actor=actor, case_id=case_id, file_ids=[f.id])


def call_for(w, action: str, who: str):
    """(domain function, keyword arguments) for `who` attempting `action`."""
    actor = {"customer": w.customer, "merchant": w.creator, "platform": w.reviewer}[who]
    calls = {
        "accept": (party.accept, {}),
        "deny": (party.deny, dict(message="Access was granted on day one.")),
        "ask_customer": (review.request_info_from, dict(party="customer", message="Please send the receipt."))
        if who == "platform" else (party.merchant_request_info, dict(message="Which email did you use?")),
        "ask_merchant": (review.request_info_from, dict(party="merchant", message="Please send the logs.")),
        "reply": (party.reply, dict(message="Here is what you asked for.")),
        "withdraw": (party.withdraw, {}),
        "appeal": (party.appeal, dict(message="Please look at this again.")),
        "evidence": (_evidence, {}),
        "claim": (review.claim, {}),
        "assign": (review.assign, dict(reviewer_id=w.reviewer.id)),
        "note": (review.note, dict(message="Internal: compare with the login logs.")),
        "decide": (review.decide, dict(outcome="merchant_wins", reason="The logs show the course was used.")),
        "final_decide": (review.final_decide, dict(decision="uphold", reason="The first decision was right.")),
    }
    fn, kwargs = calls[action]
    if action == "assign" and who == "platform":
        actor = w.manager  # assigning is a manager's job (see test_lifecycle_rules)
    return fn, dict(kwargs, actor=actor)


def _cells(pick):
    for state, rows in TABLE.items():
        for who, row in rows.items():
            for action, expected in zip(ACTIONS, row, strict=True):
                if pick(expected):
                    yield pytest.param(state, who, action, expected, id=f"{state}-{who}-{action}")


ALLOWED = list(_cells(lambda e: e not in (F, C)))


def _setup(story, state: str) -> str:
    cid = stages.ALL[state](story)
    story.later()
    return cid


def test_the_table_covers_every_internal_stage(story):
    reached = set()
    for state in TABLE:
        story.new_payment()
        reached.add(story.case(stages.ALL[state](story)).stage)
    assert reached == {s.value for s in Stage}


def test_never_column_matches_the_table():
    """Guards the table itself: what a party can never do is F in every situation."""
    for state, rows in TABLE.items():
        for who, row in rows.items():
            for action, expected in zip(ACTIONS, row, strict=True):
                assert (expected == F) == (action in NEVER[who]), (state, who, action)


@pytest.mark.parametrize("state, who, action, expected", ALLOWED)
def test_allowed_action_lands_in_its_state(story, state, who, action, expected):
    cid = _setup(story, state)
    before = story.case(cid)
    events_before = len(story.events(cid))
    moves_before = len(story.movements(cid))

    fn, kwargs = call_for(story.w, action, who)
    story.do(fn, case_id=cid, **kwargs)

    after = story.case(cid)
    assert len(story.events(cid)) > events_before or (action == "claim" and before.assignee_id == story.w.reviewer.id)
    if expected == SAME:
        assert (after.stage, after.status, after.escalated, after.outcome) == \
               (before.stage, before.status, before.escalated, before.outcome)
    else:
        for field, want in LANDS[expected].items():
            got = getattr(after, field)
            if want is KEEP:
                want = getattr(before, field)
            elif isinstance(want, In):
                want = story.now + want.delta
            assert got == want, f"{field}: expected {want!r}, got {got!r}"
    new_moves = [(m.kind, m.amount_minor) for m in story.movements(cid)[moves_before:]]
    assert new_moves == MOVES.get(expected, [])


@pytest.mark.parametrize("state, who", [(s, p) for s in TABLE for p in ("customer", "merchant", "platform")])
def test_every_other_action_is_refused_and_changes_nothing(story, state, who):
    cid = _setup(story, state)
    before = story.snapshot(cid)
    wrong = []
    for action, expected in zip(ACTIONS, TABLE[state][who], strict=True):
        if expected not in (F, C):
            continue
        fn, kwargs = call_for(story.w, action, who)
        err = story.refuse(fn, case_id=cid, **kwargs)
        want = Forbidden if expected == F else Conflict
        if type(err) is not want:
            wrong.append(f"{action}: expected {want.__name__}, got {type(err).__name__} {err.code}: {err.message}")
        after = story.snapshot(cid)
        if after != before:
            changed = {k for k in before.row if before.row[k] != after.row[k]}
            changed |= {k for k in before.counts if before.counts[k] != after.counts[k]}
            wrong.append(f"{action}: refused but changed {sorted(changed)}")
            before = after
    assert not wrong, f"{state} / {who}:\n  " + "\n  ".join(wrong)


# The published `available_actions` vocabulary for the two parties, per table column.
PUBLISHED = {"accept": "accept", "deny": "deny", "ask_customer": "request_info", "reply": "reply",
             "withdraw": "withdraw", "appeal": "appeal", "evidence": "add_evidence"}


@pytest.mark.parametrize("state, who", [(s, p) for s in TABLE for p in ("customer", "merchant")])
def test_available_actions_offer_exactly_what_the_table_allows(story, state, who):
    from data.models import Case
    from dashboard.cases.available import available_actions

    cid = _setup(story, state)
    viewer = story.w.customer if who == "customer" else story.w.creator
    with story.Session() as s:
        offered = available_actions(story.ctx(s), s.get(Case, cid), viewer)
    expected = {PUBLISHED[a] for a, e in zip(ACTIONS, TABLE[state][who]) if e not in (F, C) and a in PUBLISHED}
    assert set(offered) == expected
