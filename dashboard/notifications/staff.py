"""Staff notifications: who among the reviewers and managers is told what, written in the
same transaction as the change (`notify`, called once from `lifecycle.apply`).

    escalated     a case reached the platform (the merchant or customer did not answer in
                  time, or the customer appealed a merchant's denial): its assignee, else
                  everyone on duty
    appealed      an appeal of a platform decision arrived for its final review: the
                  assignee, else everyone on duty except the reviewer who decided the case
                  (they may not do its final review)
    answered      a party answered a reviewer's request for information: that reviewer
    case_changed  anything else a party or the system did on a case assigned to you
    assigned      a manager (or the auto-assignment) gave you a case

Nobody is told of their own act, and staff-only events (notes, claims) tell nobody; the one
staff-only event that does is an assignment, to the person it names. Each person gets at
most one notification per event; `dedupe_key` ("<kind>:<event id>:<user id>") makes a
repeated call a no-op (INSERT … ON CONFLICT DO NOTHING).

Email, per person (`users.notify_mode`): `immediate` writes one outbox email per
notification now (same transaction, same outbox as the parties' letters); `digest` leaves
`emailed_at` empty for the daily digest (`notifications.digest`); `off` is in-app only.

The hook must stay cheap: the escalation sweep applies ~1000 cases a second. The on-duty
list is read once per transaction (kept in `session.info` with the transaction it came
from), and a transaction's rows are written just before it commits, in one multi-row
INSERT per table (`_write_with_the_transaction`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import event as sa_event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.models import Case, CaseEvent, OutboxEmail, StaffNotification, User
from dashboard.context import Ctx
from dashboard.enums import STAFF_ROLES, Action, Party, Role, Stage
from dashboard.errors import Forbidden, Invalid, NotFound
from dashboard.money.amounts import format_minor
from dashboard.notifications.letter import Letter, as_html, as_text
from dashboard.timezones import local_text, zone_named

KINDS = ("escalated", "appealed", "answered", "case_changed", "assigned")
MODES = {"immediate": "Email me at once", "digest": "One email a day (about 08:00 in my time zone)",
         "off": "No email: only here in the app"}
_CACHE_KEY = "staff_notifications.on_duty"
_REVIEW_STAGES = {Stage.UNDER_REVIEW, Stage.FINAL_REVIEW}
_WAITING_ON_PARTY_STAGES = {Stage.REVIEW_AWAITING_CUSTOMER, Stage.REVIEW_AWAITING_MERCHANT,
                            Stage.FINAL_AWAITING_CUSTOMER, Stage.FINAL_AWAITING_MERCHANT}


@dataclass(frozen=True)
class Person:
    """What writing a notification and its email needs of a staff member (plain values,
    so a cached list outlives the ORM objects' expiry at commit)."""

    id: str
    email: str
    name: str
    time_zone: Optional[str]
    notify_mode: str

    @classmethod
    def of(cls, user: User) -> "Person":
        return cls(user.id, user.email, user.name, user.time_zone, user.notify_mode or "immediate")


# ---------------------------------------------------------------- who is told
def on_duty(ctx: Ctx) -> tuple[Person, ...]:
    """The active reviewers and managers on duty; when nobody is on duty, every active
    reviewer — new work must never arrive unseen just because no manager has set up duty
    yet (managers are left out then: the queue's work is the reviewers'). Read once per
    transaction."""
    session = ctx.session
    tx = session.get_transaction()
    cached = session.info.get(_CACHE_KEY)
    if cached is not None and cached[0] is tx:
        return cached[1]
    cols = (User.id, User.email, User.name, User.time_zone, User.notify_mode)
    active_staff = (User.is_active.is_(True), User.role.in_([r.value for r in STAFF_ROLES]))
    rows = session.execute(select(*cols).where(*active_staff, User.on_duty.is_(True)).order_by(User.id)).all()
    if not rows:
        rows = session.execute(select(*cols).where(User.is_active.is_(True), User.role == Role.REVIEWER.value)
                               .order_by(User.id)).all()
    people = tuple(Person(r.id, r.email, r.name, r.time_zone, r.notify_mode or "immediate") for r in rows)
    session.info[_CACHE_KEY] = (tx, people)
    return people


def _staff(ctx: Ctx, user_id: Optional[str]) -> Optional[Person]:
    if not user_id:
        return None
    user = ctx.session.get(User, user_id)
    if user is None or not user.is_active or user.role not in STAFF_ROLES:
        return None
    return Person.of(user)


def _final_reviewers(ctx: Ctx, case: Case) -> list[Person]:
    """Who may take an appeal's final review: those on duty but its first decider; when that
    leaves nobody (the only one on duty decided it), every other active reviewer — an appeal
    must not arrive unseen."""
    people = [p for p in on_duty(ctx) if p.id != case.decided_by_id]
    if people:
        return people
    rows = ctx.session.execute(select(User.id, User.email, User.name, User.time_zone, User.notify_mode).where(
        User.is_active.is_(True), User.role == Role.REVIEWER.value, User.id != case.decided_by_id)
        .order_by(User.id)).all()
    return [Person(r.id, r.email, r.name, r.time_zone, r.notify_mode or "immediate") for r in rows]


def recipients(ctx: Ctx, case: Case, event: CaseEvent, transition: Any) -> list[tuple[str, Person]]:
    """(kind, person) for one applied transition: at most one kind per person, the actor
    left out. `transition` is the lifecycle row just applied (source and target stage,
    action, party)."""
    action, party = Action(transition.action), Party(transition.party)
    source, target = Stage(transition.source), Stage(transition.target)
    staff_only = not (event.viewable_by_customer or event.viewable_by_merchant)
    out: dict[str, tuple[str, Person]] = {}

    def tell(kind: str, people: Iterable[Optional[Person]]) -> None:
        for p in people:
            if p is not None and p.id != event.actor_id and p.id not in out:
                out[p.id] = (kind, p)

    if action == Action.ASSIGN:
        tell("assigned", [_staff(ctx, case.assignee_id)])
        return list(out.values())
    if staff_only or party == Party.PLATFORM:
        return []  # notes and claims tell nobody; staff see their own and each other's work on the queue
    assignee = _staff(ctx, case.assignee_id)
    if target == Stage.FINAL_REVIEW and source == Stage.CLOSED:
        tell("appealed", [assignee] if assignee else _final_reviewers(ctx, case))
    elif target == Stage.UNDER_REVIEW and source not in _REVIEW_STAGES | _WAITING_ON_PARTY_STAGES:
        tell("escalated", [assignee] if assignee else on_duty(ctx))
    if action == Action.REPLY and source in _WAITING_ON_PARTY_STAGES:
        # The reply clears info_requested_by_id only after apply (cases.party.reply).
        tell("answered", [_staff(ctx, case.info_requested_by_id)])
    tell("case_changed", [assignee])
    return list(out.values())


# ---------------------------------------------------------------- what they read
def decide_by(ctx: Ctx, case: Case) -> Optional[dt.datetime]:
    """The platform's target for this case: escalation + REVIEW_SLA_HOURS, or, on an
    appeal of a platform decision, the appeal + FINAL_REVIEW_SLA_HOURS. None once closed
    or before the platform has it."""
    if case.stage == Stage.CLOSED:
        return None
    if case.final_review and case.appealed_at is not None:
        return case.appealed_at + dt.timedelta(hours=ctx.settings.final_review_sla_hours)
    if case.escalated_at is not None:
        return case.escalated_at + dt.timedelta(hours=ctx.settings.review_sla_hours)
    return None


_DID = {
    "evidence_added": "added evidence", "withdrew": "withdrew the case", "accepted": "accepted and refunded in full",
    "denied": "denied the request", "responded": "answered", "appealed": "appealed",
    "requested_more_info": "asked the other side for more information",
    "no_response": "a deadline passed without an answer", "appeal_window_closed": "the appeal window closed",
    "refunded_elsewhere": "the payment was reported refunded outside the Resolution Center",
}
_SIDE = {Party.CUSTOMER: "The customer", Party.MERCHANT: "The merchant"}


def _who(case: Case, party: Party) -> str:
    if party == Party.MERCHANT:
        return case.company.name if case.company is not None else "The merchant"
    return _SIDE.get(party, "The system")


def wording(ctx: Ctx, case: Case, event: CaseEvent, transition: Any, kind: str, person: Person,
            actor: Optional[User]) -> tuple[str, str, str]:
    """(title, what happened, what to do next and by when) for `person`, in their zone."""
    party = Party(transition.party)
    amount = format_minor(case.amount_minor, case.currency)
    company = case.company.name if case.company is not None else "the merchant"
    about = f"case {case.id} ({company}, {amount})"
    due = decide_by(ctx, case)
    zone = zone_named(person.time_zone)
    by = f" by {local_text(due, zone)}" if due else ""
    look = f"Open the case and decide{by}." if due else "Open the case to see what changed."
    if kind == "escalated":
        data = event.data or {}
        silent = data.get("did_not_respond")
        why = (f"the {silent} did not answer in time" if silent else
               "the customer appealed the merchant's denial" if event.action == "appealed" else "it needs a decision")
        return (f"Case {case.id} reached the platform",
                f"{about[0].upper()}{about[1:]} came to the platform: {why}.",
                f"Claim it and decide{by}." if case.assignee_id is None else look)
    if kind == "appealed":
        side = "customer" if (event.data or {}).get("by") == "customer" else "merchant"
        decider = ctx.session.get(User, case.decided_by_id) if case.decided_by_id else None
        other = f" by a reviewer other than {decider.name}" if decider is not None else ""
        return (f"Appeal on case {case.id} needs a final review",
                f"The {side} appealed the platform's decision on {about}; it needs a final review{other}.",
                f"Claim it and make the final decision{by}." if case.assignee_id is None else
                f"Make the final decision{by}.")
    if kind == "answered":
        return (f"{_who(case, party)} answered on case {case.id}",
                f"{_who(case, party)} answered your request for information on {about}.",
                f"Read the answer and decide{by}." if due else "Read the answer on the case.")
    if kind == "assigned":
        giver = actor.name if actor is not None else "The auto-assignment"
        return (f"Case {case.id} was assigned to you",
                f"{giver} assigned {about} to you.", look)
    did = _DID.get(event.action, "changed the case")
    subject = _who(case, party)
    sentence = (f"On {about}, {did}." if party == Party.SYSTEM else f"{subject} {did} on {about}.")
    return (f"Case {case.id}: {did}", sentence[0].upper() + sentence[1:],
            look if case.stage != Stage.CLOSED else "The case is closed: nothing is needed from you.")


def case_link(ctx: Ctx, case_id: Optional[str]) -> str:
    base = ctx.settings.base_url.rstrip("/")
    return f"{base}/cases/{case_id}" if case_id else f"{base}/notifications"


# ---------------------------------------------------------------- writing them
def insert_new(ctx: Ctx, table, rows: list[dict]) -> None:
    """One multi-row INSERT; a row whose dedupe_key exists already is skipped (a retried
    happening is one notification, one email)."""
    if not rows:
        return
    dialect = postgresql if ctx.session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING makes SQLAlchemy batch the executemany into multi-row INSERTs ("insertmanyvalues",
    # one compiled statement, cached); without it psycopg2 sends the rows one by one.
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    ctx.session.execute(stmt, rows).all()


def notify(ctx: Ctx, case: Case, event: CaseEvent, transition: Any, *, actor: Optional[User]) -> int:
    """Write the staff notifications (and the immediate emails) for one applied
    transition, in the caller's transaction. Returns how many people were told."""
    settle_asks(ctx, case, transition)
    told = recipients(ctx, case, event, transition)
    if not told:
        return 0
    notes, emails = [], []
    for kind, person in told:
        title, happened, next_step = wording(ctx, case, event, transition, kind, person, actor)
        key = f"{kind}:{event.id}:{person.id}"
        # The reviewer who asked already gets the party's answer as a letter (notifications.emails
        # sends it to cases.info_requested_by_id): in-app only here, or they would get two emails.
        immediate = person.notify_mode == "immediate" and kind != "answered"
        notes.append({"user_id": person.id, "case_id": case.id, "kind": kind, "title": title,
                      "body": f"{happened} {next_step}", "dedupe_key": key, "created_at": ctx.now,
                      "read_at": None, "emailed_at": ctx.now if immediate else None})
        if immediate:
            letter = Letter(subject=f"Resolution Center · {title}", greeting_name=person.name, happened=happened,
                            next_step=(next_step,), link=case_link(ctx, case.id))
            emails.append({"case_id": case.id, "dedupe_key": f"staff:{key}", "template": f"staff_{kind}",
                           "recipient": person.email, "subject": letter.subject, "body_text": as_text(letter),
                           "body_html": as_html(letter), "status": "pending", "attempts": 0,
                           "next_attempt_at": ctx.now, "created_at": ctx.now})
    _write_with_the_transaction(ctx, notes, emails)
    return len(told)


# What a decision settles: notifications that asked for one (see data.read.staff_notifications).
SETTLED_BY_A_DECISION = ("escalated", "appealed", "answered")


def settle_asks(ctx: Ctx, case: Case, transition: Any) -> None:
    """Once a case is decided (or closes), every unread notification that asked someone to
    decide it is done: marked read in the same transaction, so the bell's unread count
    stays an exact index read. (Scans the unread rows; an index on (case_id) WHERE read_at
    IS NULL would make it a lookup — needs a migration.)"""
    closes = Stage(transition.target) == Stage.CLOSED and Stage(transition.source) != Stage.CLOSED
    if Action(transition.action) not in (Action.DECIDE, Action.FINAL_DECIDE) and not closes:
        return  # (closed → closed, e.g. the appeal window's sweep, settles nothing new)
    n = StaffNotification
    ctx.session.execute(
        update(n).where(n.case_id == case.id, n.read_at.is_(None), n.kind.in_(SETTLED_BY_A_DECISION))
        .values(read_at=ctx.now).execution_options(synchronize_session=False))


_PENDING = "staff_notifications.pending"


def _write_with_the_transaction(ctx: Ctx, notes: list[dict], emails: list[dict]) -> None:
    """Queue the rows to be written just before this transaction commits, all of them in one
    multi-row INSERT per table: a sweep escalating 200 cases in one transaction then costs a
    few statements, not two per case. Inside a savepoint (a job's careful retry of one case)
    they are written at once instead, so rolling the savepoint back takes them with it. A
    queue left by a transaction that rolled back is never written (it names that transaction)."""
    session = ctx.session
    if session.get_nested_transaction() is not None:
        insert_new(ctx, StaffNotification.__table__, notes)
        insert_new(ctx, OutboxEmail.__table__, emails)
        return
    tx = session.get_transaction()
    pending = session.info.get(_PENDING)
    if pending is None or pending[0] is not tx:
        pending = session.info[_PENDING] = (tx, ctx, {}, {})
    pending[2].update((row["dedupe_key"], row) for row in notes)
    pending[3].update((row["dedupe_key"], row) for row in emails)


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    tx, ctx, notes, emails = pending
    if tx is not session.get_transaction():
        return  # queued in a transaction that rolled back
    insert_new(ctx, StaffNotification.__table__, list(notes.values()))
    insert_new(ctx, OutboxEmail.__table__, list(emails.values()))


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


# ---------------------------------------------------------------- reading and marking (per person)
def require_staff(user: User) -> None:
    if user.role not in STAFF_ROLES:
        raise Forbidden("staff_only", "Notifications are for the platform's reviewers and managers.")


def mark_read(ctx: Ctx, user: User, notification_id: Any) -> StaffNotification:
    """Mark one of `user`'s notifications read (again: no change). Someone else's id, or
    one that does not exist, is the same 404: ids are not a way to learn about others."""
    require_staff(user)
    if isinstance(notification_id, bool) or not isinstance(notification_id, int):
        raise Invalid("invalid_notification", "That is not a notification.")
    note = ctx.session.get(StaffNotification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound("notification", code="notification_not_found")
    if note.read_at is None:
        note.read_at = ctx.now
        ctx.session.flush()
    return note


def mark_all_read(ctx: Ctx, user: User) -> int:
    """Every unread notification of `user`, read now (through the unread index)."""
    require_staff(user)
    done = ctx.session.execute(
        update(StaffNotification).where(StaffNotification.user_id == user.id, StaffNotification.read_at.is_(None))
        .values(read_at=ctx.now).execution_options(synchronize_session=False))
    return done.rowcount or 0


def set_mode(ctx: Ctx, user: User, mode: Any) -> str:
    """Save how `user` wants to be emailed: immediate | digest | off."""
    require_staff(user)
    if not isinstance(mode, str) or mode not in MODES:
        raise Invalid("invalid_notify_mode", "Choose one of: email at once, a daily digest, or no email.")
    user.notify_mode = mode
    ctx.session.flush()
    return mode
