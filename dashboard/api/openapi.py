"""The OpenAPI 3.1 document served at `/api/v1/openapi.json`, generated (issue 12).

- `components/schemas`: the pydantic models of `dashboard.api.schemas` (answers in
  serialization mode, request bodies in validation mode), by `models_json_schema`;
- `paths`: every route registered under /api/v1, each described by the `OPERATIONS`
  entry of its endpoint (a route without one fails the document, and so the tests);
- query parameters from each route's query model, one parameter per field;
- the case actions' bodies: the action table's input models (`action_inputs`).

The models are what the serializers dump and what `parse` reads, so the document can no
longer drift from the answers; tests/api/contract.py validates every answer the API suite
receives against it.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from dashboard.api import PREFIX, blueprint
from dashboard.api.schemas import bodies, queries
from dashboard.api.schemas.cases import CasePage, EventPage, File, ResolutionCenterCase, Summary
from dashboard.api.schemas.companies import CompanyWithControls, SetPaymentControls
from dashboard.api.schemas.errors import Error
from dashboard.api.schemas.metrics import Metrics
from dashboard.api.schemas.payments import Company, Payment, PaymentPage, User
from dashboard.api.schemas import webhooks as sw

REF = "#/components/schemas/"
ERRORS = {
    "400": "Malformed JSON (`invalid_json`, `json_too_deep`), a bad query parameter (`invalid_parameter`), a time "
           "outside 1900-9998 (`time_out_of_range`) or a bad `Idempotency-Key` (`invalid_idempotency_key`)",
    "401": "Missing, invalid or revoked token",
    "403": "Your role may not do this", "404": "Not found, or not yours to see",
    "409": "Not possible in the current state, or someone acted first (`error.case` holds the current case); "
           "`idempotency_key_in_use` while a request with the same key is still running",
    "413": "Body or file too large (JSON bodies: 1 MiB)",
    "422": "A field is missing or invalid; `idempotency_key_reused` for a key already used with another request",
}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                   "description": "A retry with the same key and body within 24 hours replays the first answer "
                                  "(`Idempotent-Replayed: true`); the same key with another body is a 422."}
ACTION_RULE = re.compile(r"^/resolution_center_cases/<case_id>/(?P<route>[a-z_]+)$")


@dataclass(frozen=True)
class Operation:
    """What one endpoint promises: its answer's model and status, its query and body
    models, the error statuses it can answer with."""

    summary: str
    tag: str
    answer: Optional[type[BaseModel]] = None
    status: str = "200"
    query: Optional[type[BaseModel]] = None
    body: Optional[type[BaseModel]] = None  # a case action's is the action table's input
    errors: str = "401 403 404 409 422"
    auth: bool = True
    description: str = ""


C, S, F, I = "Cases", "Staff", "Files", "Integration"


def _action(summary: str, tag: str = C, description: str = "") -> Operation:
    return Operation(summary, tag, ResolutionCenterCase, description=description)


# Keyed by the endpoint's name (the handler's function name in dashboard.api.*); case actions below.
OPERATIONS: dict[str, Operation] = {
    "list_cases": Operation("List cases", C, CasePage, query=queries.CaseListQuery, errors="400 401 403"),
    "create_case": Operation(
        "Create case", C, ResolutionCenterCase, status="201", body=bodies.CreateCase,
        errors="400 401 403 404 409 422",
        description="Customers only. `receipt_id` is the payment id (`pay_…`). Refusals: payment_not_found (404), "
                    "payment_method_not_eligible, payment_refunded, claim_window_expired (400), "
                    "case_already_exists (409), invalid_reason, message_required, message_too_long, too_many_files, "
                    "file_* (422)."),
    "summarize_cases": Operation("Summarize cases", C, Summary, query=queries.SummaryQuery, errors="400 401 403"),
    "retrieve_case": Operation("Retrieve case", C, ResolutionCenterCase, errors="401 403 404"),
    "list_events": Operation("List case events", C, EventPage, query=queries.PageQuery, errors="400 401 403 404",
                             description="Newest first. Parties never see internal notes."),
    "create_file": Operation("Create file", F, File, status="201", body=bodies.CreateFile,
                             errors="400 401 403 413 422",
                             description="Then PUT the bytes to `upload_url` with `upload_headers`."),
    "upload_file": Operation("Upload file bytes", F, File, errors="404 413 422", auth=False,
                             description="Authorised by the secret in the URL; no Authorization header."),
    "retrieve_file": Operation("Retrieve file", F, File, errors="401 403 404"),
    "download_file": Operation("Download file", F, errors="401 403 404"),
    "create_company": Operation("Create company", I, Company, status="201", body=bodies.CreateCompany,
                                errors="401 403 422"),
    "create_user": Operation("Create user", I, User, status="201", body=bodies.CreateUser, errors="401 403 409 422"),
    "create_payment": Operation("Create payment", I, Payment, status="201", body=bodies.CreatePayment,
                                errors="401 403 422"),
    "list_payments": Operation("List my payments", "Payments", PaymentPage, query=queries.PageQuery,
                               errors="400 401 403",
                               description="Customers: their payments, each with can_open_case and ineligible_reason."),
    "payment_refunded": Operation(
        "Report payment refunded", I, Payment, body=bodies.ReportRefunded, errors="401 403 404",
        description="Refunded outside the Resolution Center: an open case closes in the customer's favour."),
    "get_metrics": Operation("Get metrics", "Metrics", Metrics, query=queries.MetricsQuery, errors="401 403"),
    "retrieve_company": Operation(
        "Retrieve company", "Companies", CompanyWithControls, errors="401 403 404",
        description="The company's creators, staff and integration users. `payment_controls.resolution_center_"
                    "auto_refund`: the auto-refund thresholds, in the payment's currency units."),
    "set_payment_controls": Operation(
        "Set payment controls", "Companies", CompanyWithControls, body=SetPaymentControls, errors="401 403 404 422",
        description="The fields given change (null turns a threshold off). Creators of the company, unless staff "
                    "locked the thresholds (403 thresholds_locked); `locked` is staff's alone (403 staff_only)."),
    "openapi_document": Operation("OpenAPI document", "Meta", errors="", auth=False),
    # Webhooks, as whop-sdk's client.webhooks calls them (dashboard.api.webhooks).
    "create_webhook": Operation(
        "Create webhook", "Webhooks", sw.Webhook, status="201", body=sw.CreateWebhook, errors="401 403 404 422",
        description="Creators: their company's (`resource_id` their `biz_` id, the default). Staff and integration "
                    "users: every company's cases (`resource_id` omitted or `platform`) or one company's. "
                    "`webhook_secret` (`ws_…`) is in this answer only. Refusals: invalid_url (https, public "
                    "addresses), unsupported_event, resource_not_found (404)."),
    "list_webhooks": Operation("List webhooks", "Webhooks", sw.WebhookPage, query=sw.WebhookListQuery,
                               errors="400 401 403 404", description="Newest first."),
    "retrieve_webhook": Operation("Retrieve webhook", "Webhooks", sw.Webhook, errors="401 403 404"),
    "update_webhook": Operation("Update webhook", "Webhooks", sw.Webhook, body=sw.UpdateWebhook,
                                errors="401 403 404 422",
                                description="Only the fields sent change. Disabling drops the pending events; "
                                            "enabling clears the failure streak."),
    "delete_webhook": Operation("Delete webhook", "Webhooks", sw.DeletedWebhook, errors="401 403 404"),
}

# The case actions, keyed by their path segment (`POST /resolution_center_cases/{case_id}/<segment>`):
# their bodies are the action table's input models (`action_inputs`).
ACTION_OPERATIONS: dict[str, Operation] = {
    "accept": _action("Accept case", description="Merchant; refunds the customer in full at once."),
    "deny": _action("Deny case"),
    "request_info": _action("Request information",
                            description="Merchant (asks the customer, at most 3 times) or staff (asks `party`)."),
    "reply": _action("Reply to case"),
    "appeal": _action("Appeal case"),
    "withdraw": _action("Withdraw case"),
    "evidence": _action("Add evidence"),
    "claim": _action("Claim case", S),
    "assign": _action("Assign case", S, "Managers assign anyone; a reviewer may only assign to themselves."),
    "notes": _action("Add internal note", S),
    "decision": _action("Decide case", S, "`amount` in minor units (default: the full payment). Money moves at once."),
    "final_decision": _action("Final decision", S, "By a reviewer other than the one who decided. `remedy` and "
                                                   "`amount` when overturning a merchant win."),
}

ANSWERS: tuple[type[BaseModel], ...] = (Error, ResolutionCenterCase, CasePage, EventPage, Summary, File, Payment,
                                        PaymentPage, Company, CompanyWithControls, User, Metrics,
                                        sw.Webhook, sw.WebhookPage, sw.DeletedWebhook)


# ------------------------------------------------------------------ action inputs
def action_inputs() -> dict[str, type[BaseModel]]:
    """Path segment (`accept`, `final_decision`) -> the body model of that case action,
    from the one action table."""
    from dashboard.cases.actions import ACTIONS

    return {spec.route: spec.input for spec in ACTIONS.values()}


# ------------------------------------------------------------------------ building
def _rule_path(rule: str) -> str:
    return rule.removeprefix(PREFIX).replace("<", "{").replace(">", "}")


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF + model.__name__}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """`schema` with its local `$defs` references replaced by their definitions."""
    if isinstance(schema, dict):
        if "$ref" in schema and schema["$ref"].startswith("#/$defs/"):
            return _inline(copy.deepcopy(defs[schema["$ref"].removeprefix("#/$defs/")]), defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value: `Optional[X]` documents as X."""
    out = {k: v for k, v in schema.items() if k not in ("title", "default")}
    branches = out.get("anyOf")
    if branches:
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    if out.get("type") == "array" and isinstance(out.get("items"), dict):
        out["items"] = {k: v for k, v in out["items"].items() if k != "title"}
    return out


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    params = []
    for name, prop in schema["properties"].items():
        prop = _not_null(_inline(prop, defs))
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if prop.get("type") == "array":
            param.update(style="form", explode=True)
        description = prop.pop("description", None)
        if description:
            param["description"] = description
        params.append(param)
    return params


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)]


def _operation(name: str, op: Operation, rule: str, body: Optional[type[BaseModel]]) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": [op.tag],
                           "operationId": op.summary.lower().replace(" ", "_"),
                           "parameters": _path_parameters(rule) + (query_parameters(op.query) if op.query else []),
                           "responses": {op.status: {"description": "OK", **(_json(_ref(op.answer)) if op.answer
                                                                               else {})}}}
    if op.description:
        out["description"] = op.description
    errors = op.errors
    if body is not None:
        out["requestBody"] = {"required": True, **_json(_ref(body))}
        # Every JSON POST: the body is capped, parsed and may carry an Idempotency-Key.
        out["parameters"].append(IDEMPOTENCY_KEY)
        errors = " ".join(sorted(set(errors.split()) | {"400", "409", "413", "422"}))
    for code in errors.split():
        out["responses"][code] = {"description": ERRORS[code], **_json(_ref(Error))}
    if not op.auth:
        out["security"] = []
    if name == "upload_file":
        out["requestBody"] = {"required": True, "content": {"application/octet-stream": {"schema": {
            "type": "string", "contentMediaType": "application/octet-stream"}}}}
    elif name == "download_file":
        out["responses"]["200"] = {"description": "The bytes, with the type judged from them and nosniff"}
    elif name == "openapi_document":
        out["responses"] = {"200": {"description": "This document"}}
    return out


def build_document(url_map) -> dict[str, Any]:
    """The document for the routes registered on `url_map` (the app's)."""
    inputs = action_inputs()
    paths: dict[str, dict[str, Any]] = {}
    request_models: dict[str, type[BaseModel]] = {}
    missing = []
    for rule in sorted(url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.unknown_route":
            continue
        name = rule.endpoint.removeprefix("api.")
        action = ACTION_RULE.match(rule.rule.removeprefix(PREFIX)) if "POST" in rule.methods else None
        op = ACTION_OPERATIONS.get(action["route"]) if action else OPERATIONS.get(name)
        if op is None:
            missing.append(f"{rule.rule} ({name})")
            continue
        body = inputs.get(action["route"]) if action else op.body
        if action and body is None:
            missing.append(f"{rule.rule} (no input model for the action)")
            continue
        if body is not None:
            request_models[body.__name__] = body
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(_rule_path(rule.rule), {})[method.lower()] = _operation(name, op, rule.rule, body)
    if missing:
        raise LookupError("API routes the OpenAPI document does not describe (add them to OPERATIONS): "
                          + ", ".join(missing))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Resolution Center API", "version": "1.0.0",
                 "description": "Compatible with the published Resolution Center API (whop-sdk), plus staff and "
                                "integration extensions. Errors: {\"error\": {\"code\", \"message\"}}."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": component_schemas(request_models.values())},
        "paths": paths,
    }


def component_schemas(request_models) -> dict[str, Any]:
    """Answers as they are dumped, request bodies as they are read; one namespace."""
    wanted = [(m, "serialization") for m in ANSWERS] + [(m, "validation") for m in request_models]
    _, top = models_json_schema(wanted, ref_template=REF + "{model}")
    schemas = top.get("$defs", {})
    clashes = [n for n in schemas if n.endswith(("-Input", "-Output"))]
    if clashes:  # one model read and answered differently: give the two shapes their own names
        raise LookupError(f"models with different request and answer shapes: {clashes}")
    return schemas


def document() -> dict[str, Any]:
    """This app's document, built once."""
    cached = current_app.extensions.get("rc.openapi")
    if cached is None:
        cached = current_app.extensions["rc.openapi"] = build_document(current_app.url_map)
    return cached


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(document())
