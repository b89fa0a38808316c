"""Fixtures of the end-to-end browser suite.

    live_app   session  the real app (`python app.py`) on a fresh PostgreSQL database
    actors     function actors.new("customer") -> a Page in its own browser context
               (own cookies), with .console_errors; every actor's page is screenshot
               into test-artifacts/ when the test fails
    shot(page, name)    a screenshot of a main screen into test-artifacts/screens/

tests/browser/checks.py: axe-core (npm, pinned by package-lock.json; `make browser-deps`)
and the 390 px phone-width measure, used by test_screens.py (every main screen per role on
the demo data) and test_walk.py (a case walked as each party, with their emails).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.live_app import ROOT, running_app

# Auto-waiting assertions: generous for a loaded 2-core CI machine; a pass returns at once.
expect.set_options(timeout=10_000)

ARTIFACTS = ROOT / "test-artifacts"
SCREENS = ARTIFACTS / "screens"
_CALL_REPORT = pytest.StashKey[object]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.stash[_CALL_REPORT] = rep
    return rep


@pytest.fixture(scope="session")
def live_app(_pg_admin, tmp_path_factory):
    with running_app(_pg_admin, tmp_path_factory.mktemp("live"), print_log=True) as app:
        yield app


class Actors:
    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.pages: dict[str, object] = {}

    def new(self, name: str, *, timezone: str = "UTC"):
        ctx = self.browser.new_context(viewport={"width": 1366, "height": 900}, base_url=self.base_url,
                                       timezone_id=timezone)
        ctx.set_default_timeout(15_000)
        page = ctx.new_page()
        page.console_errors = []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        self.pages[name] = page
        return page

    def close(self, failed: bool, nodeid: str):
        for name, page in self.pages.items():
            if failed:
                ARTIFACTS.mkdir(exist_ok=True)
                stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{stem}-{name}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a failed screenshot must not hide the failure
                    pass
            page.context.close()


@pytest.fixture
def actors(browser, live_app, request):
    crowd = Actors(browser, live_app.url)
    yield crowd
    rep = request.node.stash.get(_CALL_REPORT, None)
    crowd.close(bool(rep is not None and rep.failed), request.node.nodeid)


def shot(page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
