"""data/read/case_view.py: the case's emails grouped by the event they are about, and the
timeline's actors (both databases)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from data.models import OutboxEmail
from data.read import case_view
from dashboard.cases.opening import open_case
from dashboard.cases.party import deny
from dashboard.context import Ctx
from dashboard.enums import Party
from dashboard.permissions import event_visibility_for
from tests import factories
from tests.factories import days

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


class Counting:
    """The statements `engine` runs inside the block."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _on(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        sa_event.listen(self.engine, "before_cursor_execute", self._on)
        return self.seen

    def __exit__(self, *_exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._on)


def test_emails_come_with_the_recipients_role_and_their_event_in_two_statements(Session, settings, engine):
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        w = factories.world(ctx)
        case = open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me.").case
        deny(Ctx(s, NOW + days(1), settings), actor=w.creator, case_id=case.id, message="It was you.")
        s.add(OutboxEmail(case_id=case.id, dedupe_key="manual-resend", template="denied", recipient="ops@x.test",
                          subject="[x] Resent", body_text="", body_html="", status="sent",
                          created_at=NOW + days(2)))
    with Session() as s:
        with Counting(engine) as seen:
            rows, total = case_view.outbox_for_case(s, case_id=case.id)
        # The count, then the rows with their recipients' roles (SQLite's BEGIN aside).
        assert len([q for q in seen if q.lstrip().upper().startswith("SELECT")]) == len(seen) - seen.count(
            "BEGIN IMMEDIATE") == 2
        assert total == len(rows)
        roles = {r.recipient: r.recipient_role for r in rows}
        assert roles[w.creator.email] == roles[w.creator2.email] == "creator"
        assert roles.get(w.customer.email) in (None, "customer")  # the customer is emailed on a status change
        assert roles["ops@x.test"] is None  # an address no user has
        groups = case_view.emails_by_event(rows)
        # Newest event first; a key of another shape is its own group.
        assert groups[0].event_key == "manual-resend" and len(groups[0].emails) == 1
        assert [g.template for g in groups[1:]] == ["denied", "created"]
        opened = groups[-1]
        # The group is exactly the rows of the opening event.
        created = s.scalars(select(OutboxEmail.recipient).where(OutboxEmail.case_id == case.id,
                                                                OutboxEmail.template == "created")).all()
        assert sorted(e.recipient for e in opened.emails) == sorted(created)
        assert {w.creator.email, w.creator2.email} <= set(created)
        assert opened.statuses == {"pending"}
        assert sum(len(g.emails) for g in groups) == len(rows)
        assert len({g.event_key for g in groups}) == len(groups)


def test_timeline_entries_carry_who_acted(Session, settings):
    with Session.begin() as s:
        ctx = Ctx(s, NOW, settings)
        w = factories.world(ctx)
        case = open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me.").case
        deny(Ctx(s, NOW + days(1), settings), actor=w.creator2, case_id=case.id, message="It was you.")
    with Session() as s:
        page = case_view.timeline_page(s, case_id=case.id, visibility=event_visibility_for(Party.CUSTOMER))
        by_action = {e.action: e for e in page.entries}
        assert (by_action["created"].actor_id, by_action["created"].actor_name) == (w.customer.id, w.customer.name)
        assert (by_action["denied"].actor_id, by_action["denied"].actor_name, by_action["denied"].actor_role) == \
            (w.creator2.id, w.creator2.name, "creator")
