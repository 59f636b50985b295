from django.contrib import admin

from pilotage.accounts.permissions import is_steering
from pilotage.core.admin import DomainAdmin
from pilotage.registry import services
from pilotage.registry.models import Organisation
from pilotage.registry.permissions import (
    can_change_organisation,
    can_create_organisation,
    can_delete_organisation,
)
from pilotage.taxonomies.admin import TermAssignmentInline


@admin.register(Organisation)
class OrganisationAdmin(DomainAdmin):
    list_display = ["name", "code", "type", "enterprise_number", "province", "locality"]
    list_filter = ["type", "province"]
    search_fields = ["name", "code", "enterprise_number", "locality"]
    list_select_related = ["type", "province"]
    autocomplete_fields = ["type", "province"]
    inlines = [TermAssignmentInline]
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
        (None, {"fields": ["sources"]}),
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
