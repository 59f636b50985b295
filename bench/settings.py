"""Settings of the dashboard benchmark: production's, served over plain HTTP on loopback,
with one extra view, the framework's ceiling (bench/urls.py)."""

from config.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ROOT_URLCONF = "bench.urls"
# Pages only; static files are not what is measured.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PILOTAGE_API_RATE_LIMIT = 0
PILOTAGE_API_RATE_LIMIT_TOKEN = 0
# wrk asks from one address far more than a visitor would.
PILOTAGE_PAGE_RATE_LIMIT = 0
PILOTAGE_EXPORT_RATE_LIMIT = 0
LOGGING = {"version": 1, "disable_existing_loggers": False}
