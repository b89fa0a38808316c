"""Checking a screen sign-in's email and password with the same work whoever it names.

A known email costs one password-hash check; so does an unknown one (or a deactivated
user, an integration user, a user without a password): it is checked against a dummy
hash made once per process with the same method and cost as stored hashes. Hashing
a fresh dummy per request, as a naive fallback does, costs an unknown email two hash
operations, and the answer time tells which accounts exist.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from werkzeug import security

from data.models import User
from dashboard.context import Ctx
from dashboard.enums import Role

_dummy_hash: Optional[str] = None


def dummy_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = security.generate_password_hash("not-anybody's-password")
    return _dummy_hash


def screen_user(ctx: Ctx, email: Optional[str]) -> Optional[User]:
    """The active screen user (not an integration) with a password whom `email` names."""
    user = ctx.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.is_active or not user.password_hash or user.role == Role.INTEGRATION:
        return None
    return user


def password_matches(stored_hash: Optional[str], password: Optional[str]) -> bool:
    """Exactly one hash check whether or not there is a hash to check against. Call it
    outside any transaction: it is the slow part of a sign-in."""
    ok = security.check_password_hash(stored_hash or dummy_hash(), password or "")
    return bool(ok and stored_hash and password)
