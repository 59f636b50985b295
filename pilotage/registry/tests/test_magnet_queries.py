"""A magnet's query as people paste it: from the address bar, with its "?", or refused on
its form in the back-office, never a 500."""

import datetime

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.tests.backoffice import admin_form_data
from pilotage.registry.models import Magnet
from pilotage.registry.services import magnet_count, magnet_save
from pilotage.registry.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    from pilotage.registry.models import Relation, RelationKind

    cluster = OrganisationFactory(code="CLUSTER")
    for member in (OrganisationFactory(), OrganisationFactory()):
        Relation.objects.create(
            organisation=member,
            kind=RelationKind.MEMBER_OF,
            target_organisation=cluster,
            start_date=datetime.date(2020, 1, 1),
        )
    return cluster


@pytest.mark.parametrize(
    "pasted",
    [
        "?member_of=CLUSTER",
        "  ?member_of=CLUSTER ",
        "https://pilotage.example.org/registry/?member_of=CLUSTER",
        "/nl/registry/?member_of=CLUSTER#results",
    ],
)
def test_a_query_copied_from_the_address_bar_is_understood(cluster, pasted):
    magnet = magnet_save(
        actor=SteeringFactory(), magnet=Magnet(code="members", title_fr="Membres", query=pasted)
    )
    assert magnet.query == "member_of=CLUSTER"
    assert magnet_count(Magnet.objects.get(code="members")) == 2


def _admin_add(client, query: str):
    url = reverse("admin:registry_magnet_add")
    page = client.get(url, HTTP_HOST="localhost")
    data = admin_form_data(page, code="members", title_fr="Membres", query=query)
    return client.post(url, data, HTTP_HOST="localhost")


def test_the_back_office_saves_a_query_with_its_question_mark(client, cluster):
    client.force_login(SteeringFactory())
    response = _admin_add(client, "?member_of=CLUSTER")
    assert response.status_code == 302
    assert Magnet.objects.get(code="members").query == "member_of=CLUSTER"


def test_the_back_office_shows_a_query_that_does_not_read_on_its_field(client, cluster):
    client.force_login(SteeringFactory())
    response = _admin_add(client, "?colour=red")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["query"] == ["« colour » n'est pas une facette."]
    assert form["query"].value() == "?colour=red"
    assert not Magnet.objects.filter(code="members").exists()
