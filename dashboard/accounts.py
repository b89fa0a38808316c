"""Companies, users, passwords and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from typing import Optional

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from data.models import ApiToken, Company, User
from dashboard.context import Ctx
from dashboard.enums import Role
from dashboard.errors import Conflict, Invalid, NotFound
from dashboard import timezones

TOKEN_PREFIX = "rc_"


def _email(value: Optional[str]) -> str:
    email = (value or "").strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise Invalid("invalid_email", "A valid email address is required.")
    return email


def create_company(ctx: Ctx, *, name: Optional[str], support_email: Optional[str] = None) -> Company:
    title = (name or "").strip()
    if not title:
        raise Invalid("name_required", "A company name is required.")
    company = Company(name=title[:200], support_email=_email(support_email) if support_email else None,
                      created_at=ctx.now)
    ctx.session.add(company)
    ctx.session.flush()
    return company


def create_user(ctx: Ctx, *, email: Optional[str], name: Optional[str], role: Optional[str],
                company_id: Optional[str] = None, password: Optional[str] = None,
                time_zone: Optional[str] = None) -> User:
    """`time_zone`: the person's IANA zone when it is known already (the demo, an import);
    otherwise their first sign-in sets it from the browser. A name that is no zone is
    refused rather than stored."""
    address = _email(email)
    try:
        parsed_role = Role(role)
    except ValueError:
        raise Invalid("invalid_role", "Role must be one of: " + ", ".join(r.value for r in Role) + ".")
    if parsed_role == Role.CREATOR:
        if not company_id or ctx.session.get(Company, company_id) is None:
            raise Invalid("company_required", "A creator belongs to one company: give an existing company_id.")
    elif company_id:
        raise Invalid("company_not_allowed", "Only creators belong to a company.")
    if ctx.session.scalar(select(User.id).where(User.email == address)):
        raise Conflict("email_taken", f"A user with email {address} already exists.")
    zone = timezones.valid_zone(time_zone) if time_zone is not None else None
    if time_zone is not None and zone is None:
        raise Invalid("invalid_time_zone", "Give the time zone as an IANA name, such as Europe/Paris.")
    display = (name or "").strip() or address.split("@")[0]
    user = User(email=address, name=display[:200], role=parsed_role.value, company_id=company_id,
                password_hash=generate_password_hash(password) if password else None, time_zone=zone,
                created_at=ctx.now)
    ctx.session.add(user)
    ctx.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)


def authenticate(ctx: Ctx, email: Optional[str], password: Optional[str]) -> Optional[User]:
    user = ctx.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.is_active or not user.password_hash or not password:
        # Same work either way, so response time does not reveal which emails exist.
        check_password_hash(generate_password_hash("x"), password or "")
        return None
    return user if check_password_hash(user.password_hash, password) else None


def user_by_email(ctx: Ctx, email: str) -> User:
    user = ctx.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("user")
    return user


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(ctx: Ctx, user: User) -> str:
    """A new API token for `user`; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ctx.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(secret), created_at=ctx.now))
    ctx.session.flush()
    return secret


def revoke_tokens(ctx: Ctx, user: User) -> int:
    tokens = ctx.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    count = 0
    for token in tokens:
        token.revoked_at = ctx.now
        count += 1
    ctx.session.flush()
    return count


def user_for_token(ctx: Ctx, secret: Optional[str]) -> Optional[User]:
    if not secret:
        return None
    token = ctx.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(secret),
                                                      ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.is_active:
        return None
    return token.user
