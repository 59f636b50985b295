"""The shipped data: what the seeds describe, loaded by `pilotage load`, idempotently."""

from collections import Counter

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from pilotage.registry.models import Organisation
from pilotage.strategies.models import Action, Strategy, StrategyNode
from pilotage.taxonomies.models import Taxonomy, TermAssignment

pytestmark = pytest.mark.django_db


def nodes_per_level(code: str) -> Counter:
    return Counter(
        StrategyNode.objects.filter(strategy__code=code).values_list("level__code", flat=True)
    )


def test_digital_wallonia_2016_has_5_themes_9_objectives_23_axes(shipped_data):
    assert nodes_per_level("DW2016") == {"theme": 5, "objective": 9, "axis": 23}
    axes = set(
        StrategyNode.objects.filter(strategy__code="DW2016", level__code="axis").values_list(
            "code", flat=True
        )
    )
    assert {"1.1.1", "5.2.5"} <= axes
    # Every axis code starts with its objective's code, which starts with its theme's.
    for node in StrategyNode.objects.filter(strategy__code="DW2016").exclude(parent=None):
        assert node.code.startswith(node.parent.code + ".")


def test_digital_wallonia_2024_2029_has_5_ambitions_with_3_values_and_15_levers(shipped_data):
    assert nodes_per_level("DW2024-2029") == {"ambition": 5, "lever": 15}
    for ambition in StrategyNode.objects.filter(
        strategy__code="DW2024-2029", level__code="ambition"
    ):
        assert len(ambition.values) == 3
        assert all(value["fr"] for value in ambition.values)
    strategy = Strategy.objects.get(code="DW2024-2029")
    assert strategy.predecessor.code == "DW2016-2024"
    assert strategy.predecessor.predecessor.code == "DW2016"


def test_plan_marshall_has_5_axes_with_sub_axes_and_measures(shipped_data):
    counts = nodes_per_level("PM40")
    assert counts["axis"] == 5
    assert counts["sub-axis"] >= 5
    assert counts["measure"] > counts["sub-axis"]


def test_digital_wallonia_programmes_sit_under_ambitions(shipped_data):
    programmes = StrategyNode.objects.filter(strategy__code="DW2016-2024", level__code="programme")
    titles = " ".join(programmes.values_list("title_fr", flat=True))
    for name in ["Giga", "4 AI", "Cyberwal", "Industrie du Futur", "Digital Excellence"]:
        assert name in titles
    assert all(
        p.parent.level.code == "ambition" for p in programmes.select_related("parent__level")
    )


def test_clusters_are_organisations_tagged_with_their_domains(shipped_data):
    clusters = Organisation.objects.filter(type__code="competitiveness-cluster")
    assert {"MECATECH", "GREENWIN", "SKYWIN", "BIOWIN", "WAGRALIM"} <= set(
        clusters.values_list("code", flat=True)
    )
    for cluster in clusters:
        assert TermAssignment.objects.filter(
            object_id=cluster.pk, term__taxonomy__code="s3-domains"
        ).exists(), cluster.code


def test_every_strategy_cites_its_source_documents(shipped_data):
    for strategy in Strategy.objects.all():
        assert ".txt" in strategy.sources, strategy.code


def test_shipped_vocabularies_are_loaded(shipped_data):
    codes = set(Taxonomy.objects.values_list("code", flat=True))
    assert {
        "action-types",
        "target-audiences",
        "funding-sources",
        "organisation-types",
        "provinces",
    } <= codes


def test_loading_twice_changes_nothing(shipped_data, capsys):
    entries = LogEntry.objects.count()
    snapshot = (Strategy.objects.count(), StrategyNode.objects.count(), Action.objects.count())

    call_command("load", no_progress=True)

    output = capsys.readouterr().out
    assert " created" not in output and " updated" not in output
    assert LogEntry.objects.count() == entries
    assert (
        Strategy.objects.count(),
        StrategyNode.objects.count(),
        Action.objects.count(),
    ) == snapshot
