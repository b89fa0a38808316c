"""Domain errors. Each carries a stable machine code, a plain message and the HTTP
status the API answers with, so screens and API report the same thing."""
from __future__ import annotations

from typing import Any, Optional


class DomainError(Exception):
    http_status = 400

    def __init__(self, code: str, message: str, *, detail: Optional[dict[str, Any]] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail or {}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.detail)
        return {"error": body}


class NotFound(DomainError):
    """Missing, or not the caller's to see: the two are indistinguishable on purpose."""

    http_status = 404

    def __init__(self, what: str = "resource", code: Optional[str] = None):
        super().__init__(code or "not_found", f"{what.capitalize()} not found.")


class Unauthorized(DomainError):
    http_status = 401


class Forbidden(DomainError):
    http_status = 403


class Conflict(DomainError):
    """The case is not in a state that allows this (often: someone acted first)."""

    http_status = 409


class Invalid(DomainError):
    http_status = 422


class TooLarge(DomainError):
    http_status = 413
