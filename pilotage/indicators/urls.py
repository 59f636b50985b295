from django.urls import path

from pilotage.indicators import views

app_name = "reporting"

urlpatterns = [
    path("", views.CampaignListView.as_view(), name="campaign-list"),
    path("<str:code>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path(
        "<str:code>/template.<str:format>",
        views.TemplateDownloadView.as_view(),
        name="campaign-template",
    ),
    path("<str:code>/review/", views.CampaignReviewView.as_view(), name="campaign-review"),
    path("<str:code>/report/", views.ReportView.as_view(), name="report"),
    path("<str:code>/report.pdf", views.ReportPdfView.as_view(), name="report-pdf"),
    path("<str:code>/coverage/", views.CampaignCoverageView.as_view(), name="campaign-coverage"),
]
