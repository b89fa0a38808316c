"""SPEC §2: who may open a case on which payment. Every refusal has its own code and
changes nothing: no case, no event, no email, no file attached."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.models import Case, CaseEvent, EvidenceFile, OutboxEmail, Payment
from dashboard.cases import opening, party
from dashboard.eligibility import payment_verdict
from dashboard.enums import Reason
from dashboard.errors import Conflict, DomainError, Invalid, NotFound
from dashboard.evidence import files
from tests.factories import PDF_BYTES, T0, days

SECOND = dt.timedelta(seconds=1)


def attempt(story, **over):
    """open_case keyword arguments: the customer's own fresh payment, unless overridden."""
    args = dict(actor=story.w.customer, payment_id=story.payment.id, reason="product_not_received",
                message="I paid and never got access.", file_ids=())
    args.update(over)
    return args


def _refunded(story):
    p = story.new_payment()
    story.run(lambda ctx: ctx.session.get(type(p), p.id).__setattr__("refunded_minor", 1000))
    return attempt(story)


def _pending_file(story):
    f = story.do(files.create_pending, story.w.customer, filename="receipt.pdf")
    return attempt(story, file_ids=[f.id])


def _attached_file(story):
    fid = story.upload(story.w.customer)
    story.open(file_ids=[fid])
    story.new_payment()
    return attempt(story, file_ids=[fid])


def _duplicate(story, *, closed: bool):
    cid = story.open()
    if closed:
        story.do(party.withdraw, actor=story.w.customer, case_id=cid)
    return attempt(story)


# name -> (arrange(story) -> open_case kwargs, error class, error code)
REFUSALS = {
    "payment does not exist": (lambda st: attempt(st, payment_id="pay_doesnotexist0000"), NotFound,
                               "payment_not_found"),
    "another customer's payment": (lambda st: attempt(st, actor=st.w.other_customer), NotFound,
                                   "payment_not_found"),
    "crypto payment": (lambda st: (st.new_payment(provider="crypto"), attempt(st))[1], DomainError,
                       "payment_method_not_eligible"),
    "coinbase commerce payment": (lambda st: (st.new_payment(provider="coinbase_commerce"), attempt(st))[1],
                                  DomainError, "payment_method_not_eligible"),
    "refunded payment": (_refunded, DomainError, "payment_refunded"),
    "paid more than 30 days ago": (lambda st: (st.new_payment(paid_ago=days(30) + SECOND), attempt(st))[1],
                                   DomainError, "claim_window_expired"),
    "a case is open on it": (lambda st: _duplicate(st, closed=False), Conflict, "case_already_exists"),
    "a case was closed on it": (lambda st: _duplicate(st, closed=True), Conflict, "case_already_exists"),
    "unknown reason": (lambda st: attempt(st, reason="chargeback"), Invalid, "invalid_reason"),
    "no reason": (lambda st: attempt(st, reason=None), Invalid, "invalid_reason"),
    "empty message": (lambda st: attempt(st, message=""), Invalid, "message_required"),
    "blank message": (lambda st: attempt(st, message="  \n\t "), Invalid, "message_required"),
    "message too long": (lambda st: attempt(st, message="x" * (st.settings.max_message_chars + 1)), Invalid,
                         "message_too_long"),
    "more than 3 files": (lambda st: attempt(st, file_ids=[st.upload(st.w.customer) for _ in range(4)]),
                          Invalid, "too_many_files"),
    "a file still uploading": (_pending_file, Invalid, "file_not_ready"),
    "someone else's file": (lambda st: attempt(st, file_ids=[st.upload(st.w.other_customer)]), NotFound,
                            "not_found"),
    "a file already attached elsewhere": (_attached_file, Invalid, "file_already_attached"),
}


def _totals(story):
    with story.Session() as s:
        return {
            "cases": s.scalar(select(func.count()).select_from(Case)),
            "events": s.scalar(select(func.count()).select_from(CaseEvent)),
            "emails": s.scalar(select(func.count()).select_from(OutboxEmail)),
            "attached files": s.scalar(select(func.count()).select_from(EvidenceFile)
                                       .where(EvidenceFile.case_id.is_not(None))),
        }


@pytest.mark.parametrize("rule", list(REFUSALS))
def test_refusal_has_its_code(story, rule):
    arrange, error, code = REFUSALS[rule]
    err = story.refuse(opening.open_case, **arrange(story))
    assert type(err) is error
    assert err.code == code
    assert err.message  # a plain sentence for the screen and the API


@pytest.mark.parametrize("rule", list(REFUSALS))
def test_refusal_changes_nothing(story, rule):
    arrange, _, _ = REFUSALS[rule]
    args = arrange(story)
    before = _totals(story)
    story.refuse(opening.open_case, **args)
    assert _totals(story) == before


def test_each_payment_rule_has_a_code_of_its_own():
    rules = {"not found": "payment_not_found", "method": "payment_method_not_eligible",
             "refunded": "payment_refunded", "window": "claim_window_expired", "duplicate": "case_already_exists"}
    codes = {code for _, _, code in REFUSALS.values()}
    assert set(rules.values()) <= codes
    assert len(set(rules.values())) == len(rules)


def test_a_duplicate_is_a_409(story):
    story.open()
    err = story.refuse(opening.open_case, **attempt(story))
    assert err.http_status == 409


def test_a_payment_fact_is_a_400_not_a_404(story):
    story.new_payment(provider="crypto")
    err = story.refuse(opening.open_case, **attempt(story))
    assert err.http_status == 400


@pytest.mark.parametrize("provider", ["stripe", "paypal"])
def test_stripe_and_paypal_payments_can_be_disputed(story, provider):
    story.new_payment(provider=provider)
    assert story.case(story.open()).status == "awaiting_merchant"


@pytest.mark.parametrize("who", ["creator", "reviewer", "manager", "integration"])
def test_only_the_paying_customer_can_open_a_case(story, who):
    err = story.refuse(opening.open_case, **attempt(story, actor=getattr(story.w, who)))
    assert type(err) is NotFound


def test_thirty_days_after_payment_is_still_in_time(story):
    story.new_payment(paid_ago=days(30))
    assert story.open()


def test_one_second_after_thirty_days_is_too_late(story):
    story.new_payment(paid_ago=days(30))
    err = story.refuse(opening.open_case, **attempt(story), at=story.now + SECOND)
    assert err.code == "claim_window_expired"


def test_a_payment_refunded_elsewhere_cannot_be_disputed(story):
    story.report_refunded()
    assert story.refuse(opening.open_case, **attempt(story)).code == "payment_refunded"


@pytest.mark.parametrize("reason", [r.value for r in Reason])
def test_every_published_reason_is_accepted(story, reason):
    assert story.case(story.open(reason=reason)).reason == reason


def test_a_message_of_exactly_the_limit_is_accepted(story):
    cid = story.open(message="y" * story.settings.max_message_chars)
    assert len(story.case(cid).message) == story.settings.max_message_chars


def test_three_files_are_accepted(story):
    ids = [story.upload(story.w.customer), story.upload(story.w.customer, filename="r.pdf", data=PDF_BYTES),
           story.upload(story.w.customer, filename="n.txt", data=b"order 1234\n")]
    cid = story.open(file_ids=ids)
    (created,) = story.events(cid, "created")
    assert sorted(f.id for f in _files_of(story, created)) == sorted(ids)


def _files_of(story, event):
    with story.Session() as s:
        return list(s.scalars(select(EvidenceFile).where(EvidenceFile.event_seq == event.seq)))


def test_an_opened_case_waits_on_the_merchant_for_seven_days(story):
    case = story.case(story.open())
    assert (case.status, case.escalated, case.response_due_at) == ("awaiting_merchant", False, T0 + days(7))
    assert (case.amount_minor, case.currency, case.company_id) == (5000, "USD", story.w.company.id)
    assert (case.customer_appealed, case.merchant_appealed, case.outcome) == (False, False, None)


def test_opening_writes_a_created_event_both_parties_see(story):
    (event,) = story.events(story.open())
    assert (event.action, event.reporter_type, event.actor_id) == ("created", "customer", story.w.customer.id)
    assert event.viewable_by_customer and event.viewable_by_merchant


@pytest.mark.parametrize("rule", ["another customer's payment", "crypto payment",
                                  "coinbase commerce payment", "refunded payment", "paid more than 30 days ago",
                                  "a case is open on it", "a case was closed on it"])
def test_the_payment_verdict_gives_the_same_reason_as_opening(story, rule):
    arrange, _, code = REFUSALS[rule]
    args = arrange(story)
    with story.Session() as s:
        payment = s.get(Payment, args["payment_id"])
        verdict = payment_verdict(story.ctx(s), args["actor"], payment)
    assert (verdict.eligible, verdict.code) == (False, code)


def test_an_eligible_payment_says_when_its_window_closes(story):
    with story.Session() as s:
        verdict = payment_verdict(story.ctx(s), story.w.customer, story.payment)
    assert verdict.eligible and verdict.closes_at == story.payment.paid_at + days(30)
