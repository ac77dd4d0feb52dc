"""The OpenAPI 3 description at /api/v1/openapi.json: served, valid, and complete."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def api_routes() -> set[str]:
    """Every route under /api/v1/ in the URL configuration, written the OpenAPI way ({id})."""
    routes: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/v1/") and "<format>" not in route:
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route.replace("^", "").replace("$", ""))
                routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    routes.discard("/api/v1/openapi.json")
    return routes


def test_schema_is_served_as_openapi_3_json_and_lists_every_route(world):
    assert reverse("api-schema") == "/api/v1/openapi.json"
    response = APIClient().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    routes = api_routes()
    assert {"/api/v1/students/", "/api/v1/students/{pk}/", "/api/v1/org-units/"} <= routes
    documented = {re.sub(r"\{\w+\}", "{pk}", path) for path in schema["paths"]}
    assert {re.sub(r"\{\w+\}", "{pk}", r) for r in routes} <= documented
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    students = schema["paths"]["/api/v1/students/"]["get"]
    params = {p["name"] for p in students["parameters"]}
    assert {"school", "class", "grade", "year", "status", "search", "page", "page_size", "ordering"} <= params
    as_of = {p["name"] for p in schema["paths"]["/api/v1/org-units/{id}/"]["get"]["parameters"]}
    assert "as_of" in as_of
    student_schema = schema["components"]["schemas"]["Student"]["properties"]
    assert "personal_id_masked" in student_schema
    assert not any(name.startswith("personal_id") and name != "personal_id_masked" for name in student_schema)


def test_spectacular_validation_passes_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    # --fail-on-warn raises if drf-spectacular had to guess anything about an endpoint.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
        stdout=io.StringIO(),
    )
    assert json.loads(target.read_text())["openapi"].startswith("3.")
