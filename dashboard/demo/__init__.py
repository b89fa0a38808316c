"""The demo data set for the embedded default (SPEC §10): `seed_demo(runtime, now)`.

Every case is played through the real domain functions with back-dated `now`
values, the way it would have happened: opened, answered, escalated by the same
deadline functions the scheduler calls, decided, appealed; money settled through the
sandbox gateway and emails delivered (as `.eml` files in MAIL_DIR) at the moment of
each step. So each timeline, email and money movement is a true one.

It drives the domain (cases, money, the email outbox), so it lives beside it in
`dashboard/`, not in `data/`, which imports nothing of ours.
Deterministic for a given `seed` and `now`. Runs once: `manager@demo.test` marks it.

    content    people, products, messages, evidence bytes
    world      the session, people and payments; money and emails at each step
    story      one case played step by step
    scenarios  the library of situations and how many of each
"""
from __future__ import annotations

import datetime as dt
import random
import time

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from data.db import make_engine, make_session_factory
from dashboard.demo.content import DEMO_LOGINS, DEMO_PASSWORD, MARKER_EMAIL, SECOND_REVIEWER
from data.models import Case, CaseEvent, Company, EvidenceFile, MoneyMovement, OutboxEmail, Payment, User

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD", "MARKER_EMAIL", "SECOND_REVIEWER", "demo_logins_text", "is_seeded",
           "seed_demo", "summary"]


def demo_logins_text() -> str:
    lines = [f"Demo logins (password '{DEMO_PASSWORD}'):"]
    lines += [f"  {role:<9} {email}" for role, email in DEMO_LOGINS]
    lines[3] += f"   (second reviewer, for final reviews: {SECOND_REVIEWER})"
    return "\n".join(lines)


def is_seeded(session) -> bool:
    return session.scalar(select(User.id).where(User.email == MARKER_EMAIL)) is not None


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def summary(session) -> dict:
    by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    by_outcome = dict(session.execute(select(Case.outcome, func.count()).where(Case.outcome.is_not(None))
                                      .group_by(Case.outcome)).all())
    return {
        "companies": _count(session, Company), "users": _count(session, User),
        "payments": _count(session, Payment), "cases": _count(session, Case),
        "by_status": by_status, "by_outcome": by_outcome,
        "events": _count(session, CaseEvent), "files": _count(session, EvidenceFile),
        "emails_sent": _count(session, OutboxEmail, OutboxEmail.status == "sent"),
        "money_movements": _count(session, MoneyMovement),
    }


def _session_factory(runtime):
    """The runtime's sessions, except on a SQLite file: there the demo's ~2,000 small
    transactions get their own connection with `synchronous=NORMAL`, which in WAL mode
    cannot corrupt the file and skips an fsync per commit (10x faster commits)."""
    engine = runtime.engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return runtime.Session, None
    fast = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(fast, "connect")
    def _relaxed(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return make_session_factory(fast), fast


def seed_demo(runtime, now: dt.datetime, *, seed: int = 20260301) -> dict:
    """Build the demo data set as of `now` unless it exists. Returns what it holds,
    with "created" telling whether this call made it."""
    started = time.perf_counter()
    factory, own_engine = _session_factory(runtime)
    try:
        return _seed(runtime, factory, now, seed, started)
    finally:
        if own_engine is not None:
            own_engine.dispose()


def _seed(runtime, factory, now: dt.datetime, seed: int, started: float) -> dict:
    with factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Thousands of tiny transactions: do not wait for the WAL flush of each. A crash
            # can lose the last ones but never corrupts anything.
            event.listen(session, "after_begin",
                         lambda _s, _tx, conn: conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF"))
        if is_seeded(session):
            return {"created": False, **summary(session)}
        from dashboard.demo.scenarios import Scenarios  # the domain is imported only when seeding
        from dashboard.demo.replies import seed_replies
        from dashboard.demo.world import World

        world = World(runtime, session, now.astimezone(dt.timezone.utc), random.Random(seed))
        try:
            world.people()
        except IntegrityError:  # another process is seeding right now
            session.rollback()
            return {"created": False, **summary(session)}
        world.payments_without_cases()
        seed_replies(world)  # the saved replies managers and a creator keep
        Scenarios(world).play_all()
        world.settle_history()
        return {"created": True, "seconds": round(time.perf_counter() - started, 2), **summary(session)}
