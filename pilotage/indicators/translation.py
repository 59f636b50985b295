from modeltranslation.translator import TranslationOptions, register

from pilotage.indicators.models import Indicator, Observation


@register(Indicator)
class IndicatorTranslationOptions(TranslationOptions):
    fields = ("title", "definition", "unit", "source", "method")
    required_languages = {"fr": ("title",)}


@register(Observation)
class ObservationTranslationOptions(TranslationOptions):
    fields = ("comment",)
