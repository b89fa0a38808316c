"""`/my-cases` callbacks, called as plain functions by a signed-in user.

Callbacks act as of the real clock, so the data is built relative to now."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import plotly.utils
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate
from sqlalchemy import func, select

from callbacks import my_cases as cb
from data.models import Case, EvidenceFile
from dashboard.cases import party
from dashboard.cases.opening import open_case
from dashboard.context import Ctx
from tests import factories
from tests.factories import PDF_BYTES, PNG_BYTES, days

H = dt.timedelta(hours=1)


def text(*outputs) -> str:
    return json.dumps(outputs, cls=plotly.utils.PlotlyJSONEncoder)


def data_url(data: bytes, declared: str = "image/png") -> str:
    import base64

    return f"data:{declared};base64," + base64.b64encode(data).decode()


@pytest.fixture
def w(runtime, now):
    with runtime.Session.begin() as s:
        return factories.world(Ctx(s, now, runtime.settings))


@pytest.fixture
def make(runtime, now):
    """make(fn) runs fn(ctx) in one committed transaction as of `now` (or at=...)."""

    def _make(fn, at=None):
        with runtime.Session.begin() as s:
            return fn(Ctx(s, at or now, runtime.settings))

    return _make


def count(runtime, model, *where) -> int:
    with runtime.Session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def stored_files(runtime) -> list[Path]:
    root = Path(runtime.settings.upload_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def payments(w, make, now):
    """One payment per verdict for w.customer, plus one for the other customer."""
    def build(ctx):
        pay = lambda **kw: factories.payment(ctx, company=w.company, **kw)  # noqa: E731
        out = {
            "eligible": w.payment,
            "crypto": pay(customer=w.customer, provider="crypto", paid_at=now - days(2), product="Crypto course"),
            "refunded": pay(customer=w.customer, paid_at=now - days(3), product="Refunded course"),
            "expired": pay(customer=w.customer, paid_at=now - days(45), product="Old course"),
            "disputed": pay(customer=w.customer, paid_at=now - days(4), product="Disputed course"),
            "foreign": pay(customer=w.other_customer, paid_at=now - days(1), product="Someone else's course"),
        }
        out["refunded"].refunded_minor, out["refunded"].refunded_at = 5000, now - days(1)
        ctx.session.flush()
        out["case"] = open_case(ctx, actor=w.customer, payment_id=out["disputed"].id, reason="fraudulent",
                                message="Not me").case
        return {k: v.id for k, v in out.items()}

    return make(build)


# ---------------------------------------------------------------------- lists and roles
def test_customer_sees_own_payments_with_plain_reasons(as_user, w, payments):
    with as_user(w.customer):
        table, pages, pager_text, hint = cb.load_payments(0, 1)
    out = text(table)
    for key in ("eligible", "crypto", "refunded", "expired", "disputed"):
        assert payments[key] in out
    assert payments["foreign"] not in out and "Someone else" not in out
    assert "Crypto payments can't be disputed" in out
    assert "Refunded on" in out
    assert "Window closed on" in out
    assert "Case already open" in out and f"/cases/{payments['case']}" in out
    # Exactly one "Open a case" button, on the eligible payment.
    assert out.count('"type": "my-cases-open"') == 1
    assert json.dumps({"type": "my-cases-open", "payment": payments["eligible"]})[1:-1] in out
    assert pages == 1 and pager_text == "1–5 of 5 payments" and "30 days" in hint


def test_payments_page_on_the_server(as_user, w, make, now):
    make(lambda ctx: [factories.payment(ctx, company=w.company, customer=w.customer, paid_at=now - i * H)
                      for i in range(2, 13)])
    with as_user(w.customer):
        _, pages, pager_text, _ = cb.load_payments(0, 1)
        table2, _, pager_text2, _ = cb.load_payments(0, 2)
    assert pages == 2 and pager_text == "1–10 of 12 payments" and pager_text2 == "11–12 of 12 payments"
    assert w.payment.id in text(table2)  # paid a day ago: the oldest, on page 2


def test_customer_cases_say_what_is_needed(as_user, w, payments, make):
    make(lambda ctx: party.merchant_request_info(ctx, actor=w.creator, case_id=payments["case"],
                                                 message="Which card did you use?"))
    with as_user(w.other_customer):
        _, _, other_table, _, _ = cb.load_cases(0, 1)
    with as_user(w.customer):
        alert, style, table, pages, pager_text = cb.load_cases(0, 1)
    assert alert is None and style == {}
    assert payments["case"] in text(table) and "Reply needed by" in text(table)
    assert pager_text == "1–1 of 1 cases"
    assert payments["case"] not in text(other_table) and "You have no cases" in text(other_table)


@pytest.mark.parametrize("role", ["creator", "reviewer", "manager", "integration"])
def test_other_roles_get_nothing(as_user, w, payments, role):
    user = {"creator": w.creator, "reviewer": w.reviewer, "manager": w.manager, "integration": w.integration}[role]
    with as_user(user):
        cases_out = cb.load_cases(0, 1)
        payments_out = cb.load_payments(0, 1)
        form = cb.form_for_payment(payments["eligible"])
    assert "for customers" in text(cases_out[0]) and cases_out[1] == {"display": "none"}
    leaked = text(cases_out, payments_out, form)
    for value in payments.values():
        assert value not in leaked
    assert payments_out[0] is None
    assert form[2] is True and "not found" in text(form[1]).lower()


# ---------------------------------------------------------------------------- the form
@contextlib.contextmanager
def clicked(payment_id, value=1):
    prop = json.dumps({"payment": payment_id, "type": "my-cases-open"}, separators=(",", ":")) + ".n_clicks"
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": value}]))
    try:
        yield
    finally:
        context_value.reset(token)


def test_open_form_for_own_payment_and_not_for_anothers(as_user, w, payments):
    with as_user(w.customer), clicked(payments["eligible"]):
        out = cb.open_form([1])
    is_open, stored, summary, alert, openable, max_chars = out[:6]
    assert is_open and stored == payments["eligible"] and openable and alert is None
    assert "Acme Courses" in text(summary) and max_chars == 5000
    # A crafted click naming another customer's payment shows nothing of it.
    with as_user(w.customer), clicked(payments["foreign"]):
        out = cb.open_form([1])
    assert out[4] is False and "Payment not found" in text(out[3])
    assert "Someone else" not in text(out)
    # Buttons appearing (no click) do not open the form.
    with as_user(w.customer), clicked(payments["eligible"], value=None), pytest.raises(PreventUpdate):
        cb.open_form([None])


def submit(payment_id, *, reason="product_not_received", message="It never arrived.", contents=None,
           filenames=None, load=3):
    return cb.submit_case(1, payment_id, reason, message, contents, filenames, load)


# submit_case's outputs after (alert, result, fields' style, disabled, load): each field's own error.
FIELD = {key: 5 + cb.FIELD_OUTPUTS.index((error_id, "children")) for key, _f, error_id in cb.FIELDS}
INVALID = {key: 5 + cb.FIELD_OUTPUTS.index((field_id, "invalid")) for key, field_id, _e in cb.FIELDS if field_id}


def test_open_a_case_with_files(as_user, w, runtime, payments):
    with as_user(w.customer):
        alert, result, fields_style, disabled, load, *_ = submit(
            payments["eligible"], contents=[data_url(PNG_BYTES), data_url(PDF_BYTES, "application/pdf")],
            filenames=["photo.png", "receipt.pdf"])
    assert alert is None and load == 4 and disabled and fields_style == {"display": "none"}
    with runtime.Session() as s:
        case = s.scalar(select(Case).where(Case.payment_id == payments["eligible"]))
        files = s.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case.id)).all()
    assert case.customer_id == w.customer.id and case.status == "awaiting_merchant"
    assert sorted(f.filename for f in files) == ["photo.png", "receipt.pdf"]
    assert f"/cases/{case.id}" in text(result) and "Your case is open" in text(result)
    assert len(stored_files(runtime)) == 2

    # The same payment again: a clear refusal, still one case.
    with as_user(w.customer):
        alert, result, _, disabled, load, *_ = submit(payments["eligible"])
    assert "already been opened" in text(alert) and result is None and disabled is False
    assert load is not None and count(runtime, Case, Case.payment_id == payments["eligible"]) == 1


@pytest.mark.parametrize("key, expected", [
    ("crypto", "irreversible"),
    ("refunded", "already been refunded"),
    ("expired", "closed on"),
    ("foreign", "Payment not found"),
])
def test_refused_payments_create_nothing(as_user, w, runtime, payments, key, expected):
    before = count(runtime, Case)
    with as_user(w.customer):
        alert, result, *_ = submit(payments[key], contents=[data_url(PNG_BYTES)], filenames=["photo.png"])
    assert expected in text(alert) and result is None
    assert count(runtime, Case) == before
    assert count(runtime, Case, Case.payment_id == payments[key]) == (1 if key == "disputed" else 0)
    assert count(runtime, EvidenceFile) == 0 and stored_files(runtime) == []
    if key == "foreign":
        assert "Someone else" not in text(alert)


@pytest.mark.parametrize("contents, filenames, expected", [
    # PDF bytes named and declared as a PNG: judged by content, refused.
    ([data_url(PNG_BYTES), data_url(PDF_BYTES, "image/png")], ["ok.png", "fake.png"], "fake.png was refused"),
    ([data_url(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/octet-stream")], ["tool.exe"], "not an allowed"),
    ([data_url(PNG_BYTES)] * 4, ["a.png", "b.png", "c.png", "d.png"], "At most 3 files"),
    (["data:image/png;base64,@@@"], ["broken.png"], "could not be read"),
])
def test_refused_files_create_nothing(as_user, w, runtime, payments, contents, filenames, expected):
    with as_user(w.customer):
        out = submit(payments["eligible"], contents=contents, filenames=filenames)
    alert, result = out[:2]
    assert expected in text(out[FIELD["files"]]) and alert is None and result is None  # under the files
    assert count(runtime, Case, Case.payment_id == payments["eligible"]) == 0
    assert count(runtime, EvidenceFile) == 0
    assert stored_files(runtime) == []  # the good file uploaded before the bad one is gone too


@pytest.mark.parametrize("reason, message, field, expected", [
    ("product_not_received", "   ", "message", "required"),
    ("no_such_reason", "Hello", "reason", "Choose why you are opening this case"),
    (None, "Hello", "reason", "Choose why you are opening this case"),
    ("fraudulent", "x" * 5001, "message", "limit is 5000"),
])
def test_invalid_claims_are_refused_under_their_field(as_user, w, runtime, payments, reason, message, field, expected):
    with as_user(w.customer):
        out = submit(payments["eligible"], reason=reason, message=message)
    assert expected in text(out[FIELD[field]]) and out[INVALID[field]] is True and out[0] is None
    for other in set(INVALID) - {field}:
        assert out[INVALID[other]] is False
    shown = text(out)
    # No code, enum value or None a person would read (issue 9: "Unknown reason None. Choose one of: fraudulent, …").
    for word in ("None", "no_such_reason", "product_not_received", "fraudulent", "invalid_reason"):
        assert word not in shown
    assert count(runtime, Case, Case.payment_id == payments["eligible"]) == 0


def test_other_roles_cannot_open_a_case(as_user, w, runtime, payments):
    for user in (w.creator, w.reviewer, w.manager):
        with as_user(user):
            alert, result, *_ = submit(payments["eligible"])
        assert "not found" in text(alert).lower() and result is None
    assert count(runtime, Case, Case.payment_id == payments["eligible"]) == 0


def test_signed_out_gets_an_actionable_error(as_user, payments):
    with as_user(None):
        alert, *_ = submit(payments["eligible"])
        cases_alert, style, *_ = cb.load_cases(0, 1)
    assert "Sign in again" in text(alert) and "Sign in again" in text(cases_alert)
    assert style == {"display": "none"}


def test_open_the_case_waits_for_a_reason_and_a_message():
    """The button follows the fields (issue 9: it was enabled on an empty form) and says
    what is missing until it is ready."""
    disabled, help_text, *_ = cb.follow_fields(True, None, "", None)
    assert disabled is True and help_text == "Choose why you are opening this case."
    disabled, help_text, *_ = cb.follow_fields(True, "fraudulent", "   ", None)
    assert disabled is True and help_text == "Describe the problem to the seller."
    disabled, help_text, *_ = cb.follow_fields(True, "fraudulent", "They charged me twice.", None)
    assert disabled is False and help_text == ""
    # A payment that may not get a case stays closed whatever is typed.
    assert cb.follow_fields(False, "fraudulent", "They charged me twice.", None)[0] is True


def test_an_edited_field_loses_its_error():
    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "my-cases-message.value", "value": "x"}]))
    try:
        out = cb.follow_fields(True, None, "x", None)
    finally:
        context_value.reset(token)
    fields = dict(zip(cb.FIELD_OUTPUTS, out[2:]))
    assert fields[("my-cases-message", "invalid")] is False and fields[("my-cases-message-error", "children")] is None
    assert fields[("my-cases-reason", "invalid")] is not False  # untouched: left as it is


def _strings(node) -> list[str]:
    """The words a person reads in a rendered tree (children, labels, placeholders)."""
    if node is None or isinstance(node, (bool, int, float)):
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, (list, tuple)):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return _strings(node.get("label")) + _strings(node.get("children"))
    found = []
    for prop in ("children", "label", "placeholder", "title"):
        found += _strings(getattr(node, prop, None))
    for option in getattr(node, "options", None) or []:
        found += _strings(option)
    return found


def test_what_a_customer_reads_has_no_codes(as_user, w, payments):
    """Issue 9: no enum value, code or None in what a person reads (ids with mixed case,
    shown as references, are fine)."""
    import re

    code_like = re.compile(r"\b(None|[a-z]+_[a-z_]+)\b")
    with as_user(w.customer):
        rendered = [cb.load_cases(0, 1), cb.load_payments(0, 1)]
        for key in ("eligible", "crypto", "refunded", "expired", "disputed"):
            rendered.append(cb.form_for_payment(payments[key])[:2])
        rendered.append(submit(payments["eligible"], reason=None, message=""))
    words = _strings(rendered)
    assert "Crypto payments can't be disputed" in words  # the walk reads what is shown
    assert any(w.startswith("Choose why you are opening this case: Fraudulent") for w in words)
    for s in words:
        assert not code_like.search(s), s


def test_a_claim_under_the_sellers_threshold_is_refunded_as_it_opens(as_user, w, runtime, payments):
    from data.models import Company, MoneyMovement

    with runtime.Session.begin() as s:
        s.get(Company, w.company.id).auto_refund_card_threshold = 10 ** 6
    with as_user(w.customer):
        alert, result, *_ = submit(payments["eligible"])
    assert alert is None and "Refunded" in text(result) and "automatically" in text(result)
    with runtime.Session() as s:
        case = s.scalar(select(Case).where(Case.payment_id == payments["eligible"]))
        [movement] = s.scalars(select(MoneyMovement).where(MoneyMovement.case_id == case.id)).all()
    assert (case.status, case.outcome) == ("closed", "customer_won")
    assert movement.status == "succeeded"  # settled right after the commit, as an accept is
