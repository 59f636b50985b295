import factory

from pilotage.registry.models import Organisation


def enterprise_number_from(base: int) -> str:
    """A valid Belgian enterprise number: 8 digits, then 97 minus their remainder by 97."""
    base = base % 10**8
    return f"0{base:08d}{97 - (base % 97):02d}"[-10:]


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"ORG-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    enterprise_number = factory.Sequence(lambda n: enterprise_number_from(20_000_000 + n * 7919))
