"""ORM models: the whole persistent state of the Resolution Center.

Rules live in `dashboard/`; this module only says what is stored and how it is
indexed. Every timestamp is timezone-aware UTC (`UTCDateTime` normalises what
SQLite hands back, which has no time zone of its own). Money is integer minor
units with an ISO currency, never floats.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    column,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def new_id(prefix: str) -> str:
    """An opaque id with the published prefix, e.g. `reso_4fK2...` (16 random chars)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(16))


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes; always returns them aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[dt.datetime], dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass timezone-aware UTC")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            # SQLite compares text: keep one fixed format so ordering is right.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[dt.datetime], dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("biz_"))
    name: Mapped[str] = mapped_column(String(200))
    support_email: Mapped[Optional[str]] = mapped_column(String(320))
    # Whop's `resolution_center_auto_refund` payment control: a newly opened case on a card
    # (Stripe) or PayPal payment of at most this much, in the payment's currency units, is
    # accepted and refunded at once. None: off. Once `auto_refund_locked`, only staff change them.
    auto_refund_card_threshold: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 4))
    auto_refund_paypal_threshold: Mapped[Optional[Decimal]] = mapped_column(Numeric(18, 4))
    auto_refund_locked: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[dt.datetime]


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("user_"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # customer | creator | reviewer | manager | integration
    role: Mapped[str] = mapped_column(String(20), index=True)
    company_id: Mapped[Optional[str]] = mapped_column(ForeignKey("companies.id"), index=True)
    password_hash: Mapped[Optional[str]] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on sign-out: every screen session signed in before it stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # IANA zone name ("Europe/Paris"), taken from the browser at first sign-in: emails and
    # screens give this person's deadlines in it. None until known (UTC is used then).
    time_zone: Mapped[Optional[str]] = mapped_column(String(64))
    # Staff notifications (dashboard.notifications.staff): immediate | digest | off.
    notify_mode: Mapped[str] = mapped_column(String(12), server_default="immediate")
    # When this person's last daily digest went out (None: never).
    digest_sent_at: Mapped[Optional[dt.datetime]]
    # Auto-assignment (jobs.assignment): reviewers a manager put on duty get new escalations
    # and appeals, up to `capacity` open cases each (None: the AUTO_ASSIGN_CAPACITY setting).
    on_duty: Mapped[bool] = mapped_column(Boolean, server_default=false())
    capacity: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]

    company: Mapped[Optional[Company]] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # sha256 of the secret; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[Optional[dt.datetime]]

    user: Mapped[User] = relationship()


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay_"))
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # stripe | paypal | crypto | coinbase_commerce
    provider: Mapped[str] = mapped_column(String(30))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    product_title: Mapped[Optional[str]] = mapped_column(String(200))
    # The provider's own id for the charge (Stripe PaymentIntent / PayPal capture), refunded against.
    provider_reference: Mapped[Optional[str]] = mapped_column(String(120))
    paid_at: Mapped[dt.datetime]
    # What has gone back to the customer through the provider, in minor units.
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_at: Mapped[Optional[dt.datetime]]
    # True when an integration reported a refund made outside the Resolution Center.
    refunded_externally: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]

    company: Mapped[Company] = relationship()
    customer: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_payments_customer_paid", "customer_id", "paid_at"),
        # A company's payments newest first, a keyset page (data.read.staff_views).
        Index("ix_payments_company_paid", "company_id", "paid_at", "id"),
    )


_AWAITING = ("awaiting_merchant", "awaiting_customer")  # statuses of a case waiting on a party
_REVIEW_STAGES = ("under_review", "final_review")  # stages where the platform holds the case


class Case(Base):
    """One dispute. `payment_id` is unique: one case per payment, ever.

    `stage` is the internal state; the public `status`, `escalated`, flags and
    `response_due_at` are written only by `dashboard.lifecycle.apply`, derived
    from it, and stored so that queues can filter and sort on indexes.
    """

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("reso_"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), unique=True)
    company_id: Mapped[str] = mapped_column(ForeignKey("companies.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    final_review: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    merchant_appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[Optional[str]] = mapped_column(String(20))
    refund: Mapped[Optional[str]] = mapped_column(String(20))
    response_due_at: Mapped[Optional[dt.datetime]]
    appeal_due_at: Mapped[Optional[dt.datetime]]
    # True once nothing can change the case any more (§3.11).
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    merchant_info_requests: Mapped[int] = mapped_column(Integer, default=0)
    # Who asked the open request for information: their reply email goes to them.
    info_requested_by_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))

    assignee_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[Optional[str]] = mapped_column(String(20))  # refund | credit | merchant_wins
    decision_amount_minor: Mapped[Optional[int]] = mapped_column(BigInteger)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    final_decision: Mapped[Optional[str]] = mapped_column(String(20))  # uphold | overturn
    final_decided_by_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    credited_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    first_merchant_response_at: Mapped[Optional[dt.datetime]]
    escalated_at: Mapped[Optional[dt.datetime]]
    appealed_at: Mapped[Optional[dt.datetime]]
    closed_at: Mapped[Optional[dt.datetime]]
    # Platform SLAs (dashboard.sla, the metrics SLA section): the first thing staff did on the
    # case after it reached them, and when its decision and final decision were taken.
    first_platform_action_at: Mapped[Optional[dt.datetime]]
    decided_at: Mapped[Optional[dt.datetime]]
    final_decided_at: Mapped[Optional[dt.datetime]]
    # Optimistic lock: a write against a stale copy fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    payment: Mapped[Payment] = relationship()
    company: Mapped[Company] = relationship()
    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    assignee: Mapped[Optional[User]] = relationship(foreign_keys=[assignee_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_cases_status_created", "status", "created_at"),
        Index("ix_cases_due", "response_due_at"),
        Index("ix_cases_company_created", "company_id", "created_at"),
        Index("ix_cases_customer_created", "customer_id", "created_at"),
        Index("ix_cases_assignee", "assignee_id", "status"),
        Index("ix_cases_created_id", "created_at", "id"),
        # Company page grid, newest update first (data.read.parties.company_cases_page).
        Index("ix_cases_company_updated", "company_id", column("updated_at").desc(), column("id").desc()),
        # Queue tabs (data.read.queue): the counts read only the open cases; the Escalated and
        # Appealed tabs sort by when the platform took the case on / the decision was appealed.
        Index("ix_cases_open_status", "status", postgresql_include=["stage", "assignee_id"],
              postgresql_where=column("status") != "closed", sqlite_where=column("status") != "closed"),
        Index("ix_cases_escalated_waiting", func.coalesce(column("escalated_at"), column("updated_at")), "id",
              postgresql_where=column("stage") == "under_review", sqlite_where=column("stage") == "under_review"),
        Index("ix_cases_appealed_waiting", func.coalesce(column("appealed_at"), column("updated_at")), "id",
              postgresql_where=column("stage") == "final_review", sqlite_where=column("stage") == "final_review"),
        # The Open tab's keyset pages (data.read.queue): by deadline (its default) and by amount,
        # (key, id) in index order either way, over the cases waiting on a party alone.
        Index("ix_cases_open_due", "response_due_at", "id",
              postgresql_where=column("status").in_(_AWAITING), sqlite_where=column("status").in_(_AWAITING)),
        Index("ix_cases_open_amount", "amount_minor", "id",
              postgresql_where=column("status").in_(_AWAITING), sqlite_where=column("status").in_(_AWAITING)),
        # Appeal windows still open (jobs.deadlines, the company page): a closed case keeps its
        # appeal_due_at once final, so a plain index on it (ix_cases_appeal_due, dropped) made
        # an idle sweep range over every past window.
        Index("ix_cases_appeal_open", "appeal_due_at", "id",
              postgresql_where=and_(column("final").is_(False), column("appeal_due_at").is_not(None)),
              sqlite_where=and_(column("final").is_(False), column("appeal_due_at").is_not(None))),
        # Staff search by amount (data.read.search): one amount's newest cases, a backward range.
        # The search's PostgreSQL-only indexes (trigram GIN on users.name and companies.name,
        # a text_pattern_ops btree on lower(users.email)) live in migration 5ea2c4b1d0f7 alone.
        Index("ix_cases_amount_created", "amount_minor", "created_at", "id"),
        # Decision context (data.read.context): the closed cases of one company and reason
        # nearest an amount, a seek each way; appeal overturn rates by reason, platform-wide
        # and per company; SLA metrics (data.read.sla) by when decisions were taken.
        Index("ix_cases_precedent", "company_id", "reason", "amount_minor",
              postgresql_where=column("status") == "closed", sqlite_where=column("status") == "closed"),
        Index("ix_cases_final_reason", "reason", "final_decided_at", postgresql_include=["final_decision"],
              postgresql_where=column("final_decision").is_not(None),
              sqlite_where=column("final_decision").is_not(None)),
        Index("ix_cases_final_company_reason", "company_id", "reason", "final_decided_at",
              postgresql_where=column("final_decision").is_not(None),
              sqlite_where=column("final_decision").is_not(None)),
        Index("ix_cases_decided_at", "decided_at", postgresql_where=column("decided_at").is_not(None),
              sqlite_where=column("decided_at").is_not(None)),
        Index("ix_cases_final_decided_at", "final_decided_at",
              postgresql_where=column("final_decided_at").is_not(None),
              sqlite_where=column("final_decided_at").is_not(None)),
        # The queue's Closed tab (data.read.queue): last closed first, a backward range over
        # the closed cases alone; its keyset pages seek on (closed_at, id).
        Index("ix_cases_closed_at", "closed_at", "id",
              postgresql_where=column("status") == "closed", sqlite_where=column("status") == "closed"),
        # Auto-assignment (jobs.assignment): the cases in front of the platform nobody holds.
        Index("ix_cases_unassigned_review", "updated_at", "id",
              postgresql_where=and_(column("assignee_id").is_(None), column("stage").in_(_REVIEW_STAGES)),
              sqlite_where=and_(column("assignee_id").is_(None), column("stage").in_(_REVIEW_STAGES))),
    )


class CaseEvent(Base):
    """Append-only timeline entry. `seq` orders events; `id` is the public `revt_` id."""

    __tablename__ = "case_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: new_id("revt_"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(String(40))
    reporter_type: Mapped[str] = mapped_column(String(20))  # merchant | customer | platform | system
    actor_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    details: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Optional[dict[str, Any]]]
    viewable_by_customer: Mapped[bool] = mapped_column(Boolean)
    viewable_by_merchant: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime]

    actor: Mapped[Optional[User]] = relationship()
    files: Mapped[list["EvidenceFile"]] = relationship(back_populates="event", order_by="EvidenceFile.created_at")

    __table_args__ = (Index("ix_case_events_case_seq", "case_id", "seq"),)


class EvidenceFile(Base):
    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("file_"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # pending (created, no bytes yet) | ready | rejected
    status: Mapped[str] = mapped_column(String(20), default="pending")
    filename: Mapped[str] = mapped_column(String(255))
    declared_content_type: Mapped[Optional[str]] = mapped_column(String(100))
    content_type: Mapped[Optional[str]] = mapped_column(String(100))  # judged from the bytes
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_hex(16))
    upload_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    rejection: Mapped[Optional[str]] = mapped_column(Text)
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("cases.id"), index=True)
    event_seq: Mapped[Optional[int]] = mapped_column(ForeignKey("case_events.seq"))
    # customer | merchant | platform: whose quota of files it counts against
    party: Mapped[Optional[str]] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]

    event: Mapped[Optional[CaseEvent]] = relationship(back_populates="files")


class MoneyMovement(Base):
    """An intent to move money, recorded before any provider is called.

    `idempotency_key` is sent to the provider on every attempt, so a retry or a
    second worker can never pay twice.
    """

    __tablename__ = "money_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    # merchant_refund | customer_credit | platform_reimbursement
    kind: Mapped[str] = mapped_column(String(30))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(30))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # pending | succeeded | failed (failed = gave up; staff must act)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]]
    provider_reference: Mapped[Optional[str]] = mapped_column(String(120))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    completed_at: Mapped[Optional[dt.datetime]]

    case: Mapped[Case] = relationship()

    __table_args__ = (Index("ix_money_movements_due", "status", "next_attempt_at"),)


class CreditEntry(Base):
    """Platform credit ledger: the balance of a user is the sum of their entries."""

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("cases.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    memo: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]


class SandboxGatewayCall(Base):
    """The sandbox gateway's own book of what it 'paid', keyed like a real provider."""

    __tablename__ = "sandbox_gateway_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(30))
    operation: Mapped[str] = mapped_column(String(30))  # refund | transfer
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    reference: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(60))  # payment id or company id
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime]


class OutboxEmail(Base):
    """An email written in the same transaction as its cause; delivered by a job."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("cases.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    template: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # pending | sent | failed (permanent)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[Optional[dt.datetime]]

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class LoginThrottle(Base):
    """Failed sign-ins counted per account and per address, in the database so the count
    holds across gunicorn workers and hosts (dashboard.throttle). `scope` is
    `account:<sha256 of the email>` (typed emails, known or not) or `address:<ip>`."""

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[Optional[dt.datetime]]
    locked_until: Mapped[Optional[dt.datetime]]
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)


class AuditEvent(Base):
    """Who signed in (or failed, or was throttled) and which staff decisions were taken:
    append-only, read by managers on /audit (dashboard.audit). No foreign keys: a row
    outlives whatever it names, and a failed sign-in may name no user at all."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    at: Mapped[dt.datetime]
    # sign_in.success | sign_in.failure | sign_in.throttled | sign_out |
    # case.decided | case.final_decision | case.assigned | case.request_info
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[Optional[str]] = mapped_column(String(40))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    address: Mapped[Optional[str]] = mapped_column(String(64))
    case_id: Mapped[Optional[str]] = mapped_column(String(40))
    details: Mapped[Optional[dict[str, Any]]]

    __table_args__ = (
        Index("ix_audit_events_at", "at", "id"),
        Index("ix_audit_events_kind_at", "kind", "at", "id"),
    )


class IdempotencyRecord(Base):
    """The first answer to an API POST sent with an `Idempotency-Key`, kept 24 hours per
    caller (dashboard.api.idempotency). The unique (user_id, key) is what makes two
    concurrent requests with one key execute once."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 over method, path, body and caller
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)
    # The answer's bytes; None until a case answer has been rendered after its commit
    # (then `case_id` says which case to render for a replay).
    response_body: Mapped[Optional[str]] = mapped_column(Text)
    content_type: Mapped[Optional[str]] = mapped_column(String(100))
    case_id: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)


__all__ = [
    "Base",
    "Company",
    "User",
    "ApiToken",
    "Payment",
    "Case",
    "CaseEvent",
    "EvidenceFile",
    "MoneyMovement",
    "CreditEntry",
    "SandboxGatewayCall",
    "OutboxEmail",
    "SchedulerLock",
    "LoginThrottle",
    "AuditEvent",
    "IdempotencyRecord",
    "new_id",
]

# The rollup tables share this metadata, and their hooks keep them true for every session.
import data.rollups  # noqa: E402,F401


class SavedView(Base):
    """A named queue view of one person: its tab, filters and sort (`state`, the same keys
    as the queue's URL query), so a reviewer returns to "High-value PayPal" in one click."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    page: Mapped[str] = mapped_column(String(20), default="queue")
    name: Mapped[str] = mapped_column(String(80))
    state: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("user_id", "page", "name", name="uq_saved_views_user_page_name"),)


class StaffNotification(Base):
    """Work arriving for one reviewer or manager (dashboard.notifications.staff): shown in
    the navbar, emailed through the outbox as the person chose (now, in a daily digest, or
    not). `dedupe_key` makes one happening one notification, however often it is retried."""

    __tablename__ = "staff_notifications"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("cases.id"))
    # escalated | appealed | answered | case_changed | assigned
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[dt.datetime]
    read_at: Mapped[Optional[dt.datetime]]
    # Set once it went out by email (at once or in a digest); None while it waits for a digest.
    emailed_at: Mapped[Optional[dt.datetime]]

    __table_args__ = (
        Index("ix_staff_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_staff_notifications_unread", "user_id", "id",
              postgresql_where=column("read_at").is_(None), sqlite_where=column("read_at").is_(None)),
        # A decision settles its case's unread asks (dashboard.notifications.staff.settle_asks).
        Index("ix_staff_notifications_case_unread", "case_id",
              postgresql_where=column("read_at").is_(None), sqlite_where=column("read_at").is_(None)),
    )


class CannedReply(Base):
    """A reply template with placeholders ({customer_name}, {company}, {amount}, {due_date}).
    `scope` is "platform" for the templates managers keep for reviewers, or a company's
    `biz_` id for the ones its creators keep."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    # info_request | note | decision_reason | message (a creator's reply or denial)
    purpose: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[Optional[str]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (UniqueConstraint("scope", "name", name="uq_canned_replies_scope_name"),)


class Webhook(Base):
    """An endpoint that hears about cases (dashboard.webhooks; issue 11), as Whop's
    `client.webhooks` manages it. `company_id` None is a platform webhook (every case);
    else only that company's cases, as its creators see them. `secret` (`ws_…`, shown
    once at creation) is stored as issued because signing needs it (an HMAC key cannot
    be kept as a hash)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("hook_"))
    company_id: Mapped[Optional[str]] = mapped_column(ForeignKey("companies.id"))
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    api_version: Mapped[str] = mapped_column(String(10), default="v1")
    api_version_date: Mapped[Optional[str]] = mapped_column(String(20))
    child_resource_events: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str] = mapped_column(String(100))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[Optional[dt.datetime]]
    last_failure_at: Mapped[Optional[dt.datetime]]
    disabled_at: Mapped[Optional[dt.datetime]]
    # delivery_failures (every delivery failed for three days) | None
    disabled_reason: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    owner: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_webhooks_company_created", "company_id", "created_at", "id"),
        Index("ix_webhooks_created", "created_at", "id"),
    )


class WebhookEvent(Base):
    """One event for one webhook (the webhook outbox), written in the same transaction as
    the change it tells of. `id` (`msg_…`) is the `webhook-id` header of every attempt;
    `body` is the exact JSON sent, built then (the case as the webhook's owner saw it
    after that change), so every retry signs the same bytes. `seq` is the timeline
    event's: a webhook's events of one case go out in that order."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg_"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("cases.id"))
    # resolution_center_case.created | .updated | .decided
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    # pending | delivered | failed (retries exhausted, or the webhook was disabled)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]]
    last_status_code: Mapped[Optional[int]] = mapped_column(Integer)
    last_response_ms: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    delivered_at: Mapped[Optional[dt.datetime]]

    __table_args__ = (
        Index("ix_webhook_events_due", "status", "next_attempt_at"),
        # The per-case order: is an earlier event of this webhook and case still pending?
        Index("ix_webhook_events_chain", "webhook_id", "case_id", "seq",
              postgresql_where=column("status") == "pending", sqlite_where=column("status") == "pending"),
        Index("ix_webhook_events_webhook_created", "webhook_id", "created_at"),
        # The Deliveries screen (newest of a status first) and housekeeping (finished ones
        # older than 30 days): one range of this index either way.
        Index("ix_webhook_events_status_created", "status", "created_at", "id"),
    )


class WebhookAttempt(Base):
    """One HTTP attempt at a webhook event: what the endpoint answered and how fast (the
    screens' "last deliveries")."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    response_ms: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(Text)

    __table_args__ = (Index("ix_webhook_attempts_webhook_id", "webhook_id", "id"),)
