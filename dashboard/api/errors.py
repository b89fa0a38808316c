"""Every API failure is `{"error": {"code", "message", ...}}` with a meaningful status.

Domain errors carry their own code and status (`dashboard.errors`). HTTP errors that
happen before a route runs (unknown path, wrong method, body too large, malformed
JSON) are turned into the same shape here, but only under /api/v1: the Dash screens
mounted on the same server keep their own error pages.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from dashboard.api.schemas.errors import Error, ErrorBody
from dashboard.errors import DomainError

log = logging.getLogger("dashboard.api")

HTTP_CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Authentication is required."),
    403: ("forbidden", "You are not allowed to do this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send a JSON body."),
    422: ("unprocessable", "The request could not be processed."),
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
}


def error_response(status: int, code: str, message: str, *, extra: Optional[dict[str, Any]] = None,
                   headers: Optional[dict[str, str]] = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    body.update(extra or {})
    response = jsonify(error_json(body))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_json(body: dict[str, Any]) -> dict[str, Any]:
    """`{"error": body}` through the `Error` model (the shape the document shows). An error
    answer must never itself fail: a body the model refuses is logged and sent as it is."""
    try:
        return Error(error=ErrorBody(**body)).wire()
    except ValidationError:
        log.exception("error body %r does not match the Error schema", body.get("code"))
        return {"error": body}


def domain_error_response(exc: DomainError, *, extra: Optional[dict[str, Any]] = None) -> Response:
    body = exc.to_json()["error"]
    body.update(extra or {})
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.http_status == 401 else None
    return error_response(exc.http_status, body.pop("code"), body.pop("message"), extra=body, headers=headers)


def _is_api_request() -> bool:
    from dashboard.api import PREFIX

    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def register(app: Flask) -> None:
    """App-level handlers (unknown routes never reach the blueprint's own handlers)."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _is_api_request():
            return exc
        status = exc.code or 500
        code, message = HTTP_CODES.get(status, ("http_error", exc.description or "HTTP error."))
        if status == 413:
            message = "The request body is larger than this endpoint accepts."
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(allowed_methods())
        return error_response(status, code, message, headers=headers)

    @app.after_request
    def _true_allow(response: Response) -> Response:
        # Werkzeug lists every rule matching the path, the GET catch-all below included, so a
        # POST-only route would advertise GET in OPTIONS (and 405) answers: list the real ones.
        if "Allow" in response.headers and _is_api_request():
            response.headers["Allow"] = ", ".join(allowed_methods(implicit=request.method == "OPTIONS"))
        return response


def allowed_methods(*, implicit: bool = False) -> list[str]:
    """The methods a route under /api/v1 really serves at this path (never the catch-all);
    `implicit` adds the HEAD and OPTIONS Flask answers by itself (for an OPTIONS answer)."""
    from flask import current_app

    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown_route":
            allowed.append(method)
    if implicit and allowed:
        allowed += (["HEAD"] if "GET" in allowed else []) + ["OPTIONS"]
    return allowed


def unknown_route(_path: str = ""):
    """GET on nothing under /api/v1. Needed because the Dash app mounted on the same
    server has a GET catch-all (`/<path:path>`) that would otherwise answer API clients
    with the HTML page. A path that exists for other methods is a 405, as without it."""
    allowed = allowed_methods()
    if allowed:
        return error_response(405, *HTTP_CODES[405], headers={"Allow": ", ".join(allowed)})
    return error_response(404, *HTTP_CODES[404])
