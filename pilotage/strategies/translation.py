from modeltranslation.translator import TranslationOptions, register

from pilotage.strategies.models import (
    Action,
    ActionPartner,
    Strategy,
    StrategyLevel,
    StrategyNode,
)


@register(Strategy)
class StrategyTranslationOptions(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"fr": ("title",)}


@register(StrategyLevel)
class StrategyLevelTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = {"fr": ("name",)}


@register(StrategyNode)
class StrategyNodeTranslationOptions(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"fr": ("title",)}


@register(Action)
class ActionTranslationOptions(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"fr": ("title",)}


@register(ActionPartner)
class ActionPartnerTranslationOptions(TranslationOptions):
    fields = ("role",)
