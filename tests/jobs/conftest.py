"""Fixtures for the job tests: a runtime on the test database, a committed world,
and `act(...)` to take one domain action in its own transaction as of a moment.

Every test here runs on SQLite and PostgreSQL (through `clean_db`); tests about row
locks between workers are marked `@pytest.mark.postgres`.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest
from sqlalchemy import select

from data.models import Case, CaseEvent
from dashboard.cases import opening
from dashboard.context import Ctx
from dashboard.runtime import Runtime
from tests import factories
from tests.factories import T0


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def runtime(clean_db, settings) -> Runtime:
    return Runtime.build(settings, engine=clean_db)


@pytest.fixture
def w(runtime):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, T0, runtime.settings))


class Actor:
    """Runs domain actions as of a given moment, one committed transaction each."""

    def __init__(self, runtime: Runtime, w: factories.World):
        self.runtime, self.w = runtime, w

    def __call__(self, at: dt.datetime, fn: Callable, **kwargs):
        with self.runtime.Session.begin() as s:
            return fn(Ctx(s, at, self.runtime.settings), **kwargs)

    def open(self, at: dt.datetime = T0, *, payment=None, customer=None) -> str:
        return self(at, opening.open_case, actor=customer or self.w.customer,
                    payment_id=(payment or self.w.payment).id, reason="product_not_received",
                    message="I paid but never got access.").case.id

    def new_payment(self, at: dt.datetime = T0, **kwargs):
        with self.runtime.Session.begin() as s:
            ctx = Ctx(s, at, self.runtime.settings)
            kwargs.setdefault("company", self.w.company)
            kwargs.setdefault("customer", self.w.customer)
            return factories.payment(ctx, paid_at=at - dt.timedelta(days=1), **kwargs)

    def case(self, case_id: str) -> Case:
        with self.runtime.Session() as s:
            return s.get(Case, case_id)

    def events(self, case_id: str, action: str | None = None) -> list[CaseEvent]:
        with self.runtime.Session() as s:
            stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
            if action:
                stmt = stmt.where(CaseEvent.action == action)
            return list(s.scalars(stmt))


@pytest.fixture
def act(runtime, w) -> Actor:
    return Actor(runtime, w)
