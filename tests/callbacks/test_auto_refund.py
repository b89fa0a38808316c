"""The auto-refund thresholds card (`callbacks/auto_refund.py`), called as plain functions
by a signed-in user: creators set their own company's, staff any company's and the lock."""
from __future__ import annotations

import json
from decimal import Decimal

import plotly.utils
import pytest

from callbacks import auto_refund as cb
from data.models import Company
from dashboard.context import Ctx
from tests import factories

HIDDEN = {"display": "none"}


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now, runtime.settings))


def stored(runtime, company_id):
    with runtime.Session() as s:
        c = s.get(Company, company_id)
        return c.auto_refund_card_threshold, c.auto_refund_paypal_threshold, c.auto_refund_locked


def test_a_creator_sees_their_companys_thresholds_off_and_no_lock(as_user, w):
    with as_user(w.creator):
        card, paypal, locked, lock_row, *disabled, state = cb.load_thresholds(None)
    assert (card, paypal, locked, lock_row, disabled) == (None, None, False, HIDDEN, [False, False, False])
    assert "Card: off; PayPal: off" in text(state)


def test_a_creator_saves_and_the_store_cannot_point_at_another_company(as_user, w, runtime):
    with as_user(w.creator):
        alert, state = cb.save_thresholds(1, w.other_company.id, 30, None, True)  # lock ignored, store ignored
    assert "Saved" in text(alert) and "Card cases up to 30" in text(state)
    assert stored(runtime, w.company.id) == (Decimal("30"), None, False)
    assert stored(runtime, w.other_company.id) == (None, None, False)


@pytest.mark.parametrize("typed,said", [("-3", "cannot be negative"), ("12.345.6", "must be an amount"),
                                        ("thirty", "must be an amount"), ("0", "more than 0"),
                                        ("99999999999999", "at most")])
def test_a_bad_amount_is_said_and_changes_nothing(as_user, w, runtime, typed, said):
    with as_user(w.creator):
        cb.save_thresholds(1, None, "10", "5", False)
        alert, state = cb.save_thresholds(2, None, typed, "5", False)
    assert said in text(alert) and "Saved" not in text(alert)
    assert stored(runtime, w.company.id) == (Decimal("10"), Decimal("5"), False)


def test_typed_amounts_with_a_comma_or_spaces_are_read(as_user, w, runtime):
    with as_user(w.creator):
        cb.save_thresholds(1, None, " 12,50 ", "", False)
    assert stored(runtime, w.company.id) == (Decimal("12.50"), None, False)


def test_staff_lock_and_the_creator_then_reads_only(as_user, w, runtime):
    with as_user(w.manager):
        *_, lock_row, _c, _p, _s, _state = cb.load_thresholds(w.company.id)
        assert lock_row != HIDDEN
        alert, state = cb.save_thresholds(1, w.company.id, 20, None, True)
        assert "Saved" in text(alert) and "Locked" in text(state)
    assert stored(runtime, w.company.id) == (Decimal("20"), None, True)
    with as_user(w.creator):
        card, paypal, locked, lock_row, *disabled, state = cb.load_thresholds(None)
        assert (card, locked, disabled) == (20.0, True, [True, True, True])
        assert "locked these thresholds" in text(state)
        alert, _ = cb.save_thresholds(1, None, 500, None, False)  # a forged click
    assert "locked" in text(alert)
    assert stored(runtime, w.company.id) == (Decimal("20"), None, True)


def test_a_customer_gets_nothing(as_user, w, runtime):
    with as_user(w.customer):
        card, paypal, locked, lock_row, *disabled, state = cb.load_thresholds(w.company.id)
        alert, _ = cb.save_thresholds(1, w.company.id, 99, 99, True)
    assert (card, paypal, disabled) == (None, None, [True, True, True]) and "not found" in text(state)
    assert "not found" in text(alert) and w.company.name not in text(state, alert)
    assert stored(runtime, w.company.id) == (None, None, False)


def test_another_companys_creator_only_ever_reaches_their_own(as_user, w, runtime):
    with as_user(w.other_creator):
        *_, state = cb.load_thresholds(w.company.id)
        cb.save_thresholds(1, w.company.id, 99, None, True)
    assert w.other_company.name in text(state) and w.company.name not in text(state)
    assert stored(runtime, w.company.id) == (None, None, False)
    assert stored(runtime, w.other_company.id) == (Decimal("99"), None, False)
