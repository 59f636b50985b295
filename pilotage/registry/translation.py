from modeltranslation.translator import TranslationOptions, register

from pilotage.registry.models import Organisation


@register(Organisation)
class OrganisationTranslationOptions(TranslationOptions):
    fields = ("description",)
