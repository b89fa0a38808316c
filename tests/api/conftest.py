"""Fixtures for the JSON API suite: the real Flask server built by `create_server` on the
test database, a world of people with API tokens, the official `whop-sdk` client wired
to the server in-process, and a raw HTTP helper (Flask's test client).

The API acts as of a fixed moment: the runtime's clock returns `as_of` (tests/conftest.py),
the world is built then and the `story` driver (tests/domain/story.py) sets cases up
through the domain as of the same clock, so a test's deadlines and dates are exact.
"""
from __future__ import annotations

from typing import Any, Optional

import httpx
import pytest
from whop_sdk import Whop, WhopEnvironment

from dashboard import accounts
from dashboard.context import Ctx
from dashboard.runtime import Runtime
from dashboard.web import create_server
from tests import factories
from tests.api import contract
from tests.domain.story import Story

BASE = "http://rc.test"


class LiveStory(Story):
    """The domain story driver on the API's own clock (unless `at=` is given): what the
    story does happens at the moment the API then reads, even if a test moves the clock."""

    def __init__(self, *args, clock, **kwargs):
        super().__init__(*args, **kwargs)
        self.clock = clock

    def ctx(self, session, at=None) -> Ctx:
        return Ctx(session, at or self.clock(), self.settings)


class Api:
    """`api.sdk(user)` → a Whop client acting as `user`; `api.post(user, path, json=...)`
    → a raw response (paths relative to /api/v1)."""

    def __init__(self, server, Session, settings):  # noqa: N803
        self.server = server
        self.Session = Session
        self.settings = settings
        self.client = server.test_client()
        self._tokens: dict[str, str] = {}

    def token(self, user) -> str:
        if user.id not in self._tokens:
            with self.Session.begin() as s:
                now = self.server.extensions["rc"].now()  # issued as of the API's clock
                self._tokens[user.id] = accounts.issue_token(Ctx(s, now, self.settings), s.get(type(user), user.id))
        return self._tokens[user.id]

    def sdk(self, user) -> Whop:
        http = httpx.Client(transport=httpx.WSGITransport(app=self.server), base_url=BASE)
        return Whop(environment=WhopEnvironment(api=f"{BASE}/api/v1", vault=f"{BASE}/api/v1"),
                    token=self.token(user), max_retries=0, httpx_client=http)

    def headers(self, user) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"} if user is not None else {}

    def request(self, method: str, user, path: str, **kw):
        headers = {**self.headers(user), **kw.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def get(self, user, path: str, **kw):
        return self.request("GET", user, path, **kw)

    def post(self, user, path: str, json: Optional[Any] = None, **kw):
        return self.request("POST", user, path, json=json if json is not None else {}, **kw)

    def upload(self, user, *, filename: str = "proof.png", data: bytes = factories.PNG_BYTES,
               content_type: Optional[str] = None) -> str:
        """The two-step upload; returns the ready file's id (asserts it worked)."""
        created = self.post(user, "/files", {"filename": filename})
        assert created.status_code == 201, created.get_json()
        put = self.client.put(created.get_json()["upload_url"], data=data,
                              headers={"Content-Type": content_type or "application/octet-stream"})
        assert put.status_code == 200, put.get_json()
        return created.get_json()["id"]


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


@pytest.fixture
def runtime(Session, engine, settings, as_of):  # noqa: N803 - Session wipes the tables after the test
    rt = Runtime.build(settings, engine=engine)
    rt.clock = lambda: as_of  # the API acts as of this moment; a test may move it
    return rt


@pytest.fixture
def now(as_of):
    """The moment the API acts as of (what its runtime's clock says)."""
    return as_of


@pytest.fixture
def server(runtime):
    app = create_server(runtime)
    checked = contract.install(app)  # every answer is validated against /api/v1/openapi.json
    yield app
    checked.assert_clean()


@pytest.fixture
def w(Session, settings, now):  # noqa: N803
    with Session.begin() as s:
        return factories.world(Ctx(s, now, settings))


@pytest.fixture
def story(Session, settings, w, runtime):  # noqa: N803
    return LiveStory(Session, settings, w, now=runtime.now(), clock=runtime.now)


@pytest.fixture
def api(server, Session, settings, w):  # noqa: N803
    return Api(server, Session, settings)
