"""The OpenAPI contract, checked on every answer the API suite receives (issue 12).

`install(server)` wraps the Flask server's WSGI app, which is what every in-process
client calls: Flask's test client (`api.client`, `server.test_client()`) and httpx's
`WSGITransport` under the whop-sdk client. Each JSON answer under /api/v1 is validated
with jsonschema against the schema the document (`/api/v1/openapi.json`, built from the
same server) gives its path, method and status; an error status the operation does not
list is validated against the `Error` schema. A mismatch raises `ContractViolation` in
the request (the test fails there) and is also kept, so the fixture's teardown fails a
test whose client swallowed it (a thread, the SDK's own error handling).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator, Optional

import jsonschema
from werkzeug.exceptions import HTTPException

from dashboard.api import PREFIX
from dashboard.api.openapi import build_document

_DOCUMENT: Optional[dict[str, Any]] = None


class ContractViolation(AssertionError):
    """An answer the OpenAPI document does not allow."""


def document_of(server) -> dict[str, Any]:
    """The document this server serves (built once: it depends only on the code)."""
    global _DOCUMENT
    if _DOCUMENT is None:
        _DOCUMENT = build_document(server.url_map)
    return _DOCUMENT


class Contract:
    def __init__(self, server, document: dict[str, Any]):
        self.server = server
        self.document = document
        self.violations: list[str] = []
        self.checked = 0
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    # ---------------------------------------------------------------- judging
    def schema_for(self, method: str, environ: dict[str, Any], status: int) -> Optional[tuple[str, dict]]:
        """(where, schema) for this answer; None when the document gives no JSON schema
        for a success (e.g. the document itself)."""
        operation, where = self._operation(method, environ)
        responses = (operation or {}).get("responses", {})
        documented = responses.get(str(status))
        if documented is not None:
            schema = documented.get("content", {}).get("application/json", {}).get("schema")
            return (f"{where} {status}", schema) if schema else None
        if status >= 400:  # not listed for the operation (or no operation): still our error shape
            return f"{where} {status} (as an error)", {"$ref": "#/components/schemas/Error"}
        raise ContractViolation(f"{where} answered {status}, which the document does not list")

    def _operation(self, method: str, environ: dict[str, Any]) -> tuple[Optional[dict], str]:
        adapter = self.server.url_map.bind_to_environ(environ)
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            return None, f"{method} {environ.get('PATH_INFO')}"
        path = rule.rule.removeprefix(PREFIX).replace("<", "{").replace(">", "}")
        return self.document["paths"].get(path, {}).get(method.lower()), f"{method} {path}"

    def validate(self, where: str, schema: dict[str, Any], body: Any) -> None:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            root = {**schema, "components": self.document["components"]}
            validator = self._validators[key] = jsonschema.Draft202012Validator(root)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        self.checked += 1
        if errors:
            lines = [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]
            message = f"{where}: the answer does not match the document:\n  " + "\n  ".join(lines)
            self.violations.append(message)
            raise ContractViolation(message)

    def check(self, environ: dict[str, Any], status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if not (path == PREFIX or path.startswith(PREFIX + "/")) or method == "HEAD":
            return
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not content_type.startswith("application/json"):
            return
        try:
            found = self.schema_for(method, environ, status)
        except ContractViolation as exc:
            self.violations.append(str(exc))
            raise
        if found is not None:
            self.validate(found[0], found[1], json.loads(body))

    # ------------------------------------------------------------------ tests
    @contextmanager
    def expect_violation(self) -> Iterator[list[str]]:
        """For a test that sends a drifted answer on purpose: the violations it caused,
        which then do not fail the test."""
        before = len(self.violations)
        seen: list[str] = []
        try:
            yield seen
        except ContractViolation:
            pass
        seen.extend(self.violations[before:])
        del self.violations[before:]

    def assert_clean(self) -> None:
        assert not self.violations, "answers the OpenAPI document does not allow:\n" + "\n".join(self.violations)


class _Checked:
    """WSGI middleware: the answer is read whole, judged, then handed on."""

    def __init__(self, app, contract: Contract):
        self.app, self.contract = app, contract

    def __call__(self, environ, start_response):
        seen: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = int(status.split(" ", 1)[0]), list(headers)
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.contract.check(environ, seen["status"], seen["headers"], body)
        return [body]


def install(server) -> Contract:
    """Judge every answer `server` gives from now on; returns the contract (its
    `violations`, `expect_violation`, `assert_clean`)."""
    contract = Contract(server, document_of(server))
    server.wsgi_app = _Checked(server.wsgi_app, contract)
    server.extensions["rc.contract"] = contract
    return contract


def contract_of(server) -> Contract:
    return server.extensions["rc.contract"]
