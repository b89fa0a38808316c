"""Every id a registered callback listens to or writes exists in a layout.

Much of the screens is rendered by callbacks (the case page's whole content, the
customer's "Open a case" buttons, the deliveries' "Retry"), so Dash cannot check the ids
on a page's initial layout, and a mistyped id would silently never fire. This test does
the check for every screen and every variant a person can see: the app shell for each
role, each page's layout, and what the callbacks render into them (the case page for the
customer, the creator, two reviewers and the manager at six stages of a case; the
customer's payments; the chosen-files list; the retry buttons). Pattern-matching ids
match a rendered id of the same keys and `type`. Like Dash's renderer, it also checks
that the component carrying the id has the property the callback uses.

The second test holds the layout Dash itself checks against in the browser
(`components.validation`) to every plain id.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Union

import dash
import dash._callback as registry
import flask
import plotly.utils
import pytest
from dash.development.base_component import Component

import callbacks  # noqa: F401  registers every callback
from callbacks import case as case_cb
from callbacks import deliveries as deliveries_cb
from callbacks import my_cases as my_cases_cb
from dashboard.app_factory import serve_layout
from dashboard.components.ids import CaseIds, DeliveriesIds, MyCasesIds, ShellIds
from dashboard.components.validation import components, validation_layout
from dashboard.context import Ctx
from tests import factories
from tests.domain import stages
from tests.domain.story import Story
from tests.factories import days

ROOT = Path(__file__).resolve().parents[2]
Id = Union[str, dict]
STAGES = ("awaiting_merchant", "awaiting_customer", "under_review", "decided", "final_review", "closed_denied")
SLOW = {"under_review", "decided", "final_review"}  # need a week of silence first


# ---------------------------------------------------------------------------- what callbacks use
@dataclass(frozen=True)
class Use:
    kind: str  # Output | Input | State
    id: Id
    prop: str
    callback: str  # the callback's function (or a clientside one's outputs), to name it in a failure

    def describe(self) -> str:
        return f"{self.kind}({json.dumps(self.id)}, {self.prop!r}) of callback {self.callback}"


def _id(raw: Any) -> Id:
    """Dash keeps pattern-matching ids as JSON text in its registry."""
    if isinstance(raw, str) and raw.startswith("{"):
        return json.loads(raw)
    if isinstance(raw, dict):  # an Output's pattern id keeps its wildcards as objects: as JSON, they are lists
        return {k: json.loads(v.to_json()) if hasattr(v, "to_json") else v for k, v in raw.items()}
    return raw


def callback_uses(callback_map: dict, callback_list: list) -> list[Use]:
    """Every (id, property) the registered callbacks name, server and clientside alike."""
    uses = []
    for key, cb in callback_map.items():
        fn = cb.get("callback")
        name = f"{fn.__module__}.{fn.__name__}" if fn is not None else f"clientside {key.split('@')[0][:100]}"
        outputs = cb["output"] if isinstance(cb["output"], (list, tuple)) else [cb["output"]]
        uses += [Use("Output", _id(o.component_id), o.component_property.split("@")[0], name) for o in outputs]
        uses += [Use("Input", _id(d["id"]), d["property"], name) for d in cb["inputs"]]
        uses += [Use("State", _id(d["id"]), d["property"], name) for d in cb["state"]]
    for spec in callback_list:  # `running=` outputs live only in the spec sent to the browser
        for target in (spec.get("running") or {}).get("running", {}):
            component_id, prop = target.rsplit(".", 1)
            uses.append(Use("Output (running)", _id(component_id), prop, f"with outputs {spec['output'][:100]}"))
    return uses


def registered_uses() -> list[Use]:
    assert registry.GLOBAL_CALLBACK_MAP, (
        "dash's global callback registry is empty: a Dash app in this process took the callbacks "
        "over (first request); run this test in a process that serves no Dash request")
    return callback_uses(registry.GLOBAL_CALLBACK_MAP, registry.GLOBAL_CALLBACK_LIST)


# ---------------------------------------------------------------------------- what layouts hold
class Layouts:
    """The ids seen in every layout built, with the components that carry them."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[Component]] = defaultdict(list)
        self.patterns: list[tuple[dict, Component]] = []

    def add(self, where: str, tree: Any, *, expect: Id | None = None) -> None:
        """`expect`: an id this rendering must hold (so a not-found page cannot pass for one)."""
        ids = []
        for c in components(tree):
            cid = getattr(c, "id", None)
            if isinstance(cid, str):
                self.by_id[cid].append(c)
            elif isinstance(cid, dict):
                self.patterns.append((cid, c))
            ids.append(cid)
        if isinstance(expect, dict):
            assert any(isinstance(i, dict) and i.get("type") == expect["type"] for i in ids), f"{where}: no {expect}"
        elif expect is not None:
            assert expect in ids, f"{where} did not render {expect!r}"

    def carriers(self, use: Use) -> list[Component]:
        if isinstance(use.id, str):
            return self.by_id.get(use.id, [])
        return [c for cid, c in self.patterns if matches(use.id, cid)]


def matches(pattern: dict, rendered: dict) -> bool:
    """A pattern-matching id matches a rendered id with the same keys, equal where the
    pattern is not a wildcard (ALL, MATCH, ALLSMALLER)."""
    if set(pattern) != set(rendered):
        return False
    return all(isinstance(v, list) or v == rendered[k] for k, v in pattern.items())


def has_prop(component: Component, prop: str) -> bool:
    if prop in component._prop_names:
        return True
    return any(prop.startswith(w) for w in getattr(component, "_valid_wildcard_attributes", []))


def problems(uses: Iterable[Use], seen: Layouts) -> list[str]:
    out = []
    for use in uses:
        carriers = seen.carriers(use)
        if not carriers:
            out.append(f"no layout has the id of {use.describe()}")
        elif not any(has_prop(c, use.prop) for c in carriers):
            kinds = sorted({type(c).__name__ for c in carriers})
            out.append(f"{'/'.join(kinds)} has no property {use.prop!r}: {use.describe()}")
    return sorted(set(out))


# ---------------------------------------------------------------------------- the checker can fail
def test_the_check_names_a_mistyped_id_a_missing_pattern_and_a_wrong_property():
    import dash_bootstrap_components as dbc
    from dash import ALL, Input, Output, State, html

    seen = Layouts()
    seen.add("a page", html.Div([dbc.Button(id="case-act-submit"), dbc.Button(id={"type": "retry", "id": 3}),
                                 html.Div(id="case-feedback")]))
    fine = [Use("Input", "case-act-submit", "n_clicks", "cb"), Use("Input", {"type": "retry", "id": ["ALL"]},
                                                                     "n_clicks", "cb")]
    assert problems(fine, seen) == []
    broken = [Use("Input", "case-act-submitt", "n_clicks", "cb"),
              Use("Input", {"type": "retyr", "id": ["ALL"]}, "n_clicks", "cb"),
              Use("Output", "case-feedback", "chidlren", "cb")]
    found = problems(broken, seen)
    assert len(found) == 3
    assert any('"case-act-submitt"' in p for p in found) and any("retyr" in p for p in found)
    assert any("'chidlren'" in p for p in found)
    # and the registry reader sees ids as Dash stores them (patterns as JSON text)
    uses = callback_uses({"k": {"output": [Output("a", "children")], "inputs": [Input({"t": ALL}, "n_clicks")
                                                                                .to_dict()],
                                "state": [State("b", "value").to_dict()]}}, [])
    assert [(u.kind, u.id, u.prop) for u in uses] == [("Output", "a", "children"), ("Input", {"t": ["ALL"]}, "n_clicks"),
                                                      ("State", "b", "value")]


# ---------------------------------------------------------------------------- the app's screens
@pytest.fixture(scope="module")
def page_registry():
    """The pages as Dash registers them (`use_pages`), on a throwaway server that serves
    no request, so the global callback registry stays as `callbacks` left it."""
    if not any(p["module"].startswith("pages.") for p in dash.page_registry.values()):
        dash.Dash("ids-check", server=flask.Flask("ids-check"), use_pages=True,
                  pages_folder=str(ROOT / "pages"), suppress_callback_exceptions=True)
    pages = {p["module"]: p for p in dash.page_registry.values() if p["module"].startswith("pages.")}
    assert len(pages) >= 9, sorted(pages)
    return pages


def _world(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now - days(11), runtime.settings))


def test_every_callback_id_exists_in_a_layout(runtime, as_user, now, page_registry):
    seen = Layouts()
    w = _world(runtime, now)
    viewers = {"nobody": None, "customer": w.customer, "creator": w.creator, "reviewer": w.reviewer,
               "manager": w.manager}

    # The frame and every page's own layout, for each role (pages differ by role only in callbacks).
    for role, user in viewers.items():
        with as_user(user):
            seen.add(f"the app shell for {role}", serve_layout(), expect=ShellIds.URL)
            for module, page in page_registry.items():
                kwargs = {"case_id": "reso_ids0000000000"} if "case_id" in (page.get("path_template") or "") else {}
                seen.add(f"{module} for {role}", page["layout"](**kwargs))

    # What the case page's callbacks render: each party and the staff, in cases at several stages.
    for stage in STAGES:
        sw = _world(runtime, now)
        story = Story(runtime.Session, runtime.settings, sw, now=now - (days(10) if stage in SLOW else days(0.125)))
        case_id = stages.ALL[stage](story)
        for role, user in {"customer": sw.customer, "creator": sw.creator, "reviewer": sw.reviewer,
                           "second reviewer": sw.reviewer2, "manager": sw.manager}.items():
            with as_user(user):
                seen.add(f"the case page ({stage}) for {role}", case_cb.render_case(case_id, 0), expect=CaseIds.VIEW)
    with as_user(w.customer):
        seen.add("the chosen files", case_cb.list_chosen_files(["proof.png", "receipt.pdf"]),
                 expect=CaseIds.ACT_FILES_CLEAR)
        # The customer's payments: the fresh payment of the world is open to a case.
        seen.add("the customer's payments", my_cases_cb.load_payments(0, 1)[0],
                 expect={"type": MyCasesIds.OPEN})
    seen.add("a failed delivery's retry", [deliveries_cb.retry_button("email", 1, "failed"),
                                           deliveries_cb.retry_button("movement", 2, "failed")],
             expect={"type": DeliveriesIds.RETRY})

    from callbacks import notifications as notifications_cb
    from data.read.staff_notifications import Row

    one = [Row(1, "reso_ids0000000000", "escalated", "Case reached the platform", "…", now, False)]
    seen.add("the bell's and /notifications' rows", [notifications_cb.bell_items(one), notifications_cb.page_rows(one)])

    from callbacks import team as team_cb
    from data.read.workload import StaffLoad, Workload

    seen.add("the team's rows", team_cb.member_list([StaffLoad(w.reviewer.id, "R", "reviewer", True, 4, Workload())],
                                                    {}, 10), expect={"type": "team-duty"})

    from data.read.webhooks import WebhookRow
    from dashboard.components import webhooks_panel

    hook = WebhookRow("hook_ids", "https://hooks.example.test/rc", ["resolution_center_case.created"], True,
                      w.company.id, "Acme", 0, None, None, None, now)
    seen.add("the company's webhooks", webhooks_panel.webhook_list([hook], {}), expect={"type": "webhooks-toggle"})

    found = problems(registered_uses(), seen)
    assert not found, "callbacks name ids no layout has:\n  " + "\n  ".join(found)


def test_the_layout_dash_checks_in_the_browser_holds_every_plain_id_and_nothing_of_a_request(
        runtime, as_user, now, page_registry):
    """What `components.validation.install` sends with every page. Pattern ids are left to
    the test above: Dash's check does not require them."""
    w = _world(runtime, now)
    with as_user(w.manager):  # a signed-in manager asks: the layout must not become theirs
        layout = validation_layout()
    seen = Layouts()
    seen.add("the validation layout", layout)
    plain = [u for u in registered_uses() if isinstance(u.id, str)]
    found = problems(plain, seen)
    assert not found, "the validation layout lacks:\n  " + "\n  ".join(found)
    text = json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder)
    assert w.manager.name not in text and "nav-user" not in text and "csrf" not in text
    assert all(not getattr(c, "children", None) for c in layout.children), "copies are id-only"
    assert len(text) < 40_000, f"{len(text)} bytes in every page's config"
