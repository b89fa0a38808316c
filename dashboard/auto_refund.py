"""Auto-refund thresholds: Whop's `resolution_center_auto_refund` payment control.

A company sets, per provider family, the largest claim it refunds without looking: a
newly opened case on a card (Stripe) or PayPal payment of at most that much is accepted
at once on the merchant's behalf — closed, customer won, a full refund from the
merchant through the usual money path, a timeline event saying the threshold did it,
and the usual emails. Crypto payments cannot be refunded by the provider, so they never
are.

Thresholds keep Whop's names (`card_threshold_usd`, `paypal_threshold_usd`) but are
read in the payment's own currency units: 30 means 30.00 USD on a USD payment, 30.00 EUR
on a EUR one and ¥30 on a JPY one. The platform holds no exchange rates, and converting
at some rate would make "at or below the threshold" depend on the day the case was
opened; a company selling in several currencies sets the figure for its main one.

Creators of the company change them; once staff lock them (`locked`), only staff do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Optional

from data.models import Case, Company, User
from dashboard.cases.common import mark_merchant_response
from dashboard.cases.result import ActionResult, result
from dashboard.context import Ctx
from dashboard.enums import Action, Outcome, Party, Provider, RefundSource, Role, Stage
from dashboard.errors import Forbidden, Invalid, NotFound
from dashboard.lifecycle import apply, candidates
from dashboard.money.amounts import exponent, format_minor, to_major
from dashboard.money.movements import record_merchant_refund
from dashboard.permissions import is_staff

CARD, PAYPAL = "card_threshold_usd", "paypal_threshold_usd"
FAMILY_OF = {Provider.STRIPE.value: CARD, Provider.PAYPAL.value: PAYPAL}  # crypto: never
FAMILY_WORDS = {CARD: "card", PAYPAL: "PayPal"}
# A claim above a million units is no "small claim": a larger figure is a typo.
MAX_THRESHOLD = Decimal("1000000")
COMPANY_ID = re.compile(r"biz_[A-Za-z0-9]{1,40}")


@dataclass(frozen=True)
class Thresholds:
    card: Optional[Decimal]
    paypal: Optional[Decimal]
    locked: bool

    def for_provider(self, provider: str) -> Optional[Decimal]:
        family = FAMILY_OF.get(provider)
        return None if family is None else (self.card if family == CARD else self.paypal)

    def as_json(self) -> dict[str, Any]:
        """Whop's `payment_controls.resolution_center_auto_refund` (numbers, null when off)."""
        number = lambda d: None if d is None else float(d)  # noqa: E731 - JSON has no decimals
        return {CARD: number(self.card), PAYPAL: number(self.paypal), "locked": self.locked}


def thresholds_of(company: Company) -> Thresholds:
    return Thresholds(company.auto_refund_card_threshold, company.auto_refund_paypal_threshold,
                      bool(company.auto_refund_locked))


def may_read(user: Optional[User], company_id: str) -> bool:
    """The company's creators, the platform's staff and the integration (the payment system)."""
    if user is None:
        return False
    if user.role == Role.CREATOR:
        return user.company_id == company_id
    return is_staff(user) or user.role == Role.INTEGRATION


def load_company(ctx: Ctx, user: Optional[User], company_id: str, *, lock: bool = False) -> Company:
    """The company if this person may see its controls; otherwise not found (no hint it exists)."""
    # The id's shape first: a path may hold anything (a NUL byte would not even reach the database).
    if not isinstance(company_id, str) or not COMPANY_ID.fullmatch(company_id) or not may_read(user, company_id):
        raise NotFound("company", code="company_not_found")
    company = ctx.session.get(Company, company_id, with_for_update=lock)
    if company is None:
        raise NotFound("company", code="company_not_found")
    return company


def _threshold(name: str, value: Any) -> Optional[Decimal]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise Invalid("invalid_threshold", f"'{name}' must be an amount such as 30 or 12.50, or null to turn it off.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Invalid("invalid_threshold", f"'{name}' must be an amount such as 30 or 12.50, or null to turn it off.")
    if not amount.is_finite() or amount < 0:
        raise Invalid("invalid_threshold", f"'{name}' cannot be negative: use null to turn it off.")
    if amount == 0:
        raise Invalid("invalid_threshold", f"'{name}' must be more than 0: a threshold of 0 refunds nothing; "
                                           "use null to turn it off.")
    if amount > MAX_THRESHOLD:
        raise Invalid("invalid_threshold", f"'{name}' is at most {MAX_THRESHOLD:,}: larger claims need a look.")
    if amount != amount.quantize(Decimal("0.0001")):
        raise Invalid("invalid_threshold", f"'{name}' has more decimal places than any currency uses.")
    return amount


def set_thresholds(ctx: Ctx, *, actor: User, company_id: str, changes: Mapping[str, Any]) -> Company:
    """Set the fields given (`None` turns one off; absent ones are left as they are).
    `locked` is staff's alone; a locked company's thresholds are too."""
    company = load_company(ctx, actor, company_id, lock=True)
    staff = is_staff(actor)
    if actor.role == Role.INTEGRATION:
        raise Forbidden("action_not_permitted", "The auto-refund thresholds are set by the company's creators "
                                                "or the platform's staff.")
    unknown = set(changes) - {CARD, PAYPAL, "locked"}
    if unknown:
        raise Invalid("invalid_field", f"Unknown field {sorted(unknown)[0]!r}: use {CARD}, {PAYPAL} or locked.")
    if "locked" in changes:
        if not isinstance(changes["locked"], bool):
            raise Invalid("invalid_field", "'locked' must be true or false.")
        if not staff and changes["locked"] != bool(company.auto_refund_locked):
            raise Forbidden("thresholds_locked_by_staff" if company.auto_refund_locked else "staff_only",
                            "Only the platform's staff can lock or unlock the auto-refund thresholds.")
    if company.auto_refund_locked and not staff and (set(changes) & {CARD, PAYPAL}):
        raise Forbidden("thresholds_locked",
                        "The platform's staff have locked this company's auto-refund thresholds; "
                        "ask them if they need to change.")
    parsed = {name: _threshold(name, changes[name]) for name in (CARD, PAYPAL) if name in changes}
    if CARD in parsed:
        company.auto_refund_card_threshold = parsed[CARD]
    if PAYPAL in parsed:
        company.auto_refund_paypal_threshold = parsed[PAYPAL]
    if "locked" in changes:
        company.auto_refund_locked = changes["locked"]
    ctx.session.flush()
    return company


def qualifies(company: Company, case: Case, provider: str) -> Optional[Decimal]:
    """The threshold this new case falls under, or None. Compared in the payment's own
    currency units (see the module's docstring)."""
    limit = thresholds_of(company).for_provider(provider)
    if limit is None:
        return None
    return limit if to_major(case.amount_minor, case.currency) <= limit else None


def threshold_text(limit: Decimal, currency: str) -> str:
    return format_minor(int((limit * (10 ** exponent(currency))).to_integral_value()), currency)


def accept_under_threshold(ctx: Ctx, case: Case) -> Optional[ActionResult]:
    """Called as the case opens (dashboard.cases.opening): accept it for the merchant if its
    company's threshold covers it. The refund is recorded here, in the opening's
    transaction, and moved like any merchant refund (settled after the commit, else by the
    scheduler), so it happens exactly once."""
    payment = case.payment
    company = ctx.session.get(Company, case.company_id)
    limit = qualifies(company, case, payment.provider) if company is not None else None
    if limit is None:
        return None
    moves = candidates(Action.ACCEPT, Party.MERCHANT, Stage(case.stage))
    if not moves:
        return None
    family = FAMILY_WORDS[FAMILY_OF[payment.provider]]
    details = (f"Accepted automatically: {company.name} refunds claims of up to "
               f"{threshold_text(limit, case.currency)} on {family} payments without a review "
               f"(its auto-refund threshold). {format_minor(case.amount_minor, case.currency)} goes back "
               f"to the customer.")

    def effect():
        case.outcome = Outcome.CUSTOMER_WON.value
        case.refund = RefundSource.MERCHANT.value
        case.final = True
        case.appeal_due_at = None
        mark_merchant_response(case, Party.MERCHANT, ctx.now)

    step = apply(ctx, case, moves[0], actor=None, event_action="accepted", details=details, effect=effect,
                 data={"auto_refund": True, "threshold": str(limit), "family": FAMILY_OF[payment.provider]})
    refund = record_merchant_refund(ctx, case, case.amount_minor)
    ctx.session.flush()
    return result(case, step, movements=[refund])
