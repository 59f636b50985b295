"""Who may read what: every back-office page, each person's own page and every API read,
for every role.

The rule is written below as a table, independently of the code: each distinctive
marker in the test data (an e-mail address, a name, an unpublished value) with the
roles that may read it. Every page of every registered ModelAdmin (each of its URLs,
for each object), every autocomplete, every GET operation of the OpenAPI schema and
the open-data exports are requested as each role; a marker in a body of a role the
table does not allow is an unauthorised read. There must be none, and each role must
still read what it may (so the rules do not pass by hiding everything).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from config.api import api
from pilotage.accounts.models import Role, User
from pilotage.accounts.services import token_issue
from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators.models import ObservationPart
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.models import Affiliation, AffiliationKind, Organisation, Person
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory
from pilotage.taxonomies.tests.factories import TermFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "reader_org", "jury_org", "partner_a", "steering", "superuser"]
STAFF = {"steering", "superuser"}

# The rule, marker by marker: who may read it. A partner editor of organisation A reads
# its own organisation's people who accept display, their e-mail included, and A's
# unpublished values; only steering staff read anyone else, anyone who refused display,
# other organisations' unpublished values and other accounts' e-mails. Readers and jury
# members, even tied to organisation A, read only what is published.
RULES: dict[str, set[str]] = {
    "ZZOWNPERSON": STAFF | {"partner_a"},
    "secret-own@example.org": STAFF | {"partner_a"},
    "ZZSHARED": STAFF | {"partner_a"},
    "secret-shared@example.org": STAFF | {"partner_a"},
    "ZZOTHERPERSON": STAFF,
    "secret-other@example.org": STAFF,
    "ZZREFUSED": STAFF,
    "secret-refused@example.org": STAFF,
    "ZZLONER": STAFF,
    "secret-loner@example.org": STAFF,
    "ZZROLEATB": STAFF,  # the shared person's affiliation to organisation B
    "secret-partner-b@example.org": STAFF,  # another organisation's account
    "ZZUNPUBA": STAFF | {"partner_a"},  # comments of A's unpublished values
    "value-unpublished-A": STAFF | {"partner_a"},
    "ZZUNPUBB": STAFF,
    "value-unpublished-B": STAFF,
}
# The open-data exports are public: there, the names of the persons who accept display
# are everyone's to read (D4WMO-AP's persons); their e-mails never are, nor the rest.
PUBLIC_NAMES = {"ZZOWNPERSON", "ZZSHARED", "ZZOTHERPERSON", "ZZLONER"}
EXPORT_RULES = RULES | {marker: set(ROLES) for marker in PUBLIC_NAMES}
# Unpublished values as any page may write them (917.43, 917,4300 ...).
PATTERNS = {
    "value-unpublished-A": re.compile(r"91[5-9][.,]43"),
    "value-unpublished-B": re.compile(r"92[5-9][.,]43"),
}
UNPUBLISHED = [State.DRAFT, State.SUBMITTED, State.VALIDATED]


def _person(code: str, name: str, email: str, *, refused: bool, at=()) -> Person:
    person = Person.objects.create(
        code=code, given_name="Test", family_name=name, email=email, display_refusal=refused
    )
    for organisation, role in at:
        Affiliation.objects.create(
            person=person, organisation=organisation, kind=AffiliationKind.CONTACT, role=role
        )
    return person


@pytest.fixture
def world() -> dict:
    org_a, org_b = OrganisationFactory(name="Org A"), OrganisationFactory(name="Org B")
    _person("p-own", "ZZOWNPERSON", "secret-own@example.org", refused=False, at=[(org_a, "")])
    _person(
        "p-shared",
        "ZZSHARED",
        "secret-shared@example.org",
        refused=False,
        at=[(org_a, ""), (org_b, "ZZROLEATB")],
    )
    _person("p-other", "ZZOTHERPERSON", "secret-other@example.org", refused=False, at=[(org_b, "")])
    _person("p-refused", "ZZREFUSED", "secret-refused@example.org", refused=True, at=[(org_a, "")])
    _person("p-loner", "ZZLONER", "secret-loner@example.org", refused=False)

    steering = SteeringFactory()
    partner_b = PartnerEditorFactory(
        organisation=org_b, email="secret-partner-b@example.org", full_name=""
    )
    node = StrategyNodeFactory()  # of an adopted strategy: public
    term = TermFactory()
    for letter, organisation, base in (("A", org_a, 915), ("B", org_b, 925)):
        action = ActionFactory(lead=organisation)
        action.nodes.add(node)
        indicator = IndicatorFactory(code=f"IND-{letter}", action=action)
        ObservationFactory(
            indicator=indicator,
            period_start=datetime.date(2019, 1, 1),
            period_end=datetime.date(2019, 12, 31),
            value=Decimal("611.11"),
            state=State.PUBLISHED,
        )
        for offset, state in enumerate(UNPUBLISHED, start=1):
            year = 2020 + offset
            observation = ObservationFactory(
                indicator=indicator,
                period_start=datetime.date(year, 1, 1),
                period_end=datetime.date(year, 12, 31),
                value=Decimal(f"{base + offset}.43"),
                comment_fr=f"ZZUNPUB{letter}",
                state=state,
                reported_by=partner_b if letter == "B" else None,
            )
        ObservationPart.objects.create(
            observation=observation, term=term, value=Decimal(f"{base}.43")
        )

    users = {
        "reader": UserFactory(is_staff=True),
        "reader_org": UserFactory(organisation=org_a, is_staff=True),
        "jury_org": JuryMemberFactory(organisation=org_a, is_staff=True),
        "partner_a": PartnerEditorFactory(organisation=org_a),
        "steering": steering,
        "superuser": User.objects.create_superuser(email="root@example.org", password="x"),
    }
    keys = {
        role: token_issue(actor=steering, user=user, name=role)[1] for role, user in users.items()
    }
    return {"users": users, "keys": keys}


def _markers(body: str) -> set[str]:
    found = {marker for marker in RULES if marker not in PATTERNS and marker in body}
    return found | {marker for marker, pattern in PATTERNS.items() if pattern.search(body)}


def _objects(model) -> list:
    # Every record of the models holding the markers (ten at most each here); three of
    # the longer journals (audit trail, change logs), which hold none of their own.
    records = list(model._default_manager.all()[:11])
    return records if len(records) <= 10 else records[:3]


def admin_pages() -> list[str]:
    """Every GET page of every registered ModelAdmin: its own URLs (list, add, import
    ...) and each object's (change, history, delete), then each autocomplete."""
    pages = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        for pattern in model_admin.urls:
            if not pattern.name:
                continue
            converters = set(getattr(pattern.pattern, "converters", {}))
            if not converters:
                pages.append(reverse(f"admin:{pattern.name}"))
            elif converters == {"object_id"}:
                pages += [reverse(f"admin:{pattern.name}", args=[o.pk]) for o in _objects(model)]
    return pages + autocomplete_pages()


def autocomplete_pages() -> list[str]:
    """For each model with search fields, an autocomplete through a field pointing at it
    (Django's view reads the related admin's get_queryset and get_search_results)."""
    pages = []
    for target, target_admin in admin.site._registry.items():
        if not target_admin.search_fields:
            continue
        source = next(
            (
                (model, field)
                for model in admin.site._registry
                for field in model._meta.get_fields()
                if isinstance(field, models.ForeignKey | models.ManyToManyField)
                and field.remote_field.model is target
            ),
            None,
        )
        if source is None:
            continue
        model, field = source
        for term in ("", "ZZ", "secret", "Test"):
            pages.append(
                f"{reverse('admin:autocomplete')}?app_label={model._meta.app_label}"
                f"&model_name={model._meta.model_name}&field_name={field.name}&term={term}"
            )
    return pages


def site_pages() -> list[str]:
    """The pages of the public site that depend on who reads them: each person's own page
    (their account only, never another's)."""
    return [reverse("dashboard:account")]


def api_pages() -> list[str]:
    """Every GET operation of the OpenAPI schema, its path parameters filled with each
    record it may name, plus the observation filters that name the other organisation."""
    from pilotage.strategies.models import Action, Strategy, StrategyNode
    from pilotage.taxonomies.models import Taxonomy

    codes = {
        "strategies": list(Strategy.objects.values_list("code", flat=True)),
        "actions": list(Action.objects.values_list("code", flat=True)),
        "indicators": ["IND-A", "IND-B"],
        "organisations": list(Organisation.objects.values_list("code", flat=True)),
        "taxonomies": list(Taxonomy.objects.values_list("code", flat=True)),
    }
    nodes = list(StrategyNode.objects.values_list("code", flat=True))
    pages = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        collection = path.removeprefix("/api/v1/").split("/")[0]
        if "{code}" not in path:
            pages.append(path)
            continue
        for code in codes.get(collection, []):
            filled = path.replace("{code}", code)
            pages += [filled.replace("{node}", n) for n in nodes] if "{node}" in path else [filled]
    pages += [f"/api/v1/observations/?indicator={code}" for code in ("IND-A", "IND-B")]
    return pages


def export_pages() -> list[str]:
    """The open-data exports a text search can read: each collection in CSV and JSON,
    and the D4WMO-AP graph (persons included) in both RDF syntaxes."""
    from pilotage.opendata.exports import COLLECTIONS

    pages = [reverse("opendata:index")]
    pages += [reverse("opendata:export", args=[c, f]) for c in COLLECTIONS for f in ("csv", "json")]
    return pages + [reverse("opendata:d4wmo", args=[f]) for f in ("ttl", "jsonld")]


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _read_everything(client, world) -> tuple[dict, dict]:
    """For each role, the markers in the body of each page answered 200, and the status
    of every page."""
    admin_urls, api_urls, export_urls = admin_pages() + site_pages(), api_pages(), export_pages()
    seen: dict[str, dict[str, set[str]]] = {}
    statuses: dict[str, dict[str, int]] = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        key = world["keys"].get(role)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        seen[role], statuses[role] = {}, {}
        for url in admin_urls:
            response = client.get(url, HTTP_HOST="localhost")
            statuses[role][url] = response.status_code
            if response.status_code == 200:
                seen[role][url] = _markers(response.content.decode())
        client.logout()  # the API reads as the token, never as a session
        for url in api_urls:
            response = client.get(url, HTTP_HOST="localhost", headers=headers)
            statuses[role][f"API {url}"] = response.status_code
            if response.status_code == 200:
                seen[role][f"API {url}"] = _markers(response.content.decode())
        if role != "anonymous":
            client.force_login(world["users"][role])
        for url in export_urls:
            response = client.get(url, HTTP_HOST="localhost")
            statuses[role][f"EXPORT {url}"] = response.status_code
            if response.status_code == 200:
                seen[role][f"EXPORT {url}"] = _markers(_body(response))
    return seen, statuses


def test_no_role_reads_what_it_may_not_and_each_reads_what_it_may(client, world):
    seen, statuses = _read_everything(client, world)

    unauthorised = sorted(
        (role, url, marker)
        for role, pages in seen.items()
        for url, markers in pages.items()
        for marker in markers
        if role not in (EXPORT_RULES if url.startswith("EXPORT") else RULES)[marker]
    )
    never_read = sorted(
        (role, marker)
        for marker, roles in RULES.items()
        for role in roles
        if not any(marker in markers for url, markers in seen[role].items() if "EXPORT" not in url)
    )
    assert len(unauthorised) == 0, "unauthorised reads:\n" + "\n".join(map(str, unauthorised))
    assert never_read == [], "allowed but never shown:\n" + "\n".join(map(str, never_read))

    # The crawl reaches what it claims: steering staff open every list of the domain's
    # back-office (third-party admins keep Django's model permissions), and no page of
    # any role fails.
    lists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model.__module__.startswith("pilotage.")
    ]
    assert [url for url in lists if statuses["steering"][url] != 200] == []
    account = reverse("dashboard:account")
    assert {role: statuses[role][account] for role in ROLES} == {
        role: 302 if role == "anonymous" else 200 for role in ROLES
    }
    exported = [m for url, m in seen["anonymous"].items() if url.startswith("EXPORT")]
    assert any("ZZLONER" in markers for markers in exported)  # the exports were read
    failing = [(r, url) for r, pages in statuses.items() for url, s in pages.items() if s >= 500]
    assert failing == []
    assert set(Role.values) == {"steering", "partner_editor", "jury_member", "reader"}
