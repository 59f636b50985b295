"""Every model has a working back-office page, in French by default."""

import pytest
from django.contrib import admin
from django.urls import reverse

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.audit import acting_as
from pilotage.taxonomies.models import Taxonomy
from pilotage.taxonomies.tests.factories import TaxonomyFactory

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = [
    model for model in admin.site._registry if model._meta.app_label not in {"auditlog"}
]


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m._meta.label)
def test_list_and_add_pages_open_for_steering_staff(client, shipped_data, model):
    client.force_login(SteeringFactory())
    info = model._meta.app_label, model._meta.model_name

    listing = client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "a"})
    assert listing.status_code == 200

    first = model.objects.first()
    if first is not None:
        change = client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        assert change.status_code == 200
        history = client.get(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
        assert history.status_code == 200


def test_every_domain_model_is_in_the_back_office():
    from django.apps import apps

    domain = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("pilotage.") and not m._meta.abstract
    ]
    missing = [m._meta.label for m in domain if m not in admin.site._registry]
    assert missing == []


def test_the_back_office_speaks_french(client):
    client.force_login(SteeringFactory())
    page = client.get(reverse("admin:index")).content.decode()
    assert '<html lang="fr"' in page
    assert "Stratégies" in page


def test_steering_staff_edit_a_strategy_tree_through_its_inlines(client, shipped_data):
    from pilotage.strategies.models import Strategy

    client.force_login(SteeringFactory())
    strategy = Strategy.objects.get(code="DW2024-2029")
    page = client.get(reverse("admin:strategies_strategy_change", args=[strategy.pk]))

    form = page.context["adminform"].form
    inline_prefixes = [formset.formset.prefix for formset in page.context["inline_admin_formsets"]]
    assert form.instance == strategy
    assert inline_prefixes == ["levels", "nodes"]
    # The node inline is editable (its forms have fields), not a read-only table.
    nodes = page.context["inline_admin_formsets"][1]
    assert nodes.has_change_permission and nodes.has_add_permission


def test_the_audit_trail_is_searched_by_its_author(client):
    steering = SteeringFactory(full_name="Claire Pilote")
    client.force_login(steering)
    with acting_as(steering):
        TaxonomyFactory(code="searched")

    listing = client.get(reverse("admin:auditlog_logentry_changelist"), {"q": "Claire"})

    assert listing.status_code == 200
    # What she did, and her own account, whose name is the entry's.
    assert {entry.object_repr for entry in listing.context["cl"].result_list} == {
        str(Taxonomy.objects.get(code="searched")),
        str(steering),
    }
