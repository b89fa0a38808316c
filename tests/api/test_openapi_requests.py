"""Requests are read by the same models the document shows (dashboard.api.schemas), and
pydantic's errors become our codes in one place (dashboard.validation.parse)."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from dashboard.api.schemas import bodies, queries
from dashboard.cases.actions import DecisionInput
from dashboard.errors import DomainError
from dashboard.validation import parse


def _refusal(model, data, source="body"):
    with pytest.raises(DomainError) as caught:
        parse(model, data, source=source)
    err = caught.value
    return err.http_status, err.code, {k: v for k, v in err.detail.items()}


@pytest.mark.parametrize("model, body, expected", [
    (bodies.CreateCase, {}, (422, "receipt_id_required", {"field": "receipt_id"})),
    (bodies.CreateCase, {"receipt_id": "  "}, (422, "receipt_id_required", {"field": "receipt_id"})),
    (bodies.CreateCase, {"receipt_id": 7}, (422, "invalid_field", {"field": "receipt_id"})),
    (bodies.CreateCase, {"receipt_id": "pay_1", "message": ["x"]}, (422, "invalid_field", {"field": "message"})),
    (bodies.CreateCase, {"receipt_id": "pay_1", "attachments": {"id": "f"}}, (422, "invalid_attachments",
                                                                               {"field": "attachments"})),
    (bodies.CreateCase, {"receipt_id": "pay_1", "attachments": [{"id": ""}]}, (422, "invalid_attachments",
                                                                                {"field": "attachments"})),
    (DecisionInput, {"amount": True}, (422, "invalid_amount", {"field": "amount"})),
    (DecisionInput, {"amount": "100"}, (422, "invalid_amount", {"field": "amount"})),
    (DecisionInput, {"amount": 12.5}, (422, "invalid_amount", {"field": "amount"})),
    (bodies.CreatePayment, {"paid_at": "soon"}, (422, "invalid_paid_at", {"field": "paid_at"})),
    (bodies.CreatePayment, {"paid_at": "9999-06-01T00:00:00Z"}, (400, "time_out_of_range", {"parameter": "paid_at"})),
    (bodies.CreateCompany, ["not", "an", "object"], (400, "invalid_json", {})),
])
def test_bodies_are_refused_with_our_codes(model, body, expected):
    assert _refusal(model, body) == expected


def test_the_messages_are_the_published_ones():
    with pytest.raises(DomainError) as caught:
        parse(bodies.CreateCase, {"receipt_id": "pay_1", "message": 5})
    assert caught.value.message == "'message' must be a string."
    with pytest.raises(DomainError) as caught:
        parse(DecisionInput, {"amount": "1"})
    assert caught.value.message == "'amount' must be a whole number of minor units (e.g. 1999 for 19.99)."


def test_a_body_is_read_as_sent():
    body = parse(bodies.CreateCase, {"receipt_id": " pay_1 ", "reason": "fraudulent", "terminate": True,
                                     "attachments": [{"id": "file_a"}, {"direct_upload_id": "file_b"}]})
    assert (body.receipt_id, body.reason, body.message) == ("pay_1", "fraudulent", None)
    assert body.attachments.file_ids == ["file_a", "file_b"]
    assert parse(bodies.CreateCase, {"receipt_id": "p", "attachments": None}).attachments.file_ids == []


@pytest.mark.parametrize("model, args, expected", [
    (queries.CaseListQuery, [("status", "nope")], (400, "invalid_parameter", {"parameter": "status"})),
    (queries.CaseListQuery, [("order", "amount")], (400, "invalid_parameter", {"parameter": "order"})),
    (queries.CaseListQuery, [("first", "ten")], (400, "invalid_parameter", {"parameter": "first"})),
    (queries.CaseListQuery, [("created_after", "yesterday")], (400, "invalid_parameter",
                                                               {"parameter": "created_after"})),
    (queries.CaseListQuery, [("created_after", "1899-12-31T23:59:59Z")], (400, "time_out_of_range",
                                                                          {"parameter": "created_after"})),
    (queries.SummaryQuery, [("groups", "provider")], (400, "invalid_parameter", {"parameter": "groups"})),
    (queries.MetricsQuery, [("start", "0001-01-01")], (400, "invalid_parameter", {"parameter": "start"})),
])
def test_queries_are_refused_with_our_codes(model, args, expected):
    assert _refusal(model, MultiDict(args), source="query") == expected


def test_a_query_reads_repeats_and_ignores_empty_values():
    query = parse(queries.CaseListQuery, MultiDict([("status", "closed"), ("status", ""), ("status", "under_review"),
                                                    ("order", ""), ("first", "5")]), source="query")
    assert [s.value for s in query.status] == ["closed", "under_review"]
    assert (query.order, query.direction, query.first) == ("created_at", "desc", 5)
