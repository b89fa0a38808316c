"""Fixtures for the domain suite: a committed world of people and a `story` driver.

Every test here runs on SQLite and PostgreSQL (the `Session` fixture); tests that are
about row locks are marked `@pytest.mark.postgres` and run on PostgreSQL only.
"""
from __future__ import annotations

import pytest

from dashboard.context import Ctx
from dashboard.money.gateways import GatewayRegistry
from tests import factories
from tests.domain.story import Story


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def w(Session, settings):  # noqa: N803
    """The shared world (tests/factories.py), committed, its objects usable as actors."""
    with Session.begin() as s:
        return factories.world(Ctx(s, factories.T0, settings))


@pytest.fixture
def story(Session, settings, w):  # noqa: N803
    return Story(Session, settings, w)


@pytest.fixture
def gateways(Session):  # noqa: N803
    return GatewayRegistry.sandbox(Session)
