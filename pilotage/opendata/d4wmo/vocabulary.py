"""The D4WMO-AP vocabulary and the keys both ways share: namespaces, IRIs, annual budgets."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from rdflib import Namespace, URIRef

from pilotage.budgets.selectors import budget_lines
from pilotage.strategies.models import Strategy

D4W = Namespace("http://data4wallonia.com/resource/model/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SCHEMA = Namespace("https://schema.org/")
CLIENT_SITE = "Pilotage"
AUDIENCES = "target-audiences"


def _base() -> str:
    return f"{settings.PILOTAGE_BASE_URI}d4w/"


def _iri(kind: str, code: str) -> URIRef:
    # The record's own key, never a slug of it: "AdN" and "adn" are two IRIs, as they are
    # two codes (codes hold only IRI-safe characters: letters, digits, . _ -).
    return URIRef(f"{_base()}{kind}/{code}")


def _platform() -> str:
    """The platform's own resources (its profile, its desk): outside the registry's keys,
    so an import never takes them for an organisation or a person."""
    return f"{_base()}platform"


def _annual_budgets() -> dict[int, dict[int, Decimal]]:
    """Each action's planned amount by year: the sum of its lines that add up, in the
    public strategies (an action serving a draft too keeps the draft's lines out)."""
    budgets: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in budget_lines(
        action__isnull=False,
        year__isnull=False,
        flow="planned",
        is_declared_total=False,
        strategy__in=Strategy.objects.public(),
    ):
        budgets[line.action_id][line.year] += line.amount
    return budgets
