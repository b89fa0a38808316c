"""dashboard.duty.set_duty: managers put reviewers and managers on or off duty and set
their capacity (1..200, or the default); nobody else; bad input changes nothing; every
change is audited as `staff.duty`, a change to nothing is not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import AuditEvent, User
from dashboard import audit, duty
from dashboard.context import Ctx
from dashboard.errors import Forbidden, Invalid
from tests.factories import T0


def set_duty(Session, settings, actor, member_id, **kw):  # noqa: N803
    with Session.begin() as s:
        return duty.set_duty(Ctx(s, T0, settings), actor=actor, user_id=member_id, **kw)


def state(Session, user_id):  # noqa: N803
    with Session() as s:
        u = s.get(User, user_id)
        return bool(u.on_duty), u.capacity


def duty_audit(Session):  # noqa: N803
    with Session() as s:
        return [(r.actor_id, r.details) for r in s.scalars(
            select(AuditEvent).where(AuditEvent.kind == "staff.duty").order_by(AuditEvent.id))]


def test_a_manager_puts_a_reviewer_on_duty_with_a_capacity_and_it_is_audited(Session, settings, w):
    change = set_duty(Session, settings, w.manager, w.reviewer.id, on_duty=True, capacity=12)
    assert change.changed and (change.member.id, change.member.on_duty, change.member.capacity) == \
        (w.reviewer.id, True, 12)
    assert state(Session, w.reviewer.id) == (True, 12)
    assert duty_audit(Session) == [(w.manager.id, {"user_id": w.reviewer.id, "on_duty": True, "capacity": 12})]
    # Only what is sent changes: the capacity alone, then duty alone (the capacity stays).
    set_duty(Session, settings, w.manager, w.reviewer.id, capacity=None)
    assert state(Session, w.reviewer.id) == (True, None)
    set_duty(Session, settings, w.manager, w.reviewer.id, on_duty=False)
    assert state(Session, w.reviewer.id) == (False, None)
    assert len(duty_audit(Session)) == 3


def test_the_audit_screen_words_it():
    row = AuditEvent(kind="staff.duty", details={"user_id": "user_x", "on_duty": True, "capacity": None})
    assert audit.describe(row) == "user_x on duty, capacity default"
    assert audit.KIND_LABELS[audit.AuditKind.STAFF_DUTY] == "Changed duty or capacity"


def test_setting_what_is_already_so_writes_nothing(Session, settings, w):
    set_duty(Session, settings, w.manager, w.reviewer.id, on_duty=True, capacity=5)
    again = set_duty(Session, settings, w.manager, w.reviewer.id, on_duty=True, capacity=5)
    assert not again.changed and len(duty_audit(Session)) == 1


def test_a_manager_may_put_themselves_and_other_managers_on_duty(Session, settings, w):
    set_duty(Session, settings, w.manager, w.manager.id, on_duty=True)
    assert state(Session, w.manager.id) == (True, None)
    assert duty.capacity_of(User(capacity=None), settings) == settings.auto_assign_capacity == 10
    assert duty.capacity_of(User(capacity=3), settings) == 3


@pytest.mark.parametrize("role", ["reviewer", "creator", "customer", "integration"])
def test_nobody_but_a_manager(Session, settings, w, role):
    actor = {"reviewer": w.reviewer, "creator": w.creator, "customer": w.customer,
             "integration": w.integration}[role]
    with pytest.raises(Forbidden) as refused:
        set_duty(Session, settings, actor, w.reviewer2.id, on_duty=True)
    assert refused.value.code == "managers_only"
    with pytest.raises(Forbidden):  # not even themselves
        set_duty(Session, settings, actor, actor.id, on_duty=True, capacity=50)
    assert state(Session, w.reviewer2.id) == (False, None) and duty_audit(Session) == []


@pytest.mark.parametrize("capacity", [0, 201, -1, 2.5, True, "10", [10]])
def test_a_capacity_outside_1_to_200_is_refused_and_nothing_changes(Session, settings, w, capacity):
    with pytest.raises(Invalid) as refused:
        set_duty(Session, settings, w.manager, w.reviewer.id, on_duty=True, capacity=capacity)
    assert refused.value.code == "invalid_capacity" and "from 1 to 200" in refused.value.message
    assert state(Session, w.reviewer.id) == (False, None) and duty_audit(Session) == []


@pytest.mark.parametrize("capacity", [1, 200])
def test_the_bounds_are_accepted(Session, settings, w, capacity):
    set_duty(Session, settings, w.manager, w.reviewer.id, capacity=capacity)
    assert state(Session, w.reviewer.id) == (False, capacity)


def test_only_staff_and_only_active_staff_go_on_duty(Session, settings, w):
    for who in (w.creator.id, w.customer.id, "user_nobody"):
        with pytest.raises(Invalid) as refused:
            set_duty(Session, settings, w.manager, who, on_duty=True)
        assert refused.value.code == "invalid_reviewer"
    with Session.begin() as s:
        s.get(User, w.reviewer2.id).is_active = False
    with pytest.raises(Invalid) as refused:
        set_duty(Session, settings, w.manager, w.reviewer2.id, on_duty=True)
    assert "deactivated" in refused.value.message
    set_duty(Session, settings, w.manager, w.reviewer2.id, on_duty=False, capacity=4)  # off duty is fine
    assert state(Session, w.reviewer2.id) == (False, 4)
    with pytest.raises(Invalid):
        set_duty(Session, settings, w.manager, w.reviewer.id, on_duty="yes")
    assert state(Session, w.reviewer.id) == (False, None)
