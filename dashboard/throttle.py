"""Sign-in throttling per account and per address, counted in the database.

The counters are rows of `login_throttles`, read under a row lock, so they hold across
gunicorn workers and hosts sharing one database. Two scopes are checked on every
attempt: the typed email (known or not: a lockout must not tell which accounts exist)
and the client address.

An attempt is counted *before* its password is checked (`reserve`) and forgiven if it
succeeds (`forgive`), so a burst of parallel guesses cannot slip past the limit while
the slow hash runs, and no lock is held during the hash. When a scope reaches its
limit of failures within the window it is locked for `lockout`; the lockout ends by
itself and starts a fresh window. While locked, no password is checked at all — the
right one is refused too — and the caller answers 429 with `Retry-After`.

A success clears the account's counter but only takes its own attempt back off the
address's, so one good account cannot be used to reset an address guessing others.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from data.models import LoginThrottle
from dashboard.context import Ctx


@dataclass(frozen=True)
class Limit:
    failures: int
    window: dt.timedelta
    lockout: dt.timedelta


@dataclass(frozen=True)
class Policy:
    # 10 wrong passwords on one account in 15 minutes lock it for 15 minutes: slow enough
    # for guessing to be hopeless, short enough that locking a victim out is a nuisance only.
    account: Limit = Limit(10, dt.timedelta(minutes=15), dt.timedelta(minutes=15))
    # One address may mistype across many accounts (a shared office NAT) but not spray them.
    address: Limit = Limit(50, dt.timedelta(minutes=15), dt.timedelta(minutes=15))


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Reservation:
    """The scopes an attempt was counted against; `retry_after` (seconds) if refused."""

    scopes: tuple[str, ...]
    retry_after: Optional[int] = None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


def account_scope(email: Optional[str]) -> str:
    normalised = (email or "").strip().lower()
    return "account:" + hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def address_scope(address: Optional[str]) -> str:
    return "address:" + (address or "unknown")[:100]


def _insert(ctx: Ctx):
    return (postgresql if ctx.session.get_bind().dialect.name == "postgresql" else sqlite).insert


def _locked_row(ctx: Ctx, scope: str) -> LoginThrottle:
    """The scope's counter, created if new, under a row lock until the transaction ends."""
    ctx.session.execute(_insert(ctx)(LoginThrottle).values(scope=scope, failures=0, updated_at=ctx.now)
                        .on_conflict_do_nothing(index_elements=["scope"]))
    return ctx.session.scalars(select(LoginThrottle).where(LoginThrottle.scope == scope)
                               .with_for_update().execution_options(populate_existing=True)).one()


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def reserve(ctx: Ctx, *, email: Optional[str], address: Optional[str],
            policy: Policy = DEFAULT_POLICY) -> Reservation:
    """Count this attempt as a failure in advance, or refuse it if a scope is locked
    (or reaches its limit now). Flushes; the caller commits before checking the password."""
    limits = {account_scope(email): policy.account, address_scope(address): policy.address}
    waits: list[int] = []
    rows = []
    for scope in sorted(limits):  # one lock order everywhere: no deadlock between two attempts
        row, limit = _locked_row(ctx, scope), limits[scope]
        rows.append((row, limit))
        if row.locked_until is not None and row.locked_until > ctx.now:
            waits.append(_seconds(row.locked_until - ctx.now))
        elif row.failures >= limit.failures and row.window_started_at is not None \
                and ctx.now - row.window_started_at < limit.window:
            row.locked_until, row.failures, row.window_started_at = ctx.now + limit.lockout, 0, None
            waits.append(_seconds(limit.lockout))
    if not waits:
        for row, limit in rows:
            if row.window_started_at is None or ctx.now - row.window_started_at >= limit.window:
                row.failures, row.window_started_at = 0, ctx.now
            row.failures += 1
            row.locked_until = None
    for row, _ in rows:
        row.updated_at = ctx.now
    ctx.session.flush()
    return Reservation(scopes=tuple(limits), retry_after=max(waits) if waits else None)


def forgive(ctx: Ctx, reservation: Reservation) -> None:
    """The attempt succeeded: the account starts afresh; the address gets this one back."""
    account, address = reservation.scopes
    for scope in sorted(reservation.scopes):
        row = _locked_row(ctx, scope)
        if scope == account:
            row.failures, row.window_started_at, row.locked_until = 0, None, None
        elif scope == address:
            row.failures = max(0, row.failures - 1)
        row.updated_at = ctx.now
    ctx.session.flush()


def idle_clause(now: dt.datetime, *, policy: Policy = DEFAULT_POLICY):
    """The counters nothing depends on any more as of `now` (no lockout running, window over)."""
    longest = max(policy.account.window, policy.address.window, policy.account.lockout, policy.address.lockout)
    return LoginThrottle.updated_at < now - longest


def delete_idle(ctx: Ctx, *, policy: Policy = DEFAULT_POLICY) -> int:
    """Drop counters nothing depends on any more: for a periodic cleanup job. Returns how
    many rows went."""
    result = ctx.session.execute(delete(LoginThrottle).where(idle_clause(ctx.now, policy=policy)))
    return result.rowcount or 0
