"""The one way a callback gets at the database and the acting user.

The user comes from the server-side session (flask-login), never from anything the
browser sends, and is re-read from the database on every call, so a deactivated user
or a changed role takes effect at once. Each call is one transaction.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import flask
from flask_login import current_user

from data.models import User
from dashboard.context import Ctx
from dashboard.errors import DomainError, Unauthorized
from dashboard.money.settle import settle_case


def runtime():
    return flask.current_app.extensions["rc"]


@contextmanager
def acting_user(*, now=None) -> Iterator[tuple[Ctx, User]]:
    """`with acting_user() as (ctx, user): ...` — commits on success, rolls back on error."""
    if not current_user or not current_user.is_authenticated:
        raise Unauthorized("unauthenticated", "Your session has ended. Sign in again.")
    rt = runtime()
    with rt.Session.begin() as session:
        user = session.get(User, current_user.get_id())
        if user is None or not user.is_active:
            raise Unauthorized("unauthenticated", "Your session has ended. Sign in again.")
        yield Ctx(session, now or rt.now(), rt.settings), user


def settle_money(case_id: str) -> None:
    """Move money recorded by the action that just committed (the scheduler retries failures)."""
    rt = runtime()
    settle_case(rt.Session, rt.gateways, rt.now(), settings=rt.settings, case_id=case_id,
                logger=flask.current_app.logger)


def error_text(exc: DomainError) -> str:
    return exc.message
