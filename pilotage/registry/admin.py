from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pilotage.accounts.permissions import is_steering
from pilotage.core.admin import DomainAdmin, PlainDomainAdmin, RecordAdmin, RoleInlineMixin
from pilotage.core.uploads import ImportAdminMixin, UploadForm
from pilotage.registry import services
from pilotage.registry.imports import registry_import
from pilotage.registry.models import (
    Affiliation,
    Event,
    Magnet,
    Organisation,
    Person,
    Publication,
    RegistryChange,
    Relation,
)
from pilotage.registry.permissions import (
    can_change_organisation,
    can_create_organisation,
    can_delete_organisation,
    can_view_affiliation,
    can_view_person,
    can_view_person_email,
)
from pilotage.registry.selectors import affiliations_visible_to, persons_visible_to
from pilotage.taxonomies.admin import TermAssignmentInline


class VisibleAffiliationsMixin:
    """An inline of affiliations lists only those its reader may read."""

    def get_queryset(self, request):
        return affiliations_visible_to(request.user, super().get_queryset(request))


class OrganisationAffiliationInline(VisibleAffiliationsMixin, RoleInlineMixin, admin.TabularInline):
    model = Affiliation
    fields = ["person", "kind", "role", "start_date", "end_date"]
    autocomplete_fields = ["person"]
    extra = 0

    def can_write(self, request, obj) -> bool:
        return is_steering(request.user)


class RegistryImportForm(UploadForm):
    kind = forms.ChoiceField(
        label=_("records in the file"),
        choices=[
            ("organisations", _("organisations")),
            ("persons", _("persons")),
            ("relations", _("relations")),
        ],
    )


@admin.register(Organisation)
class OrganisationAdmin(ImportAdminMixin, DomainAdmin):
    import_form = RegistryImportForm
    import_kind = "registry"
    import_title = _("Import into the registry")
    import_template = "admin/registry/organisation/import.html"

    def can_import(self, user) -> bool:
        return can_create_organisation(user)

    def import_file(self, request, **file):
        """Check, then import, organisations, persons or relations: the report lists each
        record created, changed (before and after) or left alone, or every problem, and
        nothing is written if there is any."""
        return registry_import(actor=request.user, **file)

    list_display = ["name", "code", "type", "enterprise_number", "province", "locality"]
    list_filter = ["type", "province"]
    search_fields = ["name", "code", "enterprise_number", "locality"]
    list_select_related = ["type", "province"]
    autocomplete_fields = ["type", "province"]
    inlines = [TermAssignmentInline, OrganisationAffiliationInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "enterprise_number", "type", "description", "website"]}),
        (
            "Adresse",
            {
                "fields": [
                    "street",
                    "postcode",
                    "locality",
                    "country",
                    "latitude",
                    "longitude",
                    "province",
                ]
            },
        ),
        (None, {"fields": ["nace_code", "founded_on", "size_band", "logo", "sources"]}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_steering(request.user):
            return queryset
        return queryset.filter(pk=request.user.organisation_id)

    def get_readonly_fields(self, request, obj=None):
        # A partner edits its profile, not the identity the steering team registered.
        if is_steering(request.user):
            return []
        return ["code", "enterprise_number", "type"]

    def can_add(self, user):
        return can_create_organisation(user)

    def can_change(self, user, obj=None):
        return (
            can_change_organisation(user, obj)
            if obj is not None
            else is_steering(user) or (user.is_authenticated and user.organisation_id is not None)
        )

    def can_delete(self, user, obj=None):
        return can_delete_organisation(user, obj)

    def save_with_service(self, actor, obj):
        services.organisation_save(actor=actor, organisation=obj)

    def delete_with_service(self, actor, obj):
        services.organisation_delete(actor=actor, organisation=obj)


class RegistryInline(RoleInlineMixin, admin.TabularInline):
    extra = 0

    def can_write(self, request, obj) -> bool:
        return is_steering(request.user)


class AffiliationInline(VisibleAffiliationsMixin, RegistryInline):
    model = Affiliation
    fields = ["organisation", "kind", "role", "start_date", "end_date"]
    autocomplete_fields = ["organisation"]


class StaffRecordAdmin:
    """Registry records only steering staff write, through the registry's services."""

    save_service = staticmethod(services.record_save)
    delete_service = staticmethod(services.record_delete)
    service_argument = "record"


@admin.register(Person)
class PersonAdmin(StaffRecordAdmin, PlainDomainAdmin):
    # The e-mail stays off the list: it is never published and seldom needed.
    list_display = ["family_name", "given_name", "code", "job_title", "display_refusal"]
    list_filter = ["display_refusal"]
    # Never the e-mail: searching by it would tell who is registered.
    search_fields = ["family_name", "given_name", "code"]
    inlines = [AffiliationInline]

    # Read rules (registry.permissions): the list, the form and the autocomplete (which
    # goes through get_queryset and get_search_results) show only persons the user reads.
    def get_queryset(self, request):
        return persons_visible_to(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_person(request.user, obj) and super().has_view_permission(request, obj)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not can_view_person_email(request.user, obj):
            exclude.append("email")
        return exclude


@admin.register(Event)
class EventAdmin(StaffRecordAdmin, DomainAdmin):
    list_display = ["title", "code", "type", "start_date", "location"]
    list_filter = ["type", "start_date"]
    search_fields = ["title", "code", "location"]
    autocomplete_fields = ["type", "organisers"]
    inlines = [TermAssignmentInline]


@admin.register(Publication)
class PublicationAdmin(StaffRecordAdmin, DomainAdmin):
    list_display = ["title", "code", "published_on"]
    search_fields = ["title", "code"]
    autocomplete_fields = ["organisations"]
    inlines = [TermAssignmentInline]


@admin.register(Relation)
class RelationAdmin(PlainDomainAdmin):
    list_display = ["organisation", "kind", "target", "start_date", "end_date", "amount"]
    list_filter = ["kind"]
    search_fields = ["organisation__name", "organisation__code"]
    list_select_related = ["organisation", "target_organisation", "target_action", "target_event"]
    autocomplete_fields = ["organisation", "target_organisation", "target_action", "target_event"]

    def can_add(self, user):
        return is_steering(user) or (user.is_authenticated and user.organisation_id is not None)

    def can_change(self, user, obj=None):
        return can_change_organisation(user, obj.organisation) if obj else self.can_add(user)

    def save_with_service(self, actor, obj):
        services.relation_save(actor=actor, relation=obj)

    def delete_with_service(self, actor, obj):
        services.relation_delete(actor=actor, relation=obj)


@admin.register(Magnet)
class MagnetAdmin(DomainAdmin):
    list_display = ["title", "code", "indicator", "public", "open_link"]
    search_fields = ["title", "code", "query"]
    autocomplete_fields = ["indicator"]

    @admin.display(description=_("view"))
    def open_link(self, obj):
        return format_html(
            '<a href="{}?{}">{}</a>', reverse("dashboard:registry"), obj.query, _("open")
        )

    def save_with_service(self, actor, obj):
        services.magnet_save(actor=actor, magnet=obj)

    def delete_with_service(self, actor, obj):
        services.record_delete(actor=actor, record=obj)


@admin.register(RegistryChange)
class RegistryChangeAdmin(RecordAdmin):
    """What the magnet index has followed, for diagnosis."""

    list_display = ["pk", "organisation_id", "updated_at"]


@admin.register(Affiliation)
class AffiliationAdmin(StaffRecordAdmin, PlainDomainAdmin):
    list_display = ["person", "organisation", "kind", "role", "start_date", "end_date"]
    list_filter = ["kind"]
    search_fields = ["person__family_name", "organisation__name"]
    autocomplete_fields = ["person", "organisation"]
    list_select_related = ["person", "organisation"]

    def get_queryset(self, request):
        return affiliations_visible_to(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_affiliation(request.user, obj) and super().has_view_permission(request, obj)
