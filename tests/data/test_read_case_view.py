"""data/read/case_view.py: the case page's read model (both databases)."""
from __future__ import annotations

import datetime as dt

import pytest

from sqlalchemy import select

from data.models import CaseEvent, EvidenceFile, MoneyMovement, OutboxEmail
from data.read import case_view
from dashboard.cases.opening import open_case
from dashboard.cases.party import deny
from dashboard.cases.review import note
from dashboard.context import Ctx
from dashboard.evidence.files import upload
from dashboard.permissions import case_visibility
from dashboard.timeline import events_for
from dashboard.enums import Party
from tests import factories
from tests.factories import PDF_BYTES, PNG_BYTES, days

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def settings(tmp_path):
    return factories.test_settings(tmp_path)


def ctx_at(session, settings, when=NOW):
    return Ctx(session, when, settings)


def _case(ctx, w, *, company, customer, opened=NOW, amount=5000):
    pay = factories.payment(ctx, company=company, customer=customer, amount_minor=amount, paid_at=opened - days(1))
    c = Ctx(ctx.session, opened, ctx.settings)
    return open_case(c, actor=customer, payment_id=pay.id, reason="not_as_described", message="It broke.").case


def test_other_cases_follow_the_viewers_visibility(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        here = _case(ctx, w, company=w.company, customer=w.customer)
        same_co = _case(ctx, w, company=w.company, customer=w.customer, opened=NOW - days(3))
        other_co = _case(ctx, w, company=w.other_company, customer=w.customer, opened=NOW - days(2))
        _case(ctx, w, company=w.company, customer=w.other_customer)  # another customer: never listed

        def ids(user):
            rows, total = case_view.other_cases(s, case_visibility(user), customer_id=w.customer.id,
                                                exclude_case_id=here.id)
            assert total == len(rows)
            return [r.id for r in rows]

        # Newest first; the case itself is never listed.
        assert ids(w.reviewer) == [other_co.id, same_co.id]
        assert ids(w.customer) == [other_co.id, same_co.id]
        # A creator sees only their own company's cases, even of the same customer.
        assert ids(w.creator) == [same_co.id]
        assert ids(w.other_creator) == [other_co.id]
        assert ids(w.other_customer) == []
        assert ids(w.integration) == []
        rows, _ = case_view.other_cases(s, case_visibility(w.reviewer), customer_id=w.customer.id,
                                        exclude_case_id=here.id)
        assert rows[0].company_name == "Other Co" and rows[0].amount_minor == 5000


def test_other_cases_are_limited_but_counted(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        here = _case(ctx, w, company=w.company, customer=w.customer)
        for i in range(4):
            _case(ctx, w, company=w.company, customer=w.customer, opened=NOW - days(i + 1))
        rows, total = case_view.other_cases(s, case_visibility(w.manager), customer_id=w.customer.id,
                                            exclude_case_id=here.id, limit=2)
        assert (len(rows), total) == (2, 4)


def test_dispute_rate_counts_cases_over_payments_in_the_window(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)  # one payment, paid a day ago
        _case(ctx, w, company=w.company, customer=w.customer, opened=NOW - days(5))  # + its payment (6 days ago)
        _case(ctx, w, company=w.company, customer=w.customer, opened=NOW - days(100))  # outside the window
        for _ in range(2):
            factories.payment(ctx, company=w.company, customer=w.customer, paid_at=NOW - days(10))
        factories.payment(ctx, company=w.company, customer=w.customer, paid_at=NOW - days(91))  # outside
        factories.payment(ctx, company=w.other_company, customer=w.customer, paid_at=NOW - days(1))  # elsewhere
        rate = case_view.dispute_rate(s, company_id=w.company.id, now=NOW)
        # payments: world's + case's + 2 = 4; cases: 1
        assert (rate.cases, rate.payments, rate.days) == (1, 4, 90)
        assert str(rate.percent) == "25.0"
        empty = case_view.dispute_rate(s, company_id=factories.company(ctx).id, now=NOW)
        assert (empty.cases, empty.payments, empty.percent) == (0, 0, None)


def test_timeline_entries_bring_actors_files_and_the_internal_flag(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        png = upload(ctx, w.customer, filename="photo.png", data=PNG_BYTES)
        pdf = upload(ctx, w.customer, filename="receipt.pdf", data=PDF_BYTES)
        case = open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me.",
                         file_ids=[png.id, pdf.id]).case
        deny(Ctx(s, NOW + days(1), settings), actor=w.creator, case_id=case.id, message="It was you.")
        note(Ctx(s, NOW + days(2), settings), actor=w.reviewer, case_id=case.id, message="Looks fine.")

        staff = case_view.timeline_entries(s, events_for(ctx, case, Party.PLATFORM, newest_first=False))
        assert [e.action for e in staff] == ["created", "denied", "note"]
        created, denied, internal = staff
        assert created.actor_name == w.customer.name and created.actor_role == "customer"
        files = {f.filename: f for f in created.files}  # uploaded in the same instant: no order to test
        assert sorted(files) == ["photo.png", "receipt.pdf"] and len(created.files) == 2
        assert files["photo.png"].is_image and not files["receipt.pdf"].is_image
        assert files["photo.png"].party == "customer" and files["receipt.pdf"].content_type == "application/pdf"
        assert denied.actor_name == w.creator.name and not denied.files and not denied.staff_only
        assert internal.staff_only and internal.details == "Looks fine."

        customer = case_view.timeline_entries(s, events_for(ctx, case, Party.CUSTOMER, newest_first=False))
        assert [e.action for e in customer] == ["created", "denied"]
        assert case_view.timeline_entries(s, []) == []


def test_timeline_page_is_the_same_entries_newest_page_first_in_two_statements(Session, settings, engine):
    from sqlalchemy import event

    from dashboard.permissions import event_visibility_for

    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        png = upload(ctx, w.customer, filename="photo.png", data=PNG_BYTES)
        case = open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me.",
                         file_ids=[png.id]).case
        deny(Ctx(s, NOW + days(1), settings), actor=w.creator, case_id=case.id, message="It was you.")
        for i in range(7):
            note(Ctx(s, NOW + days(2) + dt.timedelta(hours=i), settings), actor=w.reviewer, case_id=case.id, message=f"n{i}")
    with Session() as s:
        for party in (Party.PLATFORM, Party.CUSTOMER, Party.MERCHANT):
            whole = case_view.timeline_entries(s, events_for(ctx_at(s, settings), case, party, newest_first=False))
            seen, pages, before = [], [], None
            counted = []

            def count(*_args):
                counted.append(1)

            event.listen(engine, "before_cursor_execute", count)
            try:
                while True:
                    counted.clear()
                    page = case_view.timeline_page(s, case_id=case.id, visibility=event_visibility_for(party),
                                                   before=before, limit=3)
                    pages.append(len(counted))
                    seen = page.entries + seen
                    if page.earlier is None:
                        break
                    before = page.earlier
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert seen == whole  # the same entries, files and actors as the whole timeline
            assert set(pages) == {2}  # events with actors, then the page's files: per page, whatever its size
        assert case_view.timeline_page(s, case_id="reso_none", visibility=event_visibility_for(Party.PLATFORM)) \
            == case_view.TimelinePage([], None)


def test_case_evidence_lists_what_the_viewer_may_read(Session, settings):
    from dashboard.permissions import event_visibility_for

    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        png = upload(ctx, w.customer, filename="photo.png", data=PNG_BYTES)
        case = open_case(ctx, actor=w.customer, payment_id=w.payment.id, reason="fraudulent", message="Not me.",
                         file_ids=[png.id]).case
        staff_pdf = upload(ctx, w.reviewer, filename="internal.pdf", data=PDF_BYTES)
        note(Ctx(s, NOW + days(1), settings), actor=w.reviewer, case_id=case.id, message="see file")
        s.flush()
        last = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())).first()
        staff_pdf.case_id, staff_pdf.event_seq, staff_pdf.party, staff_pdf.status = case.id, last.seq, "platform", "ready"
    with Session() as s:
        def names(party):
            return [(g.reporter_type, [f.filename for f in g.files])
                    for g in case_view.case_evidence(s, case_id=case.id, visibility=event_visibility_for(party))]

        assert names(Party.PLATFORM) == [("customer", ["photo.png"]), ("platform", ["internal.pdf"])]
        assert names(Party.CUSTOMER) == names(Party.MERCHANT) == [("customer", ["photo.png"])]
        assert names(None) == []


def test_movements_hide_unsettled_ones_unless_asked(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        case = _case(ctx, w, company=w.company, customer=w.customer)
        for kind, status, attempts in (("merchant_refund", "pending", 6), ("customer_credit", "succeeded", 1),
                                       ("platform_reimbursement", "failed", 9)):
            s.add(MoneyMovement(case_id=case.id, kind=kind, amount_minor=100, currency="USD", provider="stripe",
                                idempotency_key=f"{case.id}:{kind}", status=status, attempts=attempts,
                                last_error="boom" if status != "succeeded" else None, created_at=NOW))
        s.flush()
        assert [m.kind for m in case_view.movements(s, case_id=case.id, settled_only=True)] == ["customer_credit"]
        every = case_view.movements(s, case_id=case.id, settled_only=False)
        assert [(m.status, m.attempts) for m in every] == [("pending", 6), ("succeeded", 1), ("failed", 9)]
        other = _case(ctx, w, company=w.other_company, customer=w.other_customer)
        assert case_view.movements(s, case_id=other.id, settled_only=False) == []


def test_outbox_for_case_newest_first_with_delivery_state(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        case = _case(ctx, w, company=w.company, customer=w.customer)  # queues mail to both creators
        row = s.query(OutboxEmail).filter_by(case_id=case.id).order_by(OutboxEmail.id).first()
        row.status, row.attempts, row.last_error = "failed", 7, "550 mailbox unavailable"
        deny(Ctx(s, NOW + days(1), settings), actor=w.creator, case_id=case.id, message="No.")
        rows, total = case_view.outbox_for_case(s, case_id=case.id)
        assert total == len(rows) >= 3
        assert rows[0].template == "denied" and rows[-1].template == "created"
        failed = [r for r in rows if r.status == "failed"]
        assert len(failed) == 1 and failed[0].last_error == "550 mailbox unavailable"
        limited, total2 = case_view.outbox_for_case(s, case_id=case.id, limit=1)
        assert len(limited) == 1 and total2 == total


def test_staff_choices_lists_active_staff_only(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        w.reviewer2.is_active = False
        s.flush()
        ids = [uid for uid, _name, _role in case_view.staff_choices(s)]
        assert set(ids) == {w.reviewer.id, w.manager.id}


def test_files_of_rejected_uploads_are_not_listed(Session, settings):
    with Session.begin() as s:
        ctx = ctx_at(s, settings)
        w = factories.world(ctx)
        case = _case(ctx, w, company=w.company, customer=w.customer)
        event = events_for(ctx, case, Party.PLATFORM)[0]
        s.add(EvidenceFile(owner_id=w.customer.id, status="rejected", filename="bad.exe", case_id=case.id,
                           event_seq=event.seq, party="customer", created_at=NOW))
        s.flush()
        (entry,) = case_view.timeline_entries(s, [event])
        assert entry.files == ()
