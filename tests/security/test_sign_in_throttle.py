"""Screen sign-in under attack (dashboard.auth, dashboard.throttle, dashboard.signin):
wrong passwords are throttled per account and per address in the database, with 429
and Retry-After, until a lockout that ends by itself; unknown and known emails cost the
same work; sign-out is a POST with the session's CSRF token; every attempt is audited.

The Flask server of the app (create_server + init_auth) on the test database, with an
injected clock so a lockout can end without waiting."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import select
from werkzeug import security

from data.models import AuditEvent, LoginThrottle, User
from dashboard import accounts, signin, throttle
from dashboard.auth import init_auth
from dashboard.context import Ctx
from dashboard.runtime import Runtime
from dashboard.web import create_server
from tests import factories

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self, now: dt.datetime = T0):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def runtime(Session, engine, tmp_path):  # noqa: N803 - Session wipes the tables after the test
    settings = dataclasses.replace(factories.test_settings(tmp_path), secret_key="sign-in-test-secret")
    return Runtime.build(settings, engine=engine)


def make_server(runtime, clock):
    server = create_server(runtime)
    init_auth(server, clock=clock)
    return server


@pytest.fixture
def server(runtime, clock):
    return make_server(runtime, clock)


@pytest.fixture
def people(runtime):
    with runtime.Session.begin() as s:
        ctx = Ctx(s, T0, runtime.settings)
        known = accounts.create_user(ctx, email="kim@known.test", name="Kim", role="customer", password=PASSWORD)
        idle = accounts.create_user(ctx, email="ida@idle.test", name="Ida", role="customer", password=PASSWORD)
        idle.is_active = False
        return {"known": known.email, "idle": idle.email, "known_id": known.id}


def browser(server, address: str = "203.0.113.7"):
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


def sign_in(client, email: str, password: str):
    return client.post("/login", data={"csrf_token": csrf(client), "email": email, "password": password,
                                       "next": "", "tz": "UTC"})


def signed_in(client) -> bool:
    """/login sends a signed-in user home and shows the form to anyone else."""
    return client.get("/login").status_code == 302


def audit_kinds(runtime) -> list[str]:
    with runtime.Session() as s:
        return list(s.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


# ------------------------------------------------------------------------ throttling
def test_thirty_wrong_passwords_lock_the_account_until_the_lockout_ends(server, people, clock, runtime):
    client = browser(server)
    answers = [sign_in(client, people["known"], "wrong-guess") for _ in range(30)]
    limit = throttle.DEFAULT_POLICY.account.failures
    assert [a.status_code for a in answers] == [401] * limit + [429] * (30 - limit)
    wait = int(answers[-1].headers["Retry-After"])
    assert 0 < wait <= throttle.DEFAULT_POLICY.account.lockout.total_seconds()
    assert "Too many sign-in attempts" in answers[-1].get_data(as_text=True)

    refused = sign_in(client, people["known"], PASSWORD)  # the right password, while locked
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert not signed_in(client)

    clock.advance(wait - 5)
    assert sign_in(client, people["known"], PASSWORD).status_code == 429
    clock.advance(10)  # the lockout ended by itself
    answer = sign_in(client, people["known"], PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"] == "/my-cases"
    assert signed_in(client)
    kinds = audit_kinds(runtime)
    assert kinds.count("sign_in.failure") == limit
    assert kinds.count("sign_in.throttled") == 30 - limit + 2
    assert kinds[-1] == "sign_in.success"


def test_the_count_is_shared_by_every_worker(runtime, people, clock):
    """Two app processes (two Flask servers on one database) add up to one count."""
    a, b = browser(make_server(runtime, clock)), browser(make_server(runtime, clock))
    limit = throttle.DEFAULT_POLICY.account.failures
    for i in range(limit):
        assert sign_in(a if i % 2 else b, people["known"], "wrong").status_code == 401
    assert sign_in(a, people["known"], PASSWORD).status_code == 429
    assert sign_in(b, people["known"], PASSWORD).status_code == 429


def test_unknown_emails_are_throttled_like_known_ones(server, people):
    """A lockout must not tell which emails have accounts."""
    client = browser(server)
    limit = throttle.DEFAULT_POLICY.account.failures
    known = [sign_in(client, people["known"], "wrong").status_code for _ in range(limit + 1)]
    unknown = [sign_in(client, "nobody@unknown.test", "wrong").status_code for _ in range(limit + 1)]
    assert known == unknown == [401] * limit + [429]


def test_a_success_forgives_the_account_but_not_the_address(server, people, runtime):
    client = browser(server)
    limit = throttle.DEFAULT_POLICY.account.failures
    for _ in range(limit - 1):
        assert sign_in(client, people["known"], "wrong").status_code == 401
    assert sign_in(client, people["known"], PASSWORD).status_code == 302
    with runtime.Session() as s:
        rows = {r.scope.split(":")[0]: r.failures for r in s.scalars(select(LoginThrottle))}
    assert rows == {"account": 0, "address": limit - 1}


def test_one_address_guessing_many_accounts_is_throttled(runtime, people, clock):
    limit = 6  # the default's 50 works the same way, only slower to prove
    policy = throttle.Policy(address=throttle.Limit(limit, dt.timedelta(minutes=15), dt.timedelta(minutes=15)))
    server = create_server(runtime)
    init_auth(server, clock=clock, throttle_policy=policy)
    sprayer, bystander = browser(server, "198.51.100.9"), browser(server, "192.0.2.44")
    answers = [sign_in(sprayer, f"user{i}@spray.test", "123456").status_code for i in range(limit + 1)]
    assert answers == [401] * limit + [429]
    assert sign_in(sprayer, people["known"], PASSWORD).status_code == 429
    assert sign_in(bystander, people["known"], PASSWORD).status_code == 302


def test_idle_counters_are_cleaned_up(runtime, server, people, clock):
    sign_in(browser(server), people["known"], "wrong")
    with runtime.Session.begin() as s:
        assert throttle.delete_idle(Ctx(s, clock.now + dt.timedelta(minutes=1), runtime.settings)) == 0
    with runtime.Session.begin() as s:
        assert throttle.delete_idle(Ctx(s, clock.now + dt.timedelta(minutes=16), runtime.settings)) == 2


# ------------------------------------------------------------------------ same work
@pytest.fixture
def hash_calls(monkeypatch):
    signin.dummy_hash()  # made once per process, before any request
    calls: list[tuple[str, str]] = []
    real_check, real_generate = security.check_password_hash, security.generate_password_hash

    def check(pwhash, password):
        calls.append(("check", pwhash.rsplit("$", 2)[0]))  # the method and its cost, not the salt
        return real_check(pwhash, password)

    def generate(*args, **kwargs):
        calls.append(("generate", ""))
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(security, "check_password_hash", check)
    monkeypatch.setattr(security, "generate_password_hash", generate)
    return calls


@pytest.mark.parametrize("who", ["unknown", "idle", "known"])
def test_unknown_and_known_emails_cost_one_hash_check_of_the_same_kind(server, people, hash_calls, runtime, who):
    with runtime.Session() as s:
        stored_method = s.scalar(select(User.password_hash).where(User.email == people["known"])).rsplit("$", 2)[0]
    email = {"unknown": "nobody@unknown.test", "idle": people["idle"], "known": people["known"]}[who]
    answer = sign_in(browser(server), email, "wrong password")
    assert answer.status_code == 401
    assert "That email and password do not match." in answer.get_data(as_text=True)
    assert hash_calls == [("check", stored_method)]


# ------------------------------------------------------------------------ sign-out
def test_get_logout_only_asks_and_post_needs_the_token(server, people, runtime):
    client = browser(server)
    assert sign_in(client, people["known"], PASSWORD).status_code == 302
    page = client.get("/logout")
    assert page.status_code == 200 and signed_in(client)  # a link or an <img src=/logout> signs nobody out
    assert 'method="post" action="/logout"' in page.get_data(as_text=True)
    assert client.post("/logout", data={}).status_code == 400 and signed_in(client)
    assert client.post("/logout", data={"csrf_token": "guessed"}).status_code == 400 and signed_in(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    answer = client.post("/logout", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert not signed_in(client)
    assert audit_kinds(runtime)[-1] == "sign_out"


def test_the_navbar_signs_out_with_a_form_posting_the_session_token(server, people):
    from dashboard.auth import csrf_token
    from dashboard.components.shell import navbar

    class Someone:
        role, name = "manager", "Max"

    with server.test_request_context("/queue"):
        token = csrf_token()
        text = json.dumps(navbar(Someone()), cls=PlotlyJSONEncoder)
    assert '"action": "/logout"' in text and '"method": "post"' in text
    assert f'"value": "{token}"' in text and '"name": "csrf_token"' in text
    assert '"href": "/logout"' not in text
    assert '"href": "/audit"' in text


@pytest.mark.postgres
def test_parallel_guesses_cannot_outrun_the_count(server, people):
    """Each attempt is counted (under a row lock) before its slow hash: 20 at once on one
    account get exactly the limit's worth of password checks."""
    import threading

    limit = throttle.DEFAULT_POLICY.account.failures
    n = limit * 2
    clients = [browser(server, f"198.51.100.{i}") for i in range(n)]
    tokens = [csrf(c) for c in clients]
    barrier, statuses = threading.Barrier(n), [None] * n

    def guess(i):
        barrier.wait()
        statuses[i] = clients[i].post("/login", data={"csrf_token": tokens[i], "email": people["known"],
                                                      "password": "wrong", "next": ""}).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [401] * limit + [429] * limit
