"""Is there anything to do? One statement for every job at once.

Each job's probe is an EXISTS over the same condition its claim uses (same columns, same
index), so `run_all_once` — `jobs --once` and a tick that runs everything — can ask all
of them in one round trip and run only the jobs that have work: an idle pass costs one
indexed statement instead of a session, a statement and a commit per job. A probe that
missed something would only delay it to the job's next run on its timetable.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, or_, select

from dashboard import duty, leases, throttle
from dashboard.cases import system
from dashboard.webhooks import console, delivery
from dashboard.notifications import digest as staff_digest
from dashboard.enums import Action
from data.models import IdempotencyRecord, LoginThrottle, MoneyMovement, OutboxEmail, User, WebhookEvent
from jobs.deadlines import ACTIONS as DEADLINE_ACTIONS


def escalation(now: dt.datetime):
    return system.due_exists(now, Action.ESCALATE_OVERDUE)


def deadlines(now: dt.datetime):
    return or_(*(system.due_exists(now, a) for a in DEADLINE_ACTIONS))


def assignment(now: dt.datetime):
    return duty.due_exists()  # unassigned review cases, and someone on duty


def money(now: dt.datetime):
    return leases.due_exists(MoneyMovement, now)


def digest(now: dt.datetime):
    return exists(select(User.id).where(staff_digest.maybe_due(now)))


def outbox(now: dt.datetime):
    return leases.due_exists(OutboxEmail, now)


def webhooks(now: dt.datetime):
    return delivery.claimable_exists(now)


def housekeeping(now: dt.datetime):
    return or_(exists(select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= now)),
               exists(select(LoginThrottle.scope).where(throttle.idle_clause(now))),
               exists(select(WebhookEvent.id).where(*console.finished_before(now))))
