"""The demo's saved replies: a few of the platform's, which the demo reviewers can insert
on a case page, and Casey Creator's company's own. Written through `dashboard.canned`
as their keepers would (a manager, a creator), so they obey the same rules."""
from __future__ import annotations

import datetime as dt

from dashboard import canned

PLATFORM_REPLIES = (
    ("Ask the merchant for proof of delivery", "info_request",
     "Hello, this is the Resolution Center, reviewing the case about {amount}. Please send proof that the "
     "purchase reached {customer_name} or that access was granted (a delivery confirmation, access logs) by "
     "{due_date}. Without it we decide on what the case holds now."),
    ("Ask the customer for screenshots", "info_request",
     "Hi {customer_name}, to review your claim of {amount} against {company} we need screenshots of the "
     "problem and any messages you exchanged with them. Please reply by {due_date}."),
    ("Evidence checked", "note",
     "Checked the evidence from both sides ({company}, {amount}). Platform decide-by: {due_date}."),
    ("Refund: delivery not shown", "decision_reason",
     "{company} did not show that the purchase reached {customer_name}, so {amount} is refunded."),
    ("Merchant wins: access shown", "decision_reason",
     "{company}'s records show the purchase was delivered and used, so the charge of {amount} stands."),
)
COMPANY_REPLIES = (
    ("Refund on its way", "message",
     "Hi {customer_name}, sorry about this. We have refunded {amount}; it should show on your statement "
     "within a few days. — {company}"),
    ("Ask for the order email", "info_request",
     "Hi {customer_name}, to find your purchase of {amount}, please send the email address you bought with "
     "and a screenshot of the receipt by {due_date}. — {company}"),
    ("Access was granted", "message",
     "Hi {customer_name}, our records show your access was granted on the day you paid. If you cannot get "
     "in, tell us what you see and we will help. — {company}"),
)


def seed_replies(world) -> None:
    """Kept a month before `now`, by the demo manager and the first company's creator."""
    ctx = world.ctx(world.now - dt.timedelta(days=30))
    creator = world.creators[world.companies[0].id][0]
    for keeper, replies in ((world.manager, PLATFORM_REPLIES), (creator, COMPANY_REPLIES)):
        for name, purpose, body in replies:
            canned.create_reply(ctx, keeper, name=name, purpose=purpose, body=body)
    world.session.commit()
