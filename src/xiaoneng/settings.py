"""Settings, read from the environment.

Every setting a deployment may change comes from an environment variable (documented in
README.md). Two modes:

* development (the default for ``make run``): DEBUG on, a fixed development secret key,
  SQLite in ``var/``;
* production (``XIAONENG_ENV=production``): refuses to start with the development secret key
  or with DEBUG on, so a half-configured server never serves the public.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = PACKAGE_DIR.parent.parent
# In a source checkout (pip install -e) var/ sits beside pyproject.toml; elsewhere in the
# working directory, unless XIAONENG_HOME says otherwise.
BASE_DIR = Path(
    os.environ.get(
        "XIAONENG_HOME",
        _SOURCE_ROOT if (_SOURCE_ROOT / "pyproject.toml").exists() else Path.cwd(),
    )
).resolve()
VAR_DIR = Path(os.environ.get("XIAONENG_VAR", BASE_DIR / "var")).resolve()

DEVELOPMENT_SECRET_KEY = "xiaoneng-development-only-not-secret"  # noqa: S105 - refused in production


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


ENVIRONMENT = os.environ.get("XIAONENG_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"XIAONENG_ENV must be development, production or test, got {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = _env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Production needs its own SECRET_KEY of at least 32 characters; "
            "the development key is refused."
        )
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with DEBUG on; set DEBUG=false.")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost").split(",")
    if h.strip()
]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production needs ALLOWED_HOSTS (comma-separated host names).")
if not PRODUCTION:
    ALLOWED_HOSTS += ["testserver"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    # Our rooms. Dependencies point down this list: nothing imports an app listed after it,
    # except dashboard and demo, which read everything.
    "xiaoneng.core",
    "xiaoneng.accounts",
    "xiaoneng.calendars",
    "xiaoneng.clocks",
    "xiaoneng.catalog",
    "xiaoneng.notifications",
    "xiaoneng.licenses",
    "xiaoneng.applications",
    "xiaoneng.ratings",
    "xiaoneng.supervision",
    # After supervision: a ticket can be escalated into a supervision task.
    "xiaoneng.hotline",
    "xiaoneng.dashboard",
    "xiaoneng.portal",
    "xiaoneng.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After the locale, so its 400 is in the user's language; before any view reads a form.
    "xiaoneng.core.middleware.FormBodyEncodingMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "xiaoneng.urls"
WSGI_APPLICATION = "xiaoneng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xiaoneng.portal.context_processors.platform",
            ],
        },
    },
]

# Database: SQLite (WAL) in var/ by default; any DATABASE_URL otherwise (PostgreSQL for
# production and scale-out). See docs/architecture.md.
_default_sqlite = f"sqlite:///{VAR_DIR / 'xiaoneng.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database lives in var/; make the folder on first use.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            # WAL lets the web server and the task worker read while the other writes;
            # IMMEDIATE makes a write transaction take its lock up front instead of failing
            # half-way with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", 8 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Language: zh-Hans by default, English available (LANGUAGE env var picks the default).
LANGUAGE_CODE = os.environ.get("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
# Stored datetimes are UTC; legal days are plain dates; display is Asia/Shanghai.
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Browser libraries (ECharts) pinned in package.json, installed by `make install` (npm ci) and
# served from here like any static file: never from a CDN (docs/dashboard.md).
NODE_MODULES_DIR = Path(os.environ.get("XIAONENG_NODE_MODULES", BASE_DIR / "node_modules"))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "xiaoneng.dashboard.assets.NodeModulesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # Development serves assets straight from the package (finders); production runs
    # `xiaoneng collectstatic` into STATIC_ROOT first.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Background work: the Django tasks API with the database backend (a worker started by
# `make run`). Tests run tasks inline.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "xiaoneng.core.api.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "xiaoneng.accounts.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "xiaoneng.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xiaoneng API",
    "DESCRIPTION": (
        "Government service delivery and efficiency supervision. Errors share one shape: "
        '{"error": {"code": "...", "message": "...", "details": {...}}}.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc assets come from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "xiaoneng.core.masking.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Periodic jobs run by `xiaoneng scheduler` (started by `xiaoneng serve`): (name, dotted path
# of a service callable with no arguments, period in seconds). Each job is idempotent, so a
# restart that runs it again early does no harm.
SCHEDULED_JOBS = [
    ("catalog.activate-versions", "xiaoneng.catalog.services.matter_versions_activate", 3600),
    (
        "applications.accept-overdue",
        "xiaoneng.applications.services.applications_accept_overdue",
        3600,
    ),
    ("supervision.scan-clocks", "xiaoneng.supervision.services.warnings.warnings_scan", 900),
    ("notifications.retry", "xiaoneng.notifications.services.messages_retry_due", 600),
    (
        "supervision.escalate-overdue-tasks",
        "xiaoneng.supervision.services.tasks.supervision_tasks_escalate_overdue",
        3600,
    ),
    # Routing rules that point at a department no longer active are switched off and
    # audited (suggestions skip them at once; this records it).
    (
        "hotline.switch-off-rules",
        "xiaoneng.hotline.services.routing.routing_rules_switch_off_inactive",
        3600,
    ),
]

# A cache shared by every web worker (gunicorn runs several processes): the hotline's
# lookup and search throttles count attempts here, so the limits hold across workers.
# The table is made by `xiaoneng createcachetable` (`make migrate`; the test runner makes it).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "xiaoneng_cache",
    }
}

# The 12345 hotline (docs/hotline.md).
HOTLINE_CENTRE_DEPARTMENT_CODE = os.environ.get("HOTLINE_CENTRE_DEPARTMENT_CODE", "12345")
HOTLINE_MAX_REOPENS = int(os.environ.get("HOTLINE_MAX_REOPENS", "1"))
# Requests one address may file on the public web form per hour.
HOTLINE_WEB_SUBMITS_PER_HOUR = int(os.environ.get("HOTLINE_WEB_SUBMITS_PER_HOUR", "20"))
# A form post that is not text in its charset is a 400 (core.middleware); these paths answer
# it in their own error format instead of the API's JSON or plain text.
BODY_ENCODING_ERROR_RENDERERS = {
    "/open311/": "xiaoneng.hotline.open311.renderers.render_encoding_error",
}
HOTLINE_UPLOAD_MAX_BYTES = int(os.environ.get("HOTLINE_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Anonymous knowledge-base searches per client (the citizen form searches as they type).
# "off" switches the limit off.
_search_rate = os.environ.get("HOTLINE_ARTICLE_SEARCH_RATE", "300/min").strip()
HOTLINE_ARTICLE_SEARCH_RATE = None if _search_rate.lower() in {"", "off", "none"} else _search_rate

# The address the public reaches the platform at: printed on e-license PDFs (QR code and
# verification link). Set it to the real host name in production.
XIAONENG_PUBLIC_URL = os.environ.get("XIAONENG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Clock warning policy defaults (docs/clock.md): yellow at 80 % of the limit
# used, and never later than 1 working day before the due date.
CLOCK_YELLOW_FRACTION = float(os.environ.get("CLOCK_YELLOW_FRACTION", "0.8"))
CLOCK_YELLOW_MIN_DAYS_BEFORE = int(os.environ.get("CLOCK_YELLOW_MIN_DAYS_BEFORE", "1"))

# Department ranking weights (docs/kpis.md §4): indicator → weight, any scale (only the
# proportions matter). The environment variable is text, e.g.
# RANKING_WEIGHTS="on_time=40,red=20,bad_reviews=20,supervision=20"; checked when used.
RANKING_WEIGHTS: dict[str, float] | str = os.environ.get("RANKING_WEIGHTS", "").strip() or {
    "on_time": 0.4,
    "red": 0.2,
    "bad_reviews": 0.2,
    "supervision": 0.2,
}
