"""The JSON API (SPEC §11), mounted at `/api/v1` by `dashboard.web.create_server`.

Compatible with the published Resolution Center API (the official `whop-sdk` client
works against it unchanged), plus our staff and integration extensions. Every route
is a thin shell around the domain: authenticate, check the caller's role, one
transaction, call the domain, serialise. Modules:

- `routing`      the `endpoint` decorator: auth, role gate, transaction, errors, money
- `auth`         bearer tokens and role groups
- `errors`       JSON error bodies for domain errors and HTTP errors under /api/v1
- `params`       query and body parsing (ids, enums, times, attachments)
- `paging`       opaque keyset cursors (`first/after/last/before`), never OFFSET
- `serializers`  case, event, file and payment shapes
- `cases`, `actions`, `files`, `integration`, `payments`, `metrics`: the routes
- `openapi`      the hand-written OpenAPI 3.1 document
"""
from __future__ import annotations

from flask import Blueprint

PREFIX = "/api/v1"

blueprint = Blueprint("api", __name__)

# Importing the route modules registers their routes on `blueprint`.
from dashboard.api import actions, cases, files, integration, metrics, openapi, payments  # noqa: E402,F401
from dashboard.api.errors import unknown_route  # noqa: E402

blueprint.add_url_rule("", endpoint="unknown_route", view_func=unknown_route, methods=["GET"])
blueprint.add_url_rule("/<path:_path>", endpoint="unknown_route", view_func=unknown_route, methods=["GET"])

__all__ = ["PREFIX", "blueprint"]
