"""`Idempotency-Key` on API POSTs (SPEC §11): a retry replays the first answer.

- The key is the caller's: records are unique on (user, key) and kept 24 hours.
- The request is fingerprinted (sha256 over method, path and query, caller and the
  exact body bytes). The same key with another fingerprint is refused with 422
  `idempotency_key_reused`, and changes nothing.
- The record is inserted *in the same transaction as the action*, before the handler
  runs, so the action and "this key was used" commit or roll back together: a request
  that failed (4xx, a lost race) leaves no record and its retry simply runs again, and
  nothing is stored for an action that did not happen.
- Two requests with one key at the same moment execute once. On PostgreSQL the second
  INSERT waits on the unique index until the first transaction ends; if that committed,
  the second gets a unique violation inside a savepoint, reads the now committed record
  and replays it: the loser waits and gets the winner's answer, never a second
  execution. On SQLite every write transaction is `BEGIN IMMEDIATE`, so the second
  request starts only after the first committed and finds the record at once.
- Answers are stored byte for byte with their status. A case action's answer is
  rendered after its commit (and after any money moved), so its record first holds the
  status and case id and gets the bytes just after; a replay in between renders the
  case as it stands, with the same status.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Optional

from flask import Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from data.models import IdempotencyRecord, User
from dashboard.context import Ctx
from dashboard.errors import DomainError, Invalid

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = dt.timedelta(hours=24)
MAX_KEY_CHARS = 255


class KeyRace(Exception):
    """The key was taken by a request whose record cannot be read yet (answered 409)."""


@dataclass(frozen=True)
class Stored:
    """A recorded answer to replay (`body` None: render case `case_id` as it is now)."""

    status: int
    body: Optional[str]
    content_type: Optional[str]
    case_id: Optional[str]


def key_of(request: Request) -> Optional[str]:
    """The request's key if it is a POST that sent one; 400 if the key is unusable."""
    if request.method != "POST" or HEADER not in request.headers:
        return None
    key = request.headers.get(HEADER, "")
    if not key or len(key) > MAX_KEY_CHARS or any(not (0x21 <= ord(c) <= 0x7E) for c in key):
        raise DomainError("invalid_idempotency_key",
                          f"The {HEADER} header must be 1 to {MAX_KEY_CHARS} visible ASCII characters.")
    return key


def fingerprint(request: Request, user: User) -> str:
    h = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode("utf-8", "surrogateescape"), request.query_string,
                 user.id.encode(), request.get_data(cache=True)):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _stored(record: IdempotencyRecord, digest: str) -> Stored:
    if record.request_hash != digest:
        raise Invalid("idempotency_key_reused",
                      f"This {HEADER} was already used for a different request in the last 24 hours; "
                      f"send a new key for a new request.")
    return Stored(record.status_code, record.response_body, record.content_type, record.case_id)


def _find(ctx: Ctx, user: User, key: str) -> Optional[IdempotencyRecord]:
    return ctx.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id,
                                                              IdempotencyRecord.key == key)
                              .execution_options(populate_existing=True))


def claim(ctx: Ctx, user: User, key: str, request: Request) -> Stored | IdempotencyRecord:
    """The stored answer for this key (replay it), or a new record claiming the key in
    this transaction. 422 if the key was used for another request."""
    digest = fingerprint(request, user)
    record = _find(ctx, user, key)
    if record is not None and record.expires_at <= ctx.now:
        ctx.session.delete(record)
        ctx.session.flush()
        record = None
    if record is not None:
        return _stored(record, digest)
    record = IdempotencyRecord(user_id=user.id, key=key, request_hash=digest, method=request.method,
                               path=request.path[:500], status_code=0, created_at=ctx.now,
                               expires_at=ctx.now + KEEP_FOR)
    try:
        with ctx.session.begin_nested():  # PostgreSQL: waits here while another request holds the key
            ctx.session.add(record)
    except IntegrityError:
        # That request committed first. Read committed: this statement sees its record.
        winner = _find(ctx, user, key)
        if winner is None:
            raise KeyRace()
        return _stored(winner, digest)
    return record


def keep(ctx: Ctx, record: IdempotencyRecord, response: Optional[Response], *, status: int,
         case_id: Optional[str] = None) -> bool:
    """Record the answer in the action's transaction (True), or drop the claim (False).
    Only successes are kept: a refusal changed nothing, so a retry runs again."""
    storable = 200 <= status < 300 and (response is None or not response.is_streamed)
    if not storable:
        ctx.session.delete(record)
        ctx.session.flush()
        return False
    record.status_code = status
    record.case_id = case_id
    if response is not None:
        record.response_body = response.get_data(as_text=True)
        record.content_type = response.content_type
    ctx.session.flush()
    return True


def complete(session_factory, record_id: int, response: Response) -> None:
    """Fill in a case answer's bytes once it has been rendered after the commit."""
    with session_factory.begin() as session:
        session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == record_id)
                        .values(response_body=response.get_data(as_text=True), content_type=response.content_type))


def replay_response(stored: Stored, body: Optional[str] = None) -> Response:
    response = Response(body if body is not None else stored.body, status=stored.status,
                        content_type=stored.content_type or "application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response


def delete_expired(ctx: Ctx) -> int:
    """Drop records past their 24 hours: for a periodic cleanup job. Returns how many."""
    result = ctx.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= ctx.now))
    return result.rowcount or 0
