"""Staff search (data/read/search.py), one page of 25 as the screen will ask for it, and the
API's search through Flask's test client:

    search.case_id       an exact case id (an old, closed case)
    search.payment_id    an exact payment id
    search.email         a customer's full email (exact, or prefix: one LIKE)
    search.email_prefix  the part of that email before the @, with the @
    search.name_word     a customer's name, "Customer 4711": both words in one name ("customer" is
                         in every customer's, "4711" also in Customer 14711, 47110 ...; a number
                         alone is an amount), companies' names alike
    search.name_common   "customer": a word in every customer's name (matches are dense)
    search.company_name  the largest company's full name (two words; ~10% of all cases match)
    search.amount        "199" (199.00 USD/EUR/GBP and 199 in the zero-decimal currencies: one
                         of the generator's most common prices, tens of thousands of cases)
    search.no_match      words nobody's name contains
    api.search.email     GET /api/v1/resolution_center_cases?query=<email>, first=25

Each is checked against the bare SQL a DBA would write for the same answer (the page's ids,
newest first), timed in the same run.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.money.amounts import EXPONENTS
from dashboard.runtime import Runtime
from dashboard.web import create_server
from data.read import search

PAGE = 25

# The bare SQL: the page's cases with the names and email the screen shows, newest first.
SELECT = """SELECT c.id, c.created_at, c.status, c.amount_minor, c.currency, b.name, u.name, u.email
FROM cases c JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT %(n)s"""
OTHER_EXPONENT = sorted(c for c, e in EXPONENTS.items() if e != 2)
SQL = {
    "case_id": SELECT.format(where="c.id = %(q)s"),
    "payment_id": SELECT.format(where="c.payment_id = %(q)s"),
    "email": SELECT.format(where="lower(u.email) LIKE %(like)s"),
    # A DBA's union of the two names (the OR of two joined tables cannot use either index).
    "words": """SELECT c.id, c.created_at, c.status, c.amount_minor, c.currency, b.name, u.name, u.email
FROM cases c JOIN companies b ON b.id = c.company_id JOIN users u ON u.id = c.customer_id
WHERE c.id IN (
  (SELECT c2.id FROM cases c2 JOIN users u2 ON u2.id = c2.customer_id WHERE {users}
   ORDER BY c2.created_at DESC, c2.id DESC LIMIT %(n)s)
  UNION
  (SELECT c3.id FROM cases c3 JOIN companies b3 ON b3.id = c3.company_id WHERE {companies}
   ORDER BY c3.created_at DESC, c3.id DESC LIMIT %(n)s))
ORDER BY c.created_at DESC, c.id DESC LIMIT %(n)s""",
    "amount": SELECT.format(where="(c.amount_minor = %(cents)s AND c.currency <> ALL(%(other)s)) "
                                  "OR (c.amount_minor = %(whole)s AND c.currency = ANY(%(zero)s)) "
                                  "OR (c.amount_minor = %(mills)s AND c.currency = ANY(%(three)s))"),
}


def words_sql(words: list[str]) -> str:
    users = " AND ".join(f"lower(u2.name) LIKE %(w{i})s" for i in range(len(words)))
    companies = " AND ".join(f"lower(b3.name) LIKE %(w{i})s" for i in range(len(words)))
    return SQL["words"].format(users=users, companies=companies)


def words_params(words: list[str]) -> dict:
    return {"n": PAGE, **{f"w{i}": f"%{w}%" for i, w in enumerate(words)}}


@pytest.fixture(scope="module")
def subjects(bench_session, world):
    """What the benchmarks look for, from the generated data: an old closed case and its
    payment, a recent customer's email and name, the largest company's name."""
    with bench_session() as s:
        old_case, old_payment = s.execute(sa.text(
            "SELECT id, payment_id FROM cases WHERE status = 'closed' ORDER BY created_at, id LIMIT 1")).one()
        # A customer with a four-digit number who has a recent case: their number is a word
        # of three letters or more (a shorter one matches at word starts only).
        email, name = s.execute(sa.text(
            "SELECT u.email, u.name FROM cases c JOIN users u ON u.id = c.customer_id "
            "WHERE u.role = 'customer' AND u.name LIKE 'Customer ____' ORDER BY c.created_at DESC LIMIT 1")).one()
    return {"case_id": old_case, "payment_id": old_payment, "email": email, "name": name,
            "company": world.company_name}


@pytest.fixture(scope="module")
def find(bench_session):
    def _find(text: str):
        with bench_session() as s:
            return search.search(s, text, visibility=sa.true(), size=PAGE, exponents=EXPONENTS)

    return _find


def bare_page(sql: str, params: dict):
    def run(bare):
        return bare.run(sql, {"n": PAGE, **params})

    return run


def check(ours, bare) -> list[str]:
    page = ours.result
    got = [r.id for r in page.rows]
    assert got == [r[0] for r in bare.result][:PAGE]
    keys = [(r.created_at, r.id) for r in page.rows]
    assert keys == sorted(keys, reverse=True) and len(set(got)) == len(got)
    return got


def test_case_id(find, subjects, recorder):
    ours, bare = recorder.bench("search.case_id", lambda: find(subjects["case_id"]),
                                sql=bare_page(SQL["case_id"], {"q": subjects["case_id"]}))
    assert check(ours, bare) == [subjects["case_id"]] and ours.result.exact


def test_payment_id(find, subjects, recorder):
    ours, bare = recorder.bench("search.payment_id", lambda: find(subjects["payment_id"]),
                                sql=bare_page(SQL["payment_id"], {"q": subjects["payment_id"]}))
    assert check(ours, bare) == [subjects["case_id"]] and ours.result.exact


def test_email(find, subjects, recorder):
    email = subjects["email"]
    ours, bare = recorder.bench("search.email", lambda: find(email),
                                sql=bare_page(SQL["email"], {"like": email.lower() + "%"}))
    assert check(ours, bare) and all(r.customer_email == email for r in ours.result.rows)


def test_email_prefix(find, subjects, recorder):
    prefix = subjects["email"].split("@")[0] + "@"
    ours, bare = recorder.bench("search.email_prefix", lambda: find(prefix),
                                sql=bare_page(SQL["email"], {"like": prefix.lower() + "%"}))
    assert check(ours, bare) and all(r.customer_email.startswith(prefix) for r in ours.result.rows)


def test_name_word(find, subjects, recorder):
    words = subjects["name"].lower().split()
    ours, bare = recorder.bench("search.name_word", lambda: find(subjects["name"]),
                                sql=bare_page(words_sql(words), words_params(words)))
    assert check(ours, bare) and any(r.customer_name == subjects["name"] for r in ours.result.rows)


def test_name_common(find, recorder):
    ours, bare = recorder.bench("search.name_common", lambda: find("customer"),
                                sql=bare_page(words_sql(["customer"]), words_params(["customer"])))
    assert len(check(ours, bare)) == PAGE


def test_company_name(find, subjects, recorder):
    words = subjects["company"].lower().split()
    ours, bare = recorder.bench("search.company_name", lambda: find(subjects["company"]),
                                sql=bare_page(words_sql(words), words_params(words)))
    got = check(ours, bare)
    assert len(got) == PAGE and all(r.company_name == subjects["company"] for r in ours.result.rows)


def test_amount(find, recorder):
    params = {"cents": 19900, "whole": 199, "mills": 199000, "other": OTHER_EXPONENT,
              "zero": sorted(c for c, e in EXPONENTS.items() if e == 0),
              "three": sorted(c for c, e in EXPONENTS.items() if e == 3)}
    ours, bare = recorder.bench("search.amount", lambda: find("199"), sql=bare_page(SQL["amount"], params))
    assert len(check(ours, bare)) == PAGE


def test_no_match(find, recorder):
    words = ["zzqx", "nobody"]
    ours, bare = recorder.bench("search.no_match", lambda: find("zzqx nobody"),
                                sql=bare_page(words_sql(words), words_params(words)))
    assert ours.result.rows == [] and bare.result == []


@pytest.fixture(scope="module")
def client(bench_engine, settings_for):
    runtime = Runtime.build(settings_for(bench_engine), engine=bench_engine)
    return create_server(runtime).test_client()


def test_api_search_email(client, world, subjects, recorder):
    email = subjects["email"]

    def get():
        r = client.get("/api/v1/resolution_center_cases", query_string={"query": email, "first": PAGE},
                       headers={"Authorization": f"Bearer {world.reviewer_token}"})
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    ours, bare = recorder.bench("api.search.email", get, sql=bare_page(SQL["email"], {"like": email.lower() + "%"}))
    assert [c["id"] for c in ours.result["data"]] == [r[0] for r in bare.result][:PAGE]
