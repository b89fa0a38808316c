"""Each person's time zone: kept from the browser at first sign-in (a real IANA zone only,
never junk), kept afterwards, and preferred by the screens over the browser's cookie."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_login import login_user

from data.models import User
from dashboard.auth import SessionUser
from dashboard.components.format import local_time, viewer_zone
from dashboard.context import Ctx
from dashboard.timezones import UTC, local_text, valid_zone, zone_named, zone_of
from tests import factories

PASSWORD = "correct horse battery"
WHEN = dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.timezone.utc)
TOKYO_NAME = "Asia/Tokyo"


# ------------------------------------------------------------------------ the domain helper
@pytest.mark.parametrize("zone, text", [
    ("Europe/Paris", "Tue 8 Dec 2026, 14:00 CET"),
    ("Asia/Tokyo", "Tue 8 Dec 2026, 22:00 JST"),
    ("America/New_York", "Tue 8 Dec 2026, 08:00 EST"),
    ("Asia/Dubai", "Tue 8 Dec 2026, 17:00 UTC+04"),  # a zone with no letters for its offset
    (None, "Tue 8 Dec 2026, 13:00 UTC"),  # unknown: UTC, named as such
])
def test_a_moment_reads_in_the_persons_zone_with_the_zone_named(zone, text):
    assert local_text(WHEN, zone_named(zone)) == text


def test_a_summer_moment_names_summer_time():
    assert local_text(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone.utc), zone_named("Europe/Paris")) \
        == "Wed 1 Jul 2026, 14:00 CEST"


def test_a_person_with_no_zone_reads_utc():
    assert zone_of(User(time_zone=None)) == UTC
    assert zone_of(User(time_zone="Asia/Tokyo")).key == "Asia/Tokyo"
    assert zone_of(None) == UTC


@pytest.mark.parametrize("junk", ["", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "x" * 65, None, 5,
                                  "Europe/Paris\n", "Europe\\Paris"])
def test_junk_is_no_zone(junk):
    assert valid_zone(junk) is None


# ------------------------------------------------------------------------ first sign-in
@pytest.fixture
def person(Session, tmp_path):  # noqa: N803
    def make(zone=None):
        with Session.begin() as s:
            u = factories.user(Ctx(s, factories.T0, factories.test_settings(tmp_path)), "customer",
                               password=PASSWORD)
            u.time_zone = zone
            return u.id, u.email
    return make


def _sign_in(flask_app, email, tz):
    client = flask_app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD,
                                         "next": "", "tz": tz})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return answer


def _zone(Session, user_id):  # noqa: N803
    with Session() as s:
        return s.get(User, user_id).time_zone


def test_the_first_sign_in_keeps_the_browsers_zone(flask_app, Session, person):  # noqa: N803
    uid, email = person()
    _sign_in(flask_app, email, "Asia/Tokyo")
    assert _zone(Session, uid) == "Asia/Tokyo"


def test_a_later_sign_in_from_elsewhere_keeps_the_saved_zone(flask_app, Session, person):  # noqa: N803
    uid, email = person("Europe/Paris")
    _sign_in(flask_app, email, "America/New_York")
    assert _zone(Session, uid) == "Europe/Paris"


@pytest.mark.parametrize("junk", ["", "Not/AZone", "../../etc/passwd"])
def test_a_junk_zone_is_ignored_and_not_echoed_in_the_cookie(flask_app, Session, person, junk):  # noqa: N803
    uid, email = person()
    answer = _sign_in(flask_app, email, junk)
    assert _zone(Session, uid) is None
    assert "tz=UTC" in answer.headers["Set-Cookie"]


# ------------------------------------------------------------------------ screens
def test_screens_prefer_the_saved_zone_to_the_browsers_cookie(flask_app):
    saved = User(id="user_x", email="x@test.example", name="X", role="customer", time_zone="Asia/Tokyo")
    with flask_app.test_request_context("/", headers={"Cookie": "tz=Europe/Paris"}):
        login_user(SessionUser(saved))
        assert viewer_zone().key == "Asia/Tokyo"
        assert local_time(WHEN).endswith("22:00 JST")


def test_screens_use_the_cookie_when_nothing_is_saved(flask_app):
    unsaved = User(id="user_y", email="y@test.example", name="Y", role="customer", time_zone=None)
    with flask_app.test_request_context("/", headers={"Cookie": "tz=Europe/Paris"}):
        login_user(SessionUser(unsaved))
        assert viewer_zone().key == "Europe/Paris"
    with flask_app.test_request_context("/"):
        assert viewer_zone().key == "UTC"


# ------------------------------------------------------------------------ accounts
def test_a_user_can_be_created_with_a_zone_and_a_junk_one_is_refused(Session, tmp_path):  # noqa: N803
    from dashboard import accounts
    from dashboard.errors import Invalid

    with Session.begin() as s:
        ctx = Ctx(s, factories.T0, factories.test_settings(tmp_path))
        zoned = accounts.create_user(ctx, email="z@test.example", name="Z", role="customer", time_zone=TOKYO_NAME)
        plain = accounts.create_user(ctx, email="p@test.example", name="P", role="customer")
        assert (zoned.time_zone, plain.time_zone) == (TOKYO_NAME, None)
        with pytest.raises(Invalid) as refused:
            accounts.create_user(ctx, email="j@test.example", name="J", role="customer", time_zone="Mars/Olympus")
        assert refused.value.code == "invalid_time_zone"
