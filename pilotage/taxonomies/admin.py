from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.core.admin import DomainAdmin
from pilotage.taxonomies import services
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment
from pilotage.taxonomies.permissions import can_change_taxonomy


class TermInline(TranslationTabularInline):
    model = Term
    fields = ["code", "label", "parent", "status", "order"]
    extra = 0
    show_change_link = True
    ordering = ["order", "code"]

    def has_add_permission(self, request, obj=None):
        return can_change_taxonomy(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return can_change_taxonomy(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return can_change_taxonomy(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(Taxonomy)
class TaxonomyAdmin(DomainAdmin):
    list_display = ["code", "title", "version", "created"]
    search_fields = ["code", "title", "definition"]
    inlines = [TermInline]

    def can_add(self, user):
        return can_change_taxonomy(user)

    def can_change(self, user, obj=None):
        return can_change_taxonomy(user, obj)

    def can_delete(self, user, obj=None):
        return can_change_taxonomy(user, obj)

    def save_with_service(self, actor, obj):
        services.taxonomy_save(actor=actor, taxonomy=obj)

    def delete_with_service(self, actor, obj):
        services.taxonomy_delete(actor=actor, taxonomy=obj)


@admin.register(Term)
class TermAdmin(DomainAdmin):
    list_display = ["code", "label", "taxonomy", "parent", "status"]
    list_filter = ["taxonomy", "status"]
    search_fields = ["code", "label", "definition", "notation"]
    autocomplete_fields = ["parent"]
    list_select_related = ["taxonomy", "parent"]

    def can_add(self, user):
        return can_change_taxonomy(user)

    def can_change(self, user, obj=None):
        return can_change_taxonomy(user, obj)

    def can_delete(self, user, obj=None):
        return can_change_taxonomy(user, obj)

    def save_with_service(self, actor, obj):
        services.term_save(actor=actor, term=obj)

    def delete_with_service(self, actor, obj):
        services.term_delete(actor=actor, term=obj)


class TermAssignmentInline(GenericTabularInline):
    """Terms of any taxonomy applied to the record; who may edit them follows the record."""

    model = TermAssignment
    fields = ["term"]
    autocomplete_fields = ["term"]
    extra = 0
    verbose_name_plural = _("terms")

    def _can(self, request, obj):
        return obj is None or services.can_tag(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self._can(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._can(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._can(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
