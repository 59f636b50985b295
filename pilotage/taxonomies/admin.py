from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.core.admin import DomainAdmin, PlainDomainAdmin, RoleInlineMixin
from pilotage.core.datafiles import DataFileError
from pilotage.taxonomies import selectors, services
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment
from pilotage.taxonomies.permissions import can_change_taxonomy
from pilotage.taxonomies.skos import taxonomy_export


class SkosImportForm(forms.Form):
    file = forms.FileField(label=_("SKOS file"))
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("From the file name")), ("turtle", "Turtle"), ("json-ld", "JSON-LD")],
    )


class PublishedTextsMixin:
    """Texts are saved as typed, surrounding spaces included: a SKOS import keeps them as
    published, and saving a record here must not trim them silently. What the file
    stated beyond the fields (`extras`) is shown, not edited."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.CharField) and db_field.name != "code":
            field.strip = False
        return field

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "extras"]


class TermInline(PublishedTextsMixin, RoleInlineMixin, TranslationTabularInline):
    model = Term
    fields = ["code", "label", "parent", "status", "order"]
    extra = 0
    show_change_link = True
    ordering = ["order", "code"]

    def can_write(self, request, obj):
        return can_change_taxonomy(request.user, obj)


@admin.register(Taxonomy)
class TaxonomyAdmin(PublishedTextsMixin, DomainAdmin):
    list_display = ["code", "title", "version", "created"]
    search_fields = ["code", "title", "definition"]
    inlines = [TermInline]
    actions = ["export_turtle", "export_jsonld"]
    change_list_template = "admin/taxonomies/taxonomy/change_list.html"

    def get_urls(self):
        custom = [
            path(
                "import-skos/",
                self.admin_site.admin_view(self.import_skos_view),
                name="taxonomies_taxonomy_import_skos",
            )
        ]
        return custom + super().get_urls()

    def import_skos_view(self, request):
        """Upload a SKOS file; every problem is listed and nothing is written if any."""
        if not can_change_taxonomy(request.user):
            raise PermissionDenied
        form = SkosImportForm(request.POST or None, request.FILES or None)
        problems, imported = [], None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = services.taxonomy_import_skos(
                    actor=request.user,
                    text=upload.read(),
                    format=form.cleaned_data["format"] or None,
                    file=upload.name,
                )
            except DataFileError as error:
                problems = error.errors
            else:
                names = ", ".join(taxonomy.code for taxonomy in imported.taxonomies)
                counts = ", ".join(f"{what} {n}" for what, n in imported.counts.items() if n)
                self.message_user(
                    request,
                    _("Imported: %(names)s (%(counts)s).") % {"names": names, "counts": counts},
                )
                if not imported.warnings:
                    return redirect("admin:taxonomies_taxonomy_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a SKOS file"),
            "form": form,
            "problems": problems,
            "imported": imported,
            "imported_names": ", ".join(t.code for t in imported.taxonomies) if imported else "",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/taxonomies/taxonomy/import_skos.html", context)

    def _export(self, request, queryset, format: str, suffix: str, content_type: str):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one taxonomy per export."), messages.ERROR)
            return None
        taxonomy = queryset.get()
        response = HttpResponse(taxonomy_export(taxonomy, format=format), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{taxonomy.code}.{suffix}"'
        return response

    @admin.action(description=_("Export as SKOS (Turtle, D4WTA-AP)"))
    def export_turtle(self, request, queryset):
        return self._export(request, queryset, "turtle", "ttl", "text/turtle; charset=utf-8")

    @admin.action(description=_("Export as SKOS (JSON-LD, D4WTA-AP)"))
    def export_jsonld(self, request, queryset):
        return self._export(request, queryset, "json-ld", "jsonld", "application/ld+json")

    write_permission = staticmethod(can_change_taxonomy)
    save_service = staticmethod(services.taxonomy_save)
    delete_service = staticmethod(services.taxonomy_delete)
    service_argument = "taxonomy"


@admin.register(Term)
class TermAdmin(PublishedTextsMixin, DomainAdmin):
    list_display = ["code", "label", "taxonomy", "parent", "status"]
    list_filter = ["taxonomy", "status"]
    search_fields = ["code", "label", "definition", "notation"]
    autocomplete_fields = ["parent"]
    list_select_related = ["taxonomy", "parent"]

    write_permission = staticmethod(can_change_taxonomy)
    save_service = staticmethod(services.term_save)
    delete_service = staticmethod(services.term_delete)
    service_argument = "term"


class TermAssignmentInline(RoleInlineMixin, GenericTabularInline):
    """Terms of any taxonomy applied to the record; who may edit them follows the record."""

    model = TermAssignment
    fields = ["term"]
    autocomplete_fields = ["term"]
    extra = 0
    verbose_name_plural = _("terms")

    def can_write(self, request, obj):
        return obj is None or services.can_tag(request.user, obj)


@admin.register(TermAssignment)
class TermAssignmentAdmin(PlainDomainAdmin):
    """Every use of a term; records are tagged from their own page (the inline)."""

    list_display = ["term", "content_type", "object_id", "created_at"]
    list_filter = ["term__taxonomy", "content_type"]
    search_fields = ["term__code", "term__label"]
    list_select_related = ["term", "content_type"]
    readonly_fields = ["term", "content_type", "object_id", "created_at"]

    def can_view(self, user, obj=None):
        return can_change_taxonomy(user)

    def can_add(self, user):
        return False

    def can_change(self, user, obj=None):
        return False

    def can_delete(self, user, obj=None):
        return obj is not None and services.can_tag(user, obj.record)

    def delete_with_service(self, actor, obj):
        record = obj.record
        remaining = (
            selectors.record_terms(record)
            .filter(taxonomy=obj.term.taxonomy)
            .exclude(pk=obj.term_id)
        )
        services.record_terms_set(
            actor=actor, record=record, taxonomy=obj.term.taxonomy, terms=remaining
        )
