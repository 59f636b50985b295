"""Who may read and write what through the API: the permission matrix of tokens.

Two partner organisations each lead an action with an indicator, and each has one value
in every state. The public sees published values only; a partner's token reads every
state of its own organisation's values and nothing of the other's; it writes only its
own; a revoked token does nothing."""

import datetime
from decimal import Decimal as D

import pytest

from pilotage.accounts.services import token_issue, token_revoke
from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators.models import Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db
STATES = [State.DRAFT, State.SUBMITTED, State.VALIDATED, State.PUBLISHED]


@pytest.fixture
def world():
    steering = SteeringFactory()
    node = StrategyNodeFactory()
    world = {"steering": steering}
    for name in ("ours", "theirs"):
        partner = PartnerEditorFactory()
        action = ActionFactory(lead=partner.organisation)
        action.nodes.add(node)
        indicator = IndicatorFactory(code=name.upper(), action=action)
        for year, state in enumerate(STATES, start=2020):
            day = datetime.date(year, 12, 31)
            ObservationFactory(indicator=indicator, period_start=day, period_end=day, state=state)
        _token, key = token_issue(actor=steering, user=partner, name=name)
        world[name] = {"partner": partner, "key": key, "indicator": indicator}
    _token, world["reader_key"] = token_issue(actor=steering, user=UserFactory(), name="r")
    # Accounts naming an organisation without editing for it read what the public reads.
    ours = world["ours"]["partner"].organisation
    for role, user in (
        ("reader_org", UserFactory(organisation=ours)),
        ("jury_org", JuryMemberFactory(organisation=ours)),
    ):
        _token, world[f"{role}_key"] = token_issue(actor=steering, user=user, name=role)
    _token, world["steering_key"] = token_issue(actor=steering, user=steering, name="s")
    return world


def read(client, key=None, **params):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = client.get("/api/v1/observations/", params, headers=headers)
    assert response.status_code == 200, response.content
    return {(o["indicator"], o["state"]) for o in response.json()["items"]}


def everything(*codes, states=STATES):
    return {(code, str(state)) for code in codes for state in states}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("public", everything("OURS", "THEIRS", states=[State.PUBLISHED])),
        ("ours", everything("OURS")),
        ("theirs", everything("THEIRS")),
        ("reader", everything("OURS", "THEIRS", states=[State.PUBLISHED])),
        ("reader_org", everything("OURS", "THEIRS", states=[State.PUBLISHED])),
        ("jury_org", everything("OURS", "THEIRS", states=[State.PUBLISHED])),
        ("steering", everything("OURS", "THEIRS")),
    ],
)
def test_who_reads_which_values(client, world, who, expected):
    keys = {"public": None} | {
        role: world[f"{role}_key"] for role in ("reader", "reader_org", "jury_org", "steering")
    }
    key = keys[who] if who in keys else world[who]["key"]
    assert read(client, key) == expected


def test_the_public_reads_never_show_unpublished_values_anywhere(client, world):
    assert read(client, indicator="THEIRS") == everything("THEIRS", states=[State.PUBLISHED])
    for code in ("OURS", "THEIRS"):
        detail = client.get(f"/api/v1/indicators/{code}").json()
        assert {o["state"] for o in detail["observations"]} == {"published"}
    listed = client.get("/api/v1/indicators/").json()["items"]
    assert listed and all(i["assessment"]["actual"] in (None, 10) for i in listed)


def test_a_partner_token_cannot_read_the_others_unpublished_values_by_filtering(client, world):
    assert read(client, world["ours"]["key"], indicator="THEIRS") == set()


@pytest.mark.parametrize("target, status", [("OURS", 201), ("THEIRS", 403)])
def test_a_partner_token_writes_only_its_own_organisation(client, world, target, status):
    before = Observation.objects.filter(indicator__code="THEIRS").count()
    response = client.post(
        "/api/v1/observations/",
        {
            "indicator": target,
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "value": "5",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {world['ours']['key']}"},
    )
    assert response.status_code == status, response.content
    assert Observation.objects.filter(indicator__code="THEIRS").count() == before
    if status == 403:
        assert response.json()["code"] == "forbidden"


def test_a_revoked_token_neither_reads_nor_writes(client, world):
    token = world["ours"]["partner"].api_tokens.get()
    token_revoke(actor=world["steering"], token=token)
    headers = {"Authorization": f"Bearer {world['ours']['key']}"}
    assert client.get("/api/v1/observations/", headers=headers).status_code == 401
    response = client.post(
        "/api/v1/observations/",
        {"indicator": "OURS", "period_start": "2025-01-01", "period_end": "2025-03-31"},
        content_type="application/json",
        headers=headers,
    )
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert not Observation.objects.filter(value=D(5)).exists()


def test_writing_needs_a_token(client, world):
    response = client.post(
        "/api/v1/observations/",
        {"indicator": "OURS", "period_start": "2025-01-01", "period_end": "2025-03-31"},
        content_type="application/json",
    )
    assert response.status_code == 401


def test_a_correction_through_the_api_keeps_what_it_leaves_out(client, world):
    post = {
        "indicator": "OURS",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "submit": False,
    }
    headers = {"Authorization": f"Bearer {world['ours']['key']}"}
    first = client.post(
        "/api/v1/observations/",
        {**post, "value": "5", "comment": "d'après le registre"},
        content_type="application/json",
        headers=headers,
    )
    assert first.status_code == 201, first.content

    again = client.post(
        "/api/v1/observations/",
        {**post, "value": "6"},
        content_type="application/json",
        headers=headers,
    )

    assert again.status_code == 201, again.content
    stored = Observation.objects.get(indicator__code="OURS", period_start=datetime.date(2025, 1, 1))
    assert (stored.value, stored.comment) == (D(6), "d'après le registre")
