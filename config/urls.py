"""Top-level URLs: the admin, language switching, and the public site in every language."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from config.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
]

# French, the default language, lives at the root; the others under /nl/, /de/, /en/.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("account/", include("pilotage.accounts.urls")),
    path("reporting/", include("pilotage.indicators.urls")),
    path("exports/", include("pilotage.opendata.urls")),
    path("", include("pilotage.dashboard.urls")),
    prefix_default_language=False,
)

# Error pages in the visitor's language, with the site's layout.
handler400 = "pilotage.dashboard.views.bad_request"
handler404 = "pilotage.dashboard.views.page_not_found"
handler500 = "pilotage.dashboard.views.server_error"
