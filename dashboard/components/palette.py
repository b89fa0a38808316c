"""The colours a person reads things in, defined once: the outcome colours the metrics
charts, the company page's chart and the outcome badges share, the status badges'
background and text, and the navbar. Every pair of text and background here passes
WCAG 2.2 AA for normal text (4.5:1; tests/browser/test_palette.py measures them).

Status badges keep Bootstrap's contextual names (other components pass them to
`dbc.Badge(color=...)`); the light ones (warning, info) need dark text, which
`STATUS_TEXT` gives and assets/app.css enforces for every `.badge.bg-warning` and
`.badge.bg-info`, wherever a badge is drawn.
"""
from __future__ import annotations

# Where a case ended: one colour per outcome, everywhere. White text reads on each.
OUTCOME_COLORS = {"customer_won": "#146c43", "merchant_won": "#59359a", "withdrawn": "#5c636a"}
OPEN_COLOR = "#ffc107"  # still open (a chart fill only; text on it is dark)
OUTCOME_TEXT = "#ffffff"

# Status badges: Bootstrap contextual colour and the text colour that reads on it.
STATUS_COLORS = {"awaiting_merchant": "warning", "awaiting_customer": "info", "under_review": "primary",
                 "closed": "secondary"}
STATUS_TEXT = {"warning": "dark", "info": "dark", "primary": "white", "secondary": "white"}

# Bootstrap's colours behind those names (bootstrap 5.3), for the contrast test.
BOOTSTRAP_HEX = {"warning": "#ffc107", "info": "#0dcaf0", "primary": "#0d6efd", "secondary": "#6c757d",
                 "dark": "#212529", "white": "#ffffff", "success": "#198754", "danger": "#dc3545"}

# The navbar: Bootstrap's primary blue darkened so that the inactive links (85 % white),
# the active link and the outlined Sign out button all read on it (assets/app.css).
NAVBAR_BG = "#0a4aa8"
NAVBAR_LINK_ALPHA = 0.85


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two '#rrggbb' colours (1.0 to 21.0)."""
    def luminance(hex_colour: str) -> float:
        h = hex_colour.lstrip("#")
        channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(foreground: str, background: str, alpha: float) -> str:
    """The colour `foreground` at `alpha` opacity shows as over `background`."""
    f = [int(foreground.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    b = [int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(alpha * x + (1 - alpha) * y):02x}" for x, y in zip(f, b))
