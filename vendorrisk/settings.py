"""Settings of the vendor-risk registry. Every value comes from the environment (django-environ).

With nothing set, the registry runs on an embedded default that needs no server: a SQLite file under
`var/` and a Celery broker on the filesystem (kombu's filesystem transport), so `make run` serves the
demo with a real worker and beat. `DATABASE_URL` selects PostgreSQL; `CELERY_BROKER_URL` selects Redis
or RabbitMQ. With `DEBUG` off the process refuses to start without a real `SECRET_KEY` and
`ALLOWED_HOSTS`.
"""
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(DEBUG=(bool, False))
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env.bool("DEBUG", default=False)
INSECURE_DEV_KEY = "insecure-dev-key-only-for-debug-mode-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == INSECURE_DEV_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "DEBUG is off: set SECRET_KEY to a random value of at least 50 characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS (comma-separated host names).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "django_countries",
    "django_htmx",
    # ours
    "apps.common",
    "apps.accounts",
    "apps.audit",
    "apps.vendors",
    "apps.inventory",
    "apps.lists",
    "apps.screening",
    "apps.remediation",
    "apps.outreach",
    "apps.integrations",
    "apps.api",
    "apps.web",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.common.timing.ServerTimingMiddleware",  # a pass-through unless SERVER_TIMING is on
    "django.middleware.security.SecurityMiddleware",
    "apps.audit.context.AuditContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "vendorrisk.dbrouter.ReplicaReadsMiddleware",
]

# Each response's cost (wall, thread CPU, database time and queries) in a Server-Timing header
# (apps/common/timing.py): for load tests and profiling, never on a public deployment.
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)

ROOT_URLCONF = "vendorrisk.urls"
WSGI_APPLICATION = "vendorrisk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL is set (postgres://user@host:5432/name).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vendorrisk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web process and the worker share the file without
    # "database is locked" errors under the demo's light load.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A read replica (PostgreSQL streaming replication) for the API's reads: vendorrisk/dbrouter.py says which.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["vendorrisk.dbrouter.ReadReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# English only, no message catalogues: the translation machinery off makes each rendered value's get_language()
# a constant (a fifth of a long list page's CPU with it on). Formats still come from the en locale.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The cache only speeds things up (vendor filter sets, import progress, API throttle history, rate-limit
# counters): every use goes through apps.common.cache, which treats an unreachable backend as a miss and logs
# it (docs/operations.md, "The cache (Redis) is down"). Short socket timeouts so that a Redis that does not
# answer costs half a second, not a hung request; CACHE_RETRY_SECONDS: how long a process leaves the cache
# alone after a failure; CACHE_WARNING_INTERVAL: at most one warning per interval and process.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update({
        "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
        "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
    })
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
CACHE_WARNING_INTERVAL = env.float("CACHE_WARNING_INTERVAL", default=60.0)
# Sessions live in the database, never in the cache alone: a Redis outage must not log everyone out, and
# Django's cached_db backend still raises from the cache on logout/exists(). Stated here so that nobody
# "optimises" it to the cache backend.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="vendorrisk@localhost")

# Celery: a filesystem broker by default (no server needed), Redis/RabbitMQ via CELERY_BROKER_URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers a task not acknowledged within the visibility timeout (acks_late: a task is acknowledged
    # when it ends), so it must exceed the longest task (CELERY_TASK_TIME_LIMIT) or a long task runs twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=4 * 3600 + 600)}
# Results: only the chunk tasks of a fanned-out run store theirs (a chord's final step reads them); every other
# task ignores its result. Default backend: the Redis broker itself, or files under var/ with the filesystem
# broker of `make run` (a chord then joins by polling, `celery.chord_unlock`). CELERY_RESULT_BACKEND=none: no
# backend, and then WORK_FANOUT must stay off (the system check refuses it).
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    _default_backend = CELERY_BROKER_URL
elif CELERY_BROKER_URL.startswith("filesystem://"):
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    _default_backend = f"file://{VAR_DIR / 'celery-results'}"
else:
    _default_backend = ""
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_backend)
if CELERY_RESULT_BACKEND.lower() in ("", "none"):
    CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=24 * 3600)
# Fan-out: a full re-screen, a full or per-organisation remediation evaluation and a projection run as a chord of
# chunk tasks (WORK_FANOUT_UNITS units or WORK_FANOUT_VENDORS vendors each) and a final step, so N workers on N
# machines share them. Off: each runs in one task, as before (explicit, e.g. without a result backend).
WORK_FANOUT = env.bool("WORK_FANOUT", default=CELERY_RESULT_BACKEND is not None)
WORK_FANOUT_UNITS = env.int("WORK_FANOUT_UNITS", default=20_000)
WORK_FANOUT_VENDORS = env.int("WORK_FANOUT_VENDORS", default=5_000)
# Queues per kind of work, so machines can be given kinds of work (`celery worker -Q screening`). A worker
# started without -Q consumes every queue below (`make run`, docker-compose).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Each queue with its own exchange and routing key (a bare Queue(name) would be bound to the default exchange with the
# key "celery", and every queue would receive every default task).
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name)
                      for name in ("celery", "screening", "remediation", "lists", "integrations")]
CELERY_TASK_ROUTES = {
    "apps.screening.tasks.*": {"queue": "screening"},
    "apps.remediation.tasks.*": {"queue": "remediation"},
    "apps.lists.tasks.*": {"queue": "lists"},
    "apps.integrations.tasks.*": {"queue": "integrations"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.common.exceptions.api_exception_handler",
    # JSON through orjson (apps.api.renderers), also for the API views that are not viewsets (summary, checks).
    "DEFAULT_RENDERER_CLASSES": [
        "apps.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vendor-risk registry API",
    "DESCRIPTION": "Read-only auditor API and officer operations of the vendor-risk registry.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Security headers that hold in every mode; production-only ones follow.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=8).total_seconds()))
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Demo data
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

# Lists: where list sources are fetched from, and the guard against bad downloads.
LISTS_DOWNLOAD_MAX_BYTES = env.int("LISTS_DOWNLOAD_MAX_BYTES", default=512 * 1024 * 1024)
LISTS_DOWNLOAD_TIMEOUT = env.float("LISTS_DOWNLOAD_TIMEOUT", default=60.0)
# A list file uploaded in the browser (Lists > a list > Upload): imported in the request, so kept below the request
# cap (SECURITY_MAX_REQUEST_BYTES); bigger files go through `manage.py import_list`.
LISTS_UPLOAD_MAX_BYTES = env.int("LISTS_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
LISTS_MAX_DROP_SHARE = env.float("LISTS_MAX_DROP_SHARE", default=0.10)
# The shape of a loss, not only its size: a small loss of a suspicious kind is quarantined too (0 disables a check).
# A cut-off file loses the *end* of the previous version's file order: quarantine when at least this many entries
# at the very end are gone and nothing after them survived (a truncated download that still parsed).
LISTS_TAIL_CUT_MIN_ENTRIES = env.int("LISTS_TAIL_CUT_MIN_ENTRIES", default=10)
# A broken publisher file can drop a whole program or sub-list: quarantine when one sub-list or program loses at
# least this share of its entries, and at least LISTS_GROUP_DROP_MIN_ENTRIES of them, in one version.
LISTS_GROUP_DROP_SHARE = env.float("LISTS_GROUP_DROP_SHARE", default=0.5)
LISTS_GROUP_DROP_MIN_ENTRIES = env.int("LISTS_GROUP_DROP_MIN_ENTRIES", default=5)
# Per-source overrides, JSON keyed by source code, e.g. {"dod-1260h": {"tail_cut_min_entries": 0}}; keys:
# tail_cut_min_entries, group_drop_share, group_drop_min_entries. (The size limit has the source's max_drop_share.)
LISTS_LOSS_SHAPE_OVERRIDES = env.json("LISTS_LOSS_SHAPE_OVERRIDES", default={})
_LOSS_SHAPE_KEYS = {"tail_cut_min_entries", "group_drop_share", "group_drop_min_entries"}
if not isinstance(LISTS_LOSS_SHAPE_OVERRIDES, dict) or any(
    not isinstance(v, dict) or set(v) - _LOSS_SHAPE_KEYS for v in LISTS_LOSS_SHAPE_OVERRIDES.values()
):
    raise ImproperlyConfigured(
        "LISTS_LOSS_SHAPE_OVERRIDES must be a JSON object {source code: {key: value}} with keys "
        f"{', '.join(sorted(_LOSS_SHAPE_KEYS))}."
    )
LISTS_ALLOW_HTTP = env.bool("LISTS_ALLOW_HTTP", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- security ---
# Login lockout (django-axes), optional admin TOTP (django-otp), CSP (django-csp), session timeouts, upload
# limits, rate limits, audit of authentication/authorisation failures. See docs/security.md.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "apps.security.admin_apps.SecureAdminConfig"
INSTALLED_APPS += ["csp", "axes", "django_otp", "django_otp.plugins.otp_totp", "apps.security"]


def _mw_after(anchor: str, *names: str) -> None:
    pos = MIDDLEWARE.index(anchor) + 1
    MIDDLEWARE[pos:pos] = list(names)


_mw_after("apps.audit.context.AuditContextMiddleware", "apps.security.middleware.RequestSizeLimitMiddleware")
_mw_after(
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.security.middleware.SessionTimeoutMiddleware",
    "apps.security.middleware.AccessDeniedAuditMiddleware",
)
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware") + 1,
                  "apps.security.middleware.SecureCSPMiddleware")
# Innermost before axes: the app views' Http404 rendered as the styled page with DEBUG on too (apps/common/views.py).
MIDDLEWARE.append("apps.common.views.StyledNotFoundMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
CSRF_FAILURE_VIEW = "apps.common.views.csrf_failure"

AUTHENTICATION_BACKENDS = [
    "apps.security.backends.LockoutBackend",  # refuses locked-out username+IP pairs before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Failed attempts and lockouts are rows in the database (axes' database handler), not cache entries: a cache
# outage neither unlocks a locked-out user nor locks anyone out. The lockout fails closed with the database
# (no database, no login at all), and does not depend on the cache.
# apps.security.backends.LockoutHandler is that handler plus the IP-wide limit below.
AXES_HANDLER = "apps.security.backends.LockoutHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Password spraying (one password over many usernames from one address) is slowed by an IP-wide limit: an address
# with this many failed logins, any usernames, within the window is refused like a locked-out user (0: off). The
# failures are axes' rows, which axes deletes one cool-off after their latest failure: the window cannot be longer.
SECURITY_LOGIN_IP_FAILURES = env.int("SECURITY_LOGIN_IP_FAILURES", default=50)
SECURITY_LOGIN_IP_WINDOW_MINUTES = env.int(
    "SECURITY_LOGIN_IP_WINDOW_MINUTES", default=int(AXES_COOLOFF_TIME.total_seconds() // 60)
)
if not 0 < SECURITY_LOGIN_IP_WINDOW_MINUTES <= AXES_COOLOFF_TIME.total_seconds() / 60:
    raise ImproperlyConfigured("SECURITY_LOGIN_IP_WINDOW_MINUTES must be between 1 and AXES_COOLOFF_MINUTES.")
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apps.security.backends.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]

# Admin second factor: users with a confirmed TOTP device must give its code; set true to require one.
SECURITY_ADMIN_REQUIRE_OTP = env.bool("SECURITY_ADMIN_REQUIRE_OTP", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Vendor-risk registry")
# Tries of the second-factor form of the web UI (Account, Verify), per user: curator powers need it.
SECURITY_OTP_VERIFY_RATE = env.str("SECURITY_OTP_VERIFY_RATE", default="5/300s")

# Sessions: idle and absolute timeouts (middleware), cookie hardening.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=SESSION_COOKIE_AGE)
SESSION_ACTIVITY_RESOLUTION = 60
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy, enforced: no inline script, no eval, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# The vendored Swagger UI and ReDoc set styles at run time, and ReDoc's search runs in a blob: worker; scripts
# stay 'self'-only on both paths (docs/security.md, CSP exceptions).
SECURITY_CSP_PATH_UPDATES = {
    "/api/v1/docs/": {"style-src": ["'unsafe-inline'"]},
    "/api/v1/redoc/": {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]},
}

# Uploads: bodies held in memory, form field count, files per request; larger files spool to disk and are
# capped as a whole by RequestSizeLimitMiddleware; checks by content in apps.security.uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 2**20)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 2**20)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=2000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=20)
SECURITY_MAX_REQUEST_BYTES = env.int("SECURITY_MAX_REQUEST_BYTES", default=60 * 2**20)
SECURITY_UPLOAD_MAX_BYTES = env.int("SECURITY_UPLOAD_MAX_BYTES", default=50 * 2**20)
SECURITY_ZIP_MAX_MEMBERS = env.int("SECURITY_ZIP_MAX_MEMBERS", default=10_000)
SECURITY_ZIP_MAX_UNCOMPRESSED_BYTES = env.int("SECURITY_ZIP_MAX_UNCOMPRESSED_BYTES", default=500 * 2**20)
SECURITY_ZIP_MAX_RATIO = env.int("SECURITY_ZIP_MAX_RATIO", default=200)
SECURITY_CSV_FIELD_MAX_CHARS = env.int("SECURITY_CSV_FIELD_MAX_CHARS", default=2**20)

# Rate limits: atomic counters in this cache (Redis INCR), or the database when the cache is not Redis.
SECURITY_RATELIMIT_CACHE = "default"
SECURITY_AUDIT_LOGINS = env.bool("SECURITY_AUDIT_LOGINS", default=False)
# Audit of 401/403 answers (apps.security.denials): the first refusal of a kind (user or anonymous IP, status, method,
# URL name) is chained, the following ones within this many seconds are counted in the database and chained as one
# summary event when the window closes (0: chain every refusal). Anonymous callers open at most this many windows
# per IP and minute; refusals over it are logged only.
SECURITY_DENIAL_AUDIT_WINDOW = env.int("SECURITY_DENIAL_AUDIT_WINDOW", default=300)
SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE = env.int("SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE", default=30)

# Security log lines carry the request id and client IP.
LOGGING.setdefault("filters", {})["request_context"] = {"()": "apps.security.logging.RequestContextFilter"}
LOGGING["handlers"]["console"].setdefault("filters", []).append("request_context")
LOGGING["formatters"]["plain"]["format"] = (
    "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s ip=%(client_ip)s] %(message)s"
)

# --- web ---
# The organisation switcher on every page; uploads of the import page (size cap, rows validated inline).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("apps.web.context_processors.organization")
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=256 * 1024)
# Bills of materials (apps.inventory.bom): refused above these, before the parsing library builds anything.
INVENTORY_BOM_MAX_BYTES = env.int("INVENTORY_BOM_MAX_BYTES", default=50 * 1024 * 1024)
INVENTORY_BOM_MAX_DEPTH = env.int("INVENTORY_BOM_MAX_DEPTH", default=32)  # component nesting levels
INVENTORY_BOM_MAX_COMPONENTS = env.int("INVENTORY_BOM_MAX_COMPONENTS", default=100_000)
INVENTORY_BOM_MAX_ELEMENTS = env.int("INVENTORY_BOM_MAX_ELEMENTS", default=300_000)  # SPDX 3 elements of any type

# --- webhooks (apps.integrations, docs/integrations.md) ---
# Links in webhook payloads start with this (the registry's public address).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000").rstrip("/")
# Hosts that may resolve to private/loopback addresses (a receiver inside the network; tests, the demo).
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
# A CA bundle (PEM) the delivery client trusts instead of the system's (a private CA; the tests' throw-away CA).
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", default="")
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)  # seconds, connect and read
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=5)
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=30.0)  # doubles after each failure
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)  # deliveries in a row
WEBHOOK_SECRET_GRACE_HOURS = env.int("WEBHOOK_SECRET_GRACE_HOURS", default=24)  # old secret still signs
WEBHOOK_BATCH_MAX_IDS = env.int("WEBHOOK_BATCH_MAX_IDS", default=500)  # ids per delivery of a set-valued event
WEBHOOK_RECOVER_AFTER_MINUTES = env.int("WEBHOOK_RECOVER_AFTER_MINUTES", default=30)  # lost retry: re-queue

# --- lists ---
# Hosts that may resolve to private/loopback addresses (an internal mirror); comma-separated host names.
LISTS_ALLOWED_HOSTS = env.list("LISTS_ALLOWED_HOSTS", default=[])
LISTS_DOWNLOAD_TOTAL_TIMEOUT = env.float("LISTS_DOWNLOAD_TOTAL_TIMEOUT", default=1800.0)
LISTS_LOCK_LEASE_SECONDS = env.int("LISTS_LOCK_LEASE_SECONDS", default=300)  # renewed while a refresh progresses
LISTS_RETRY_BACKOFF_SECONDS = env.int("LISTS_RETRY_BACKOFF_SECONDS", default=60)
# A queued refresh whose task no worker has started after this long lost its message: it is re-sent.
LISTS_QUEUED_RESEND_SECONDS = env.int("LISTS_QUEUED_RESEND_SECONDS", default=120)
LISTS_DIFF_DETAIL_LIMIT = env.int("LISTS_DIFF_DETAIL_LIMIT", default=1000)  # per kind; counts stay exact
# Lets a Celery worker started by the tests share a SQLite test database (a file, not :memory:).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and env.str("SQLITE_TEST_DB_FILE", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_DB_FILE")}
LOGGING["loggers"]["axes"] = {"level": env.str("AXES_LOG_LEVEL", default="WARNING")}

# --- remediation ---
# Evidence uploads (type from content; see docs/remediation.md), the clock after an expired waiver, the
# due-soon windows of the daily digest, and the zone in which "today" and deadlines are calendar dates.
REMEDIATION_EVIDENCE_MAX_BYTES = env.int("REMEDIATION_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
REMEDIATION_WAIVER_RESTART_DAYS = env.int("REMEDIATION_WAIVER_RESTART_DAYS", default=90)
REMEDIATION_DUE_WINDOWS = tuple(env.list("REMEDIATION_DUE_WINDOWS", cast=int, default=[30, 60, 90]))
REMEDIATION_WAIVER_WARNING_DAYS = env.int("REMEDIATION_WAIVER_WARNING_DAYS", default=30)
REMEDIATION_TIME_ZONE = env.str("REMEDIATION_TIME_ZONE", default="")  # empty: TIME_ZONE
REMEDIATION_DAILY_EVALUATE = env.bool("REMEDIATION_DAILY_EVALUATE", default=True)  # re-evaluate all units daily
REMEDIATION_DIGEST_MAX_LISTED = env.int("REMEDIATION_DIGEST_MAX_LISTED", default=50)
REMEDIATION_DIGEST_ITEM_RETENTION_DAYS = env.int("REMEDIATION_DIGEST_ITEM_RETENTION_DAYS", default=35)
REMEDIATION_DIGEST_NEW_DAYS = env.int("REMEDIATION_DIGEST_NEW_DAYS", default=7)
# One digest per organisation and day (DigestDelivery); a claim older than this is taken over by the next run.
REMEDIATION_DIGEST_CLAIM_LEASE_SECONDS = env.int("REMEDIATION_DIGEST_CLAIM_LEASE_SECONDS", default=15 * 60)

# --- audit ---
# The audit chain is keyed: each event's hash is an HMAC-SHA256 under a key held outside the database, so someone
# who can write the table cannot recompute the chain (docs/security.md, "Audit trail"). AUDIT_HMAC_KEYS lists
# every key still needed to verify old events, "id:secret" comma-separated (secret: 32+ random characters, no
# comma); AUDIT_HMAC_KEY_ID signs new events and checkpoints (default: the first key listed). Unset with DEBUG
# on: a key generated once into var/audit-hmac-key.txt (id "dev"). Unset with DEBUG off: `check` (so `migrate`)
# fails with audit.E001 and no audit event can be written (apps/audit/keys.py, apps/audit/checks.py).
AUDIT_HMAC_KEYS: dict[str, str] = {}
for _entry in env.list("AUDIT_HMAC_KEYS", default=[]):
    _key_id, _sep, _secret = _entry.strip().partition(":")
    if not _sep or not _key_id or not _secret or _key_id in AUDIT_HMAC_KEYS:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEYS must be comma-separated id:secret pairs with distinct ids (e.g. k2:<random>,k1:<old>)."
        )
    AUDIT_HMAC_KEYS[_key_id] = _secret
if not AUDIT_HMAC_KEYS and DEBUG:
    # Development only: one random key per var/ folder, made on first start (like var/demo-password.txt);
    # written aside and linked into place, so a web process and a worker starting together agree on one key.
    _dev_key_file = VAR_DIR / "audit-hmac-key.txt"
    if not _dev_key_file.exists():
        import os
        import secrets

        _tmp = VAR_DIR / f".audit-hmac-key.{os.getpid()}.{secrets.token_hex(4)}"
        _tmp.write_text(secrets.token_urlsafe(32) + "\n")
        _tmp.chmod(0o600)
        try:
            os.link(_tmp, _dev_key_file)
        except FileExistsError:
            pass
        finally:
            _tmp.unlink()
    AUDIT_HMAC_KEYS = {"dev": _dev_key_file.read_text().strip()}
AUDIT_HMAC_KEY_ID = env.str("AUDIT_HMAC_KEY_ID", default=next(iter(AUDIT_HMAC_KEYS), ""))
# Signed chain heads (JSON lines), written hourly by beat and by `manage.py audit_checkpoint`; keep this folder
# off the database host and copy it off-host (docs/operations.md).
AUDIT_CHECKPOINT_DIR = Path(env.str("AUDIT_CHECKPOINT_DIR", default=str(VAR_DIR / "audit-checkpoints")))
# The most events one GET /api/v1/audit-verify/ walks (the full walk is `manage.py verify_audit`).
AUDIT_VERIFY_MAX_EVENTS = env.int("AUDIT_VERIFY_MAX_EVENTS", default=10_000)

# --- api ---
# Token auth, throttling and pagination are set on the API's own views (apps/api/viewsets.py). Here: the rate
# per user, token limits, and names for the choice sets that several models share a field name for (schema without
# warnings).
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/minute")
# API tokens: every token expires (default and longest lifetime in days), a user holds at most this many live
# tokens and creates at most this many per window (apps.api.services.api_token_create).
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
# A curator token (purpose "curate", created from a second-factor-verified session) lives this many hours.
API_CURATOR_TOKEN_HOURS = env.int("API_CURATOR_TOKEN_HOURS", default=8)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
API_TOKEN_MAX_LIVE = env.int("API_TOKEN_MAX_LIVE", default=10)
API_TOKEN_CREATE_RATE = env.str("API_TOKEN_CREATE_RATE", default="10/h")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "CountryEnum": "apps.api.fields.COUNTRY_CHOICES",
    "OrganizationKindEnum": "apps.accounts.choices.OrganizationKind",
    "SiteKindEnum": "apps.inventory.choices.SiteKind",
    "ComponentKindEnum": "apps.inventory.choices.ComponentKind",
    "AliasKindEnum": "apps.vendors.choices.AliasKind",
    "OwnershipKindEnum": "apps.vendors.choices.OwnershipKind",
    "FindingKindEnum": "apps.screening.choices.FindingKind",
    "EquipmentStatusEnum": "apps.inventory.choices.EquipmentStatus",
    "RiskStatusEnum": "apps.common.choices.RiskStatus",
    "CheckVerdictEnum": "apps.screening.choices.CheckVerdict",
    "PlanStatusEnum": "apps.remediation.choices.PlanStatus",
    "WaiverStatusEnum": "apps.remediation.choices.WaiverStatus",
    "StepStatusEnum": "apps.remediation.choices.StepStatus",
    "ListVersionStatusEnum": "apps.lists.choices.VersionStatus",
    "FetchRunStatusEnum": "apps.lists.choices.RunStatus",
    "ScreeningRunStatusEnum": "apps.screening.choices.RunStatus",
    "ProposalKindEnum": "apps.vendors.choices.ProposalKind",
    "ProposalStatusEnum": "apps.vendors.choices.ProposalStatus",
    "NotificationKindEnum": "apps.remediation.choices.NotificationKind",
}
