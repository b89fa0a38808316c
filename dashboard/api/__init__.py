"""The JSON API (SPEC §11), mounted at `/api/v1` by `dashboard.web.create_server` (called by `dashboard.app_factory.create_app`).

Compatible with the published Resolution Center API (the official `whop-sdk` client
works against it unchanged), plus our staff and integration extensions. Every route
is a thin shell around the domain: authenticate, check the caller's role, one
transaction, call the domain, serialise. Modules:

- `schemas/`     every shape the API reads or answers, once, as pydantic v2 models
- `routing`      the `endpoint` decorator: auth, role gate, transaction, errors, money
- `auth`         bearer tokens and role groups
- `errors`       JSON error bodies (through `schemas.errors.Error`) under /api/v1
- `params`       the JSON body (`json_body`); fields are read by `dashboard.validation.parse`
- `paging`       opaque keyset cursors (`first/after/last/before`), never OFFSET
- `serializers`  fill the answer models from the domain's rows and dump them
- `actions`      the case-action routes, one per entry of `dashboard.cases.actions.ACTIONS`
- `cases`, `files`, `integration`, `payments`, `metrics`: the other routes
- `openapi`      the OpenAPI 3.1 document, generated from the models and the registered routes
"""
from __future__ import annotations

from flask import Blueprint

PREFIX = "/api/v1"

blueprint = Blueprint("api", __name__)

# Importing the route modules registers their routes on `blueprint`.
from dashboard.api import (actions, cases, companies, files, integration, metrics, openapi, payments,  # noqa: E402,F401
                           webhooks)
from dashboard.api.errors import unknown_route  # noqa: E402

blueprint.add_url_rule("", endpoint="unknown_route", view_func=unknown_route, methods=["GET"])
blueprint.add_url_rule("/<path:_path>", endpoint="unknown_route", view_func=unknown_route, methods=["GET"])

__all__ = ["PREFIX", "blueprint"]
