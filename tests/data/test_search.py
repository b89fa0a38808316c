"""Staff search's read model (data/read/search.py) on SQLite and PostgreSQL: each kind of
query finds the right cases, open and closed, newest first; paging by cursor is stable;
the visibility clause is applied; junk input gives an empty page or a clear error.

The people, companies and cases are written straight into the tables (a search reads
stored fields only, whatever state produced them)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data.models import Case, Company, Payment, User
from data.read import search as s
from tests.factories import T0

JPY = {"JPY": 0, "KWD": 3}  # the currencies whose minor unit is not a hundredth, as the API passes them
H = dt.timedelta(hours=1)

COMPANIES = {"biz_acme": "Acme Courses", "biz_zeta": "Zeta Labs", "biz_odd": "100% Real_Deal\\Co"}
PEOPLE = {  # id -> (name, email)
    "user_ana": ("Ana Lima", "ana.lima@example.com"),
    "user_bob": ("Bob O'Brien", "bob@example.com"),
    "user_zoe": ("Zoë Quinn", "zoe@example.org"),
    "user_li": ("Li Wei", "li.wei@example.com"),
    "user_emily": ("Emily Acme", "emily@example.com"),  # "acme" in her name too
}
# case id -> (customer, company, amount_minor, currency, status, hours after T0)
CASES = {
    "reso_a1": ("user_ana", "biz_acme", 19900, "USD", "awaiting_merchant", 1),
    "reso_a2": ("user_ana", "biz_zeta", 4900, "USD", "closed", 2),
    "reso_b1": ("user_bob", "biz_acme", 19900, "EUR", "under_review", 3),
    "reso_z1": ("user_zoe", "biz_zeta", 199, "JPY", "closed", 4),
    "reso_l1": ("user_li", "biz_zeta", 1999, "USD", "awaiting_customer", 5),
    "reso_e1": ("user_emily", "biz_acme", 199000, "KWD", "closed", 6),
    "reso_e2": ("user_emily", "biz_odd", 100, "USD", "closed", 7),
}
NEWEST_FIRST = sorted(CASES, key=lambda c: -CASES[c][5])


@pytest.fixture
def cases(Session):  # noqa: N803
    with Session.begin() as ses:
        ses.execute(sa.insert(Company), [{"id": k, "name": v, "created_at": T0} for k, v in COMPANIES.items()])
        ses.execute(sa.insert(User), [{"id": k, "name": n, "email": e, "role": "customer", "is_active": True,
                                       "session_epoch": 0, "created_at": T0} for k, (n, e) in PEOPLE.items()])
        for cid, (customer, company, amount, currency, status, hours) in CASES.items():
            add_case(ses, cid, customer, company, amount, currency, status, T0 + hours * H)
    return Session


def add_case(ses, cid, customer, company, amount, currency, status, created):
    pid = "pay_" + cid.removeprefix("reso_")
    ses.execute(sa.insert(Payment).values(id=pid, company_id=company, customer_id=customer, provider="stripe",
                                          amount_minor=amount, currency=currency, paid_at=created - H,
                                          refunded_minor=0, refunded_externally=False, created_at=created - H))
    ses.execute(sa.insert(Case).values(
        id=cid, payment_id=pid, company_id=company, customer_id=customer, reason="fraudulent", message="m",
        amount_minor=amount, currency=currency, stage=status, status=status, escalated=status == "under_review",
        final_review=False, customer_appealed=False, merchant_appealed=False, final=status == "closed",
        outcome="merchant_won" if status == "closed" else None, merchant_info_requests=0, refunded_minor=0,
        credited_minor=0, version=1, created_at=created, updated_at=created))


def find(Session, query, *, visibility=None, size=25, after=None):  # noqa: N803
    with Session() as ses:
        return s.search(ses, query, visibility=sa.true() if visibility is None else visibility, size=size,
                        after=after, exponents=JPY)


def ids(page) -> list[str]:
    return [r.id for r in page.rows]


# ------------------------------------------------------------------------- kinds
def test_a_case_id_finds_that_case_open_or_closed_and_says_exact(cases):
    for cid in ("reso_a1", "reso_z1"):
        page = find(cases, cid)
        assert ids(page) == [cid] and page.exact and page.kind == "case_id" and page.next_cursor is None
    row = find(cases, "reso_z1").rows[0]
    assert (row.customer_name, row.company_name, row.amount_minor, row.currency, row.status) == (
        "Zoë Quinn", "Zeta Labs", 199, "JPY", "closed")


def test_a_payment_id_finds_its_case(cases):
    page = find(cases, "  pay_b1 ")
    assert ids(page) == ["reso_b1"] and page.exact and page.kind == "payment_id"


def test_an_unknown_id_is_an_empty_page_not_exact(cases):
    page = find(cases, "reso_doesnotexist")
    assert page.rows == [] and not page.exact and page.next_cursor is None


def test_an_email_exact_or_prefix_any_case(cases):
    assert ids(find(cases, "ana.lima@example.com")) == ["reso_a2", "reso_a1"]
    assert ids(find(cases, "ANA.Lima@Example.COM")) == ["reso_a2", "reso_a1"]
    assert ids(find(cases, "ana.lima@exa")) == ["reso_a2", "reso_a1"]
    assert find(cases, "ana.lima@example.co.uk").rows == []
    assert ids(find(cases, "@example.org")) == []  # a prefix of the email, not any part of it


def test_an_amount_in_each_currencys_minor_units(cases):
    # 199.00 USD, 199.00 EUR, 199 JPY and 199.000 KWD
    for text in ("199", "199.00", "$199", "$ 199.00", "199.0"):
        assert ids(find(cases, text)) == ["reso_e1", "reso_z1", "reso_b1", "reso_a1"], text
    assert ids(find(cases, "199 EUR")) == ["reso_b1"]
    assert ids(find(cases, "usd 199")) == ["reso_a1"]
    assert ids(find(cases, "199 JPY")) == ["reso_z1"]
    assert ids(find(cases, "19.99")) == ["reso_l1"]  # no yen amount has cents
    assert ids(find(cases, "199.000 KWD")) == ["reso_e1"]
    assert find(cases, "1,999.00").rows == [] and ids(find(cases, "1")) == ["reso_e2"]


def test_words_in_a_customers_or_a_companys_name(cases):
    assert ids(find(cases, "lima")) == ["reso_a2", "reso_a1"]
    assert ids(find(cases, "ZETA")) == ["reso_l1", "reso_z1", "reso_a2"]
    assert ids(find(cases, "labs zeta")) == ["reso_l1", "reso_z1", "reso_a2"]  # every word, any order
    assert find(cases, "ana zeta").rows == []  # the words are looked for in one name at a time
    assert ids(find(cases, "o'brien")) == ["reso_b1"]
    assert ids(find(cases, "zoë")) == ["reso_z1"]


def test_a_case_found_by_both_names_is_listed_once(cases):
    # Emily Acme's case at Acme Courses matches by both names.
    assert ids(find(cases, "acme")) == ["reso_e2", "reso_e1", "reso_b1", "reso_a1"]


def test_a_short_word_matches_the_start_of_a_word(cases):
    assert ids(find(cases, "li")) == ["reso_l1", "reso_a2", "reso_a1"]  # Li Wei, Ana Lima; not Emily
    assert ids(find(cases, "wei li")) == ["reso_l1"]


# ----------------------------------------------------------------------- paging
def test_pages_walk_every_match_once_newest_first_and_stay_put_as_cases_arrive(cases):
    seen, cursor, pages = [], None, 0
    while True:
        page = find(cases, "a", size=2, after=cursor)  # names with a word starting with "a": Ana, Emily Acme, Acme
        seen += ids(page)
        pages += 1
        if pages == 1:  # a newer case arrives after the first page: the walk does not shift
            with cases.begin() as ses:
                add_case(ses, "reso_new", "user_ana", "biz_acme", 500, "USD", "awaiting_merchant", T0 + 99 * H)
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = [c for c in NEWEST_FIRST if c not in ("reso_l1", "reso_z1")]
    assert seen == expected and pages == 3
    assert ids(find(cases, "a", size=100))[0] == "reso_new"


def test_a_cursor_of_another_query_or_a_forged_one_starts_from_the_top(cases):
    other = find(cases, "acme", size=1).next_cursor
    assert other is not None
    assert ids(find(cases, "zeta", size=1, after=other)) == ["reso_l1"]
    assert ids(find(cases, "zeta", size=1, after="not-a-cursor")) == ["reso_l1"]


# ------------------------------------------------------------------- visibility
def test_the_visibility_clause_is_applied_to_every_kind(cases):
    zeta = Case.company_id == "biz_zeta"
    assert ids(find(cases, "reso_a1", visibility=zeta)) == []
    assert ids(find(cases, "ana.lima@example.com", visibility=zeta)) == ["reso_a2"]
    assert ids(find(cases, "199", visibility=zeta)) == ["reso_z1"]
    assert ids(find(cases, "acme", visibility=zeta)) == []
    assert ids(find(cases, "lima", visibility=Case.customer_id == "user_bob")) == []
    for text in ("reso_a1", "pay_a1", "lima", "199", "ana.lima@example.com"):
        assert find(cases, text, visibility=sa.false()).rows == []


# ------------------------------------------------------------------------ junk
@pytest.mark.parametrize("text", [
    "'", '"', "' OR 1=1 --", "%", "_", "\\", "%%%", "a%", "_a_", "100%", "\x00", "a\x00b", "\u202e", "😀",
    "日本語", "   ", "", None, "@", "@@", "$", "reso_", "pay_", "Robert'); DROP TABLE cases;--",
    "x" * s.MAX_QUERY, " ".join(["w"] * 50),
])
def test_junk_is_a_clean_page(cases, text):
    page = find(cases, text)
    assert isinstance(page.rows, list) and page.next_cursor is None


def test_like_wildcards_match_themselves(cases):
    assert ids(find(cases, "100%")) == ["reso_e2"]
    assert ids(find(cases, "real_deal")) == ["reso_e2"]
    assert ids(find(cases, "deal\\co")) == ["reso_e2"]
    assert find(cases, "real%deal").rows == [] and find(cases, "re_l").rows == []


def test_a_query_too_long_is_refused_in_a_sentence(cases):
    with pytest.raises(s.QueryTooLong, match="at most 200 characters; yours has 10,240"):
        find(cases, "x" * 10_240)
