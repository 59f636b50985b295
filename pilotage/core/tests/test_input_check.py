"""Control characters are refused wherever a request carries them, in the API's error
shape under /api/ and as the 400 or 404 page elsewhere; every API error has its code."""

import importlib
import json

import pytest
from django.conf import settings

from pilotage.accounts.services import token_issue
from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "localhost"}


@pytest.fixture
def key():
    _token, key = token_issue(actor=SteeringFactory(), user=PartnerEditorFactory(), name="Test")
    return key


def _post(client, key, body, content_type="application/json"):
    return client.post(
        "/api/v1/observations/",
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {key}"},
        **HOST,
    )


def _error(response) -> tuple:
    body = response.json()
    return response.status_code, body["code"], body["field"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"indicator": "KPI\x00", "period_start": "2026-01-01"}, "indicator"),
        ({"indicator": "KPI", "comment": "line\x0bbreak"}, "comment"),
        ({"indicator": "KPI", "extra\x00": 1}, "extra"),
        ({"indicator": "KPI", "breakdown": [{"term": "a\x1fb"}]}, "breakdown.0.term"),
    ],
)
def test_a_control_character_in_a_json_body_is_a_400_naming_the_field(client, key, payload, field):
    # json.dumps writes the NUL as the escape \u0000: it is caught once decoded.
    body = json.dumps(payload)
    assert "\x00" not in body

    response = _post(client, key, body)

    assert _error(response) == (400, "invalid_character", field)
    assert "U+00" in response.json()["detail"]


def test_a_json_body_sent_as_another_type_is_checked_too(client, key):
    # ninja reads the body as JSON whatever its declared type.
    response = _post(client, key, json.dumps({"indicator": "a\x00"}), "text/plain")
    assert _error(response) == (400, "invalid_character", "indicator")


def test_tab_and_line_breaks_in_a_json_text_are_kept(client, key):
    response = _post(client, key, json.dumps({"indicator": "NOPE", "comment": "a\tb\r\nc"}))
    assert response.json()["code"] != "invalid_character"


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/v1/indicators/?action=a%00b", "action"),
        ("/api/v1/indicators/?action=a%7Fb", "action"),
        ("/api/v1/indicators/?%01x=1", "x"),
        ("/api/v1/indicators/KPI%00", "path"),
        ("/api/v1/strategies/PM40%0A/nodes/", "path"),
    ],
)
def test_a_control_character_in_an_api_address_is_a_400(client, url, field):
    assert _error(client.get(url, **HOST)) == (400, "invalid_character", field)


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        ("{not json", "application/json", (400, "unreadable_body", None)),
        ("indicator=KPI", "application/x-www-form-urlencoded", (400, "unreadable_body", None)),
        ("indicator=KPI", "text/plain", (400, "unreadable_body", None)),
        ("[1, 2]", "application/json", (400, "unreadable_body", None)),
        ('"KPI"', "application/json", (400, "unreadable_body", None)),
        ("[" * 100_000, "application/json", (400, "unreadable_body", None)),
    ],
)
def test_an_unreadable_body_answers_in_the_error_shape(client, key, body, content_type, expected):
    response = _post(client, key, body, content_type)
    assert _error(response) == expected
    assert response.json()["detail"]


def test_an_unknown_api_address_answers_in_the_error_shape(client):
    response = client.get("/api/v1/nothing-here/", **HOST)
    assert _error(response) == (404, "not_found", None)


def test_a_control_character_in_a_page_query_is_the_400_page(client):
    response = client.get("/actions/?province=%00", **HOST)
    assert response.status_code == 400
    assert response.templates[0].name == "400.html"
    assert response.context["message"] == (
        "Un caractère de contrôle (U+0000) ne peut pas figurer dans « province »."
    )


def test_a_control_character_in_a_page_path_is_the_404_page(client):
    response = client.get("/actions/A%00B/", **HOST)
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"


def test_a_parameter_named_path_is_still_a_400(client):
    response = client.get("/actions/?path=%00", **HOST)
    assert response.status_code == 400


def test_the_400_page_speaks_the_language_of_its_address(client):
    response = client.get("/nl/actions/?province=%1B", **HOST)
    assert response.status_code == 400
    assert response.context["message"].startswith("Een besturingsteken (U+001B)")


def test_a_control_character_in_a_form_field_is_refused(client):
    response = client.post(
        "/admin/login/", {"username": "a\x00@example.org", "password": "x"}, **HOST
    )
    assert response.status_code == 400
    assert "username" in response.context["message"]


def test_line_breaks_and_tabs_in_a_form_field_pass(client):
    response = client.post("/admin/login/", {"username": "a\t\r\n", "password": "x"}, **HOST)
    assert response.status_code == 200  # the login form, refusing the account


def test_a_control_character_in_the_session_cookie_is_refused(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    response = client.get("/", **HOST)
    assert response.status_code == 400


def test_production_keeps_the_check(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "pilotage.example.org")
    production = importlib.import_module("config.settings.production")
    assert "pilotage.core.middleware.InputCheckMiddleware" in production.MIDDLEWARE


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/strategies/"),
        ("put", "/api/v1/actions/"),
        ("post", "/api/v1/budgets/totals"),
    ],
)
def test_a_method_an_api_address_does_not_take_is_refused_in_the_api_shape(client, method, path):
    response = getattr(client, method)(path, HTTP_HOST="localhost")

    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "method_not_allowed" and body["field"] is None
    assert "GET" in response["Allow"] and "GET" in body["detail"]
