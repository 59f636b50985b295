"""The OpenAPI document itself: valid for the standard's own validator, and readable by
strict JSON and YAML parsers (no key twice), as the documentation console reads it."""

import json

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def _no_key_twice(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _value in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert not repeated, f"keys given twice: {repeated}"
    return dict(pairs)


def test_the_schema_is_a_valid_openapi_document_with_no_key_twice(client):
    response = client.get("/api/v1/openapi.json", HTTP_HOST="localhost")
    assert response.status_code == 200
    document = json.loads(response.content, object_pairs_hook=_no_key_twice)
    validate(document)  # raises on the first error the OpenAPI 3.1 schema finds
    assert document["openapi"].startswith("3.1")
    assert len(document["paths"]) >= 18


def test_the_api_root_lists_its_resources_and_each_answers(client):
    root = client.get("/api/v1/", HTTP_HOST="localhost")
    assert root.status_code == 200
    body = root.json()
    assert body["schema_url"] == "http://localhost/api/v1/openapi.json"
    names = [resource["name"] for resource in body["resources"]]
    assert {"strategies", "actions", "indicators", "observations", "taxonomies"} <= set(names)
    for resource in body["resources"]:
        path = resource["url"].removeprefix("http://localhost")
        query = "?strategy=NOPE" if path.endswith("totals") else ""
        # Every listed address exists (a required parameter naming no record: a 404 in
        # the API's shape, not the site's page).
        answer = client.get(path + query, HTTP_HOST="localhost")
        assert answer.status_code in (200, 404), path
        assert answer["Content-Type"] == "application/json; charset=utf-8", path


def test_head_answers_as_get_without_a_body_and_options_lists_the_methods(client):
    got = client.get("/api/v1/taxonomies/", HTTP_HOST="localhost")
    head = client.head("/api/v1/taxonomies/", HTTP_HOST="localhost")
    assert (head.status_code, head.content) == (200, b"")
    assert head["Content-Length"] == str(len(got.content))
    assert head["ETag"] == got["ETag"]
    options = client.options("/api/v1/observations/", HTTP_HOST="localhost")
    assert options.status_code == 204
    assert set(options["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}
    refused = client.put("/api/v1/taxonomies/", HTTP_HOST="localhost")
    assert (refused.status_code, refused.json()["code"]) == (405, "method_not_allowed")
