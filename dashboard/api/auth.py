"""Bearer-token authentication and the role groups each route admits (SPEC §1, §11).

A token is per user, stored hashed (`dashboard.accounts`). A missing, unknown or
revoked token, or a deactivated user, is 401. A role a route does not serve at all is
403; whether a *particular* case, payment or file may be seen is decided by the
domain, which answers 404 for what the caller may not see.
"""
from __future__ import annotations

from typing import Optional

from flask import request

from data.models import User
from dashboard.accounts import user_for_token
from dashboard.context import Ctx
from dashboard.enums import Role
from dashboard.errors import Forbidden, Unauthorized

PARTIES_AND_STAFF = frozenset({Role.CUSTOMER, Role.CREATOR, Role.REVIEWER, Role.MANAGER})
CUSTOMERS = frozenset({Role.CUSTOMER})
MANAGERS = frozenset({Role.MANAGER})
INTEGRATION = frozenset({Role.INTEGRATION})
# A company's settings (dashboard.api.companies): its creators and staff change them; the
# integration (the payment system that created the company) may read them too.
COMPANY_EDITORS = frozenset({Role.CREATOR, Role.REVIEWER, Role.MANAGER})
COMPANY_READERS = COMPANY_EDITORS | INTEGRATION

ROLE_WORDS = {
    PARTIES_AND_STAFF: "customers, creators and platform staff",
    CUSTOMERS: "customers",
    MANAGERS: "managers",
    INTEGRATION: "integration users",
    COMPANY_EDITORS: "the company's creators and platform staff",
    COMPANY_READERS: "the company's creators, platform staff and integration users",
}


def bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(ctx: Ctx) -> User:
    if not request.headers.get("Authorization"):
        raise Unauthorized("unauthenticated", "Send an API token: 'Authorization: Bearer <token>'.")
    user = user_for_token(ctx, bearer_token())
    if user is None:
        raise Unauthorized("invalid_token", "The API token is invalid or has been revoked.")
    return user


def require_role(user: User, roles: frozenset[Role]) -> None:
    if user.role not in roles:
        who = ROLE_WORDS.get(roles, ", ".join(sorted(r.value for r in roles)))
        raise Forbidden("role_not_allowed", f"This endpoint is for {who} only; you are signed in as "
                                            f"a {user.role} user.")
