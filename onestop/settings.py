"""Settings, read from environment variables.

With no environment at all this runs the demo: SQLite in ``var/`` and Celery tasks executed
eagerly in the web process, so a newcomer needs no server. Production and the test suite set
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis or RabbitMQ).
"""
import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ONESTOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("ONESTOP_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 - demo and tests only

# Rotating SECRET_KEY: the previous keys here (comma-separated) keep sessions and signed links valid meanwhile.
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "onestop.organisation",
    "procedures",
    "onestop.engine",
    "onestop.dossiers",
    "onestop.worklist",
    "onestop.interop",
    "onestop.deadlines",
    "onestop.documents",
    "onestop.reports",
    "onestop.notifications",
    "onestop.nationalportal",
    "onestop.demo",
    "onestop.web",
    "onestop.portal",
    "onestop.workspace",
    "onestop.ops",
    "axes",  # login lockout (security section below)
]

MIDDLEWARE = [
    "onestop.ops.middleware.OpsMiddleware",  # first: request id, metrics, /healthz /readyz /metrics
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onestop.core.middleware.CSPMiddleware",  # django-csp's, its header built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    "onestop.core.middleware.LocaleMiddleware",  # Django's, without the path lookups of i18n_patterns
    "onestop.core.middleware.RefuseNulMiddleware",  # a NUL in the URL is a 400 (PostgreSQL cannot compare it)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's lazy user and messages, skipped on the API's token calls (onestop.core.middleware).
    "onestop.core.middleware.AuthenticationMiddleware",
    "onestop.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its 429 answer
]

ROOT_URLCONF = "onestop.urls"
WSGI_APPLICATION = "onestop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "onestop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onestop.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # A kept connection is checked before each request or task, so a database restart costs no 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Test databases get their own name; the Celery worker of the tests is pointed at it.
    # test_<database>, so that checkouts testing against databases of their own never share a test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_NAME", f"test_{DATABASES['default']['NAME']}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for new passwords; PBKDF2 hashes still verify (and are upgraded at the next login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]  # vendor: third-party messages in Vietnamese
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "onestop" / "static"]
# whitenoise serves static files from the app itself (no CDN). Production images run collectstatic and
# set ONESTOP_COLLECTED_STATIC=1 for hashed, compressed names; elsewhere files come from the apps' folders.
COLLECTED_STATIC = env_bool("ONESTOP_COLLECTED_STATIC", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage" if COLLECTED_STATIC
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = not COLLECTED_STATIC
if not COLLECTED_STATIC:  # nothing collected yet is normal here, not worth a warning per process
    warnings.filterwarnings("ignore", message="No directory at")

# Attachments (citizens' documents, desk scans, results) live outside the web root and are served only
# through a view that checks who asks (onestop.dossiers.attachments).
ATTACHMENTS_ROOT = Path(os.environ.get("ONESTOP_ATTACHMENTS_ROOT", VAR_DIR / "attachments"))
ONESTOP_MAX_UPLOAD_BYTES = int(os.environ.get("ONESTOP_MAX_UPLOAD_MB", "10")) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "onestop.core.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "onestop.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "onestop.core.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "onestop.core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "onestop.core.api.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    # Public endpoints and the login are rate-limited per client address (ONESTOP_* to tune).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("ONESTOP_ANON_RATE", "300/min"),
        "login": os.environ.get("ONESTOP_LOGIN_RATE", "10/min"),
    },
    # The client's address behind reverse proxies, as onestop.web.security.client_address reads it.
    "NUM_PROXIES": int(os.environ.get("ONESTOP_PROXY_COUNT", "0")),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "onestop API",
    "DESCRIPTION": "One-stop-shop dossiers, procedures and task queues (Decree 61/2018, Decree 118/2025).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (no CDN), its script served as a file (no inline script).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's error answers (400/401/403/404/409/429) documented with their body.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "onestop.core.schema.document_errors"],
    # One name per choice set: the agency levels (competent, receiving, an agency's own), the outbox's states.
    "ENUM_NAME_OVERRIDES": {"LevelEnum": "onestop.organisation.models.Level",
                            "PortalMessageStateEnum": "onestop.nationalportal.models.OutboxMessage.State",
                            "WorkItemKindEnum": "onestop.worklist.models.WorkItem.Kind",
                            "WorkItemStateEnum": "onestop.worklist.models.WorkItem.State"},
}

# Content Security Policy: scripts only from our own files (no inline script, no eval). Inline styles
# stay allowed: the BPMN diagram library sets style attributes, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'self'"],
        "frame-ancestors": ["'none'"],  # as X_FRAME_OPTIONS; the attachment preview sets its own
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    },
}

# Celery. Without a broker the demo runs tasks eagerly, in the web process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Redis as broker: a task taken by a worker that died unacknowledged is delivered again after this many
# seconds; longer than the longest task (docs/faults.md). RabbitMQ gives it back at once and ignores it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_BACKEND = None
# Beat says when to look; what is due lives in the database (deadlines.Timer, deadlines.Alert).
CELERY_BEAT_SCHEDULE = {
    "fire-due-timers": {"task": "onestop.dossiers.tasks.fire_due_timers",
                        "schedule": float(os.environ.get("ONESTOP_TIMER_POLL_SECONDS", "15"))},
    "check-deadlines": {"task": "onestop.deadlines.tasks.check_deadlines",
                        "schedule": float(os.environ.get("ONESTOP_DEADLINE_POLL_SECONDS", "300"))},
    # Notifications whose task never reached the broker (docs/notifications.md).
    "send-queued-notifications": {"task": "onestop.notifications.tasks.send_queued", "schedule": 600.0},
    # Dossiers with no open step, exchange, timer or incident get an incident (docs/run-contract.md).
    "sweep-stuck-dossiers": {"task": "onestop.dossiers.tasks.sweep_stuck_dossiers",
                             "schedule": float(os.environ.get("ONESTOP_STUCK_SWEEP_SECONDS", "300"))},
    # Exchanges whose task was lost (broker restarted empty, worker died, database gone mid-task).
    "requeue-stale-exchanges": {"task": "onestop.interop.tasks.requeue_stale_exchanges",
                                "schedule": float(os.environ.get("ONESTOP_EXCHANGE_SWEEP_SECONDS", "60"))},
    # The reports' monthly figures computed ahead, so that no leader waits for them (docs/reports.md).
    "refresh-report-figures": {"task": "onestop.reports.tasks.refresh_monthly_figures", "schedule": 600.0},
    # The National Public Service Portal (docs/national-portal.md): messages whose task was lost or whose
    # retry time came, and the dossiers submitted there for our agencies.
    "send-portal-messages": {"task": "onestop.nationalportal.tasks.send_due_messages",
                             "schedule": float(os.environ.get("ONESTOP_NATIONAL_PORTAL_SWEEP_SECONDS", "30"))},
    "pull-portal-submissions": {"task": "onestop.nationalportal.tasks.pull_submissions",
                                "schedule": float(os.environ.get("ONESTOP_NATIONAL_PORTAL_PULL_SECONDS", "60"))},
}
# A reminder goes to the holder of a step due within this many working hours.
ONESTOP_REMINDER_WORKING_HOURS = int(os.environ.get("ONESTOP_REMINDER_WORKING_HOURS", "4"))
# Work one advance of a process may do: instances of one multi-instance element, and engine steps
# (scripts, gateways, events) run before the process waits again; beyond them the advance fails.
ONESTOP_MAX_INSTANCES = int(os.environ.get("ONESTOP_MAX_INSTANCES", "100"))
ONESTOP_MAX_STEPS = int(os.environ.get("ONESTOP_MAX_STEPS", "2000"))
# Queues, so that a slow peer agency or a big export cannot delay the others (deploy/README.md).
# Routed by the task's module: a new app's tasks land on the right queue without an edit here.
ONESTOP_CELERY_QUEUES = ["engine", "exchanges", "notifications", "reports"]
CELERY_TASK_DEFAULT_QUEUE = "engine"
CELERY_TASK_ROUTES = {
    "onestop.interop.*": {"queue": "exchanges"},
    "onestop.nationalportal.*": {"queue": "exchanges"},
    "onestop.notifications.*": {"queue": "notifications"},
    "onestop.reports.*": {"queue": "reports"},
    "onestop.deadlines.*": {"queue": "engine"},
    "onestop.dossiers.*": {"queue": "engine"},
}
# Logs go through Django's LOGGING (JSON lines with the request id), in workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Notifications (docs/notifications.md). Email through Django's mail backends: the console in the demo,
# SMTP in production (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend, EMAIL_HOST...); pytest
# uses locmem. SMS through the class named by ONESTOP_SMS_BACKEND (console by default).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "15"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "onestop <no-reply@onestop.local>")
ONESTOP_SMS_BACKEND = os.environ.get("ONESTOP_SMS_BACKEND", "onestop.notifications.backends.ConsoleSmsBackend")
ONESTOP_NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("ONESTOP_NOTIFICATION_MAX_ATTEMPTS", "5"))
ONESTOP_NOTIFICATION_RETRY_BACKOFF = int(os.environ.get("ONESTOP_NOTIFICATION_RETRY_BACKOFF", "30"))  # seconds
# The address of the site in links inside messages.
ONESTOP_SITE_URL = os.environ.get("ONESTOP_SITE_URL", "http://127.0.0.1:8000")

# The cache that rate limits count in (logins per address, public lookups, submissions per account): shared by
# every process of the site, or a limit counts per process and several web processes multiply it.
# ONESTOP_CACHE_URL: "db" (a table in PostgreSQL, made by `manage.py createcachetable`), "redis://host:6379/N",
# or unset (memory of each process: one `make run` process, or the tests).
ONESTOP_CACHE_URL = os.environ.get("ONESTOP_CACHE_URL", "")
if ONESTOP_CACHE_URL == "db":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "onestop_cache"}}
elif ONESTOP_CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ONESTOP_CACHE_URL}}
elif ONESTOP_CACHE_URL:
    raise ImproperlyConfigured('ONESTOP_CACHE_URL must be "db" or a redis:// URL.')

# Reference data read on every step (routing roles, office hours, the calendar, peers' ids, API tokens) is kept
# per process this long (seconds): an admin's change reaches the other processes within it. 0: read every time.
ONESTOP_REFCACHE_SECONDS = float(os.environ.get("ONESTOP_REFCACHE_SECONDS", "30"))

# A pending exchange not attempted for this long is enqueued again by the sweeper above (minutes).
ONESTOP_EXCHANGE_STALE_MINUTES = float(os.environ.get("ONESTOP_EXCHANGE_STALE_MINUTES", "10"))

# Who we are in signed exchanges with other agencies' systems (X-Onestop-Client).
ONESTOP_CLIENT_ID = os.environ.get("ONESTOP_CLIENT_ID", "onestop")
# Our system's Ed25519 key for RFC 9421 message signatures (the national portal, data-sharing platforms):
# "file:/path/key.pem" or the PEM text. The default is the demo's key, derived from a public name: set a real
# one in production and give its public key (manage.py signing_key) to the portal and the platform.
ONESTOP_SIGNING_KEY_ID = os.environ.get("ONESTOP_SIGNING_KEY_ID", "onestop-demo")
ONESTOP_SIGNING_KEY = os.environ.get("ONESTOP_SIGNING_KEY", "demo:onestop")
# The National Public Service Portal (docs/national-portal.md). The link itself (URL, endpoint, the portal's
# public keys) is a row an admin edits (National Public Service Portal > portal links), made by
# `manage.py configure_national_portal` from these when given.
ONESTOP_NATIONAL_PORTAL_URL = os.environ.get("ONESTOP_NATIONAL_PORTAL_URL", "")
ONESTOP_NATIONAL_PORTAL_KEYS = os.environ.get("ONESTOP_NATIONAL_PORTAL_KEYS", "dvcqg-demo=demo:dvcqg")
# The portal's service names, field names and code tables (default: onestop/nationalportal/data/dvcqg.json).
ONESTOP_NATIONAL_PORTAL_PROTOCOL = os.environ.get("ONESTOP_NATIONAL_PORTAL_PROTOCOL", "")

# Logs: one JSON object per line with the request id and dossier code (LOG_FORMAT=json, the default
# outside DEBUG), or plain text for a person at a terminal (LOG_FORMAT=text).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # personal_data masks ID numbers, phones, emails and personal fields in every line (docs/security.md).
    "filters": {"context": {"()": "onestop.ops.logging.ContextFilter"},
                "personal_data": {"()": "onestop.ops.logging.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "onestop.ops.logging.JsonLogFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(dossier)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["context", "personal_data"],
                             "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # SpiffWorkflow logs every task state change at INFO.
    "loggers": {"spiff": {"level": "WARNING"}},
}

# Operations (onestop.ops): /metrics needs this bearer token; without one it is served only in DEBUG.
ONESTOP_METRICS_TOKEN = os.environ.get("ONESTOP_METRICS_TOKEN", "")
ONESTOP_METRICS_STATE_SECONDS = float(os.environ.get("ONESTOP_METRICS_STATE_SECONDS", "10"))

# Production behind a reverse proxy that terminates TLS (deploy/README.md).
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)  # sent only with HSTS on
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# No page may be framed (clickjacking); the attachment view alone allows our own pages to frame a preview.
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
# `check --deploy` wants the HSTS "preload" flag; browsers' preload list takes whole registrable domains
# (gov.vn is not ours), so that one warning is silenced unless SECURE_HSTS_PRELOAD is set (docs/security.md).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Security: logins, rate limits, client addresses (docs/security.md) ---------------------------------
# Reverse proxies in front that append to X-Forwarded-For (nginx or an ingress: 1). 0 trusts only REMOTE_ADDR.
ONESTOP_PROXY_COUNT = int(os.environ.get("ONESTOP_PROXY_COUNT", "0"))
# django-axes: a username is locked for one address after this many wrong passwords, for the cool-off.
AUTHENTICATION_BACKENDS = ["onestop.web.security.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("ONESTOP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ONESTOP_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Wrong passwords from one client address, whatever the usernames, before the login page waits 15 minutes.
ONESTOP_LOGIN_ADDRESS_FAILURES = int(os.environ.get("ONESTOP_LOGIN_ADDRESS_FAILURES", "30"))
AXES_CLIENT_IP_CALLABLE = "onestop.web.security.client_address"
AXES_LOCKOUT_CALLABLE = "onestop.web.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Failed logins and lockouts are logged (WARNING); successful ones are not worth a line each.
AXES_VERBOSE = False
# Dossiers one account may submit (API and portal together; onestop.dossiers.throttles).
ONESTOP_SUBMIT_RATE = os.environ.get("ONESTOP_SUBMIT_RATE", "20/hour")
# Sign-up attempts per client address an hour (the form tells whether an ID number already has an account).
ONESTOP_SIGNUPS_PER_HOUR = int(os.environ.get("ONESTOP_SIGNUPS_PER_HOUR", "10"))
