from decimal import Decimal

import factory

from pilotage.budgets.models import BudgetLine, Flow
from pilotage.strategies.tests.factories import StrategyFactory
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory


def funding_source(code: str = "regional-commitment-credits", parent=None):
    """A term of the funding-sources taxonomy (the one taxonomy budget lines accept)."""
    from pilotage.taxonomies.models import Taxonomy, Term

    taxonomy = Taxonomy.objects.filter(code="funding-sources").first() or TaxonomyFactory(
        code="funding-sources"
    )
    return Term.objects.filter(taxonomy=taxonomy, code=code).first() or TermFactory(
        taxonomy=taxonomy, code=code, parent=parent
    )


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    code = factory.Sequence(lambda n: f"LINE-{n}")
    strategy = factory.SubFactory(StrategyFactory)
    source = factory.LazyFunction(funding_source)
    flow = Flow.PLANNED
    amount = Decimal(100)
