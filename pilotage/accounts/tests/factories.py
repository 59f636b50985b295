import factory

from pilotage.accounts.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="fr_BE")
    role = Role.READER
    is_staff = False
    password = factory.django.Password("correct horse battery staple")


class SteeringFactory(UserFactory):
    role = Role.STEERING
    is_staff = True


class PartnerEditorFactory(UserFactory):
    role = Role.PARTNER_EDITOR
    is_staff = True
    organisation = factory.SubFactory("pilotage.registry.tests.factories.OrganisationFactory")


class JuryMemberFactory(UserFactory):
    role = Role.JURY_MEMBER
