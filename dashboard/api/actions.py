"""Acting on a case: the published party actions and our staff extensions (SPEC §11).

Each route is one domain call; the domain locks the case row, checks the transition
table and answers 403 (this role can never do that) or 409 (not now). Actions that
record money movements (accept, decision, final decision) move it right after commit.
"""
from __future__ import annotations

from data.models import User
from dashboard.api.params import attachment_ids, json_body, minor_amount, text
from dashboard.api.routing import CaseResult, endpoint
from dashboard.cases import party, review
from dashboard.context import Ctx
from dashboard.errors import Invalid
from dashboard.permissions import is_staff

CASE = "/resolution_center_cases/<case_id>"
POST = ("POST",)


# ----------------------------------------------------------------- published actions
@endpoint(f"{CASE}/accept", methods=POST)
def accept_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()  # `terminate_membership` is accepted and ignored: we sell no memberships
    party.accept(ctx, actor=user, case_id=case_id, message=text(body, "message"), file_ids=attachment_ids(body))
    return CaseResult(case_id, settle=True)


@endpoint(f"{CASE}/deny", methods=POST)
def deny_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()
    party.deny(ctx, actor=user, case_id=case_id, message=text(body, "message"), file_ids=attachment_ids(body))
    return CaseResult(case_id)


@endpoint(f"{CASE}/request_info", methods=POST)
def request_info(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    """The merchant asks the customer; staff ask the `party` they name."""
    body = json_body()
    if is_staff(user):
        review.request_info_from(ctx, actor=user, case_id=case_id, party=text(body, "party"),
                                 message=text(body, "message"), file_ids=attachment_ids(body))
    else:
        party.merchant_request_info(ctx, actor=user, case_id=case_id, message=text(body, "message"),
                                    file_ids=attachment_ids(body))
    return CaseResult(case_id)


@endpoint(f"{CASE}/reply", methods=POST)
def reply_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()
    party.reply(ctx, actor=user, case_id=case_id, message=text(body, "message"), file_ids=attachment_ids(body))
    return CaseResult(case_id)


@endpoint(f"{CASE}/appeal", methods=POST)
def appeal_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()
    party.appeal(ctx, actor=user, case_id=case_id, message=text(body, "message"), file_ids=attachment_ids(body))
    return CaseResult(case_id)


@endpoint(f"{CASE}/withdraw", methods=POST)
def withdraw_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()  # the SDK sends no body here
    party.withdraw(ctx, actor=user, case_id=case_id, message=text(body, "message"))
    return CaseResult(case_id)


# ----------------------------------------------------------------------- extensions
@endpoint(f"{CASE}/evidence", methods=POST)
def add_evidence(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    """Attach evidence without another action (`add_evidence` in available_actions)."""
    body = json_body()
    party.add_evidence(ctx, actor=user, case_id=case_id, file_ids=attachment_ids(body), message=text(body, "message"))
    return CaseResult(case_id)


@endpoint(f"{CASE}/claim", methods=POST)
def claim_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    json_body()
    review.claim(ctx, actor=user, case_id=case_id)
    return CaseResult(case_id)


@endpoint(f"{CASE}/assign", methods=POST)
def assign_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    """`reviewer_id`: a reviewer or manager; `null` puts the case back in the queue."""
    body = json_body()
    if "reviewer_id" not in body:
        raise Invalid("reviewer_id_required", "'reviewer_id' is required (null to unassign).",
                      detail={"field": "reviewer_id"})
    review.assign(ctx, actor=user, case_id=case_id, reviewer_id=text(body, "reviewer_id"))
    return CaseResult(case_id)


@endpoint(f"{CASE}/notes", methods=POST)
def add_note(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    """An internal note: staff only, never shown to a party."""
    body = json_body()
    review.note(ctx, actor=user, case_id=case_id, message=text(body, "message"))
    return CaseResult(case_id)


@endpoint(f"{CASE}/decision", methods=POST)
def decide_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()
    review.decide(ctx, actor=user, case_id=case_id, outcome=text(body, "outcome"), reason=text(body, "reason"),
                  amount=minor_amount(body))
    return CaseResult(case_id, settle=True)


@endpoint(f"{CASE}/final_decision", methods=POST)
def final_decide_case(ctx: Ctx, user: User, case_id: str) -> CaseResult:
    body = json_body()
    review.final_decide(ctx, actor=user, case_id=case_id, decision=text(body, "decision"),
                        reason=text(body, "reason"), remedy=text(body, "remedy"), amount=minor_amount(body))
    return CaseResult(case_id, settle=True)
