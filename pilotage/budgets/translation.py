from modeltranslation.translator import TranslationOptions, register

from pilotage.budgets.models import BudgetLine


@register(BudgetLine)
class BudgetLineTranslationOptions(TranslationOptions):
    fields = ("label",)
