"""Crafted calls to `/_dash-update-component`: the exact JSON the Dash renderer sends,
built from the app's own `/_dash-dependencies`, with whatever values an attacker likes.

    calls = DashCalls(session, base_url)
    answer = calls.call("case-content.children", {"case-id.data": "reso_x", "case-refresh.data": 0},
                        changed=["case-id.data"])

`call` finds the callback whose output string contains the given output (e.g.
"case-content.children", "company-grid.getRowsResponse"); `trigger` narrows it to the
callback with that input (for outputs shared through allow_duplicate).
"""
from __future__ import annotations

import json
from typing import Any, Optional

import requests


def _split(spec: str) -> dict:
    ident, prop = spec.rsplit(".", 1)
    return {"id": ident, "property": prop}


class DashCalls:
    def __init__(self, http: requests.Session, base_url: str):
        self.http, self.base = http, base_url
        answer = http.get(base_url + "/_dash-dependencies")
        answer.raise_for_status()
        self.deps = answer.json()

    def dependency(self, output: str, trigger: Optional[str] = None) -> dict:
        found = []
        for dep in self.deps:
            outputs = dep["output"].strip(".").split("...") if dep["output"].startswith("..") else [dep["output"]]
            names = [o.split("@", 1)[0] for o in outputs]
            inputs = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
            if output in names and (trigger is None or trigger in inputs):
                found.append(dep)
        assert len(found) == 1, f"{len(found)} callbacks output {output} (trigger {trigger}); pass trigger="
        return found[0]

    def payload(self, dep: dict, values: dict[str, Any], changed: list[str]) -> dict:
        out = dep["output"]
        if out.startswith(".."):
            outputs: Any = [_split(o) for o in out[2:-2].split("...")]
        else:
            outputs = _split(out)

        def items(specs):
            result = []
            for spec in specs:
                key = f"{spec['id']}.{spec['property']}"
                item = {"id": spec["id"], "property": spec["property"]}
                if key in values:
                    item["value"] = values[key]
                result.append(item)
            return result

        body = {"output": out, "outputs": outputs, "inputs": items(dep["inputs"]), "changedPropIds": changed,
                "parsedChangedPropsIds": changed}
        if dep["state"]:
            body["state"] = items(dep["state"])
        return body

    def call(self, output: str, values: dict[str, Any], *, changed: Optional[list[str]] = None,
             trigger: Optional[str] = None, body: Optional[dict] = None) -> requests.Response:
        dep = self.dependency(output, trigger)
        payload = body if body is not None else self.payload(dep, values, changed if changed is not None else [])
        return self.http.post(self.base + "/_dash-update-component", json=payload)


def text_of(answer: requests.Response) -> str:
    """The whole answer as text (a 204 'no update' is empty)."""
    return answer.text if answer.content else ""


def response_props(answer: requests.Response) -> dict:
    assert answer.status_code == 200, f"{answer.status_code}: {answer.text[:500]}"
    return json.loads(answer.text)["response"]
