import factory

from pilotage.registry.models import Organisation


def enterprise_number_from(base: int) -> str:
    """A valid Belgian enterprise number: 8 digits starting with 0 or 1, then 97 minus
    their remainder by 97 as the two check digits."""
    base = base % (2 * 10**7)
    return f"{base:08d}{97 - (base % 97):02d}"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"ORG-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    enterprise_number = factory.Sequence(lambda n: enterprise_number_from(1_000_000 + n * 7919))
