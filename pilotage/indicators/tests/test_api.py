"""The API: public reads with statuses and explanations, token writes, errors with codes."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection

from pilotage.accounts.services import token_issue, token_revoke
from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.tests.exact import exact_json
from pilotage.indicators import services
from pilotage.indicators.models import Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.readmodel import read_model
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db

Q1 = {"period_start": "2026-01-01", "period_end": "2026-03-31"}


@pytest.fixture
def partner():
    return PartnerEditorFactory()


@pytest.fixture
def key(partner):
    _token, key = token_issue(actor=SteeringFactory(), user=partner, name="Partner software")
    return key


@pytest.fixture
def public_action():
    action = ActionFactory()
    action.nodes.add(StrategyNodeFactory())
    return action


def post(client, key, payload):
    return client.post(
        "/api/v1/observations/",
        payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_api_gives_the_same_status_as_the_pages(client, public_action):
    indicator = IndicatorFactory(code="KPI", action=public_action)
    ObservationFactory(
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 1),
        value=D(45),
    )
    expected = read_model().assessment(indicator.pk)

    body = exact_json(client.get("/api/v1/indicators/KPI"))

    assert body["assessment"]["status"] == expected.status == "behind"
    assert body["assessment"]["actual"] == 45
    assert body["assessment"]["ratio"] == expected.ratio
    assert body["assessment"]["explanation"]
    assert [o["value"] for o in body["observations"]] == [D(45)]


def test_a_value_reads_back_exactly_as_a_json_number(client, public_action):
    """A large integer part and 4 decimals, written as recorded: on PostgreSQL 16 integer
    digits (more than a double holds); SQLite stores decimals as doubles, so there the
    largest value it keeps, 15 digits."""
    sent = D("1234567890123456.1234" if connection.vendor == "postgresql" else "98765432109.8765")
    indicator = IndicatorFactory(code="KPI", action=public_action)
    ObservationFactory(
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 1),
        value=sent,
    )
    stored = Observation.objects.get(indicator=indicator).value

    listed = client.get("/api/v1/observations/", {"indicator": "KPI"})
    detail = client.get("/api/v1/indicators/KPI")

    assert f'"value":{sent},'.encode() in listed.content
    assert exact_json(listed)["items"][0]["value"] == stored == sent
    assert exact_json(detail)["observations"][0]["value"] == stored
    assert exact_json(detail)["assessment"]["actual"] == stored
    # The storage's trailing zeros are not part of the value.
    Observation.objects.filter(indicator=indicator).update(value=D("226.0000"))
    assert b'"value":226,' in client.get("/api/v1/observations/", {"indicator": "KPI"}).content


def test_unpublished_values_are_not_in_the_api(client, public_action):
    indicator = IndicatorFactory(code="KPI", action=public_action)
    ObservationFactory(indicator=indicator, state=State.SUBMITTED)
    body = client.get("/api/v1/indicators/KPI").json()
    assert body["observations"] == [] and body["assessment"]["status"] == "no_data"


def test_a_partner_submits_with_its_token(client, partner, key):
    IndicatorFactory(code="OWN", action__lead=partner.organisation)

    response = post(client, key, {"indicator": "OWN", "value": "12.5", **Q1})

    assert response.status_code == 201
    observation = Observation.objects.get()
    assert (observation.value, observation.state, observation.reported_by) == (
        D("12.5"),
        State.SUBMITTED,
        partner,
    )


def test_a_token_cannot_write_for_another_organisation(client, key):
    IndicatorFactory(code="THEIRS")
    response = post(client, key, {"indicator": "THEIRS", "value": "1", **Q1})
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Observation.objects.exists()


def test_a_locked_period_answers_409(client, partner, key):
    indicator = IndicatorFactory(code="OWN", action__lead=partner.organisation)
    observation = services.observation_record(
        actor=partner,
        indicator=indicator,
        value=D(1),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
    )
    services.observation_transition(actor=partner, observation=observation, transition="submit")
    services.observation_transition(
        actor=SteeringFactory(), observation=observation, transition="validate"
    )

    response = post(client, key, {"indicator": "OWN", "value": "2", **Q1})

    assert (response.status_code, response.json()["code"]) == (409, "locked")


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"indicator": "NOPE", "value": "1", **Q1}, 404, "not_found"),
        ({"indicator": "OWN", "value": "douze", **Q1}, 422, "malformed"),
        (
            {
                "indicator": "OWN",
                "value": "1",
                "period_start": "2026-03-31",
                "period_end": "2026-01-01",
            },
            409,
            "invalid",
        ),
        # Four decimal places are stored: a fifth is refused, never rounded away.
        ({"indicator": "OWN", "value": 1.23456, **Q1}, 422, "malformed"),
        ({"indicator": "OWN", "value": "1.23456", **Q1}, 422, "malformed"),
        # A field Pilotage does not know is refused, never silently dropped.
        ({"indicator": "OWN", "value": "1", "unit": "%", **Q1}, 422, "malformed"),
    ],
    ids=[
        "unknown indicator",
        "not a number",
        "period backwards",
        "five places",
        "five places as text",
        "unknown field",
    ],
)
def test_bad_input_gets_a_4xx_with_a_code(client, partner, key, payload, status, code):
    IndicatorFactory(code="OWN", action__lead=partner.organisation)
    response = post(client, key, payload)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Observation.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps a decimal's 15 first significant digits (a REAL), whatever is sent",
)
def test_a_json_number_is_stored_as_written_not_as_the_nearest_double(client, partner, key):
    """1234567890123.4567 has more digits than a double holds (it reads back as
    1234567890123.4568): the API reads the number as written."""
    IndicatorFactory(code="OWN", action__lead=partner.organisation)
    body = '{"indicator": "OWN", "value": 1234567890123.4567, "period_start": "2026-01-01", '
    body += '"period_end": "2026-03-31"}'
    response = client.post(
        "/api/v1/observations/",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    assert Observation.objects.get().value == D("1234567890123.4567")


def test_no_token_or_a_revoked_one_cannot_write(client, partner, key):
    IndicatorFactory(code="OWN", action__lead=partner.organisation)
    assert post(client, "wrong", {"indicator": "OWN", "value": "1", **Q1}).status_code == 401
    from pilotage.accounts.models import ApiToken

    token_revoke(actor=SteeringFactory(), token=ApiToken.objects.get())
    assert post(client, key, {"indicator": "OWN", "value": "1", **Q1}).status_code == 401


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Pilotage API"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.content.decode()  # served by Pilotage itself


def test_the_status_filter_gives_the_indicators_in_those_statuses(client, public_action):
    # 0 → 100 from 2024-01-01 to 2028-01-01: on 2026-01-01, 731 of 1461 days are gone,
    # so the trajectory expects 50.03; on track from 95 % of that (47.53), behind from 85 %
    # (42.53), at risk below.
    day = datetime.date(2026, 1, 1)
    for code, value in [
        ("A-20", 20),
        ("A-42", 42),
        ("B-43", 43),
        ("B-47", 47),
        ("C-48", 48),
        ("D-100", 100),
        ("E-NONE", None),
    ]:
        indicator = IndicatorFactory(code=code, action=public_action)
        if value is not None:
            ObservationFactory(
                indicator=indicator, period_start=day, period_end=day, value=D(value)
            )
    hidden = IndicatorFactory(code="A-HIDDEN")  # its action serves no strategy: not public
    ObservationFactory(indicator=hidden, period_start=day, period_end=day, value=D(1))

    def codes(query):
        response = client.get(f"/api/v1/indicators/?{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] >= len(body["items"])
        return [item["code"] for item in body["items"]]

    assert codes("status=at-risk") == codes("status=at_risk") == ["A-20", "A-42"]
    assert codes("status=behind&status=at-risk") == ["A-20", "A-42", "B-43", "B-47"]
    assert codes("status=on-track&status=achieved") == ["C-48", "D-100"]
    assert codes("status=no-data") == ["E-NONE"]
    assert codes("status=at-risk&limit=1") == ["A-20"]
    assert codes(f"status=at-risk&action={public_action.code}") == ["A-20", "A-42"]
    refused = client.get("/api/v1/indicators/?status=at-risk&status=doomed")
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == ("unknown_value", "status")
