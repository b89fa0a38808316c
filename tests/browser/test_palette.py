"""The colours of dashboard/components/palette.py pass WCAG 2.2 AA (4.5:1 for normal text),
and assets/app.css uses the navbar colour palette.py names. No browser needed: this is the
arithmetic axe-core does (tests/browser/test_screens.py runs axe itself on every screen)."""
from __future__ import annotations

import pytest

from dashboard.components import palette
from tests.browser.live_app import ROOT

AA = 4.5


def test_the_contrast_formula_matches_known_pairs():
    assert palette.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast("#ffffff", "#ffc107") == pytest.approx(1.63, abs=0.01)  # the old amber badge
    assert palette.contrast("#ffffff", "#0dcaf0") == pytest.approx(1.95, abs=0.01)  # the old cyan badge


@pytest.mark.parametrize("outcome", sorted(palette.OUTCOME_COLORS))
def test_outcome_badges_read(outcome):
    assert palette.contrast(palette.OUTCOME_TEXT, palette.OUTCOME_COLORS[outcome]) >= AA


@pytest.mark.parametrize("status", sorted(palette.STATUS_COLORS))
def test_status_badges_read(status):
    background = palette.STATUS_COLORS[status]
    text = palette.STATUS_TEXT[background]
    assert palette.contrast(palette.BOOTSTRAP_HEX[text], palette.BOOTSTRAP_HEX[background]) >= AA


def test_navbar_links_and_sign_out_read():
    links = palette.blend("#ffffff", palette.NAVBAR_BG, palette.NAVBAR_LINK_ALPHA)
    assert palette.contrast(links, palette.NAVBAR_BG) >= AA
    assert palette.contrast("#ffffff", palette.NAVBAR_BG) >= AA
    css = (ROOT / "assets" / "app.css").read_text()
    assert f"rgba(255, 255, 255, {palette.NAVBAR_LINK_ALPHA})" in css


def test_one_outcome_colour_set_everywhere():
    from callbacks import company
    from dashboard.components import case_table, charts

    assert company.OUTCOME_COLORS is palette.OUTCOME_COLORS
    assert case_table.OUTCOME_COLORS is palette.OUTCOME_COLORS
    assert {k: charts.STATE_COLORS[k] for k in palette.OUTCOME_COLORS} == palette.OUTCOME_COLORS
