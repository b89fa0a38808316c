"""The one way an API route runs (SPEC §11, ARCHITECTURE "Habits").

`@endpoint(rule, methods=..., roles=...)` wraps a handler `fn(ctx, user, **path_args)`:

1. caps the request body (JSON routes 1 MiB; the upload route sets its own limit);
2. opens one transaction, authenticates the bearer token in it, checks the role;
3. calls the handler, which calls the domain and returns a dict (200), a
   `(dict, status)` pair, a Flask response, or a `CaseResult`;
   With an `Idempotency-Key` on a POST, the key is claimed in that transaction first
   and a retry replays the first answer instead of running again (`idempotency`);
4. commits; for a `CaseResult` with `settle=True` moves the money the action recorded
   (`money.settle.settle_case`: its own session; failures are logged and left to the scheduler),
   then answers with the case as it now is, re-read for this caller;
5. turns failures into JSON errors: domain errors with their status; a lost race
   (stale version, serialization failure, lock timeout) into 409; a 409 on a case
   carries the case's current state (`error.case`) so the client can refresh.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask import Response, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from data.models import IdempotencyRecord, User
from dashboard import audit  # noqa: F401  - staff actions through the API are audited (before_flush hook)
from dashboard.api import blueprint, idempotency
from dashboard.api.auth import PARTIES_AND_STAFF, authenticate, require_role
from dashboard.api.errors import domain_error_response, error_response
from dashboard.api.serializers import case_json
from dashboard.context import Ctx
from dashboard.errors import Conflict, DomainError
from dashboard.money.settle import settle_case
from dashboard.permissions import load_case
from dashboard.runtime import Runtime

log = logging.getLogger("dashboard.api")

JSON_MAX_BYTES = 1024 * 1024
CONTENTION_PGCODES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


@dataclass(frozen=True)
class CaseResult:
    """Answer with this case, read after the commit (and after money moved)."""

    case_id: str
    status: int = 200
    settle: bool = False


def runtime() -> Runtime:
    return current_app.extensions["rc"]


def endpoint(rule: str, *, methods: tuple[str, ...] = ("GET",), roles=PARTIES_AND_STAFF, public: bool = False,
             max_body: Optional[Callable[[Runtime], int]] = None):
    """Register `fn(ctx, user, **path_args)` as an API route (see module docstring).
    `public` routes skip the bearer token (the upload PUT carries its own secret)."""

    def wrap(fn):
        def view(**kwargs):
            return _run(fn, kwargs, roles=roles, public=public, max_body=max_body)

        view.__name__ = view.__qualname__ = fn.__name__
        view.__doc__ = fn.__doc__
        blueprint.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=list(methods))
        return fn

    return wrap


def _run(fn, kwargs: dict[str, Any], *, roles, public: bool, max_body) -> Response:
    rt = runtime()
    request.max_content_length = max_body(rt) if max_body else JSON_MAX_BYTES
    user_id: Optional[str] = None
    case_id = kwargs.get("case_id")
    replay: Optional[idempotency.Stored] = None
    record_id: Optional[int] = None
    try:
        with rt.Session.begin() as session:
            ctx = Ctx(session, rt.now(), rt.settings)
            user = None
            if not public:
                user = authenticate(ctx)
                user_id = user.id
                require_role(user, roles)
            key = None if public else idempotency.key_of(request)  # after auth: a stranger learns nothing
            claimed = idempotency.claim(ctx, user, key, request) if key else None
            if isinstance(claimed, idempotency.Stored):
                replay = claimed
            else:
                result = fn(ctx, user, **kwargs)
                if not isinstance(result, CaseResult):
                    response = _to_response(result)  # serialise inside: it may lazy-load
                if isinstance(claimed, IdempotencyRecord):
                    if isinstance(result, CaseResult):
                        if idempotency.keep(ctx, claimed, None, status=result.status, case_id=result.case_id):
                            record_id = claimed.id  # its bytes are filled in once rendered, below
                    else:
                        idempotency.keep(ctx, claimed, response, status=response.status_code)
    except DomainError as exc:
        return _error(rt, exc, user_id, case_id)
    except idempotency.KeyRace:
        return _error(rt, Conflict("idempotency_key_in_use", "A request with this Idempotency-Key is still "
                                                             "running; retry in a moment."), user_id, None)
    except StaleDataError:
        return _error(rt, _lost_race(), user_id, case_id)
    except IntegrityError:
        log.info("integrity conflict on %s %s", request.method, _route(), exc_info=True)
        return _error(rt, Conflict("conflict", "This conflicts with something that already exists or was "
                                               "just changed; reload and try again."), user_id, case_id)
    except DBAPIError as exc:
        if not _is_contention(exc):
            raise
        return _error(rt, _lost_race(), user_id, case_id)
    except HTTPException:
        raise  # e.g. 413 while reading the body: the app-level handler answers in JSON
    except Exception:  # noqa: BLE001 - a JSON 500, never an HTML page, for API clients
        log.exception("unhandled error on %s %s", request.method, _route())
        return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")
    if replay is not None:
        return _replayed(rt, replay, user_id)
    if not isinstance(result, CaseResult):
        return response
    if result.settle:
        settle_case(rt.Session, rt.gateways, rt.now(), settings=rt.settings, case_id=result.case_id, logger=log)
    body = current_case(rt, user_id, result.case_id)
    if body is None:  # pragma: no cover - the actor can always see the case they acted on
        return error_response(404, "not_found", "Case not found.")
    response = jsonify(body)
    response.status_code = result.status
    if record_id is not None:
        idempotency.complete(rt.Session, record_id, response)
    return response


def _replayed(rt: Runtime, stored: "idempotency.Stored", user_id: Optional[str]) -> Response:
    """The first answer again, byte for byte; a case answer not rendered yet is the case now."""
    if stored.body is None and stored.case_id:
        body = current_case(rt, user_id, stored.case_id)
        if body is None:  # pragma: no cover - the caller acted on it
            return error_response(404, "not_found", "Case not found.")
        return idempotency.replay_response(stored, jsonify(body).get_data(as_text=True))
    return idempotency.replay_response(stored)


def _route() -> str:
    """The route's pattern, not the path: an upload path carries a secret."""
    return request.url_rule.rule if request.url_rule is not None else "?"


def _to_response(result) -> Response:
    if isinstance(result, Response):
        return result
    status = 200
    if isinstance(result, tuple):
        result, status = result
    response = jsonify(result)
    response.status_code = status
    return response


def _lost_race() -> Conflict:
    return Conflict("concurrent_update", "Someone else changed this at the same moment; the current state is "
                                         "attached. Reload and try again.")


def _is_contention(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "pgcode", None) in CONTENTION_PGCODES:
        return True
    return "database is locked" in str(orig).lower()


def _error(rt: Runtime, exc: DomainError, user_id: Optional[str], case_id: Optional[str]) -> Response:
    extra = None
    if exc.http_status == 409 and case_id and user_id:
        case = current_case(rt, user_id, case_id)
        if case is not None:
            extra = {"case": case}
    return domain_error_response(exc, extra=extra)


def current_case(rt: Runtime, user_id: Optional[str], case_id: str) -> Optional[dict[str, Any]]:
    """The case as `user_id` may see it now, in a fresh read; None if not visible."""
    try:
        with rt.Session.begin() as session:
            ctx = Ctx(session, rt.now(), rt.settings)
            user = session.get(User, user_id) if user_id else None
            if user is None:
                return None
            return case_json(ctx, load_case(ctx, user, case_id), user)
    except DomainError:
        return None
