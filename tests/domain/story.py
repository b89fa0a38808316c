"""A small driver that tells a case's story through the domain layer, the way the app
does it: one transaction per action, an explicit `now`, the caller owning the commit.

Tests read as `story.do(party.accept, actor=w.creator, case_id=cid)`; `story.now` moves
only when a test says so (`story.later(...)`), so every deadline is exact.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import func, select

from data.models import (Case, CaseEvent, CreditEntry, EvidenceFile, MoneyMovement, OutboxEmail,
                         SandboxGatewayCall)
from dashboard.cases import opening
from dashboard.context import Ctx
from dashboard.errors import DomainError
from dashboard.evidence import files
from tests.factories import PNG_BYTES, T0, World

CASE_CHILDREN = {
    "events": CaseEvent,
    "emails": OutboxEmail,
    "movements": MoneyMovement,
    "files": EvidenceFile,
    "credits": CreditEntry,
}


@dataclass
class Snapshot:
    """Everything an action on one case could change: its row and what hangs off it."""

    row: dict
    counts: dict


class Story:
    def __init__(self, Session, settings, w: World, now: dt.datetime = T0):  # noqa: N803
        self.Session = Session
        self.settings = settings
        self.w = w
        self.now = now
        self.payment = w.payment  # the payment `open()` disputes unless told otherwise

    # ------------------------------------------------------------------ time
    def later(self, delta: dt.timedelta = dt.timedelta(hours=1)) -> dt.datetime:
        self.now = self.now + delta
        return self.now

    def ctx(self, session, at: Optional[dt.datetime] = None) -> Ctx:
        return Ctx(session, at or self.now, self.settings)

    # ------------------------------------------------------------------ acting
    def do(self, fn: Callable, *args, at: Optional[dt.datetime] = None, **kwargs):
        """Run one domain call in its own committed transaction, as a route or job would."""
        with self.Session.begin() as s:
            return fn(self.ctx(s, at), *args, **kwargs)

    def refuse(self, fn: Callable, *args, at: Optional[dt.datetime] = None, **kwargs) -> DomainError:
        """Run a call that must be refused and return its error.

        The transaction is committed even so: a refusal must raise *before* it changes
        anything, not rely on the caller to roll back a half-done change.
        """
        with self.Session.begin() as s:
            try:
                fn(self.ctx(s, at), *args, **kwargs)
            except DomainError as exc:
                return exc
        raise AssertionError(f"{getattr(fn, '__name__', fn)} was not refused")

    def run(self, body: Callable[[Ctx], object], *, at: Optional[dt.datetime] = None):
        """Several domain calls in one transaction: `body(ctx)`."""
        with self.Session.begin() as s:
            return body(self.ctx(s, at))

    # ------------------------------------------------------------------ building blocks
    def upload(self, owner, *, filename: str = "proof.png", data: bytes = PNG_BYTES,
               declared_type: Optional[str] = None) -> str:
        f = self.do(files.upload, owner, filename=filename, data=data, declared_type=declared_type)
        return f.id

    def open(self, *, payment=None, customer=None, reason: str = "product_not_received",
             message: str = "I paid and never got access.", file_ids=(), at=None) -> str:
        case = self.do(opening.open_case, actor=customer or self.w.customer,
                       payment_id=(payment or self.payment).id, reason=reason, message=message,
                       file_ids=file_ids, at=at).case
        return case.id

    def new_payment(self, *, customer=None, company=None, paid_ago: dt.timedelta = dt.timedelta(days=1), **kw):
        """Another payment (by default the customer's, to the same company, paid a day ago);
        later `open()` calls dispute it."""
        from tests import factories

        self.payment = self.run(lambda ctx: factories.payment(
            ctx, company=company or self.w.company, customer=customer or self.w.customer,
            paid_at=ctx.now - paid_ago, **kw))
        return self.payment

    def report_refunded(self, payment=None, *, at=None):
        """The integration reports the payment refunded elsewhere (§3.10)."""
        from data.models import Payment
        from dashboard.cases import system

        pid = (payment or self.payment).id
        return self.run(lambda ctx: system.report_refunded(ctx, payment=ctx.session.get(Payment, pid)), at=at)

    # ------------------------------------------------------------------ reading
    def case(self, case_id: str) -> Case:
        with self.Session() as s:
            case = s.get(Case, case_id)
            s.expunge(case)
            return case

    def events(self, case_id: str, action: Optional[str] = None) -> list[CaseEvent]:
        with self.Session() as s:
            stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
            if action:
                stmt = stmt.where(CaseEvent.action == action)
            rows = list(s.scalars(stmt))
            s.expunge_all()
            return rows

    def emails(self, case_id: Optional[str] = None, template: Optional[str] = None, *,
               parties_only: bool = False) -> list[OutboxEmail]:
        """`parties_only`: the letters to the case's parties and the asking reviewer, without the
        staff notification emails (templates `staff_*`, dashboard.notifications.staff)."""
        with self.Session() as s:
            stmt = select(OutboxEmail).order_by(OutboxEmail.id)
            if parties_only:
                stmt = stmt.where(~OutboxEmail.template.startswith("staff_"))
            if case_id:
                stmt = stmt.where(OutboxEmail.case_id == case_id)
            if template:
                stmt = stmt.where(OutboxEmail.template == template)
            rows = list(s.scalars(stmt))
            s.expunge_all()
            return rows

    def movements(self, case_id: str) -> list[MoneyMovement]:
        with self.Session() as s:
            rows = list(s.scalars(select(MoneyMovement).where(MoneyMovement.case_id == case_id)
                                  .order_by(MoneyMovement.id)))
            s.expunge_all()
            return rows

    def gateway_calls(self) -> list[SandboxGatewayCall]:
        with self.Session() as s:
            rows = list(s.scalars(select(SandboxGatewayCall).order_by(SandboxGatewayCall.id)))
            s.expunge_all()
            return rows

    def count(self, model, **where) -> int:
        with self.Session() as s:
            stmt = select(func.count()).select_from(model)
            for column, value in where.items():
                stmt = stmt.where(getattr(model, column) == value)
            return s.scalar(stmt)

    def snapshot(self, case_id: str) -> Snapshot:
        with self.Session() as s:
            table = Case.__table__
            row = dict(s.execute(select(table).where(table.c.id == case_id)).mappings().one())
            counts = {name: s.scalar(select(func.count()).select_from(model).where(model.case_id == case_id))
                      for name, model in CASE_CHILDREN.items()}
            counts["all_cases"] = s.scalar(select(func.count()).select_from(Case))
            counts["gateway_calls"] = s.scalar(select(func.count()).select_from(SandboxGatewayCall))
            return Snapshot(row, counts)
