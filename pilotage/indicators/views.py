"""Reporting pages for action owners and the steering team (an account is needed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from pilotage.accounts.permissions import is_steering
from pilotage.core.datafiles import DataFileError
from pilotage.indicators import campaigns, reports, services
from pilotage.indicators.forms import ReviewForm, UploadForm, ValueForm
from pilotage.indicators.models import (
    CampaignState,
    Observation,
    ObservationState,
    QuarterlyReport,
    ReportingCampaign,
)


class CampaignListView(LoginRequiredMixin, TemplateView):
    template_name = "indicators/campaign_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = []
        for campaign in ReportingCampaign.objects.filter(state=CampaignState.OPEN):
            try:
                items = campaigns.due_for(self.request.user, campaign)
            except PermissionDenied:
                items = []
            missing = sum(1 for item in items if item.state in ("missing", ObservationState.DRAFT))
            rows.append({"campaign": campaign, "due": len(items), "missing": missing})
        context["rows"] = rows
        return context


class CampaignDetailView(LoginRequiredMixin, View):
    """What the user owes: a form per value, the template to download, the upload."""

    template_name = "indicators/campaign_detail.html"

    def get_campaign(self, code):
        return get_object_or_404(ReportingCampaign, code=code)

    def render(self, request, campaign, upload_form=None, problems=(), status=200):
        from django.template.response import TemplateResponse

        items = campaigns.due_for(request.user, campaign)
        return TemplateResponse(
            request,
            self.template_name,
            {
                "campaign": campaign,
                "items": items,
                "upload_form": upload_form or UploadForm(),
                "problems": problems,
                "is_steering": is_steering(request.user),
                "open": campaign.state == CampaignState.OPEN,
            },
            status=status,
        )

    def get(self, request, code):
        return self.render(request, self.get_campaign(code))

    def post(self, request, code):
        campaign = self.get_campaign(code)
        if "file" in request.FILES:
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    stats = campaigns.campaign_upload(
                        actor=request.user,
                        campaign=campaign,
                        name=upload.name,
                        content=upload.read(),
                    )
                except DataFileError as error:
                    return self.render(request, campaign, form, error.errors, status=400)
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                else:
                    messages.success(
                        request,
                        _("%(submitted)d value(s) submitted, %(unchanged)d unchanged.")
                        % {"submitted": stats["submitted"], "unchanged": stats["unchanged"]},
                    )
            return redirect("reporting:campaign-detail", code=campaign.code)
        if campaign.state != CampaignState.OPEN:
            messages.error(request, _("This campaign is closed."))
            return redirect("reporting:campaign-detail", code=campaign.code)
        form = ValueForm(request.POST)
        if form.is_valid():
            due = {item.indicator.code: item for item in campaigns.due_for(request.user, campaign)}
            item = due.get(form.cleaned_data["indicator"])
            if item is None:
                raise PermissionDenied
            try:
                observation = services.observation_record(
                    actor=request.user,
                    indicator=item.indicator,
                    period_start=campaign.period_start,
                    period_end=campaign.period_end,
                    value=form.cleaned_data["value"],
                    numerator=form.cleaned_data["numerator"],
                    denominator=form.cleaned_data["denominator"],
                    comment=form.cleaned_data["comment"],
                )
                services.observation_transition(
                    actor=request.user, observation=observation, transition="submit"
                )
            except ValidationError as error:
                messages.error(request, f"{item.indicator.code}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("%(code)s submitted.") % {"code": item.indicator.code})
        else:
            messages.error(request, _("The value was not understood."))
        return redirect("reporting:campaign-detail", code=campaign.code)


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
        campaign = get_object_or_404(ReportingCampaign, code=kwargs["code"])
        context.update(campaign=campaign, coverage=campaigns.campaign_coverage(campaign))
        return context


class ReportView(LoginRequiredMixin, View):
    """The quarterly report of a campaign: read by any account, frozen by staff."""

    def get(self, request, code):
        from django.template.response import TemplateResponse

        campaign = get_object_or_404(ReportingCampaign, code=code)
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
        report = get_object_or_404(QuarterlyReport, campaign__code=code)
        response = HttpResponse(reports.report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{code}.pdf"'
        return response
