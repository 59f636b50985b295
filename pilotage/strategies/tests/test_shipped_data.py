"""The shipped data: what the seeds describe, loaded by `pilotage load`, idempotently."""

from collections import Counter
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils.html import escape

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


def test_the_line_of_walloon_plans_is_a_chain_of_predecessors(shipped_data):
    """000 l.14-16: "le Contrat d'Avenir en 1999, le Plan Marshall en 2005 et le Plan
    Marshall 2.vert en 2009"; Plan Marshall 4.0 adopted in 2015 (003 l.38, l.69)."""
    chain, strategy = [], Strategy.objects.get(code="PM40")
    while strategy is not None:
        chain.append((strategy.code, strategy.title_fr, strategy.period_start.year))
        strategy = strategy.predecessor
    assert chain == [
        ("PM40", "Plan Marshall 4.0", 2015),
        ("PM2VERT", "Plan Marshall 2.vert", 2009),
        ("PM1", "Plan Marshall", 2005),
        ("CAW", "Contrat d'Avenir", 1999),
    ]
    ends = dict(
        Strategy.objects.filter(code__in=["PM2VERT", "PM1", "CAW"]).values_list(
            "code", "period_end"
        )
    )
    # 003 l.58-62 "2009-2014 : Plan Marshall 2.vert", l.53 "2006-2009 : 1er Plan Marshall";
    # the Contrat d'Avenir's end is not in the seeds.
    assert {code: end.year if end else None for code, end in ends.items()} == {
        "PM2VERT": 2014,
        "PM1": 2009,
        "CAW": None,
    }


def test_the_earlier_plans_carry_only_what_the_seeds_say(shipped_data):
    for code in ("CAW", "PM1", "PM2VERT"):
        strategy = Strategy.objects.get(code=code)
        assert strategy.status == "archived"
        assert not strategy.levels.exists() and not strategy.nodes.exists(), code
        assert all((strategy.title_fr, strategy.title_nl, strategy.title_de, strategy.title_en))
        assert "000_650017cb9e0b6419.txt" in strategy.sources


def test_a_strategy_without_levels_or_nodes_loads_and_shows(shipped_data, client):
    for code in ("CAW", "PM1", "PM2VERT"):
        page = client.get(f"/strategies/{code}/")
        assert page.status_code == 200, code
        assert escape(Strategy.objects.get(code=code).title_fr) in page.content.decode()
    assert escape("Contrat d'Avenir") in client.get("/").content.decode()


def test_the_cluster_policy_phases_load_as_published(shipped_data):
    """003 l.53-56 (280 millions €), l.62-65 (388), l.69-74 (316), each under its plan."""
    from pilotage.budgets.models import BudgetLine

    lines = BudgetLine.objects.filter(code__startswith="CLUSTER-POLICY-")
    assert {
        line.code: (line.strategy.code, line.amount, line.is_declared_total) for line in lines
    } == {
        "CLUSTER-POLICY-2006-2009": ("PM1", Decimal("280000000.00"), False),
        "CLUSTER-POLICY-2009-2014": ("PM2VERT", Decimal("388000000.00"), False),
        "CLUSTER-POLICY-2015-2019": ("PM40", Decimal("316000000.00"), True),
    }


def test_plan_marshall_and_digital_wallonia_2024_2029_have_actions_and_indicators(shipped_data):
    """The instruments the seeds name under a measure or a lever, with their indicators."""
    from pilotage.indicators.models import Indicator

    def served(strategy: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for action, node in StrategyNode.objects.filter(
            strategy__code=strategy, actions__isnull=False
        ).values_list("actions__code", "code"):
            found.setdefault(action, set()).add(node)
        return found

    pm40 = served("PM40")
    # 000 l.233-242 (I.3.2-4), l.252-276 (I.4), l.499-507 (III.1.1-2), l.664 (IV.1.1),
    # l.741 (IV.3.2), l.1096 (V.3.3).
    assert pm40["PM40-WALLANGUES"] == {"I.3.2"}
    assert pm40["PM40-SOWAFINAL-3"] == {"III.1.2"}
    assert pm40["PM40-GENERATIONS-ENTREPRENANTES"] == {"I.4.1", "I.4.2", "I.4.3"}
    assert pm40["PM40-RECO"] == {"V.3.3"}
    assert len(pm40) == 9
    # SOWAFINAL 3: "200 ha nets par an" (000 l.505), one target per year of the plan.
    hectares = Indicator.objects.get(code="PM40-SOWAFINAL3-HECTARES")
    assert hectares.action.code == "PM40-SOWAFINAL-3"
    targets = sorted((t.period_start.year, t.value) for t in hectares.targets.all())
    assert targets == [(year, Decimal(200)) for year in range(2015, 2020)]
    # 004 l.234: the AI calls and the school equipment go on until 2028 under the levers.
    dw29 = served("DW2024-2029")
    assert dw29 == {
        "DW-START-IA": {"L2"},
        "DW-TREMPLIN-IA": {"L2"},
        "DW-CAP-IA": {"L2"},
        "DW-EDU-EQUIPEMENT": {"L11"},
    }
    assert set(
        Indicator.objects.filter(node__strategy__code="DW2024-2029").values_list("code", flat=True)
    ) == {"DW29-SECTOR-GDP-SHARE", "DW29-SECTOR-FTE"}
