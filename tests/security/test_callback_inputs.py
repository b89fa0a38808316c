"""No 500 from anything posted to `/_dash-update-component` (issue 8, finding 5).

Every callback the running app registers — read from the app's own `/_dash-dependencies`,
cross-checked against Dash's callback map in this process, so a new callback is covered
the day it is added — is called by signed-in users of each role with nonsense in every
input and state: wrong types, out-of-range numbers and dates, malformed grid requests,
uploads that are not data URLs, strings of 100,000 characters, ids that are objects.
Each answer must be a clean one (200 with a message or the old state, 204 no update, or
4xx) and the app must log no error: a callback that raised and was caught by the
`on_error` safety net (dashboard/dash_guard.py) still logs one, and fails here.

Then the envelope itself: the malformed bodies Dash's dispatcher used to answer with 500.
"""
from __future__ import annotations

import json

import pytest
import requests

NONSENSE = [
    None, True, -1, 10**30, 1.5, "abc", "", "x" * 100_000, "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+01:00",
    [], [123], ["abc", None], [{"x": 1}], {}, {"$ne": None},
    {"startRow": "abc", "endRow": "abc", "sortModel": ["abc"], "filterModel": "abc"},
    {"startRow": -5, "endRow": 10**12, "sortModel": [{"colId": 5, "sort": "sideways"}], "filterModel": {"x": [1]}},
    {"startRow": 0, "endRow": 100, "sortModel": [None], "filterModel": {"status": {"values": "abc"}}},
    "data:image/png;base64,!!!notbase64", ["data:text/plain;base64,aGVsbG8=", 123], [[1, 2]],
]
ROLES = ("manager", "creator_a", "customer_a")  # a reviewer reaches what a manager does, minus metrics


def _dependencies(http: requests.Session, base: str) -> list[dict]:
    answer = http.get(base + "/_dash-dependencies")
    assert answer.status_code == 200
    return answer.json()  # clientside ones too: posting them must be refused cleanly


def _ident(raw: str, fill):
    """A dependency id as the renderer sends it; a wildcard id gets `fill` in its wildcards."""
    if not raw.startswith("{"):
        return raw
    spec = json.loads(raw)
    return {k: (fill if isinstance(v, list) else v) for k, v in spec.items()}


def _slot(spec: dict, value):
    ident = _ident(spec["id"], value if isinstance(value, (str, int)) and not isinstance(value, bool) else "x")
    if isinstance(ident, dict):  # ALL: a list of the matching components' values
        return [{"id": ident, "property": spec["property"], "value": value}]
    return {"id": ident, "property": spec["property"], "value": value}


def _outputs(output: str):
    def one(spec: str):
        spec = spec.split("@", 1)[0]
        ident, prop = spec.rsplit(".", 1)
        if ident.startswith("{"):
            return [{"id": _ident(ident, "x"), "property": prop}]
        return {"id": ident, "property": prop}

    if output.startswith(".."):
        return [one(o) for o in output[2:-2].split("...")]
    return one(output)


def payload(dep: dict, values: list, trigger_value=None) -> dict:
    inputs = [_slot(spec, v) for spec, v in zip(dep["inputs"], values)]
    if trigger_value is not None:
        inputs[0] = _slot(dep["inputs"][0], trigger_value)
    state = [_slot(spec, v) for spec, v in zip(dep["state"], values[len(dep["inputs"]):])]
    first = dep["inputs"][0]
    changed = [f"{first['id']}.{first['property']}"]
    body = {"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": inputs,
            "changedPropIds": changed, "parsedChangedPropsIds": changed}
    if dep["state"]:
        body["state"] = state
    return body


def test_the_dependencies_are_every_registered_callback(live_app, sign_in):
    """The list the fuzzing below walks is the app's whole callback map."""
    import dash._callback as registry

    import callbacks  # noqa: F401  registers every callback in this process too

    served = {d["output"] for d in _dependencies(sign_in("manager"), live_app.url)}
    registered = {out for out, cb in registry.GLOBAL_CALLBACK_MAP.items()}
    missing = registered - served
    assert not missing, f"callbacks registered but not served (so not fuzzed): {missing}"
    assert len(served) >= 30


@pytest.mark.parametrize("who", ROLES)
def test_no_callback_fails_on_nonsense(live_app, world, sign_in, who):
    http = sign_in(who)
    deps = _dependencies(http, live_app.url)
    failures = []
    for dep in deps:
        width = len(dep["inputs"]) + len(dep["state"])
        for value in NONSENSE:
            # Everything nonsense, and nonsense behind a real click (so the handler runs past
            # its "was it clicked?" check into the form it reads).
            for body in (payload(dep, [value] * width), payload(dep, [value] * width, trigger_value=1)):
                before = len(live_app.server_errors())
                answer = http.post(live_app.url + "/_dash-update-component", json=body)
                logged = live_app.server_errors()[before:]
                if answer.status_code >= 500 or logged:
                    failures.append(f"{dep['output'][:70]} <- {json.dumps(value)[:60]}: {answer.status_code}"
                                    f"{' (logged an error)' if logged else ''}")
                    break
    assert not failures, f"{len(failures)} callback calls failed for {who}:\n" + "\n".join(sorted(set(failures)))


def _valid(deps: list[dict], output_start: str) -> dict:
    dep = next(d for d in deps if d["output"].startswith(output_start))
    return payload(dep, [None] * (len(dep["inputs"]) + len(dep["state"])))


def test_malformed_callback_envelopes_are_400(live_app, sign_in):
    http = sign_in("reviewer")
    deps = _dependencies(http, live_app.url)
    good = _valid(deps, "case-content.children")

    def without(key):
        return {k: v for k, v in good.items() if k != key}

    bodies = {
        "a list": [good], "a string": "abc", "null": None, "a number": 5,
        "unknown output": {**good, "output": "nothing.children"},
        "output not a string": {**good, "output": ["case-content.children"]},
        "no inputs": without("inputs"), "inputs not a list": {**good, "inputs": "abc"},
        "too few inputs": {**good, "inputs": good["inputs"][:1]},
        "too many inputs": {**good, "inputs": good["inputs"] * 3},
        "an input that is not an object": {**good, "inputs": [5, 6]},
        "an input without property": {**good, "inputs": [{"id": "case-id"}, {"id": "case-refresh"}]},
        "outputs not objects": {**good, "outputs": "abc"},
        "changedPropIds not a list": {**good, "changedPropIds": "case-id.data"},
        "changedPropIds with a number": {**good, "changedPropIds": [5]},
        "state on a callback without state": {**good, "state": [{"id": "x", "property": "y"}]},
        "nested 10,000 levels": None,
    }
    for name, body in bodies.items():
        if name.startswith("nested"):
            answer = http.post(live_app.url + "/_dash-update-component", data="[" * 10_000 + "]" * 10_000,
                               headers={"Content-Type": "application/json"})
        else:
            answer = http.post(live_app.url + "/_dash-update-component", data=json.dumps(body),
                               headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, f"{name}: {answer.status_code} {answer.text[:200]}"
        assert answer.json()["error"]["code"] in ("invalid_callback_request", "json_too_deep", "invalid_json"), name
    not_json = http.post(live_app.url + "/_dash-update-component", data=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    # JSON sent as text/plain (what a cross-site form can post) is never parsed.
    as_text = http.post(live_app.url + "/_dash-update-component", data=json.dumps(good),
                        headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415
    # The same envelope, well-formed, is answered (so the refusals above are the checks').
    assert http.post(live_app.url + "/_dash-update-component", json=good).status_code == 200


def test_the_issue_s_crafted_payloads(live_app, world, sign_in):
    """The kinds of call the issue found answering 500, by name."""
    deps = {d["output"].split("@")[0]: d for d in _dependencies(sign_in("manager"), live_app.url)}
    manager, creator, customer = sign_in("manager"), sign_in("creator_a"), sign_in("customer_a")

    def call(http, start, values, trigger=None):
        dep = next(d for out, d in deps.items() if start.lstrip(".") in out)
        width = len(dep["inputs"]) + len(dep["state"])
        values = (values + [None] * width)[:width]
        answer = http.post(live_app.url + "/_dash-update-component", json=payload(dep, values, trigger))
        assert answer.status_code < 500, (start, values, answer.status_code)
        return answer

    bad_rows = [{"startRow": "abc", "endRow": 100}, {"startRow": 0, "endRow": 100, "sortModel": ["abc"]},
                {"startRow": 0, "endRow": 100, "sortModel": [{"colId": {"x": 1}, "sort": 5}]},
                {"startRow": 0, "endRow": 100, "filterModel": ["abc"]}, "abc"]
    for request in bad_rows:
        call(manager, "..queue-grid.getRowsResponse", [request])
        call(creator, "company-grid.getRowsResponse", [request])
    call(customer, "..my-cases-cases.children", [1, "abc"])
    call(customer, "..my-cases-payments.children", [1, "abc"])
    call(manager, "..deliveries-alert.children", ["abc", "abc", None, None])
    for dates in (["0001-01-01", "0001-01-05"], ["9999-12-01", "9999-12-31"], [123, {"x": 1}]):
        call(manager, "..metrics-alert.children", dates + [None, None, None, "week"])
        call(manager, "metrics-volume.figure", dates + [None, None, None, "week", None])
    call(customer, "..my-cases-form-alert.children", [1, world.payment_a_free, "fraudulent", "message",
                                                       [123], ["x.png"]])
    call(customer, "..my-cases-form-alert.children", [1, world.payment_a_free, "fraudulent", "message",
                                                       "data:image/png;base64,AAAA", "x.png"])
