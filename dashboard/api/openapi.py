"""The OpenAPI 3.1 document served at `/api/v1/openapi.json`, written by hand so it
says what the routes promise (a test checks that every registered route is in it)."""
from __future__ import annotations

from typing import Any, Optional

from flask import jsonify

from dashboard.api import blueprint
from dashboard.enums import Outcome, Provider, Reason, Status

REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _enum(values) -> dict[str, Any]:
    return {"type": "string", "enum": [getattr(v, "value", v) for v in values]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
ERRORS = {
    "400": "Malformed JSON (`invalid_json`, `json_too_deep`), a bad query parameter (`invalid_parameter`), a time "
           "outside 1900-9998 (`time_out_of_range`) or a bad `Idempotency-Key` (`invalid_idempotency_key`)", "401": "Missing, invalid or revoked token",
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


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def op(summary: str, tag: str, *, ok: Optional[dict[str, Any]] = None, status: str = "200",
       params: tuple = (), body: Optional[dict[str, Any]] = None, errors: str = "401 403 404 409 422",
       auth: bool = True, description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"summary": summary, "tags": [tag], "operationId": summary.lower().replace(" ", "_"),
                           "parameters": list(params),
                           "responses": {status: {"description": "OK", **(_json(ok) if ok else {})}}}
    if description:
        out["description"] = description
    if body is not None:
        out["requestBody"] = {"required": True, **_json(body)}
        # Every JSON POST: the body is capped, parsed and may carry an Idempotency-Key.
        out["parameters"].append(IDEMPOTENCY_KEY)
        errors = " ".join(sorted(set(errors.split()) | {"400", "409", "413", "422"}))
    for code in errors.split():
        out["responses"][code] = {"description": ERRORS[code], **_json(_ref("Error"))}
    if not auth:
        out["security"] = []
    return out


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STR}


def query(name: str, schema: dict[str, Any], *, repeat: bool = False, description: str = "") -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False,
             "schema": {"type": "array", "items": schema} if repeat else schema}
    if repeat:
        param.update(style="form", explode=True)
    if description:
        param["description"] = description
    return param


PAGE_SIZE = {"type": "integer", "minimum": 1}
PAGING = (query("first", PAGE_SIZE, description="Page size from the start (default 25; above 100 reads as 100)"),
          query("after", STR, description="page_info.end_cursor of the previous page"),
          query("last", PAGE_SIZE, description="Page size from the end (not with `first`)"),
          query("before", STR, description="page_info.start_cursor of the next page"))
FILTERS = (query("account_id", STR, description="Company (`biz_…`)"),
           query("user_id", STR, description="Customer (`user_…`) or `me`"),
           query("status", _enum(Status), repeat=True), query("reason", _enum(Reason), repeat=True),
           query("outcome", _enum(Outcome), repeat=True),
           query("created_before", TIME), query("created_after", TIME))
CASE_ID, FILE_ID = path_param("case_id"), path_param("file_id")
ATTACHMENTS = {"type": "array", "maxItems": 3, "items": _obj({"id": STR, "direct_upload_id": STR})}
MESSAGE_BODY = _obj({"message": STR, "attachments": ATTACHMENTS})


def _page_of(item: str) -> dict[str, Any]:
    return _obj({"data": {"type": "array", "items": _ref(item)}, "page_info": _ref("PageInfo")},
                ("data", "page_info"))


def _money_list() -> dict[str, Any]:
    return {"type": "array", "items": _obj({"currency": STR, "amount": NUM, "amount_minor": INT})}


ACCOUNT = _obj({"id": STR, "title": STR}, ("id", "title"))

SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({"code": STR, "message": STR, "case": _ref("ResolutionCenterCase")},
                                 ("code", "message"))}, ("error",)),
    "PageInfo": _obj({"has_next_page": BOOL, "has_previous_page": BOOL, "start_cursor": _nullable(STR),
                      "end_cursor": _nullable(STR)}, ("has_next_page", "has_previous_page")),
    "ResolutionCenterCase": _obj({
        "id": STR, "object": STR, "account": ACCOUNT, "amount": NUM, "amount_minor": INT, "currency": STR,
        "available_actions": {"type": "array", "items": STR},
        # user_id: null for creators (only the customer and staff see it); username, member_id: always null here
        "buyer": _obj({"user_id": _nullable(STR), "name": STR, "email": STR, "username": _nullable(STR),
                       "member_id": _nullable(STR)}, ("user_id", "name", "email")),
        "payment": _obj({"id": STR, "created_at": TIME, "payment_method_type": STR, "provider": STR},
                        ("id", "created_at", "payment_method_type", "provider")),
        "line_items": {"type": "array", "items": _obj({
            "quantity": NUM, "label": _nullable(STR), "product_title": _nullable(STR),
            "subtotal": _obj({"amount": STR, "currency": STR, "decimals": INT, "display_decimals": INT},
                             ("amount", "currency"))}, ("quantity", "label"))},
        # outcome and refund: null until the case is closed (also while an appeal is open)
        "reason": _enum(Reason), "status": _enum(Status), "outcome": _nullable(_enum(Outcome)),
        "refund": _nullable(_enum(("none", "merchant", "platform"))), "escalated": BOOL, "customer_appealed": BOOL,
        "merchant_appealed": BOOL, "response_due_at": _nullable(TIME), "created_at": TIME, "updated_at": TIME,
        "final_review": BOOL, "appeal_due_at": _nullable(TIME), "final": BOOL, "refunded": NUM, "credit": NUM,
        "decision": _nullable(_obj({"outcome": STR, "amount": _nullable(NUM), "amount_minor": _nullable(INT),
                                    "reason": _nullable(STR), "final_decision": _nullable(STR),
                                    "decided_by_id": _nullable(STR), "final_decided_by_id": _nullable(STR)},
                                   ("outcome", "amount", "amount_minor", "reason", "final_decision"))),
        "assignee": _nullable(_obj({"id": STR, "name": STR}, ("id", "name"))),  # staff only; null for parties
    }, ("id", "object", "account", "amount", "amount_minor", "currency", "available_actions", "buyer", "payment",
        "line_items", "reason", "status", "outcome", "refund", "escalated", "customer_appealed", "merchant_appealed",
        "response_due_at", "created_at", "updated_at", "final_review", "appeal_due_at", "final", "refunded",
        "credit", "decision", "assignee")),
    "ResolutionEvent": _obj({
        "id": STR, "object": STR, "action": STR, "created_at": TIME, "details": _nullable(STR),
        "reporter_type": _enum(("customer", "merchant", "platform", "system")),
        "attachments": {"type": "array", "items": _obj({"id": STR, "url": STR, "filename": STR,
                                                        "content_type": _nullable(STR)}, ("id", "url", "filename"))},
        "viewable_by_customer": BOOL, "viewable_by_merchant": BOOL,
    }, ("id", "object", "action", "attachments", "created_at", "details", "reporter_type", "viewable_by_customer",
        "viewable_by_merchant")),
    "File": _obj({
        "id": STR, "object": STR, "created_at": TIME, "filename": STR, "content_type": _nullable(STR),
        "size": _nullable(INT), "sha256": _nullable(STR), "url": _nullable(STR),
        "upload_status": _enum(("pending", "ready", "failed")), "visibility": STR, "removed_by_moderation": BOOL,
        "case_id": _nullable(STR), "upload_url": STR,
        "upload_headers": {"type": "object", "additionalProperties": STR},  # upload_*: only when just created
    }, ("id", "object", "created_at", "filename", "content_type", "size", "sha256", "url", "upload_status",
        "visibility", "removed_by_moderation", "case_id")),
    "Payment": _obj({
        "id": STR, "object": STR, "account": ACCOUNT, "customer_id": STR, "amount": NUM,
        "amount_minor": INT, "currency": STR, "provider": _enum(Provider), "payment_method_type": STR,
        "product_title": _nullable(STR), "paid_at": TIME, "created_at": TIME, "refunded": NUM,
        "refunded_at": _nullable(TIME), "case_id": _nullable(STR),
        # only in GET /payments (a customer's list):
        "can_open_case": BOOL, "ineligible_reason": _nullable(_obj({"code": STR, "message": STR}, ("code", "message"))),
        "claim_closes_at": _nullable(TIME),
    }, ("id", "object", "account", "customer_id", "amount", "amount_minor", "currency", "provider",
        "payment_method_type", "product_title", "paid_at", "created_at", "refunded", "refunded_at", "case_id")),
    "Company": _obj({"id": STR, "object": STR, "title": STR, "name": STR, "support_email": _nullable(STR),
                     "created_at": TIME}, ("id", "object", "title", "name", "support_email", "created_at")),
    "User": _obj({"id": STR, "object": STR, "email": STR, "name": STR, "role": STR, "company_id": _nullable(STR),
                  "created_at": TIME}, ("id", "object", "email", "name", "role", "company_id", "created_at")),
    "Summary": _obj({"total": INT, "groups": _obj({
        "status": _obj({s.value: INT for s in Status}), "reason": _obj({r.value: INT for r in Reason}),
        "outcome": _obj({o.value: INT for o in Outcome})})}, ("total", "groups")),
    "Metrics": _obj({"range": _obj({"start": STR, "end": STR}), "cases": {"type": "object"},
                     "rates": {"type": "object"}, "money": _obj({"refunded": _money_list(),
                                                                 "credited": _money_list()})}),
}

CASE = _ref("ResolutionCenterCase")
RC = "/resolution_center_cases"
C = "Cases"
S = "Staff"


def _action(summary: str, body: dict[str, Any], tag: str = C, description: str = "") -> dict[str, Any]:
    return {"post": op(summary, tag, ok=CASE, params=(CASE_ID,), body=body, description=description)}


PATHS: dict[str, Any] = {
    RC: {
        "get": op("List cases", C, ok=_page_of("ResolutionCenterCase"), errors="400 401 403",
                  params=FILTERS + PAGING + (query("order", _enum(("created_at", "response_due_at"))),
                                             query("direction", _enum(("asc", "desc"))))),
        "post": op("Create case", C, ok=CASE, status="201", errors="400 401 403 404 409 422",
                   body=_obj({"receipt_id": STR, "reason": _enum(Reason), "message": STR, "attachments": ATTACHMENTS},
                             ("receipt_id", "reason", "message")),
                   description="Customers only. `receipt_id` is the payment id (`pay_…`). Refusals: "
                               "payment_not_found (404), payment_method_not_eligible, payment_refunded, "
                               "claim_window_expired (400), case_already_exists (409), invalid_reason, "
                               "message_required, message_too_long, too_many_files, file_* (422)."),
    },
    f"{RC}/summary": {"get": op("Summarize cases", C, ok=_ref("Summary"), errors="400 401 403",
                                params=FILTERS + (query("groups", _enum(("status", "reason", "outcome")),
                                                        repeat=True),))},
    f"{RC}/{{case_id}}": {"get": op("Retrieve case", C, ok=CASE, params=(CASE_ID,), errors="401 403 404")},
    f"{RC}/{{case_id}}/events": {"get": op("List case events", C, ok=_page_of("ResolutionEvent"),
                                           params=(CASE_ID,) + PAGING, errors="400 401 403 404",
                                           description="Newest first. Parties never see internal notes.")},
    f"{RC}/{{case_id}}/accept": _action("Accept case", _obj({"message": STR, "attachments": ATTACHMENTS,
                                                              "terminate_membership": BOOL}),
                                        description="Merchant; refunds the customer in full at once."),
    f"{RC}/{{case_id}}/deny": _action("Deny case", MESSAGE_BODY),
    f"{RC}/{{case_id}}/request_info": _action(
        "Request information", _obj({"message": STR, "attachments": ATTACHMENTS,
                                     "party": _enum(("customer", "merchant"))}),
        description="Merchant (asks the customer, at most 3 times) or staff (asks `party`)."),
    f"{RC}/{{case_id}}/reply": _action("Reply to case", MESSAGE_BODY),
    f"{RC}/{{case_id}}/appeal": _action("Appeal case", MESSAGE_BODY),
    f"{RC}/{{case_id}}/withdraw": _action("Withdraw case", _obj({"message": STR})),
    f"{RC}/{{case_id}}/evidence": _action("Add evidence", MESSAGE_BODY),
    f"{RC}/{{case_id}}/claim": _action("Claim case", _obj({}), S),
    f"{RC}/{{case_id}}/assign": _action("Assign case", _obj({"reviewer_id": _nullable(STR)}, ("reviewer_id",)), S,
                                        "Managers assign anyone; a reviewer may only assign to themselves."),
    f"{RC}/{{case_id}}/notes": _action("Add internal note", _obj({"message": STR}, ("message",)), S),
    f"{RC}/{{case_id}}/decision": _action(
        "Decide case", _obj({"outcome": _enum(("refund", "credit", "merchant_wins")), "amount": INT,
                             "reason": STR}, ("outcome", "reason")), S,
        "`amount` in minor units (default: the full payment). Money moves at once."),
    f"{RC}/{{case_id}}/final_decision": _action(
        "Final decision", _obj({"decision": _enum(("uphold", "overturn")), "reason": STR,
                                "remedy": _enum(("refund", "credit")), "amount": INT}, ("decision", "reason")), S,
        "By a reviewer other than the one who decided. `remedy` and `amount` when overturning a merchant win."),
    "/files": {"post": op("Create file", "Files", ok=_ref("File"), status="201", errors="400 401 403 413 422",
                          body=_obj({"filename": STR, "byte_size": INT, "content_type": STR, "multipart": BOOL,
                                     "visibility": STR}, ("filename",)),
                          description="Then PUT the bytes to `upload_url` with `upload_headers`.")},
    "/files/{file_id}/upload/{token}": {"put": {
        **op("Upload file bytes", "Files", ok=_ref("File"), params=(FILE_ID, path_param("token")),
             errors="404 413 422", auth=False,
             description="Authorised by the secret in the URL; no Authorization header."),
        "requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {
            "type": "string", "contentMediaType": "application/octet-stream"}}}}}},
    "/files/{file_id}": {"get": op("Retrieve file", "Files", ok=_ref("File"), params=(FILE_ID,),
                                   errors="401 403 404")},
    "/files/{file_id}/content": {"get": {
        **op("Download file", "Files", params=(FILE_ID,), errors="401 403 404"),
        "responses": {"200": {"description": "The bytes, with the type judged from them and nosniff"},
                      **{code: {"description": ERRORS[code], **_json(_ref("Error"))} for code in ("401", "403", "404")}}}},
    "/companies": {"post": op("Create company", "Integration", ok=_ref("Company"), status="201",
                              errors="401 403 422", body=_obj({"name": STR, "support_email": STR}, ("name",)))},
    "/users": {"post": op("Create user", "Integration", ok=_ref("User"), status="201", errors="401 403 409 422",
                          body=_obj({"email": STR, "name": STR, "role": _enum(("customer", "creator")),
                                     "company_id": STR}, ("email", "role")))},
    "/payments": {
        "post": op("Create payment", "Integration", ok=_ref("Payment"), status="201", errors="401 403 422",
                   body=_obj({"company_id": STR, "customer_id": STR, "amount": INT, "currency": STR,
                              "provider": _enum(Provider), "paid_at": TIME, "product_title": STR,
                              "provider_reference": STR},
                             ("company_id", "customer_id", "amount", "currency", "provider"))),
        "get": op("List my payments", "Payments", ok=_page_of("Payment"), params=PAGING, errors="400 401 403",
                  description="Customers: their payments, each with can_open_case and ineligible_reason."),
    },
    "/payments/{payment_id}/refunded": {"post": op(
        "Report payment refunded", "Integration", ok=_ref("Payment"), params=(path_param("payment_id"),),
        body=_obj({"note": STR}), errors="401 403 404",
        description="Refunded outside the Resolution Center: an open case closes in the customer's favour.")},
    "/metrics": {"get": op("Get metrics", "Metrics", ok=_ref("Metrics"), errors="401 403",
                           params=(query("start", {"type": "string", "format": "date"}),
                                   query("end", {"type": "string", "format": "date"}),
                                   query("company_id", STR, repeat=True), query("provider", _enum(Provider), repeat=True),
                                   query("reason", _enum(Reason), repeat=True)))},
    "/openapi.json": {"get": {**op("OpenAPI document", "Meta", errors="", auth=False),
                              "responses": {"200": {"description": "This document"}}}},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Resolution Center API", "version": "1.0.0",
             "description": "Compatible with the published Resolution Center API (whop-sdk), plus staff and "
                            "integration extensions. Errors: {\"error\": {\"code\", \"message\"}}."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    "paths": PATHS,
}


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
