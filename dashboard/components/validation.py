"""Dash's own check of the callbacks, in the browser, against every screen's full layout.

On load, Dash's renderer checks that every id a callback names exists and has the
property it uses — unless `suppress_callback_exceptions`, which would hide a mistyped id.
The case page cannot pass that check on its initial layout: its content (the action form,
the timeline) is rendered by a callback. Dash's answer is a `validation_layout`, a
superset used only for the check.

With Dash pages, Dash builds that layout itself at the first request, and only from what
is there before any callback runs: the page skeletons and the app layout as the FIRST
VISITOR sees it — their navbar with their name and sign-out token, which would then be
sent in the config of every page to everyone. So the server keeps that build off
(`suppress_callback_exceptions=True` stays on the Dash app, which only stops Dash from
building it) and `install` makes every page's config tell the browser to check, against
the layout built here: the frame for a signed-out visitor, every registered page's
layout, and one of each part the case page's callbacks render. Each component is an
id-only copy (its type and id, what the check reads): no request or user data.

Ids that exist only in pattern-matching form (a payment's "Open a case", a delivery's
"Retry") are not required by Dash's check. `tests/callbacks/test_ids.py` holds every id
to every layout variant, pattern ids included, and this layout to every plain id.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Iterator

import dash
from dash import html
from dash.development.base_component import Component

from dashboard.components import case_panels
from dashboard.components.shell import app_shell


def components(tree: Any) -> Iterator[Component]:
    """Every component in `tree`: in children and in any other property that holds
    components (a radio option's label, a tab's content)."""
    if isinstance(tree, Component):
        yield tree
        for prop in tree._prop_names:
            yield from components(getattr(tree, prop, None))
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            yield from components(item)
    elif isinstance(tree, dict):
        for item in tree.values():
            yield from components(item)


def _id_only(component: Component) -> Component:
    """A copy of `component` with its id and no other property (its type is kept: the check
    reads which properties that type has). Children are left out: the copies are listed flat."""
    bare = copy.copy(component)
    wildcards = tuple(getattr(component, "_valid_wildcard_attributes", ()))
    for name in list(vars(bare)):
        if name != "id" and (name in component._prop_names or name.startswith(wildcards)):
            delattr(bare, name)
    return bare


def validation_layout() -> html.Div:
    """Every screen's ids, as the browser's check reads them. Call it in a request: the
    pages' layouts read the runtime (today's date) from the Flask app."""
    trees: list = [app_shell(None)]
    for page in dash.page_registry.values():
        layout = page["layout"]
        trees.append(layout() if callable(layout) else layout)
    trees += case_panels.rendered_by_callbacks()
    seen: dict[str, Component] = {}
    for c in components(trees):
        cid = getattr(c, "id", None)
        if isinstance(cid, str) and cid not in seen:
            seen[cid] = _id_only(c)
    return html.Div(list(seen.values()))


def install(app: dash.Dash) -> None:
    """Send the browser `validation_layout()` with every page, and the check on. Call once,
    on the assembled app."""
    page_config: Callable[[], dict] = app._config  # what Dash writes into each page for the renderer
    built: list[html.Div] = []
    lock = threading.Lock()

    def config_with_check() -> dict:
        if not built:
            with lock:
                if not built:
                    built.append(validation_layout())
        return {**page_config(), "suppress_callback_exceptions": False, "validation_layout": built[0]}

    app._config = config_with_check
