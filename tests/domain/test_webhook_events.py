"""Which webhook events a case change writes, and what they carry (issue 11): `created` on
opening, `decided` on a platform decision, `updated` on every other change; a company's
webhook hears only its own company's cases and only what its creators may see (never an
internal note, never staff-only fields); a platform webhook of staff hears everything;
disabled webhooks and events not subscribed to write nothing. Written in the change's
own transaction: a refused action leaves none."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from data.models import Webhook, WebhookEvent
from dashboard.cases import party, review, system
from dashboard.webhooks import CASE_CREATED, CASE_DECIDED, CASE_UPDATED, EVENT_TYPES
from dashboard.webhooks.signing import new_secret
from tests.domain import stages
from tests.factories import days

SECRET_NOTE = "Internal: the merchant's last three disputes were fraud."


def add_hook(story, owner, *, company_id, events=EVENT_TYPES, enabled=True) -> str:
    def make(ctx):
        hook = Webhook(company_id=company_id, owner_user_id=owner.id, url="https://hooks.example.test/rc",
                       events=list(events), enabled=enabled, secret=new_secret(), created_at=ctx.now,
                       updated_at=ctx.now)
        ctx.session.add(hook)
        ctx.session.flush()
        return hook.id

    return story.run(make)


def sent(story, hook_id: str) -> list[tuple[str, dict]]:
    """(type, body) of a webhook's events, in the order they will be delivered."""
    with story.Session() as s:
        rows = s.scalars(select(WebhookEvent).where(WebhookEvent.webhook_id == hook_id)
                         .order_by(WebhookEvent.seq)).all()
        return [(r.event_type, json.loads(r.body)) for r in rows]


def test_each_action_writes_its_event_to_each_webhook_that_may_see_it(story, w):
    company = add_hook(story, w.creator, company_id=w.company.id)
    staff = add_hook(story, w.manager, company_id=None)
    other = add_hook(story, w.other_creator, company_id=w.other_company.id)
    cid = stages.under_review(story)  # opened, then escalated by the system
    story.later()
    story.do(review.claim, actor=story.w.reviewer, case_id=cid)  # staff-only: assignment
    story.later()
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET_NOTE)
    story.later()
    story.do(review.decide, actor=w.reviewer, case_id=cid, outcome="merchant_wins", reason="Access logs show use.")

    assert [t for t, _ in sent(story, company)] == [CASE_CREATED, CASE_UPDATED, CASE_DECIDED]
    assert [t for t, _ in sent(story, staff)] == [CASE_CREATED, CASE_UPDATED, CASE_UPDATED, CASE_UPDATED,
                                                 CASE_DECIDED]
    assert sent(story, other) == []  # another company's case

    created, escalated, decided = (body for _, body in sent(story, company))
    assert created["type"] == CASE_CREATED and created["data"]["id"] == cid
    assert created["data"]["status"] == "awaiting_merchant"  # the case as it was then
    assert escalated["data"]["status"] == "under_review" and escalated["data"]["escalated"] is True
    assert decided["data"]["decision"]["outcome"] == "merchant_wins"
    assert decided["company_id"] == w.company.id and decided["api_version"] == "v1"
    assert decided["id"].startswith("msg_")


def test_a_creators_webhook_never_carries_internal_notes_or_staff_only_fields(story, w):
    company = add_hook(story, w.creator, company_id=w.company.id)
    staff = add_hook(story, w.manager, company_id=None)
    cid = stages.under_review(story)
    story.later()
    story.do(review.claim, actor=w.reviewer, case_id=cid)
    story.later()
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET_NOTE)
    story.later()
    story.do(review.decide, actor=w.reviewer, case_id=cid, outcome="merchant_wins", reason="Access logs show use.")

    for kind, body in sent(story, company):
        text = json.dumps(body)
        assert SECRET_NOTE not in text and "Internal:" not in text
        assert body["data"]["assignee"] is None  # assignment is the platform's business
        assert body["data"]["buyer"]["user_id"] is None
        assert "decided_by_id" not in (body["data"]["decision"] or {})
        assert w.reviewer.id not in text
    # Staff's own webhook reads as staff do: the assignee and who decided.
    last = sent(story, staff)[-1][1]["data"]
    assert last["assignee"]["id"] == w.reviewer.id and last["decision"]["decided_by_id"] == w.reviewer.id


def test_an_integrations_platform_webhook_hears_every_company_but_not_internal_changes(story, w):
    hook = add_hook(story, w.integration, company_id=None)
    cid = stages.under_review(story)
    story.later()
    story.do(review.note, actor=w.reviewer, case_id=cid, message=SECRET_NOTE)
    other_payment = story.new_payment(customer=w.other_customer, company=w.other_company)
    other = story.open(payment=other_payment, customer=w.other_customer)
    kinds = [(body["data"]["id"], t) for t, body in sent(story, hook)]
    assert kinds == [(cid, CASE_CREATED), (cid, CASE_UPDATED), (other, CASE_CREATED)]
    assert all(SECRET_NOTE not in json.dumps(b) and b["data"]["assignee"] is None for _, b in sent(story, hook))


def test_only_subscribed_types_and_enabled_webhooks(story, w):
    decided_only = add_hook(story, w.creator, company_id=w.company.id, events=[CASE_DECIDED])
    off = add_hook(story, w.creator, company_id=w.company.id, enabled=False)
    stages.decided(story)
    assert [t for t, _ in sent(story, decided_only)] == [CASE_DECIDED]
    assert sent(story, off) == []


def test_merchant_and_customer_actions_are_updates(story, w):
    hook = add_hook(story, w.creator, company_id=w.company.id)
    cid = stages.closed_denied(story)
    story.later()
    story.do(party.appeal, actor=w.customer, case_id=cid, message="I never got in; please look.")
    assert [t for t, _ in sent(story, hook)] == [CASE_CREATED, CASE_UPDATED, CASE_UPDATED]
    assert [b["data"]["status"] for _, b in sent(story, hook)] == ["awaiting_merchant", "closed", "under_review"]


def test_a_refused_action_writes_no_event(story, w):
    hook = add_hook(story, w.creator, company_id=w.company.id)
    cid = stages.closed_denied(story)
    story.later(days(30))  # the appeal window has passed
    story.refuse(party.appeal, actor=w.customer, case_id=cid, message="Too late?")
    assert [t for t, _ in sent(story, hook)] == [CASE_CREATED, CASE_UPDATED]


def test_the_enabled_webhooks_are_read_once_per_ctx(story, w, monkeypatch):
    """A sweep of many cases reads the webhooks once, not once per case."""
    from dashboard.webhooks import events

    hook = add_hook(story, w.creator, company_id=w.company.id)
    cids = [story.open(payment=story.new_payment()) for _ in range(3)]
    story.later(days(7))
    reads = []
    original = events.enabled_listeners

    def counting(ctx):
        reads.append(getattr(ctx, events._CACHE_ATTR, None) is None)  # True: read from the database
        return original(ctx)

    monkeypatch.setattr(events, "enabled_listeners", counting)
    with story.Session.begin() as s:
        ctx = story.ctx(s)
        for cid in cids:
            system.escalate_overdue(ctx, cid)
    assert reads == [True, False, False]
    assert [t for t, _ in sent(story, hook)].count(CASE_UPDATED) == 3


def test_a_deactivated_owners_webhook_hears_nothing(story, w):
    """A platform webhook carries the staff view: it stops with its owner's account."""
    from data.models import User

    staff = add_hook(story, w.manager, company_id=None)
    company = add_hook(story, w.creator, company_id=w.company.id)

    def deactivate(ctx):
        ctx.session.get(User, w.manager.id).is_active = False
        ctx.session.get(User, w.creator.id).is_active = False

    story.run(deactivate)
    story.open()
    assert sent(story, staff) == [] and sent(story, company) == []
