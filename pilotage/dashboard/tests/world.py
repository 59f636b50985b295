"""A random but reproducible world of public actions for the dashboard's tests: strategies
(one draft), a tree, actions with types, audiences, leads, dates, and province and
funding-source terms (with a parent term), built with the factories."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import Action, ActionStatus, StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.services import record_terms_apply
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory


@dataclass
class World:
    strategies: list = field(default_factory=list)
    draft: object = None
    nodes: list = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    draft_actions: list[Action] = field(default_factory=list)
    terms: dict = field(default_factory=dict)  # taxonomy code -> list of terms
    truth: dict = field(default_factory=dict)  # action id -> facet key -> set of codes
    leads: list = field(default_factory=list)


def build_world(seed: int = 7, actions: int = 40) -> World:
    world = World()
    for code, labels in {
        "action-types": ["call", "cheque", "network"],
        "target-audiences": ["citizens", "companies", "schools"],
        "provinces": ["hainaut", "liege", "namur"],
    }.items():
        taxonomy = TaxonomyFactory(code=code)
        world.terms[code] = [TermFactory(taxonomy=taxonomy, code=label) for label in labels]
    funding = TaxonomyFactory(code="funding-sources")
    erdf = TermFactory(taxonomy=funding, code="erdf")
    world.terms["funding-sources"] = [
        erdf,
        TermFactory(taxonomy=funding, code="erdf-transition", parent=erdf),
        TermFactory(taxonomy=funding, code="erdf-developed", parent=erdf),
        TermFactory(taxonomy=funding, code="recovery-plan"),
    ]
    for index in range(2):
        strategy = StrategyFactory(code=f"S{index}")
        level = StrategyLevelFactory(strategy=strategy, code="ambition", depth=0)
        world.strategies.append(strategy)
        world.nodes += [
            StrategyNodeFactory(strategy=strategy, level=level, code=f"A{n}") for n in range(2)
        ]
    world.draft = StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT)
    draft_node = StrategyNodeFactory(
        strategy=world.draft,
        level=StrategyLevelFactory(strategy=world.draft, code="ambition", depth=0),
        code="D1",
    )
    world.leads = [OrganisationFactory() for _ in range(3)]
    add_actions(world, actions, seed=seed)
    for index in range(3):
        hidden = ActionFactory(code=f"HIDDEN-{index}", title_fr=f"Action brouillon {index}")
        hidden.nodes.set([draft_node])
        world.draft_actions.append(hidden)
    return world


def add_actions(world: World, count: int, *, seed: int = 7) -> None:
    """Public actions with random facets; what each one is goes into `world.truth`."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    statuses = [ActionStatus.PLANNED, ActionStatus.RUNNING, ActionStatus.COMPLETED]
    for index in range(len(world.actions), len(world.actions) + count):
        start = datetime.date(2020 + rng.randrange(5), 1, 1)
        action = ActionFactory(
            code=f"ACT-{index:03}",
            type=rng.choice(world.terms["action-types"] + [None]),
            status=rng.choice(statuses),
            lead=rng.choice(world.leads),
            start_date=start if rng.random() < 0.8 else None,
            end_date=start.replace(year=start.year + rng.randrange(1, 4))
            if rng.random() < 0.7
            else None,
        )
        nodes = rng.sample(world.nodes, rng.randrange(1, 3))
        action.nodes.set(nodes)
        audiences = rng.sample(world.terms["target-audiences"], rng.randrange(0, 3))
        action.target_audiences.set(audiences)
        # Leaf terms only for funding, so that a parent's count must gather its children.
        provinces = rng.sample(world.terms["provinces"], rng.randrange(0, 3))
        sources = rng.sample(world.terms["funding-sources"][1:], rng.randrange(0, 3))
        for terms in (provinces, sources):
            if terms:
                record_terms_apply(record=action, taxonomy=terms[0].taxonomy, terms=terms)
        world.actions.append(action)
        world.truth[action.pk] = {
            "strategy": {node.strategy.code for node in nodes},
            "type": {action.type.code} if action.type else set(),
            "audience": {term.code for term in audiences},
            "status": {action.status},
            "lead": {action.lead.code},
            "province": {term.code for term in provinces},
            "funding": {term.code for term in sources}
            | (
                {"erdf"}
                if any(term.parent_id == world.terms["funding-sources"][0].pk for term in sources)
                else set()
            ),
            "dates": (action.start_date, action.end_date),
        }


def expected_count(
    world: World, selected: dict[str, list[str]], date_from=None, date_to=None, undated=None
):
    """The number of public actions matching, computed from the world's own record of
    what each action is: OR within a facet, AND across facets. An action with neither
    date matches no window; `undated=True` selects it, `undated=False` leaves it out."""
    count = 0
    for truth in world.truth.values():
        if not all(truth[key] & set(codes) for key, codes in selected.items() if codes):
            continue
        start, end = truth["dates"]
        if start is None and end is None:
            if undated or (undated is None and not (date_from or date_to)):
                count += 1
            continue
        if undated and not (date_from or date_to):
            continue
        if date_to and start and start > date_to:
            continue
        if date_from and end and end < date_from:
            continue
        count += 1
    return count
