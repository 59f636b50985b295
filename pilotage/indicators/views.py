"""Reporting pages for action owners and the steering team (an account is needed)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from pilotage.accounts.permissions import is_steering
from pilotage.core import uploads
from pilotage.core.spreadsheets import plain, written
from pilotage.indicators import campaigns, reports, services
from pilotage.indicators.forms import ReviewForm, UploadForm, ValueForm, indicator_kind
from pilotage.indicators.models import (
    CampaignState,
    Indicator,
    Measure,
    Observation,
    ObservationState,
    QuarterlyReport,
    ReportingCampaign,
)
from pilotage.indicators.permissions import can_view_report


class CampaignListView(LoginRequiredMixin, TemplateView):
    template_name = "indicators/campaign_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        visible = campaigns.campaigns_visible_to(self.request.user)
        for campaign in visible.filter(state=CampaignState.OPEN):
            try:
                items = campaigns.due_for(self.request.user, campaign)
            except PermissionDenied:
                items = []
            missing = sum(1 for item in items if item.state in ("missing", ObservationState.DRAFT))
            rows.append({"campaign": campaign, "due": len(items), "missing": missing})
        context["rows"] = rows
        return context


@dataclass
class ReportingRow:
    """One indicator due, as the reporting page shows it: the value stored, the form to
    report it (None when the period is locked or the campaign closed), its kind and its
    previous value."""

    item: campaigns.DueItem
    form: ValueForm | None
    kind: str
    shown: str = ""
    previous: Observation | None = None
    previous_shown: str = ""


def shown(indicator: Indicator, observation: Observation | None) -> str:
    """A stored value as the reader's language writes it (5 000 000,5; 5,000,000.5)."""
    if observation is None:
        return ""
    if indicator.measure == Measure.TEXT:
        return Truncator(observation.text_value).chars(80)
    if observation.value is None:
        return ""
    return number_format(Decimal(plain(observation.value)), force_grouping=True)


def localised(text: str) -> str:
    """A number of an upload's report (written 1234.5) as the reader's language writes
    it; any other text as it is."""
    try:
        number = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return text
    return number_format(number, force_grouping=True) if number.is_finite() else text


def previous_values(campaign: ReportingCampaign, indicators) -> dict[int, Observation]:
    """Each indicator's last value reported for a period ending before the campaign's
    (a draft is not a value yet), in one query."""
    previous: dict[int, Observation] = {}
    earlier = (
        Observation.objects.filter(indicator__in=indicators, period_end__lt=campaign.period_start)
        .exclude(state=ObservationState.DRAFT)
        .only("indicator_id", "period_start", "period_end", "value", "text_value", "state")
        .order_by("indicator_id", "-period_end", "-period_start")
    )
    for observation in earlier:
        previous.setdefault(observation.indicator_id, observation)
    return previous


class CampaignDetailView(LoginRequiredMixin, View):
    """What the user owes: a form per value, the template to download, the upload."""

    template_name = "indicators/campaign_detail.html"

    def get_campaign(self, code):
        return get_object_or_404(ReportingCampaign, code=code)

    def render(
        self,
        request,
        campaign,
        *,
        items=None,
        bound: ValueForm | None = None,
        upload_form=None,
        problems=(),
        report=None,
        status=200,
    ):
        if items is None:
            items = campaigns.due_for(request.user, campaign)
        is_open = campaign.state == CampaignState.OPEN
        previous = previous_values(campaign, [item.indicator for item in items])
        rows = []
        for item in items:
            indicator = item.indicator
            form = None
            if is_open and item.state not in services.LOCKED_STATES:
                if bound is not None and bound.item_indicator.pk == indicator.pk:
                    form = bound
                else:
                    form = ValueForm(indicator=indicator, observation=item.observation)
            earlier = previous.get(indicator.pk)
            rows.append(
                ReportingRow(
                    item=item,
                    form=form,
                    kind=indicator_kind(indicator),
                    shown=shown(indicator, item.observation),
                    previous=earlier,
                    previous_shown=shown(indicator, earlier),
                )
            )
        return TemplateResponse(
            request,
            self.template_name,
            {
                "campaign": campaign,
                "items": items,
                "rows": rows,
                "bound": bound,
                "upload_form": upload_form or UploadForm(),
                "problems": problems,
                "report": report,
                "example_percent": written(Decimal("12.5")),
                "is_steering": is_steering(request.user),
                "open": is_open,
            },
            status=status,
        )

    def get(self, request, code):
        return self.render(request, self.get_campaign(code))

    def post(self, request, code):
        campaign = self.get_campaign(code)
        if campaign.state != CampaignState.OPEN:
            messages.error(request, _("This campaign is closed."))
            return redirect("reporting:campaign-detail", code=campaign.code)
        if "indicator" in request.POST:
            return self.post_value(request, campaign)
        return self.post_upload(request, campaign)

    def post_value(self, request, campaign):
        """One indicator's value from the web form: recorded and submitted, or the page
        again with the error beside the field and what was typed kept in it."""
        items = campaigns.due_for(request.user, campaign)
        code = request.POST.get("indicator", "")
        item = next((item for item in items if item.indicator.code == code), None)
        if item is None:
            raise PermissionDenied
        form = ValueForm(request.POST, indicator=item.indicator, observation=item.observation)
        if form.is_valid():
            try:
                # A refused submission leaves no draft behind (the request's transaction
                # goes on to render the page).
                with transaction.atomic():
                    observation = services.observation_record(
                        actor=request.user,
                        indicator=item.indicator,
                        period_start=campaign.period_start,
                        period_end=campaign.period_end,
                        **form.record_arguments(),
                    )
                    services.observation_transition(
                        actor=request.user, observation=observation, transition="submit"
                    )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("%(code)s submitted.") % {"code": item.indicator.code})
                return redirect("reporting:campaign-detail", code=campaign.code)
        return self.render(request, campaign, items=items, bound=form, status=400)

    def post_upload(self, request, campaign):
        """A completed template: checked only ("check the file": the report of what it
        would do, the file kept to be submitted without a second upload), or recorded
        and submitted, all or nothing."""
        form = UploadForm(request.POST, request.FILES)
        result = uploads.upload_run(
            request,
            form,
            kind=f"campaign:{campaign.code}",
            run=partial(campaigns.campaign_upload, actor=request.user, campaign=campaign),
        )
        if result.problems or form.errors or result.report is None:
            return self.render(
                request, campaign, upload_form=form, problems=result.problems, status=400
            )
        report = result.report
        if not result.done:
            # The template reads plain data: ImportReport's item lookup counts actions,
            # which the template language tries before attributes.
            shown_report = {
                "file": report.file,
                "rows": [
                    {
                        "record": row.record,
                        "key": row.key,
                        "action": row.action,
                        "changes": [
                            (column, localised(before), localised(after))
                            for column, (before, after) in row.changes.items()
                        ],
                    }
                    for row in report.rows
                ],
                "notes": report.notes,
                "counts": {action: report.count(action) for action in UPLOAD_OUTCOMES},
                "checked": result.checked,
            }
            return self.render(request, campaign, report=shown_report)
        for note in report.notes:
            messages.info(request, note)
        counts = {action: report.count(action) for action in UPLOAD_OUTCOMES}
        if counts["created"] or counts["updated"]:
            messages.success(
                request,
                _(
                    "%(created)d new value(s) and %(updated)d changed value(s) submitted; "
                    "%(unchanged)d unchanged, %(empty)d row(s) without a value."
                )
                % counts,
            )
        else:
            # "0 values submitted" is never a success.
            messages.warning(
                request,
                _(
                    "Nothing was recorded: %(unchanged)d value(s) equal what is stored, "
                    "%(empty)d row(s) without a value."
                )
                % counts,
            )
        return redirect("reporting:campaign-detail", code=campaign.code)


# What a row of an upload does, in the order the page counts them.
UPLOAD_OUTCOMES = ("created", "updated", "unchanged", "empty")


class TemplateDownloadView(LoginRequiredMixin, View):
    def get(self, request, code, format):
        if format not in ("csv", "xlsx"):
            raise Http404
        campaign = get_object_or_404(ReportingCampaign, code=code)
        items = campaigns.due_for(request.user, campaign)
        if format == "xlsx":
            response = HttpResponse(
                campaigns.template_xlsx(campaign, items),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        else:
            response = HttpResponse(
                campaigns.template_csv(campaign, items), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{campaign.code}.{format}"'
        return response


class CampaignReviewView(LoginRequiredMixin, View):
    """Steering staff validate the submitted values or send them back with a reason, and
    reopen a validated (locked) value with a reason."""

    def post(self, request, code):
        if not is_steering(request.user):
            raise PermissionDenied
        campaign = get_object_or_404(ReportingCampaign, code=code)
        form = ReviewForm(request.POST)
        if form.is_valid():
            observation = get_object_or_404(
                Observation,
                pk=form.cleaned_data["observation"],
                period_start=campaign.period_start,
                period_end=campaign.period_end,
            )
            try:
                services.observation_transition(
                    actor=request.user,
                    observation=observation,
                    transition=form.cleaned_data["transition"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                messages.error(request, f"{observation.indicator.code}: {' '.join(error.messages)}")
        else:
            problems = [message for errors in form.errors.values() for message in errors]
            messages.error(request, " ".join(problems))
        return redirect("reporting:campaign-detail", code=campaign.code)


class CampaignCoverageView(TemplateView):
    """Who reported what, and on time: public, like the dashboard (no personal data)."""

    template_name = "indicators/campaign_coverage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = get_object_or_404(campaigns.campaign_list_public(), code=kwargs["code"])
        context.update(campaign=campaign, coverage=campaigns.campaign_coverage(campaign))
        return context


class ReportView(LoginRequiredMixin, View):
    """The quarterly report of a campaign: read and frozen by steering staff."""

    def get(self, request, code):
        if not can_view_report(request.user):
            raise PermissionDenied
        campaign = get_object_or_404(campaigns.campaigns_visible_to(request.user), code=code)
        report = QuarterlyReport.objects.filter(campaign=campaign).first()
        context = {"campaign": campaign, "can_freeze": is_steering(request.user)}
        if report is not None:
            context.update(reports.report_context(report))
        return TemplateResponse(request, "indicators/report.html", context)

    def post(self, request, code):
        campaign = get_object_or_404(ReportingCampaign, code=code)
        try:
            reports.report_freeze(actor=request.user, campaign=campaign)
        except ValueError as error:
            messages.error(request, str(error))
        return redirect("reporting:report", code=campaign.code)


class ReportPdfView(LoginRequiredMixin, View):
    def get(self, request, code):
        if not can_view_report(request.user):
            raise PermissionDenied
        report = get_object_or_404(
            QuarterlyReport,
            campaign__in=campaigns.campaigns_visible_to(request.user),
            campaign__code=code,
        )
        response = HttpResponse(reports.report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{code}.pdf"'
        return response
