"""Named situations a case can be in, each reached through the domain's own actions
(never by writing columns), so the table tests start from states the app can produce.

The cast: `w.customer` opened the case on `w.payment` (5000 USD cents, Stripe);
`w.creator` answers for the merchant; `w.manager` makes first-instance decisions, so
`w.reviewer` is free to do final reviews.
"""
from __future__ import annotations

from dashboard.cases import party, review, system
from tests.factories import days

PARTIAL_REFUND = 2000


def awaiting_merchant(st) -> str:
    return st.open()


def awaiting_customer(st) -> str:
    cid = st.open()
    st.later()
    st.do(party.merchant_request_info, actor=st.w.creator, case_id=cid, message="Which email did you buy with?")
    return cid


def under_review(st) -> str:
    """The merchant stayed silent for 7 days, so the platform took over."""
    cid = st.open()
    st.later(days(7))
    st.do(system.escalate_overdue, cid)
    return cid


def review_awaiting_merchant(st) -> str:
    cid = under_review(st)
    st.later()
    st.do(review.request_info_from, actor=st.w.reviewer, case_id=cid, party="merchant",
          message="Please send the access logs.")
    return cid


def review_awaiting_customer(st) -> str:
    cid = under_review(st)
    st.later()
    st.do(review.request_info_from, actor=st.w.reviewer, case_id=cid, party="customer",
          message="Please send a screenshot of the error.")
    return cid


def closed_denied(st) -> str:
    """The merchant denied; the customer's 7-day appeal window is open."""
    cid = st.open()
    st.later()
    st.do(party.deny, actor=st.w.creator, case_id=cid, message="Access was granted on day one.")
    return cid


def appealed_denial(st) -> str:
    cid = closed_denied(st)
    st.later()
    st.do(party.appeal, actor=st.w.customer, case_id=cid, message="I never got in; please look.")
    return cid


def decided(st) -> str:
    """The platform decided a partial refund; either party may appeal within 7 days."""
    cid = under_review(st)
    st.later()
    st.do(review.decide, actor=st.w.manager, case_id=cid, outcome="refund", amount=PARTIAL_REFUND,
          reason="Half the course was unavailable.")
    return cid


def final_review(st) -> str:
    cid = decided(st)
    st.later()
    st.do(party.appeal, actor=st.w.customer, case_id=cid, message="I want the whole amount back.")
    return cid


def final_awaiting_merchant(st) -> str:
    cid = final_review(st)
    st.later()
    st.do(review.request_info_from, actor=st.w.reviewer, case_id=cid, party="merchant",
          message="Which modules were unavailable?")
    return cid


def final_awaiting_customer(st) -> str:
    cid = final_review(st)
    st.later()
    st.do(review.request_info_from, actor=st.w.reviewer, case_id=cid, party="customer",
          message="Which modules did you try?")
    return cid


def closed_accepted(st) -> str:
    cid = st.open()
    st.later()
    st.do(party.accept, actor=st.w.creator, case_id=cid)
    return cid


def closed_withdrawn(st) -> str:
    cid = st.open()
    st.later()
    st.do(party.withdraw, actor=st.w.customer, case_id=cid)
    return cid


def closed_window_passed(st) -> str:
    cid = closed_denied(st)
    st.later(days(7))
    st.do(system.close_appeal_window, cid)
    return cid


def closed_final_decided(st) -> str:
    cid = final_review(st)
    st.later()
    st.do(review.final_decide, actor=st.w.reviewer, case_id=cid, decision="uphold",
          reason="The partial refund was right.")
    return cid


def closed_appeal_decided(st) -> str:
    """The customer appealed a denial and the platform decided: final."""
    cid = appealed_denial(st)
    st.later()
    st.do(review.decide, actor=st.w.reviewer, case_id=cid, outcome="merchant_wins",
          reason="The logs show the customer used the course.")
    return cid


ALL = {f.__name__: f for f in (
    awaiting_merchant, awaiting_customer, under_review, review_awaiting_merchant, review_awaiting_customer,
    closed_denied, appealed_denial, decided, final_review, final_awaiting_merchant, final_awaiting_customer,
    closed_accepted, closed_withdrawn, closed_window_passed, closed_final_decided, closed_appeal_decided,
)}
