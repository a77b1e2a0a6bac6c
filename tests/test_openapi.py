"""The OpenAPI document names exactly the routes the app has, and no generated request, valid
or not, makes the API answer 500 (schemathesis, bounded for CI; QBT_FUZZ_EXAMPLES for more)."""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from web.openapi import document

EXAMPLES = int(os.environ.get("QBT_FUZZ_EXAMPLES", "12"))


def test_the_document_names_every_api_route_and_nothing_else(web_app):
    routes = set()
    for rule in web_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "openapi.openapi_json":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        if path.startswith("/{kind}/"):  # <any(organizations, resources):kind>
            kinds = ("organizations", "resources")
            paths = [path.replace("{kind}", kind) for kind in kinds]
        else:
            paths = [path]
        for one in paths:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((method.lower(), one))
    described = {
        (method, path)
        for path, operations in document()["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert described == routes


def test_the_document_is_served_without_a_token(web_app):
    answer = web_app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200 and answer.get_json()["openapi"].startswith("3.0")


@pytest.fixture
def api_schema(web_app, engine):
    token = engine.create_token("fuzz")["token"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web_app)

    @schema.auth()
    class Token:
        def get(self, case, ctx):
            return token

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_the_api_answer_500(case):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"error", "detail"}
