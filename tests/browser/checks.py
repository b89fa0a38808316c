"""What the browser tests check on any screen, beside what the screen says.

    axe_violations(page)   axe-core's serious and critical violations (WCAG 2.x A/AA and
                           best-practice rules), each as one readable line
    phone_overflow(page)   how far the page scrolls sideways (0 = it fits), and what sticks out
    PHONE                  the phone viewport (390 x 844, an iPhone 12-15)

axe-core comes from the npm registry at the version tests/browser/package-lock.json pins
(`make browser-deps`, which `make test` runs). It is injected with `add_script_tag`; the
app's Content-Security-Policy allows no inline script, so the browser contexts that run
axe are made with `bypass_csp=True` (tests/browser/test_csp.py checks the policy itself).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.live_app import ROOT

AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SERIOUS = ("serious", "critical")
# What the rules are checked against: WCAG 2.0-2.2 A and AA, plus axe's best practices
# (one h1, landmarks, labels), of which serious and critical ones fail the test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_source() -> Path:
    if not AXE_JS.exists():
        pytest.skip(f"axe-core for the browser tests is not installed ({AXE_JS}): run `make browser-deps`")
    return AXE_JS


def axe_violations(page, *, include_moderate: bool = False) -> list[str]:
    """Run axe-core on the page as it is now; one line per (rule, element) that fails."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe_source()))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: (n.html || '').slice(0, 160),
                                            summary: n.failureSummary || ''}))}));
        }""",
        AXE_TAGS,
    )
    impacts = SERIOUS + (("moderate",) if include_moderate else ())
    lines = []
    for v in result:
        if v["impact"] not in impacts:
            continue
        for node in v["nodes"]:
            why = " ".join(node["summary"].split())[:220]
            lines.append(f"[{v['impact']}] {v['id']} ({v['help']}) at {node['target']} {node['html']}: {why}")
    return lines


def phone_overflow(page) -> dict:
    """{'overflow': px the document is wider than the window, 'wide': the widest elements
    that stick out past the right edge (tag#id.class and their right edge)}."""
    return page.evaluate(
        """() => {
            const de = document.documentElement, w = window.innerWidth;
            const wide = [];
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width > 0 && r.right > w + 1) {
                    // Only what scrolls the page: inside a scrolling box it stays in its box.
                    let p = el.parentElement, clipped = false;
                    while (p && p !== document.body) {
                        const s = getComputedStyle(p);
                        if (/(auto|scroll|hidden|clip)/.test(s.overflowX)) { clipped = true; break; }
                        p = p.parentElement;
                    }
                    if (!clipped) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                        (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).slice(0, 3).join('.') : '') +
                        ' right=' + Math.round(r.right));
                }
            }
            return {overflow: de.scrollWidth - w, scrollWidth: de.scrollWidth, innerWidth: w, wide: wide.slice(0, 8)};
        }"""
    )


def assert_fits_phone(page, where: str) -> None:
    measured = phone_overflow(page)
    assert measured["scrollWidth"] <= measured["innerWidth"], f"{where}: scrolls sideways at 390 px: {measured}"


def assert_accessible(page, where: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{where}: axe-core found serious or critical violations:\n" + "\n".join(found)
