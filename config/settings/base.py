"""Settings shared by every environment; values that differ come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-key-only-for-the-embedded-default")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    # modeltranslation must come before the admin to patch its forms.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",
    "corsheaders",
    "pilotage.core",
    "pilotage.accounts",
    "pilotage.taxonomies",
    "pilotage.registry",
    "pilotage.strategies",
    "pilotage.indicators",
    "pilotage.budgets",
    "pilotage.dashboard",
    "pilotage.opendata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages and downloads limited per address first, so a refused request costs one
    # count in the shared cache and nothing else.
    "pilotage.core.ratelimit.PublicRateLimitMiddleware",
    # Every read of the read model within a request sees one revision.
    "pilotage.indicators.readmodel.ReadModelMiddleware",
    # The API: CORS for public reads, rate limits, then ETag/Last-Modified and 304.
    "corsheaders.middleware.CorsMiddleware",
    "pilotage.accounts.api.ApiRateLimitMiddleware",
    "pilotage.core.api.ApiConditionalMiddleware",
    "pilotage.core.api.ApiMethodMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Control characters refused in any input, after the language is known (the 400 page
    # is translated) and before anything reads the request.
    "pilotage.core.middleware.InputCheckMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the user gave a one-time code at login (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After authentication, so the audit trail knows who made a change.
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pilotage" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# The public login, in the visitor's language, for every role; then each role's own page.
# The back-office keeps its own login for staff.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:account"
# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 12 characters at least (OWASP ASVS 2.1.1).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password guessing (django-axes): after AXES_FAILURE_LIMIT failures, logins from the
# address, and of the account from that address, are refused for AXES_COOLOFF_TIME, the
# right password too. Counts are kept in the database, so every worker shares them.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Its records are in the back-office for steering staff (pilotage.accounts.admin).
AXES_ENABLE_ADMIN = False
# No banner at every start (the CLI's output stays its commands').
AXES_VERBOSE = False
# Not reset on success: with the address counted, one good login would wipe the count of
# every account guessed from that address.
AXES_RESET_ON_SUCCESS = False
# The account as typed at the admin's login (`username`) or to authenticate() (`email`);
# the page that says so without telling whether the account exists.
AXES_USERNAME_CALLABLE = "pilotage.accounts.login.attempt_username"
AXES_LOCKOUT_CALLABLE = "pilotage.accounts.login.locked_out_response"
# The client's address as the rate limits see it (behind a reverse proxy:
# PILOTAGE_CLIENT_ADDRESS_HEADER).
AXES_CLIENT_IP_CALLABLE = "pilotage.accounts.login.attempt_address"

# Sessions: a day at most; back-office staff's end 8 hours after they log in
# (pilotage.accounts.login).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=24 * 3600)
PILOTAGE_STAFF_SESSION_AGE = env.int("PILOTAGE_STAFF_SESSION_AGE", default=8 * 3600)

# French first; Belgium's other languages and English.
LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("de", _("German")),
    ("en", _("English")),
]
MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("fr",)
LOCALE_PATHS = [BASE_DIR / "pilotage" / "locale"]
# Dates in English as Europe writes them (day first), not as the United States do.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# The cache every worker shares (rate limits, pages kept per revision, the exports' build
# locks): a table of the database by default (core's migrations create it), or Redis when
# PILOTAGE_CACHE_URL or REDIS_URL says so (redis://host:6379/0, with the `redis` package:
# the `redis` extra). Another Django cache URL works too (locmemcache:// is per process).
_CACHE_URL = env("PILOTAGE_CACHE_URL", default=env("REDIS_URL", default=""))
if _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
        }
    }
elif _CACHE_URL:
    CACHES = {"default": env.cache_url_config(_CACHE_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "pilotage.core.cache.DatabaseCache",
            "LOCATION": "pilotage_cache",
            # Room for a count per client and the pages kept per revision before culling.
            "OPTIONS": {"MAX_ENTRIES": env.int("PILOTAGE_CACHE_MAX_ENTRIES", default=50_000)},
        }
    }

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="pilotage@localhost")

# Security headers on by default, in every environment.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Every change to a domain record is kept (who, when, before, after).
AUDITLOG_INCLUDE_ALL_MODELS = False

# The JSON API (/api/v1/). Anonymous clients: requests a minute per IP address; token
# clients: per key (0: no limit). Behind a proxy: PILOTAGE_CLIENT_ADDRESS_HEADER.
PILOTAGE_API_RATE_LIMIT = env.int("PILOTAGE_API_RATE_LIMIT", default=120)
PILOTAGE_API_RATE_LIMIT_TOKEN = env.int("PILOTAGE_API_RATE_LIMIT_TOKEN", default=1200)
# The public pages, and the open-data downloads (/exports/<file>): requests a minute per
# IP address (0: no limit); 429 with Retry-After and a page in the visitor's language.
PILOTAGE_PAGE_RATE_LIMIT = env.int("PILOTAGE_PAGE_RATE_LIMIT", default=300)
PILOTAGE_EXPORT_RATE_LIMIT = env.int("PILOTAGE_EXPORT_RATE_LIMIT", default=10)
# Behind a reverse proxy every request comes from the proxy: name the header it sets
# (e.g. HTTP_X_FORWARDED_FOR) and the limits count the address it appended last.
PILOTAGE_CLIENT_ADDRESS_HEADER = env("PILOTAGE_CLIENT_ADDRESS_HEADER", default="")
# The open-data files, built once per version of the data in <folder>/<version>/ and
# served from there ("" builds each download as it streams).
PILOTAGE_EXPORTS_DIR = env("PILOTAGE_EXPORTS_DIR", default=str(MEDIA_ROOT / "exports"))
# What the exports read besides the revision (core.revisions), whose writes do not move it.
PILOTAGE_EXPORTS_FRESHNESS = [
    "registry.Organisation",
    "taxonomies.Taxonomy",
    "taxonomies.Term",
    "budgets.BudgetLine",
    "budgets.Reallocation",
]
PILOTAGE_API_MAX_LIMIT = 500
# What each part of the API reads, for its ETag and Last-Modified (longest prefix wins;
# a part not listed gets neither). What the read model serves moves with the change log
# its services write (core.revisions): one small aggregate, not a count of every value.
PILOTAGE_API_FRESHNESS = {
    "/api/v1/strategies/": ["core.Change"],
    "/api/v1/actions/": ["core.Change"],
    "/api/v1/indicators/": ["core.Change"],
    "/api/v1/observations/": ["core.Change"],
    "/api/v1/organisations/": ["registry.Organisation", "taxonomies.Term"],
    "/api/v1/taxonomies/": ["taxonomies.Taxonomy", "taxonomies.Term"],
    # Execution sets the budget beside progress: values move its answer too.
    "/api/v1/budgets/": ["core.Change", "budgets.BudgetLine", "budgets.Reallocation"],
    # Every write the magnet index follows adds a RegistryChange: its count says it all.
    "/api/v1/registry/": ["registry.RegistryChange", "registry.Magnet"],
}
# CORS: any origin may read the public API (GET, HEAD and their preflight), never write
# nor send a token; `pilotage.core.apps` enables it request by request.
CORS_URLS_REGEX = r"^(?!)"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Link", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 86400

# Base of the IRIs Pilotage mints for the records it publishes (SKOS, DCAT, D4WMO).
PILOTAGE_BASE_URI = env("PILOTAGE_BASE_URI", default="https://pilotage.example.org/")
# Where `pilotage load` finds the shipped data.
PILOTAGE_DATA_DIR = Path(env("PILOTAGE_DATA_DIR", default=str(BASE_DIR / "data")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
