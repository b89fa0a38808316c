"""Checks shared by the security tests: nothing of B's leaked, nothing of B's changed."""
from __future__ import annotations

from sqlalchemy import func, select


def snapshot(live_app, case_id: str) -> dict:
    """Everything about a case that an action could change."""
    from data.models import Case, CaseEvent, CreditEntry, EvidenceFile, MoneyMovement, OutboxEmail

    with live_app.runtime().Session() as s:
        case = s.get(Case, case_id)
        state = {col.key: getattr(case, col.key) for col in Case.__table__.columns}
        for model in (CaseEvent, MoneyMovement, OutboxEmail, EvidenceFile, CreditEntry):
            state[model.__name__] = s.scalar(select(func.count()).select_from(model).where(model.case_id == case_id))
        return state


def assert_no_b_data(text: str, world, where: str) -> None:
    for marker in world.b_markers:
        assert marker not in text, f"{where}: the answer contains B's {marker!r}"


def cases_on(live_app, payment_id: str) -> int:
    from data.models import Case

    with live_app.runtime().Session() as s:
        return s.scalar(select(func.count()).select_from(Case).where(Case.payment_id == payment_id))
