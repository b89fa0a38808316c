"""settle_case: the one "move this case's money now" both the API and the screens call
after their action committed. A failure is logged and swallowed (the scheduler retries)."""
from __future__ import annotations

import datetime as dt
import logging

from dashboard.money.settle import settle_case
from dashboard.settings import Settings

NOW = dt.datetime(2026, 3, 2, 9, 0)


def test_a_failure_is_logged_on_the_callers_logger_and_swallowed(caplog):
    def broken_session():
        raise RuntimeError("database went away")

    logger = logging.getLogger("tests.settle")
    with caplog.at_level(logging.ERROR, logger="tests.settle"):
        assert settle_case(broken_session, None, NOW, settings=Settings(), case_id="c-1", logger=logger) is None
    [record] = [r for r in caplog.records if r.name == "tests.settle"]
    assert record.getMessage() == "settling money for case c-1 failed; the scheduler will retry"
    assert record.exc_info is not None
