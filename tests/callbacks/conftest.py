"""Calling callbacks as plain functions, as a signed-in user, inside a request context."""
from __future__ import annotations

from contextlib import contextmanager

import flask
import pytest
from flask_login import login_user

from dashboard.auth import SessionUser, init_auth
from dashboard.context import utcnow
from dashboard.runtime import Runtime
from tests import factories


@pytest.fixture
def runtime(engine, Session, tmp_path):
    return Runtime.build(factories.test_settings(tmp_path), engine=engine)


@pytest.fixture
def flask_app(runtime):
    app = flask.Flask("test-callbacks")
    app.config.update(SECRET_KEY="test", TESTING=True)
    app.extensions["rc"] = runtime
    init_auth(app)
    return app


@pytest.fixture
def as_user(flask_app):
    """`with as_user(user): callback(...)` runs the callback as that signed-in user."""

    @contextmanager
    def _as(user, *, path="/_dash-update-component", tz="UTC"):
        with flask_app.test_request_context(path, method="POST", headers={"Cookie": f"tz={tz}"}):
            if user is not None:
                login_user(SessionUser(user))
            yield

    return _as


@pytest.fixture
def now():
    """The real clock, read once per test: screens act as of now."""
    return utcnow()
