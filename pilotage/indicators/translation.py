from modeltranslation.translator import TranslationOptions, register

from pilotage.indicators.models import Indicator, Observation, ReportingCampaign


@register(Indicator)
class IndicatorTranslationOptions(TranslationOptions):
    fields = ("title", "definition", "unit", "source", "method")
    required_languages = {"fr": ("title",)}


@register(Observation)
class ObservationTranslationOptions(TranslationOptions):
    fields = ("comment",)


@register(ReportingCampaign)
class ReportingCampaignTranslationOptions(TranslationOptions):
    fields = ("title",)
    required_languages = {"fr": ("title",)}
