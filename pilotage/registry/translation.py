from modeltranslation.translator import TranslationOptions, register

from pilotage.registry.models import Event, Magnet, Organisation, Publication


@register(Organisation)
class OrganisationTranslationOptions(TranslationOptions):
    fields = ("description",)


@register(Event)
class EventTranslationOptions(TranslationOptions):
    fields = ("title", "description")


@register(Publication)
class PublicationTranslationOptions(TranslationOptions):
    fields = ("title",)


@register(Magnet)
class MagnetTranslationOptions(TranslationOptions):
    fields = ("title", "description")
