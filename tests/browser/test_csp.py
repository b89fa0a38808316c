"""The Content-Security-Policy in a real browser: every main screen — the login form, the
customer's page, the reviewer's queue (AG Grid), the manager's metrics (Plotly) and the
not-found page — renders and works under it with no violation reported by Chromium
(`securitypolicyviolation` events and CSP console errors both count). A policy that blocks
something the app needs fails here; so does one that lets inline script run."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "csp-test-password"
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '')));
"""


@pytest.fixture(scope="module")
def people(live_app):
    made = {}
    for role in ("customer", "reviewer", "manager"):
        email = f"{role}@csp.test"
        live_app.cli("create-user", "--email", email, "--name", f"Csp {role.title()}", "--role", role,
                     "--password", PASSWORD)
        made[role] = email
    return made


def _watched(actors, name):
    page = actors.new(name)
    page.context.add_init_script(WATCH)
    return page


def _violations(page) -> list[str]:
    reported = page.evaluate("window.__csp || []")
    console = [m for m in page.console_errors if "Content Security Policy" in m or "Refused to" in m]
    return reported + console


def _sign_in(page, email):
    page.goto("/login")
    assert page.locator("#tz").input_value() != "", "the login page's inline script ran (allowed by its hash)"
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")


def test_the_screens_run_under_the_policy_without_violations(live_app, actors, people):
    customer = _watched(actors, "customer")
    _sign_in(customer, people["customer"])
    expect(customer).to_have_url(f"{live_app.url}/my-cases")
    expect(customer.locator("#nav-user")).to_contain_text("Csp Customer")
    customer.goto("/no-such-page")
    expect(customer.locator("main")).to_contain_text("not", ignore_case=True)
    assert _violations(customer) == []

    reviewer = _watched(actors, "reviewer")
    _sign_in(reviewer, people["reviewer"])
    expect(reviewer).to_have_url(f"{live_app.url}/queue")
    expect(reviewer.locator(".ag-root-wrapper").first).to_be_visible()
    assert _violations(reviewer) == []

    manager = _watched(actors, "manager")
    _sign_in(manager, people["manager"])
    expect(manager).to_have_url(f"{live_app.url}/metrics")
    expect(manager.locator(".js-plotly-plot").first).to_be_visible()
    manager.wait_for_timeout(500)
    assert _violations(manager) == []


def test_an_injected_inline_script_is_blocked(live_app, actors, people):
    """The policy is not a formality: inline script the app did not write does not run."""
    page = _watched(actors, "probe")
    _sign_in(page, people["customer"])
    expect(page).to_have_url(f"{live_app.url}/my-cases")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = true'; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === true") is False
    assert any("script-src" in v for v in _violations(page))
