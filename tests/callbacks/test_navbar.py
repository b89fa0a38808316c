"""The navbar (components/shell.py) fits one line from 1200 px for staff: a short search
field whose placeholder shows whole and whose label and tooltip say what it finds, a long
name cut with an ellipsis, and below 1200 px the links fold behind the menu button (parties,
with one or two links, fold below 768 px)."""
from __future__ import annotations

from types import SimpleNamespace

from dashboard.components import shell
from dashboard.components.ids import ShellIds
from dashboard.enums import Role


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def find(component, component_id):
    return next(c for c in walk(component) if getattr(c, "id", None) == component_id)


def test_staff_navbar_folds_below_1200_and_the_search_says_what_it_finds():
    bar = shell.navbar(SimpleNamespace(role=Role.MANAGER.value, name="Alexandrina Montgomery-Featherstonehaugh"))
    assert bar.expand == "xl"
    search = find(bar, ShellIds.SEARCH)
    assert search.placeholder == "Search cases\u2026" and len(search.placeholder) <= 16
    hint = find(bar, ShellIds.SEARCH_FORM).title  # the tooltip over the field
    assert "payment id" in hint and "email" in hint and "amount" in hint
    label = next(c for c in walk(bar) if getattr(c, "htmlFor", None) == ShellIds.SEARCH)
    assert label.children == hint
    assert search.style["width"] == "10rem"
    name = next(c for c in walk(find(bar, ShellIds.NAV_USER)) if getattr(c, "title", None))
    assert "text-truncate" in name.className and name.style["maxWidth"]
    assert name.children == "Alexandrina Montgomery-Featherstonehaugh" and name.title == f"{name.children} (Manager)"
    # The bell sits after the links from the same breakpoint on.
    bell = next(c for c in walk(bar) if "order-xl-last" in (getattr(c, "className", None) or ""))
    assert find(bell, shell.NotificationIds.BELL_BUTTON) is not None


def test_a_partys_navbar_folds_only_below_768():
    bar = shell.navbar(SimpleNamespace(role=Role.CUSTOMER.value, name="Casey"))
    assert bar.expand == "md"
    assert not any(getattr(c, "id", None) == ShellIds.SEARCH for c in walk(bar))
