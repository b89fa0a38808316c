"""What the browser sends to the Dash app, checked before Dash reads it (issue 8, findings
5 and 6). `install(app)` is called by app.py once every callback is registered.

1. `POST /_dash-update-component` must be the envelope Dash's renderer sends for a
   callback this app registered: an object, no deeper than MAX_JSON_DEPTH, whose
   `output` names a registered callback and whose `outputs`, `inputs` and `state` have the
   declared shape and count (a pattern-matching `ALL` slot is a list). Anything else is a
   400 here; Dash's own dispatcher would index into it and answer 500. The JSON parsed
   here is Flask's cached copy, so Dash does not parse it twice.
2. Each input and state value is checked against what its property may hold
   (`check_value`, app.py passes callbacks/_validate.problem): 400 naming it otherwise.
   What the values mean is each callback's business. Should a callback still raise, `callback_failed` (Dash's `on_error`) logs it as the bug it is and
   answers "no update" — the screen stays as it was — instead of a 500.
3. A page path no page is registered for answers 404 (with Dash's not-found page, which
   the renderer shows for it), not 200.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

import flask
from werkzeug.exceptions import BadRequest

from dashboard.errors import DomainError
from dashboard.limits import MAX_JSON_DEPTH, json_depth_ok

log = logging.getLogger("dashboard.callbacks")
UPDATE_PATH = "/_dash-update-component"


# -------------------------------------------------------------------- the envelope
def _prop(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("property"), str)
            and isinstance(item.get("id"), (str, dict)))


def _slots_ok(sent: Any, declared: list[dict]) -> bool:
    """`inputs`/`state` as sent against the callback's declared dependencies."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    for item, spec in zip(sent, declared):
        wildcard = _has_wildcard(spec.get("id"))
        if wildcard:
            if isinstance(item, dict):  # MATCH sends one item
                if not _prop(item):
                    return False
            elif not (isinstance(item, list) and all(_prop(i) for i in item)):
                return False
        elif not _prop(item):
            return False
    return True


def _has_wildcard(ident: Any) -> bool:
    """A pattern-matching id (ALL/MATCH/ALLSMALLER): the callback map keeps it as JSON text."""
    if isinstance(ident, str) and ident.startswith("{"):
        try:
            ident = json.loads(ident)
        except ValueError:
            return False
    return isinstance(ident, dict) and any(isinstance(v, list) for v in ident.values())


def _outputs_ok(sent: Any, output: str) -> bool:
    if output.startswith(".."):
        count = len(output[2:-2].split("..."))
        return isinstance(sent, list) and len(sent) == count and all(
            _prop(o) or (isinstance(o, list) and all(_prop(i) for i in o)) for o in sent)
    return _prop(sent) or (isinstance(sent, list) and all(_prop(i) for i in sent))


def envelope_problem(body: Any, callback_map: dict) -> Optional[str]:
    """None if `body` is a well-formed call of a registered callback, else what is wrong."""
    if not isinstance(body, dict):
        return "The callback request must be a JSON object."
    output = body.get("output")
    if not isinstance(output, str) or not callable(callback_map.get(output, {}).get("callback")):
        # A clientside callback is in the map too, with nothing to run on the server.
        return "The callback request names no server callback of this app."
    cb = callback_map[output]
    if not cb.get("no_output") and not _outputs_ok(body.get("outputs"), output):
        return "The callback request's outputs do not match the callback."
    if not _slots_ok(body.get("inputs"), cb.get("inputs", [])):
        return "The callback request's inputs do not match the callback."
    if not _slots_ok(body.get("state", []), cb.get("state", [])):
        return "The callback request's state does not match the callback."
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return "The callback request's changedPropIds must be a list of strings."
    if not isinstance(body.get("parsedChangedPropsIds", []), list):  # parsed pattern ids are objects
        return "The callback request's parsedChangedPropsIds must be a list."
    return None


def _refuse(message: str, code: str = "invalid_callback_request"):
    from dashboard.api.errors import error_response

    log.info("callback call refused (%s): %s", code, message)

    return error_response(400, code, message)


def value_problem(body: dict, check) -> Optional[str]:
    """The first input or state value `check(id, property, value)` finds wrong, if any."""
    for slot in [*body.get("inputs", []), *body.get("state", [])]:
        for item in slot if isinstance(slot, list) else [slot]:
            problem = check(item["id"], item["property"], item.get("value"))
            if problem:
                return problem
    return None


def check_update_request(app, check_value=None) -> Optional[flask.Response]:
    """`before_request`: refuse a malformed `/_dash-update-component` call with 400."""
    request = flask.request
    if request.path != UPDATE_PATH or request.method != "POST":
        return None
    if not request.is_json:
        # Never parse it anyway: a cross-site form can post text/plain with the victim's
        # cookie, and Flask's JSON cache would then hand Dash what it parsed here.
        from dashboard.api.errors import error_response

        return error_response(415, "unsupported_media_type", "Send the callback as application/json.")
    try:
        body = request.get_json(silent=False, cache=True)
    except RecursionError:
        return _refuse(f"The callback request nests deeper than {MAX_JSON_DEPTH} levels.", "json_too_deep")
    except BadRequest:
        return _refuse("The callback request is not valid JSON.", "invalid_json")
    if not json_depth_ok(body):
        return _refuse(f"The callback request nests deeper than {MAX_JSON_DEPTH} levels.", "json_too_deep")
    problem = envelope_problem(body, app.callback_map)
    if problem:
        return _refuse(problem)
    problem = value_problem(body, check_value) if check_value else None
    return _refuse(problem, "invalid_callback_value") if problem else None


# ------------------------------------------------------------------ a failing callback
def callback_failed(err: Exception):
    """Dash's `on_error`: a domain refusal the callback did not handle is expected (info);
    anything else is a bug, logged with its traceback. Either way: no update (None)."""
    if isinstance(err, DomainError):
        log.info("callback refused: %s %s", err.code, err.message)
    else:
        log.error("callback failed on %s", _callback_name(), exc_info=err)
    return None


def _callback_name() -> str:
    try:
        body = flask.request.get_json(silent=True, cache=True) or {}
        return str(body.get("output", "?"))[:200]
    except Exception:  # noqa: BLE001 - only for the log line
        return "?"


# ---------------------------------------------------------------- unknown page paths
def _page_patterns() -> list[re.Pattern]:
    import dash

    patterns = []
    for page in dash.page_registry.values():
        template = page.get("path_template") or page.get("path") or ""
        parts = [("[^/]+" if re.fullmatch(r"<[^>]+>", part) else re.escape(part))
                 for part in template.strip("/").split("/")]
        patterns.append(re.compile("/".join(parts)))
    return patterns


def mark_unknown_pages(app):
    patterns: list[re.Pattern] = []
    index_rule = app.config.routes_pathname_prefix + "<path:path>"

    def mark(response: flask.Response) -> flask.Response:
        request = flask.request
        rule = request.url_rule.rule if request.url_rule is not None else ""
        # Only Dash's page catch-all (the index for any path), not its bundles' routes.
        if request.method != "GET" or response.status_code != 200 or rule != index_rule:
            return response
        if not patterns:
            patterns.extend(_page_patterns())
        path = request.path.removeprefix(app.config.routes_pathname_prefix.rstrip("/")).strip("/")
        if path == "404" or not any(p.fullmatch(path) for p in patterns):
            response.status_code = 404  # the renderer shows pages/not_found_404.py for it
        return response

    return mark


def install(app, *, check_value=None) -> None:
    """`check_value(id, property, value) -> problem or None`: callbacks._validate.problem."""
    from dashboard.headers import allow_inline_scripts

    server = app.server
    server.before_request(lambda: check_update_request(app, check_value))
    server.after_request(mark_unknown_pages(app))
    # Asked per page, not now: Dash pages add their own clientside script at the first request.
    allow_inline_scripts(server, app.csp_hashes)
