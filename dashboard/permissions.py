"""Who may see what (SPEC §1). Every read and action goes through here.

A case, payment or file the caller may not see is reported as not found, so its
existence does not leak.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import ColumnElement, false, select, true

from data.models import Case, Payment, User
from dashboard.context import Ctx
from dashboard.enums import STAFF_ROLES, Party, Role
from dashboard.errors import NotFound


def is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


def party_of(user: User, case: Case) -> Optional[Party]:
    """The side `user` is on for `case`, or None when they have no standing at all."""
    if user.role == Role.CUSTOMER and case.customer_id == user.id:
        return Party.CUSTOMER
    if user.role == Role.CREATOR and user.company_id is not None and case.company_id == user.company_id:
        return Party.MERCHANT
    if is_staff(user):
        return Party.PLATFORM
    return None


def case_visibility(user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting `cases` to what `user` may see; used by every list."""
    if is_staff(user):
        return true()
    if user.role == Role.CUSTOMER:
        return Case.customer_id == user.id
    if user.role == Role.CREATOR and user.company_id:
        return Case.company_id == user.company_id
    return false()


def payment_visibility(user: User) -> ColumnElement[bool]:
    if is_staff(user) or user.role == Role.INTEGRATION:
        return true()
    if user.role == Role.CUSTOMER:
        return Payment.customer_id == user.id
    if user.role == Role.CREATOR and user.company_id:
        return Payment.company_id == user.company_id
    return false()


def load_case(ctx: Ctx, user: User, case_id: str, *, lock: bool = False) -> Case:
    """The case if `user` may see it, else NotFound. `lock` takes the row lock that
    makes two simultaneous actions on one case run one after the other."""
    stmt = select(Case).where(Case.id == case_id, case_visibility(user))
    if lock:
        # The locked read is the truth: it overwrites any copy cached earlier in this session.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    case = ctx.session.scalar(stmt)
    if case is None:
        raise NotFound("case")
    return case


def load_payment(ctx: Ctx, user: User, payment_id: str, *, lock: bool = False) -> Payment:
    stmt = select(Payment).where(Payment.id == payment_id, payment_visibility(user))
    if lock:
        stmt = stmt.with_for_update()
    payment = ctx.session.scalar(stmt)
    if payment is None:
        raise NotFound("payment")
    return payment


def event_visibility_for(party: Optional[Party]):
    """Which timeline events a party may read (staff read everything)."""
    from data.models import CaseEvent

    if party == Party.CUSTOMER:
        return CaseEvent.viewable_by_customer.is_(True)
    if party == Party.MERCHANT:
        return CaseEvent.viewable_by_merchant.is_(True)
    if party == Party.PLATFORM:
        return true()
    return false()
