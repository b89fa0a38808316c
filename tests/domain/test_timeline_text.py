"""dashboard.timeline: system events that state a deadline, worded from their data in
any reader's zone (no database)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dashboard.timeline import deadline_sentence, localise_times, utc_text

DUE = dt.datetime(2026, 6, 10, 3, 0, tzinfo=dt.timezone.utc)
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(when: dt.datetime) -> str:
    return f"{when.astimezone(TOKYO):%d %b %Y, %H:%M %Z}"


def test_the_stored_text_is_the_sentence_in_utc():
    data = {"did_not_respond": "merchant", "due_at": DUE.isoformat()}
    assert deadline_sentence("escalated", data) == \
        "The merchant did not respond by 2026-06-10 03:00 UTC, so the case was escalated to the platform for review."
    assert deadline_sentence("no_response", {"did_not_respond": "customer", "due_at": DUE.isoformat()}) == (
        "The customer did not provide the requested information by 2026-06-10 03:00 UTC, so the case was closed "
        "in the merchant's favour.")
    assert deadline_sentence("no_response", data) == ("The merchant did not provide the requested information by "
                                                      "2026-06-10 03:00 UTC; the review continues without it.")
    assert deadline_sentence("appeal_window_closed", {"appeal_due_at": DUE.isoformat()}) == \
        "No appeal was made by 2026-06-10 03:00 UTC, so the outcome is final."


def test_a_reader_gets_their_zone_and_is_named_you():
    data = {"did_not_respond": "customer", "due_at": DUE.isoformat()}
    names = {"customer": "you", "merchant": "Acme Courses"}
    assert deadline_sentence("no_response", data, at=tokyo, names=names) == (
        "You did not provide the requested information by 10 Jun 2026, 12:00 JST, so the case was closed in "
        "Acme Courses' favour.")
    merchant = {"customer": "the customer", "merchant": "you"}
    assert deadline_sentence("no_response", data, at=tokyo, names=merchant).endswith("closed in your favour.")


def test_events_without_a_deadline_or_with_other_data_have_no_sentence():
    assert deadline_sentence("denied", {"due_at": DUE.isoformat(), "did_not_respond": "merchant"}) is None
    assert deadline_sentence("escalated", None) is None
    assert deadline_sentence("escalated", {"did_not_respond": "merchant", "due_at": "soon"}) is None
    assert deadline_sentence("escalated", {"did_not_respond": "platform", "due_at": DUE.isoformat()}) is None
    assert deadline_sentence("appeal_window_closed", {}) is None
    # A naive time in the data is read as UTC, as the database keeps times.
    naive = {"did_not_respond": "merchant", "due_at": "2026-06-10T03:00:00"}
    assert "2026-06-10 03:00 UTC" in deadline_sentence("escalated", naive)


def test_old_texts_have_their_utc_times_restated():
    old = "The merchant did not respond by 2026-06-10 03:00 UTC, so the case was escalated to the platform."
    assert localise_times(old, tokyo) == \
        "The merchant did not respond by 10 Jun 2026, 12:00 JST, so the case was escalated to the platform."
    assert localise_times("Due 2026-13-40 99:00 UTC.", tokyo) == "Due 2026-13-40 99:00 UTC."  # not a time: left
    assert localise_times("No time here.", tokyo) == "No time here."
    assert utc_text(DUE.astimezone(TOKYO)) == "2026-06-10 03:00 UTC"
