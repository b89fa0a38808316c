"""dashboard.sla: by when the platform should decide, and how near that is."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from dashboard import sla
from dashboard.settings import Settings

T = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


def case(stage, escalated_at=None, appealed_at=None):
    return SimpleNamespace(stage=stage, escalated_at=escalated_at, appealed_at=appealed_at)


@pytest.fixture
def settings():
    return SimpleNamespace(review_sla_hours=48, final_review_sla_hours=72, sla_warning_hours=12)


def test_first_instance_is_escalation_plus_the_review_target(settings):
    assert sla.decide_by(case("under_review", escalated_at=T), settings) == T + 48 * H


def test_final_review_is_the_appeal_plus_the_final_target(settings):
    # escalated long before: the final review's clock is the appeal alone
    c = case("final_review", escalated_at=T - 200 * H, appealed_at=T)
    assert sla.decide_by(c, settings) == T + 72 * H


def test_an_appealed_denial_starts_at_the_appeal_with_the_first_instance_target(settings):
    assert sla.decide_by(case("under_review", appealed_at=T), settings) == T + 48 * H


@pytest.mark.parametrize("stage", ["awaiting_merchant", "review_awaiting_customer", "closed"])
def test_no_target_while_a_party_has_the_case_or_it_is_closed(settings, stage):
    c = case(stage, escalated_at=T, appealed_at=T)
    assert sla.decide_by(c, settings) is None and sla.state(c, settings, T) is None


def test_no_clock_no_target(settings):
    assert sla.target(case("under_review"), settings) is None
    assert sla.target(case("final_review", escalated_at=T), settings) is None


@pytest.mark.parametrize("now,expected", [
    (T, "ok"),
    (T + 36 * H - dt.timedelta(seconds=1), "ok"),
    (T + 36 * H, "soon"),          # exactly sla_warning_hours left
    (T + 48 * H - dt.timedelta(seconds=1), "soon"),
    (T + 48 * H, "missed"),        # the moment itself is missed
    (T + 400 * H, "missed"),
])
def test_state_ok_soon_missed_at_the_edges(settings, now, expected):
    assert sla.state(case("under_review", escalated_at=T), settings, now) == expected


def test_targets_follow_the_settings():
    s = Settings(review_sla_hours=10, final_review_sla_hours=20, sla_warning_hours=2)
    assert sla.decide_by(case("under_review", escalated_at=T), s) == T + 10 * H
    assert sla.decide_by(case("final_review", appealed_at=T), s) == T + 20 * H
    assert sla.state(case("final_review", appealed_at=T), s, T + 18 * H) == "soon"


def test_met_within_the_target_inclusive():
    assert sla.met(started_at=T, decided_at=T + 48 * H, hours=48) is True
    assert sla.met(started_at=T, decided_at=T + 48 * H + dt.timedelta(seconds=1), hours=48) is False
    assert sla.met(started_at=None, decided_at=T, hours=48) is None
