"""The public registry search and organisation profiles."""

import csv
import io
import re

import pytest

from pilotage.registry.models import Affiliation, AffiliationKind, Person, Relation, RelationKind
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db
COUNT = re.compile(r'<p role="status" class="result-count">(\d+) ')


@pytest.fixture
def ecosystem():
    types = TaxonomyFactory(code="organisation-types")
    company = TermFactory(taxonomy=types, code="company", label_fr="Entreprise")
    startup = TermFactory(taxonomy=types, code="startup", label_fr="Startup", parent=company)
    provinces = TaxonomyFactory(code="provinces")
    namur = TermFactory(taxonomy=provinces, code="namur", label_fr="Namur")
    liege = TermFactory(taxonomy=provinces, code="liege", label_fr="Liège")
    cluster = OrganisationFactory(code="CLUSTER", name="Pôle numérique", type=company)
    members = [
        OrganisationFactory(name=f"Jeune pousse {n}", type=startup, province=namur)
        for n in range(3)
    ] + [OrganisationFactory(name="Grande entreprise", type=company, province=liege)]
    for member in members[:2] + members[3:]:
        Relation.objects.create(
            organisation=member, kind=RelationKind.MEMBER_OF, target_organisation=cluster
        )
    return {"cluster": cluster, "members": members}


def count_on(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return int(COUNT.search(response.content.decode()).group(1))


def test_the_search_page_counts_as_the_api_and_its_url_reproduces_the_view(client, ecosystem):
    url = "/registry/?member_of=CLUSTER&type=startup"
    page = client.get(url).content.decode()
    assert count_on(client, url) == 2
    api = client.get("/api/v1/registry/search?member_of=CLUSTER&type=startup").json()
    assert api["count"] == 2
    # The type facet's counts ignore its own selection: 3 members, 2 of them startups.
    facets = {facet["key"]: facet for facet in api["facets"]}
    counts = {value["code"]: value["count"] for value in facets["type"]["values"]}
    assert counts == {"company": 3, "startup": 2}
    assert 'Entreprise <span class="count">(3)</span>' in page
    assert 'id="facet-type-startup" checked' in page
    assert "Jeune pousse 0" in page and "Grande entreprise" not in page
    assert "<svg" in page  # the map of provinces


def test_not_excludes_and_the_counts_follow(client, ecosystem):
    assert count_on(client, "/registry/?member_of=CLUSTER&not-province=liege") == 2


def test_an_unknown_facet_is_a_400_naming_it(client, ecosystem):
    response = client.get("/registry/?colour=red")
    assert response.status_code == 400 and "colour" in response.content.decode()
    # An unknown facet is a 400; an unknown value names no record: a 404.
    facet = client.get("/api/v1/registry/search?colour=red")
    assert (facet.status_code, facet.json()["code"]) == (400, "unknown_facet")
    api = client.get("/api/v1/registry/search?type=spaceship")
    assert api.status_code == 404
    assert (api.json()["code"], api.json()["field"]) == ("unknown_value", "type")


def test_a_profile_shows_relations_both_ways_and_only_persons_who_agreed(client, ecosystem):
    cluster = ecosystem["cluster"]
    shown = Person.objects.create(
        code="P1",
        given_name="Alice",
        family_name="Publique",
        display_refusal=False,
        email="alice@example.org",
    )
    hidden = Person.objects.create(code="P2", given_name="Bob", family_name="Discret")
    for person in (shown, hidden):
        Affiliation.objects.create(
            person=person, organisation=cluster, kind=AffiliationKind.CONTACT
        )
    page = client.get(f"/registry/{cluster.code}/").content.decode()
    assert "Alice Publique" in page
    assert "alice@example.org" not in page  # never an e-mail
    assert "Discret" not in page
    assert "Jeune pousse 0" in page  # a member, from the cluster's side
    member = client.get(f"/registry/{ecosystem['members'][0].code}/").content.decode()
    assert "Pôle numérique" in member
    assert client.get("/registry/NOBODY/").status_code == 404


def test_the_export_holds_what_the_screen_shows(client, ecosystem):
    response = client.get("/registry/organisations.csv?member_of=CLUSTER&type=startup")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["code", "name"]
    assert sorted(row[1] for row in rows[1:]) == ["Jeune pousse 0", "Jeune pousse 1"]
    assert client.get("/registry/organisations.csv?colour=red").status_code == 400


def test_the_search_api_answers_304_until_the_registry_changes(client, ecosystem):
    url = "/api/v1/registry/search?member_of=CLUSTER"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    Relation.objects.create(
        organisation=ecosystem["members"][2],
        kind=RelationKind.MEMBER_OF,
        target_organisation=ecosystem["cluster"],
    )
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again.json()["count"] == 4
