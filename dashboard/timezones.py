"""Each person's time zone (SPEC §7: deadlines "in their time zone").

A user's zone is an IANA name kept on `User.time_zone`, taken from their browser at
first sign-in. Until it is known, times are given in UTC and say so ("14:00 UTC"), so
nobody reads a UTC time as their own.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = ZoneInfo("UTC")
MAX_NAME = 64  # the column's width (data.models.User.time_zone)


def valid_zone(name: object) -> Optional[str]:
    """`name` if it is an IANA zone this machine knows, else None (junk from a form or a
    cookie is ignored, never stored). "UTC" counts: a browser set to UTC says so."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        return None
    if name.startswith(("/", ".")) or ".." in name or "\\" in name:
        return None  # zoneinfo reads files by this name: nothing path-like
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def zone_named(name: Optional[str]) -> ZoneInfo:
    """The zone called `name`, UTC when it is unset or unknown."""
    valid = valid_zone(name)
    return ZoneInfo(valid) if valid else UTC


def zone_of(user: object) -> ZoneInfo:
    """The person's zone (anything with a `time_zone`; None or unset: UTC)."""
    return zone_named(getattr(user, "time_zone", None))


def _abbreviation(local: dt.datetime) -> str:
    name = local.tzname() or "UTC"
    # Zones with no letters for their offset give "+04" or "-03": say it as UTC+04.
    return f"UTC{name}" if name[:1] in "+-" else name


def local_text(when: dt.datetime, zone: ZoneInfo) -> str:
    """'Tue 8 Dec 2026, 14:00 CET': the moment `when` as a person in `zone` reads it,
    naming the zone (UTC as "UTC"). A naive `when` is taken as UTC, as the database
    keeps it."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    local = when.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {_abbreviation(local)}"
