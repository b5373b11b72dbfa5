"""The OpenAPI 3 schema: valid, complete for v1 (every path, every operation documented
with examples and the one error shape), and its docs page loads nothing from elsewhere."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"
# This part of v1 (the officers' endpoints are added beside it).
APPLICANT_AND_PUBLIC = {
    "/api/v1/centres/",
    "/api/v1/centres/{id}/",
    "/api/v1/centres/{id}/slots/",
    "/api/v1/applications/",
    "/api/v1/applications/{number}/",
    "/api/v1/appointments/",
    "/api/v1/appointments/book/",
    "/api/v1/appointments/{id}/reschedule/",
    "/api/v1/appointments/{id}/cancel/",
    "/api/v1/waitlist-requests/",
    "/api/v1/waitlist-requests/{id}/cancel/",
}


def _v1_paths() -> set[str]:
    """Every route under ``api/v1/``, as OpenAPI spells it (``{id}``, ``{number}``)."""
    found = set()

    def walk(patterns, prefix):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return {path.replace("{pk}", "{id}") for path in found}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_schema_is_also_served_as_json(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "NEXUS Portal API"


def test_the_schema_lists_every_v1_path_and_nothing_else(schema):
    expected = _v1_paths()
    assert expected >= APPLICANT_AND_PUBLIC
    assert set(schema["paths"]) == expected


def test_every_operation_is_documented_with_examples_and_the_error_shape(schema):
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 12
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert successes, where
        examples = [
            example
            for response in responses.values()
            for content in response.get("content", {}).values()
            for example in content.get("examples", {})
        ]
        assert examples, where
        errors = [code for code in responses if code.startswith("4")]
        assert "429" in errors, where
        for code in errors:
            body = responses[code]["content"]["application/json"]
            assert body["schema"]["$ref"] == ERROR_REF, (where, code)
        if method == "post":
            assert {"401", "403", "404"} <= set(errors), where
        if method == "post" and path in APPLICANT_AND_PUBLIC:
            assert "409" in errors or path.endswith("/waitlist-requests/{id}/cancel/"), where


def test_the_error_component_is_code_message_fields(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields"}


def test_the_schema_names_both_ways_to_authenticate(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"tokenAuth", "cookieAuth"} <= set(schemes)
    public = schema["paths"]["/api/v1/centres/"]["get"]["security"]
    assert {} in public


def test_the_docs_page_loads_its_assets_from_this_site_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    # Its init script is the page's own second request (for the CSP: nothing inline).
    assert "/api/docs/?script=" in urls
    for url in urls:
        if url == "/api/docs/?script=":
            continue
        assert not re.match(r"^(https?:)?//", url), url
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    script = client.get("/api/docs/?script=").content.decode()
    # The schema it loads is ours, by path.
    assert "/api/schema/" in script
    for text in (html, script):
        assert "cdn." not in text and "unpkg" not in text and "jsdelivr" not in text
