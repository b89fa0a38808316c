"""Saved replies (dashboard.canned): who keeps and reads which templates, what a template
may hold, and how its placeholders read for one case and one viewer — in the viewer's
time zone and the case's currency — with people's stray braces left alone."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.models import CannedReply, User
from dashboard import canned
from dashboard.errors import DomainError, Forbidden, Invalid, NotFound
from tests.domain import stages
from tests.factories import T0, days


def _do(story, fn, *args, **kw):
    """Run fn(ctx, <user re-read in this session>, ...) in one committed transaction."""
    def body(ctx):
        user = ctx.session.get(User, args[0].id)
        return fn(ctx, user, *args[1:], **kw)
    return story.run(body)


def _refused(story, fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as caught:
        _do(story, fn, *args, **kw)
    return caught.value


def _make(story, user, name="Logs please", purpose="info_request", body="Hello {customer_name}.") -> int:
    return _do(story, canned.create_reply, user, name=name, purpose=purpose, body=body).reply.id


def _names(story, user, **kw) -> list[str]:
    return [r.name for r in _do(story, canned.list_replies, user, **kw)]


def _rows(story) -> list[tuple]:
    with story.Session() as s:
        return list(s.execute(select(CannedReply.scope, CannedReply.name, CannedReply.purpose, CannedReply.body)
                              .order_by(CannedReply.id)))


def _set_zone(story, user, zone):
    story.run(lambda ctx: setattr(ctx.session.get(User, user.id), "time_zone", zone))


# ------------------------------------------------------------------ who keeps and reads what
def test_managers_keep_the_platform_replies_and_reviewers_only_read_them(story, w):
    rid = _make(story, w.manager, name="Ask for logs")
    assert _rows(story) == [("platform", "Ask for logs", "info_request", "Hello {customer_name}.")]
    assert _names(story, w.reviewer) == ["Ask for logs"] == _names(story, w.manager)
    assert _do(story, canned.get_reply, w.reviewer, rid).name == "Ask for logs"

    for attempt in (lambda: _refused(story, canned.create_reply, w.reviewer, name="Mine", purpose="note", body="x"),
                    lambda: _refused(story, canned.update_reply, w.reviewer, rid, name="Hacked", purpose="note",
                                     body="x"),
                    lambda: _refused(story, canned.delete_reply, w.reviewer, rid)):
        err = attempt()
        assert isinstance(err, Forbidden) and err.code == "canned_replies_read_only"
        assert "Only managers" in err.message
    assert _rows(story) == [("platform", "Ask for logs", "info_request", "Hello {customer_name}.")]


def test_creators_keep_their_own_companys_replies_and_nobody_else_sees_them(story, w):
    rid = _make(story, w.creator, name="Refund on its way", purpose="message", body="We refund {amount}.")
    assert _rows(story) == [(w.company.id, "Refund on its way", "message", "We refund {amount}.")]
    # the company's other creator shares them
    assert _names(story, w.creator2) == ["Refund on its way"]
    _do(story, canned.update_reply, w.creator2, rid, name="Refund sent", purpose="message", body="Sent {amount}.")
    # another company's creator, the staff and a customer neither see nor touch them, even by id
    for outsider in (w.other_creator, w.reviewer, w.manager, w.customer):
        assert _names(story, outsider) == []
        assert isinstance(_refused(story, canned.get_reply, outsider, rid), NotFound)
    for outsider in (w.other_creator, w.manager):
        assert isinstance(_refused(story, canned.update_reply, outsider, rid, name="x", purpose="message",
                                   body="x"), NotFound)
        assert isinstance(_refused(story, canned.delete_reply, outsider, rid), NotFound)
    # and the creator does not see the platform's
    _make(story, w.manager, name="Platform only", purpose="note", body="Internal.")
    assert _names(story, w.creator) == ["Refund sent"]
    assert _rows(story)[0] == (w.company.id, "Refund sent", "message", "Sent {amount}.")
    assert _do(story, canned.delete_reply, w.creator, rid) == "Refund sent"
    assert [r[1] for r in _rows(story)] == ["Platform only"]


def test_customers_keep_and_read_nothing(story, w):
    err = _refused(story, canned.create_reply, w.customer, name="Mine", purpose="message", body="Hi")
    assert isinstance(err, Forbidden) and err.code == "canned_replies_forbidden"
    assert canned.readable_scope(w.customer) is None and canned.purposes_for(w.customer) == ()
    assert _rows(story) == []


def test_a_list_is_by_name_and_by_purpose(story, w):
    _make(story, w.manager, name="b note", purpose="note", body="n")
    _make(story, w.manager, name="A reason", purpose="decision_reason", body="r")
    _make(story, w.manager, name="c request", purpose="info_request", body="i")
    assert _names(story, w.reviewer) == ["A reason", "b note", "c request"]
    assert _names(story, w.reviewer, purpose="note") == ["b note"]


# ------------------------------------------------------------------ what a template may hold
@pytest.mark.parametrize("fields,code,words", [
    (dict(name="   "), "name_required", "Give the reply a name"),
    (dict(name="x" * 81), "name_too_long", "81 characters; keep it to 80"),
    (dict(body=" \n "), "body_required", "Write the reply's text"),
    (dict(body="x" * 5001), "body_too_long", "5,001 characters; a message holds at most 5,000"),
    (dict(purpose="message"), "invalid_purpose", "information request, internal note, decision reason"),
    (dict(purpose="junk"), "invalid_purpose", "Choose what the reply is for"),
    (dict(purpose=None), "invalid_purpose", "Choose what the reply is for"),
    (dict(name=None), "name_required", "Give the reply a name"),
    (dict(body=["not", "text"]), "body_required", "Write the reply's text"),
])
def test_a_bad_template_is_refused_with_a_clear_error_and_nothing_saved(story, w, fields, code, words):
    values = dict(name="Ask for logs", purpose="info_request", body="Please send the logs.")
    values.update(fields)
    err = _refused(story, canned.create_reply, w.manager, **values)
    assert isinstance(err, Invalid) and err.code == code and words in err.message, err.message
    assert _rows(story) == []


def test_the_limits_themselves_are_allowed(story, w):
    saved = _do(story, canned.create_reply, w.manager, name="x" * 80, purpose="note", body="y" * 5000)
    assert saved.unknown == [] and saved.warning is None
    assert [(len(r[1]), len(r[3])) for r in _rows(story)] == [(80, 5000)]


def test_a_creator_chooses_among_the_merchant_purposes(story, w):
    err = _refused(story, canned.create_reply, w.creator, name="n", purpose="note", body="x")
    assert err.code == "invalid_purpose" and "information request, message to the customer" in err.message
    _make(story, w.creator, name="ask", purpose="info_request", body="x")
    assert [r[2] for r in _rows(story)] == ["info_request"]


def test_a_duplicate_name_in_the_same_scope_is_refused_in_any_case(story, w):
    first = _make(story, w.manager, name="Ask for logs")
    err = _refused(story, canned.create_reply, w.manager, name="  ask FOR logs ", purpose="note", body="x")
    assert err.code == "duplicate_name"
    assert err.message == "There is already a reply called “ask FOR logs”. Choose another name, or edit that one."
    # the same name in another scope is someone else's business
    _make(story, w.creator, name="Ask for logs", purpose="message")
    # renaming onto another's name is refused; keeping one's own name is not
    second = _make(story, w.manager, name="Other")
    assert _refused(story, canned.update_reply, w.manager, second, name="ASK for logs", purpose="note",
                    body="x").code == "duplicate_name"
    _do(story, canned.update_reply, w.manager, first, name="Ask for logs", purpose="note", body="new text")
    assert sorted(r[1:] for r in _rows(story) if r[0] == "platform") == [
        ("Ask for logs", "note", "new text"), ("Other", "info_request", "Hello {customer_name}.")]


def test_a_scope_holds_at_most_a_hundred(story, w):
    def fill(ctx):
        for n in range(canned.MAX_PER_SCOPE):
            ctx.session.add(CannedReply(scope="platform", name=f"r{n}", purpose="note", body="b",
                                        created_by_id=w.manager.id, created_at=ctx.now, updated_at=ctx.now))
    story.run(fill)
    err = _refused(story, canned.create_reply, w.manager, name="one more", purpose="note", body="b")
    assert err.code == "too_many_replies" and "100 saved replies" in err.message and "Delete one" in err.message
    # a company's own hundred are counted apart
    _make(story, w.creator, name="still fine", purpose="message")
    with story.Session() as s:
        assert s.scalar(select(func.count()).select_from(CannedReply)) == 101
    assert len(_names(story, w.reviewer)) == 100


def test_an_unknown_placeholder_is_saved_and_reported_with_the_ones_that_exist(story, w):
    saved = _do(story, canned.create_reply, w.manager, name="typo", purpose="note",
                body="Dear {custmer_name}, {order} {custmer_name} {amount}")
    assert saved.unknown == ["custmer_name", "order"]
    assert saved.warning == ("{custmer_name} (did you mean {customer_name}?), {order} are not placeholders: use "
                             "{customer_name}, {company}, {amount} or {due_date}. Until you fix it, it shows in "
                             "the message exactly as typed.")
    one = canned.unknown_sentence(["custmer_name"])
    assert one.startswith("{custmer_name} (did you mean {customer_name}?) is not a placeholder: use {customer_name}")
    assert canned.unknown_placeholders("{customer_name} {company} {amount} {due_date} { spaced } {0} {}") == []


# ------------------------------------------------------------------ placeholders, rendered
VALUES = {"customer_name": "Ana", "company": "Acme", "amount": "$5.00", "due_date": "Mon"}


@pytest.mark.parametrize("body,expected", [
    ("Hi {customer_name} of {company}: {amount} by {due_date}.", "Hi Ana of Acme: $5.00 by Mon."),
    ("{", "{"), ("}", "}"), ("{}", "{}"), ("{0} {1}", "{0} {1}"), ("%s %(x)s", "%s %(x)s"),
    ("{{customer_name}}", "{Ana}"), ("{ customer_name }", "{ customer_name }"),
    ("{custmer_name}", "{custmer_name}"), ("{amount:>10}", "{amount:>10}"), ("{customer_name", "{customer_name"),
    ("{__class__} {customer_name.__class__}", "{__class__} {customer_name.__class__}"),
    ("{customer_name}{customer_name}", "AnaAna"),
])
def test_rendering_replaces_only_known_names_and_never_trips_on_braces(body, expected):
    assert canned.render(body, VALUES) == expected


def test_a_value_that_looks_like_a_placeholder_is_not_expanded_again():
    assert canned.render("{customer_name} {company}", {**VALUES, "customer_name": "{company}"}) == "{company} Acme"


BODY = "{customer_name} · {company} · {amount} · {due_date}"


def _render(story, user, reply_id, case_id, **kw) -> str:
    return _do(story, canned.render_for_case, user, reply_id, case_id, **kw)


def test_a_reviewer_reads_the_decide_by_in_their_own_zone(story, w):
    cid = stages.under_review(story)  # escalated at T0 + 7 days, 09:00 UTC on Mon 9 Mar 2026
    rid = _make(story, w.manager, name="note", purpose="note", body=BODY)
    _set_zone(story, w.reviewer, "Europe/Paris")
    name = w.customer.name
    # the review target: escalation + 48 hours = Wed 11 Mar 09:00 UTC, 10:00 in Paris (CET)
    assert _render(story, w.reviewer, rid, cid) == f"{name} · Acme Courses · $50.00 · Wed 11 Mar 2026, 10:00 CET"
    _set_zone(story, w.reviewer, "Asia/Kolkata")
    assert _render(story, w.reviewer, rid, cid).endswith("Wed 11 Mar 2026, 14:30 IST")
    _set_zone(story, w.reviewer, None)  # unknown zone: UTC, and it says so
    assert _render(story, w.reviewer, rid, cid).endswith("Wed 11 Mar 2026, 09:00 UTC")


def test_a_final_review_is_due_three_days_after_the_appeal(story, w):
    cid = stages.final_review(story)
    # opened at T0, escalated 7 days later, decided an hour after, appealed an hour after that
    assert story.case(cid).appealed_at == T0 + days(7) + dt.timedelta(hours=2)
    rid = _make(story, w.manager, name="reason", purpose="decision_reason", body="{due_date}")
    assert _render(story, w.reviewer, rid, cid) == "Thu 12 Mar 2026, 11:00 UTC"  # the appeal + 72 hours


def test_a_creator_reads_the_response_deadline_across_daylight_saving(story, w):
    cid = stages.awaiting_merchant(story)  # due 7 days after T0: Mon 9 Mar 2026, 09:00 UTC
    rid = _make(story, w.creator, name="deny", purpose="message", body=BODY)
    _set_zone(story, w.creator, "America/New_York")  # clocks went forward on Sun 8 Mar
    assert _render(story, w.creator, rid, cid, action="deny").endswith("· $50.00 · Mon 9 Mar 2026, 05:00 EDT")


def test_an_information_request_names_the_reply_deadline_it_sets(story, w):
    cid = stages.under_review(story)
    rid = _make(story, w.manager, name="ask", purpose="info_request", body="Please answer by {due_date}.")
    # asked now (T0 + 7 days + 1 hour... as of the story's clock): the party has RESPONSE_DAYS from now
    from dashboard.timezones import local_text, zone_named
    expected = local_text(story.now + days(7), zone_named("Europe/London"))
    _set_zone(story, w.reviewer, "Europe/London")
    assert _render(story, w.reviewer, rid, cid, action="request_info") == f"Please answer by {expected}."


def test_no_deadline_reads_as_such(story, w):
    cid = stages.under_review(story)
    rid = _make(story, w.creator, name="m", purpose="message", body="By {due_date}")
    # a creator on a case under review has no response deadline and no platform target of theirs
    assert _render(story, w.creator, rid, cid) == "By (no deadline)"


@pytest.mark.parametrize("currency,minor,shown", [("EUR", 1234, "€12.34"), ("JPY", 1234, "¥1,234"),
                                                   ("KWD", 12345, "12.345 KWD"), ("CHF", 100050, "1,000.50 CHF")])
def test_the_amount_reads_in_the_cases_currency(story, w, currency, minor, shown):
    story.new_payment(amount_minor=minor, currency=currency)
    cid = story.open()
    rid = _make(story, w.manager, name="n", purpose="note", body="{amount}")
    assert _render(story, w.reviewer, rid, cid) == shown


def test_what_a_case_page_may_render_and_what_it_may_not(story, w):
    cid = stages.under_review(story)
    note = _make(story, w.manager, name="note", purpose="note", body="Note on {customer_name}")
    mine = _make(story, w.creator, name="mine", purpose="message", body="Yours, {company}")
    # the purpose must be the chosen action's
    assert _render(story, w.reviewer, note, cid, action="note") == f"Note on {w.customer.name}"
    assert isinstance(_refused(story, canned.render_for_case, w.reviewer, note, cid, action="decide"), NotFound)
    # nobody renders a template of a scope they cannot read, or on a case they cannot see
    other_cid = _other_company_case(story, w)
    assert isinstance(_refused(story, canned.render_for_case, w.other_creator, mine, other_cid), NotFound)
    assert isinstance(_refused(story, canned.render_for_case, w.other_creator, mine, cid), NotFound)
    assert isinstance(_refused(story, canned.render_for_case, w.customer, note, cid), NotFound)
    assert isinstance(_refused(story, canned.render_for_case, w.creator, note, cid), NotFound)
    assert isinstance(_refused(story, canned.render_for_case, w.reviewer, mine, cid), NotFound)
    for junk in ("", "abc", -1, True, None, "9" * 20, 10**12):
        assert isinstance(_refused(story, canned.render_for_case, w.reviewer, junk, cid), NotFound)


def _other_company_case(story, w) -> str:
    story.new_payment(customer=w.other_customer, company=w.other_company)
    return story.open(customer=w.other_customer)


def test_the_templates_offered_beside_each_action(story, w):
    cid = stages.under_review(story)
    _make(story, w.manager, name="note", purpose="note", body="n")
    _make(story, w.manager, name="reason", purpose="decision_reason", body="r")
    _make(story, w.manager, name="ask", purpose="info_request", body="a")
    _make(story, w.creator, name="msg", purpose="message", body="m")

    def offered(user, action):
        return [r.name for r in _do(story, canned.replies_for_action, user, cid, action)]

    assert offered(w.reviewer, "note") == ["note"]
    assert offered(w.reviewer, "decide") == ["reason"] == offered(w.manager, "final_decide")
    assert offered(w.reviewer, "request_info") == ["ask"]
    assert offered(w.reviewer, "claim") == [] and offered(w.reviewer, None) == []
    assert offered(w.creator, "reply") == ["msg"] == offered(w.creator, "deny")
    assert offered(w.creator, "note") == [] and offered(w.customer, "reply") == []
    assert isinstance(_refused(story, canned.replies_for_action, w.other_creator, cid, "reply"), NotFound)


# ------------------------------------------------------------------ the demo's
def test_the_demo_replies_are_valid_and_use_only_known_placeholders(Session, settings, w):  # noqa: N803
    from types import SimpleNamespace

    from dashboard.context import Ctx
    from dashboard.demo.replies import COMPANY_REPLIES, PLATFORM_REPLIES, seed_replies

    with Session() as s:
        world = SimpleNamespace(session=s, now=T0 + days(60), manager=s.get(User, w.manager.id),
                                companies=[w.company], creators={w.company.id: [s.get(User, w.creator.id)]},
                                ctx=lambda at: Ctx(s, at, settings))
        seed_replies(world)
    for _name, _purpose, body in PLATFORM_REPLIES + COMPANY_REPLIES:
        assert canned.unknown_placeholders(body) == []
    with Session() as s:
        kept = {(r.scope, r.name) for r in s.scalars(select(CannedReply))}
    assert kept == {("platform", n) for n, _p, _b in PLATFORM_REPLIES} | {(w.company.id, n) for n, _p, _b in
                                                                         COMPANY_REPLIES}
