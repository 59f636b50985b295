import datetime

import factory

from pilotage.taxonomies.models import Taxonomy, Term


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Taxonomy
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"scheme-{n}")
    title_fr = factory.Sequence(lambda n: f"Taxonomie {n}")
    title_en = factory.Sequence(lambda n: f"Taxonomy {n}")
    version = "1.0.0"
    created = datetime.date(2026, 1, 15)


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    taxonomy = factory.SubFactory(TaxonomyFactory)
    code = factory.Sequence(lambda n: f"term-{n}")
    label_fr = factory.Sequence(lambda n: f"Terme {n}")
    label_en = factory.Sequence(lambda n: f"Term {n}")
    label_nl = factory.Sequence(lambda n: f"Term {n} nl")
    label_de = factory.Sequence(lambda n: f"Begriff {n}")
    definition_fr = factory.Sequence(lambda n: f"Définition du terme {n}.")
    definition_en = factory.Sequence(lambda n: f"Definition of term {n}.")
