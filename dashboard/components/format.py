"""How values read on screen: money from minor units, times in the viewer's zone."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.components import palette as _palette
from dashboard.enums import REASON_LABELS, Reason
from dashboard.money.amounts import format_minor

STATUS_LABELS = {
    "awaiting_merchant": "Awaiting merchant",
    "awaiting_customer": "Awaiting customer",
    "under_review": "Under review",
    "closed": "Closed",
}
# Badge colours live in palette.py (one set, contrast-checked); re-exported for the callers.
STATUS_COLORS = _palette.STATUS_COLORS
STATUS_TEXT = _palette.STATUS_TEXT
OUTCOME_LABELS = {"customer_won": "Customer won", "merchant_won": "Merchant won", "withdrawn": "Withdrawn"}
PROVIDER_LABELS = {"stripe": "Stripe", "paypal": "PayPal", "crypto": "Crypto", "coinbase_commerce": "Coinbase Commerce"}


def viewer_zone() -> ZoneInfo:
    """The signed-in person's saved zone (User.time_zone, set at first sign-in), else the
    browser's, remembered in a cookie at sign-in; UTC otherwise."""
    try:
        import flask
        from flask_login import current_user

        cookie = flask.request.cookies.get("tz")
    except RuntimeError:  # outside a request (tests calling helpers directly)
        return ZoneInfo("UTC")
    try:
        saved = getattr(current_user, "time_zone", None)
    except AttributeError:  # an app without sign-in (a bare Flask app in tests)
        saved = None
    name = saved or cookie or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: Optional[dt.datetime], *, fmt: str = "%d %b %Y, %H:%M", zone: Optional[ZoneInfo] = None) -> str:
    if value is None:
        return "—"
    zone = zone or viewer_zone()
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}"


def local_date(value: Optional[dt.datetime], *, fmt: str = "%d %b %Y", zone: Optional[ZoneInfo] = None) -> str:
    """'20 Nov 2026': the day `value` falls on in the viewer's zone, with no zone name — a
    date alone names no hour, so "GMT" after it would only read as noise. A naive value is
    UTC, as the database keeps it."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(zone or viewer_zone()).strftime(fmt)


def money(minor: Optional[int], currency: str) -> str:
    return "—" if minor is None else format_minor(minor, currency)


def reason_label(reason: str) -> str:
    try:
        return REASON_LABELS[Reason(reason)]
    except ValueError:
        return reason


def duration(delta: dt.timedelta) -> str:
    """'3d 4h', '5h 10m', '12m' — how long someone has waited."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    d, rem = divmod(seconds, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{sign}{d}d {h}h"
    if h:
        return f"{sign}{h}h {m}m"
    return f"{sign}{m}m"


def deadline_state(due: Optional[dt.datetime], now: dt.datetime) -> str:
    """'overdue', 'soon' (< 24 h), 'ok' or 'none' — drives the deadline colour."""
    if due is None:
        return "none"
    left = due - now
    if left.total_seconds() <= 0:
        return "overdue"
    if left <= dt.timedelta(hours=24):
        return "soon"
    return "ok"
