from modeltranslation.translator import TranslationOptions, register

from pilotage.taxonomies.models import Taxonomy, Term


@register(Taxonomy)
class TaxonomyTranslationOptions(TranslationOptions):
    fields = ("title", "label", "definition")
    required_languages = {"fr": ("title",)}


@register(Term)
class TermTranslationOptions(TranslationOptions):
    fields = ("label", "definition")
    required_languages = {"fr": ("label",)}
