import tempfile
from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.accounts.permissions import is_steering
from pilotage.core.admin import DomainAdmin, PlainDomainAdmin, RecordAdmin, RoleInlineMixin
from pilotage.core.uploads import ImportAdminMixin
from pilotage.indicators import bulk, campaigns, services
from pilotage.indicators.models import (
    Indicator,
    Observation,
    ObservationImport,
    ObservationPart,
    QuarterlyReport,
    ReportingCampaign,
    Target,
)
from pilotage.indicators.permissions import can_change_indicator, can_report, can_validate
from pilotage.indicators.selectors import observations_visible_to


class TargetInline(RoleInlineMixin, admin.TabularInline):
    model = Target
    extra = 0

    def can_write(self, request, obj):
        return can_change_indicator(request.user, obj)


class ObservationInline(RoleInlineMixin, TranslationTabularInline):
    """The values of an indicator, read here; they are entered and reviewed one by one."""

    model = Observation
    fields = ["period_start", "period_end", "value", "qualifier", "state"]
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def can_write(self, request, obj):
        return False

    def get_queryset(self, request):
        # Another organisation's indicator shows a partner its published values only.
        return observations_visible_to(request.user, super().get_queryset(request))


@admin.register(Indicator)
class IndicatorAdmin(DomainAdmin):
    list_display = [
        "code",
        "title",
        "kind",
        "unit",
        "action",
        "node",
        "target_value",
        "target_date",
    ]
    list_filter = ["kind", "measure", "status_method", "node__strategy"]
    search_fields = ["code", "title", "definition", "external_code"]
    list_select_related = ["action", "node"]
    autocomplete_fields = ["action", "node"]
    inlines = [TargetInline, ObservationInline]
    write_permission = staticmethod(can_change_indicator)
    save_service = staticmethod(services.indicator_save)
    delete_service = staticmethod(services.indicator_delete)
    service_argument = "indicator"


class ObservationPartInline(RoleInlineMixin, admin.TabularInline):
    model = ObservationPart
    autocomplete_fields = ["term"]
    extra = 0

    def can_write(self, request, obj):
        return obj is None or can_report(request.user, obj.indicator)


@admin.register(Observation)
class ObservationAdmin(DomainAdmin):
    list_display = ["indicator", "period_start", "period_end", "value", "qualifier", "state"]
    list_filter = ["state", "qualifier", "indicator__kind"]
    search_fields = ["indicator__code", "indicator__title"]
    list_select_related = ["indicator"]
    autocomplete_fields = ["indicator"]
    readonly_fields = ["state", "review_note", "reported_by"]
    inlines = [ObservationPartInline]
    actions = ["submit", "validate", "publish"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_steering(request.user):
            return queryset
        return queryset.filter(indicator__action__lead_id=request.user.organisation_id)

    def can_add(self, user):
        return user.is_authenticated and user.is_staff

    def can_change(self, user, obj=None):
        return obj is None or can_report(user, obj.indicator)

    def can_delete(self, user, obj=None):
        # A validated (locked) value is deleted only once staff have reopened it; the
        # admin's bulk deletion checks this per value too (and refuses the whole lot).
        locked = obj is not None and obj.state in services.LOCKED_STATES
        return can_validate(user, obj) and not locked

    save_service = staticmethod(services.observation_save)
    delete_service = staticmethod(services.observation_delete)
    service_argument = "observation"

    def _move(self, request, queryset, transition: str):
        moved = 0
        for observation in queryset.select_related("indicator__action"):
            try:
                services.observation_transition(
                    actor=request.user, observation=observation, transition=transition
                )
                moved += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{observation}: {' '.join(error.messages)}", messages.ERROR
                )
        if moved:
            self.message_user(request, _("%(count)d value(s) updated.") % {"count": moved})

    @admin.action(description=_("Submit the selected values"))
    def submit(self, request, queryset):
        self._move(request, queryset, "submit")

    @admin.action(description=_("Validate the selected values"))
    def validate(self, request, queryset):
        self._move(request, queryset, "validate")

    @admin.action(description=_("Publish the selected values"))
    def publish(self, request, queryset):
        self._move(request, queryset, "publish")


@admin.register(Target)
class TargetAdmin(PlainDomainAdmin):
    list_display = ["indicator", "period_start", "period_end", "value"]
    search_fields = ["indicator__code", "indicator__title"]
    list_select_related = ["indicator"]
    autocomplete_fields = ["indicator"]
    write_permission = staticmethod(can_change_indicator)
    save_service = staticmethod(services.target_save)
    delete_service = staticmethod(services.target_delete)
    service_argument = "target"


@admin.register(ObservationPart)
class ObservationPartAdmin(RecordAdmin):
    """Breakdowns, read here; they are entered with their observation."""

    list_display = ["observation", "term", "value"]
    list_select_related = ["observation__indicator", "term"]
    search_fields = ["observation__indicator__code", "term__code"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(observation__in=observations_visible_to(request.user).values("pk"))


@admin.register(ReportingCampaign)
class ReportingCampaignAdmin(DomainAdmin):
    list_display = ["code", "title", "period_start", "period_end", "deadline", "state", "strategy"]
    list_filter = ["state", "strategy"]
    search_fields = ["code", "title"]
    readonly_fields = ["reminded_on"]
    write_permission = staticmethod(lambda user, obj=None: is_steering(user))
    save_service = staticmethod(campaigns.campaign_save)
    delete_service = staticmethod(campaigns.campaign_delete)
    service_argument = "campaign"


@admin.register(QuarterlyReport)
class QuarterlyReportAdmin(RecordAdmin):
    """Frozen reports, read here; they are frozen from the reporting pages."""

    list_display = ["campaign", "frozen_by", "created_at"]
    readonly_fields = ["campaign", "frozen_by", "snapshot"]


@admin.register(ObservationImport)
class ObservationImportAdmin(ImportAdminMixin, RecordAdmin):
    """The record of each bulk import (its rows are the observations themselves), and the
    page that checks then imports a file of values."""

    list_display = ["file_name", "rows", "actor", "created_at", "sha256"]
    readonly_fields = ["file_name", "rows", "actor", "sha256"]
    import_kind = "values"
    import_title = _("Import values")
    import_template = "admin/indicators/observationimport/import.html"

    def can_import(self, user) -> bool:
        return is_steering(user)

    def import_file(self, request, **file):
        """Check, then import, a file of values: the report counts what is created,
        changed (a sample with before and after) or left alone, or lists every problem."""
        return _import_values(request.user, **file)


def _import_values(actor, *, name: str, content: bytes, dry_run: bool):
    # The bulk import streams a file from disk (its size is the command line's concern).
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx") else ""
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(content)
        file.flush()
        return bulk.observations_import(actor=actor, name=name, path=file.name, dry_run=dry_run)
