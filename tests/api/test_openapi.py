"""The OpenAPI document is generated from the models the API answers and reads with
(dashboard.api.schemas, the action table's inputs), for exactly the registered routes."""
from __future__ import annotations

import pytest
from pydantic.json_schema import models_json_schema

from dashboard.api import openapi
from dashboard.api.schemas.cases import ResolutionCenterCase
from dashboard.cases.actions import ACTIONS

REF = "#/components/schemas/"


@pytest.fixture
def doc(server):
    return server.test_client().get("/api/v1/openapi.json").get_json()


def _registered(server) -> set[str]:
    out = set()
    for rule in server.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.unknown_route":
            path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
            out |= {f"{m} {path}" for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_the_paths_are_the_registered_routes(server, doc):
    documented = {f"{m.upper()} {p}" for p, item in doc["paths"].items() for m in item}
    assert documented == _registered(server)


def test_components_are_the_models_json_schema(doc):
    """Answers as the serializers dump them: the document says what `wire()` sends."""
    _, top = models_json_schema([(m, "serialization") for m in openapi.ANSWERS], ref_template=REF + "{model}")
    for name, schema in top["$defs"].items():
        assert doc["components"]["schemas"][name] == schema, name


def test_nullable_fields_are_nullable_and_always_sent(doc):
    case = doc["components"]["schemas"]["ResolutionCenterCase"]
    for name in ("refund", "outcome", "decision", "assignee", "response_due_at", "appeal_due_at"):
        assert {"type": "null"} in case["properties"][name]["anyOf"], name
        assert name in case["required"], name
    assert set(case["required"]) == set(ResolutionCenterCase.model_fields)
    assert case["additionalProperties"] is False
    assert case["properties"]["amount_minor"]["type"] == "integer"


def test_action_bodies_are_the_action_tables_inputs(doc):
    for spec in ACTIONS.values():
        operation = doc["paths"][f"/resolution_center_cases/{{case_id}}/{spec.route}"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": REF + spec.input.__name__}
        assert doc["components"]["schemas"][spec.input.__name__]["type"] == "object"


def test_query_parameters_come_from_the_query_models(doc):
    params = {p["name"]: p for p in doc["paths"]["/resolution_center_cases"]["get"]["parameters"]}
    assert params["first"]["schema"] == {"type": "integer", "minimum": 1}
    assert params["status"]["schema"]["items"]["enum"][0] == "awaiting_merchant"
    assert (params["status"]["style"], params["status"]["explode"]) == ("form", True)
    assert params["created_after"]["schema"] == {"type": "string", "format": "date-time"}


def test_a_route_without_a_description_fails_the_document(server):
    from flask import Flask

    app = Flask("probe")
    for rule in server.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            app.add_url_rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
    app.add_url_rule("/api/v1/secret_route", endpoint="api.secret_route", methods=["GET"])
    with pytest.raises(LookupError, match="secret_route"):
        openapi.build_document(app.url_map)
