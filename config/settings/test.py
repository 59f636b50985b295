"""Fast, isolated settings for the test suite (the database still comes from DATABASE_URL)."""

from .base import *

DEBUG = False
SECRET_KEY = "test-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The API's rate limits would get in the way of the tests (they set their own).
PILOTAGE_API_RATE_LIMIT = 0
PILOTAGE_API_RATE_LIMIT_TOKEN = 0
PILOTAGE_PAGE_RATE_LIMIT = 0
PILOTAGE_EXPORT_RATE_LIMIT = 0
# Factories write without moving the revision: each download is built as it streams,
# unless a test gives the exports a folder.
PILOTAGE_EXPORTS_DIR = ""
