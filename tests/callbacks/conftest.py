"""Calling callbacks as plain functions, as a signed-in user, inside a request context,
as of a fixed moment (`now`: the runtime's clock returns it)."""
from __future__ import annotations

from contextlib import contextmanager

import flask
import pytest
from flask_login import login_user

from dashboard.auth import SessionUser, init_auth
from dashboard.runtime import Runtime
from tests import factories


@pytest.fixture
def runtime(engine, Session, tmp_path, as_of):
    """The callbacks' runtime, its clock stopped at `as_of` (tests/conftest.py)."""
    rt = Runtime.build(factories.test_settings(tmp_path), engine=engine)
    rt.clock = lambda: as_of
    return rt


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
def now(as_of):
    """The moment the screens act as of: what their runtime's clock says."""
    return as_of
