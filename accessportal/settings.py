"""Settings, read from the environment (django-environ); the defaults serve a newcomer's machine."""

import base64
import hashlib
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
ACCESSPORTAL_VERSION = "0.1.0"

env = environ.Env()

# Like Saleor: DEBUG is on unless the environment says otherwise, and with DEBUG off every production secret
# must be given (there is no default to fall back on).
DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-never-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must not be empty")

# Fernet keys (comma-separated; the first encrypts, all decrypt, so a key can be rotated) for secrets kept at
# rest: the HA1 values of API keys. Generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
if DEBUG:
    _derived = base64.urlsafe_b64encode(hashlib.sha256(f"api-keys:{SECRET_KEY}".encode()).digest()).decode()
    API_KEY_ENCRYPTION_KEYS = env.list("API_KEY_ENCRYPTION_KEYS", default=[_derived])
else:
    API_KEY_ENCRYPTION_KEYS = env.list("API_KEY_ENCRYPTION_KEYS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's sessions page
    "django.forms",  # the built-in widget templates, for FORM_RENDERER (TemplatesSetting)
    "django_htmx",
    "guardian",
    "rest_framework",
    "anymail",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files: /api/docs/ works offline
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "csp",
    "accounts",
    "monitoring",
    "support",
    "serviceaccounts",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # /static/ from STATIC_ROOT, in production too
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: which requests swap part of a page
    "accounts.views.errors.ErrorPageMiddleware",  # our 403/404 pages, DEBUG on or off (not /api/, /admin/)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.audit.ClientIPMiddleware",
    # Sign-in and account security (see "Sign-in, two-factor and lockout" below).
    "allauth.account.middleware.AccountMiddleware",
    "accounts.signin.middleware.TimeZoneMiddleware",
    "accounts.signin.middleware.TwoFactorRequiredMiddleware",
    "accounts.middleware.ServiceErrorMiddleware",
    "accessportal.unavailable.ServiceUnavailableMiddleware",  # Redis down: 503 + Retry-After, not a 500
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "accessportal.urls"
# Forms render with our templates (templates/forms/): a field's errors once, next to it.
FORM_RENDERER = "accessportal.forms.FormRenderer"
WSGI_APPLICATION = "accessportal.wsgi.application"

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
                "accounts.views.pages.organization_switcher",
            ],
        },
    },
]

# Embedded default: a SQLite file beside the code. Production: DATABASE_URL=postgres://...
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so that two writers (web and worker) queue
    # instead of failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    # Tests use an in-memory database (Django's default for SQLite), one per process: said outright, because the
    # engine is wrapped below (django-prometheus), and pytest-xdist would otherwise name a file per worker.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool("DATABASE_JIT", False):
    # PostgreSQL compiles a query to machine code (JIT) once its estimated cost passes jit_above_cost: meant for
    # long analytical queries, it cost this portal's short ones dearly (the Users tab of an organization with
    # 10,000 invitations: 0.74 s compiling of a 0.77 s query). Off for the portal's connections, as a startup
    # option; DATABASE_JIT=on leaves the server's setting (for a pooler that refuses startup options: turn it
    # off for the portal's role there, ALTER ROLE ... SET jit = off).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a process keeps its database connection this many seconds (0: a new one for every
# request, which on PostgreSQL is a new server process each time). Checked before reuse, so a connection the
# server dropped is replaced instead of failing a request. Off with DEBUG: runserver's thread per request
# could not reuse them.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.signin.lockout.LockoutBackend",  # first: a locked-out account or address is refused before any check
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian anonymous user: anonymous requests hold no object permission at all.
ANONYMOUS_USER_NAME = None
GUARDIAN_USER_OBJ_PERMS_MODEL = "guardian.UserObjectPermission"
GUARDIAN_GROUP_OBJ_PERMS_MODEL = "guardian.GroupObjectPermission"
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "account_login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The site's stylesheet and the vendored htmx (static/vendor/, each with its license), and the API docs' style:
# no CDN, no build step.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# whitenoise serves what `collectstatic` put in STATIC_ROOT: names carry a hash of the content (cached for a
# year), gzip and Brotli copies made ahead. Before collectstatic (a newcomer's `make run`, the tests) the plain
# names are used and runserver serves them from the apps' folders (accessportal/storage.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "accessportal.storage.StaticFilesStorage"},
}
# Before collectstatic STATIC_ROOT does not exist, which whitenoise would warn about in every process.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# Redis is the Celery broker and the cache in production; without it, tasks run eagerly in the request.
REDIS_URL = env("REDIS_URL", default="")
# "shared" is state every process must see (HTTP Digest nonce counts): Redis, or without it a database table
# (created by `manage.py createcachetable`, which `make run` and the test database set-up run).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
        "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    _shared_table = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "accessportal_shared_cache",
        # The default (300) culls live entries: a culled nonce count could be replayed.
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    }
    # "default" is the table too: allauth keeps its rate limits and used TOTP codes there (web and worker
    # processes must see them); nothing of ours caches in process memory.
    CACHES = {"default": _shared_table, "shared": _shared_table}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Every key the portal writes in its caches starts with this: two portals, or a portal and a bench or contract
# run, sharing one Redis must not count each other's refused authentications or claim each other's nonces.
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="")
if CACHE_KEY_PREFIX:
    CACHES = {alias: {**config, "KEY_PREFIX": CACHE_KEY_PREFIX} for alias, config in CACHES.items()}
# A worker killed mid-task loses nothing: the message is acknowledged only once the task finished, and a
# task whose worker process died is rejected back to the queue (late acks alone would acknowledge it).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
# One queue for everything; several portals sharing one Redis give each its own name.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="accessportal")
# The schedule lives in the database (django-celery-beat), so staff see and change it in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Longer than any countdown or retry back-off we use, so Redis never hands a waiting task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# A queued email whose task has not sent it within this lease is queued again by the beat job "Re-queue stalled
# emails" (every minute): a message lost with a killed worker waits minutes, not the visibility timeout.
EMAIL_LEASE_SECONDS = env.int("EMAIL_LEASE_SECONDS", default=300)

# Email: the console on a newcomer's machine; in production an anymail backend, e.g.
# EMAIL_BACKEND=anymail.backends.amazon_ses.EmailBackend or anymail.backends.postmark.EmailBackend.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-email"))  # the file backend only
SLOW_EMAIL_MARKER = env("SLOW_EMAIL_MARKER", default="")  # the worker tests' stalling backend only
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="accessportal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The "user:password" the ESP's tracking webhook sends as basic auth. Without it (DEBUG on only) the webhook
# refuses every call; with DEBUG off it has no default, like SECRET_KEY.
ANYMAIL_WEBHOOK_SECRET = env("ANYMAIL_WEBHOOK_SECRET", default="") if DEBUG else env("ANYMAIL_WEBHOOK_SECRET")
if not DEBUG and ":" not in ANYMAIL_WEBHOOK_SECRET:
    raise ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET must be user:password (the ESP webhook's basic auth)")
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": env("POSTMARK_SERVER_TOKEN", default=""),
    "AMAZON_SES_CLIENT_PARAMS": {"region_name": env("AWS_SES_REGION", default="us-east-1")},
    "WEBHOOK_SECRET": ANYMAIL_WEBHOOK_SECRET,
}
# The address people reach the portal at, for links in email.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# ---- Sign-in, two-factor and lockout (django-allauth, django-axes, DRF throttles) --------------------------------
# Sign in by email (the user model has no username); registration needs a verified email address and is open
# unless SIGNUP_OPEN=false (an invitation link still signs its invitee up: the link proves the address).
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
ACCOUNT_ADAPTER = "accounts.signin.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True  # one address, changed only once the new one is verified
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # "your password / email / two-factor changed" notices
ACCOUNT_SIGNUP_REDIRECT_URL = "accounts:welcome"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# django-axes counts failed sign-ins; allauth's own per-account login limit would only duplicate it.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "accessportal"
# Lockout (django-axes, counted in the database, so every process sees it): AXES_FAILURE_LIMIT failed attempts
# in a row for one account, or from one address, lock it for AXES_COOLOFF_MINUTES; the lock ends on time.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = "accounts.signin.lockout.lockout_parameters"
AXES_USERNAME_CALLABLE = "accounts.signin.lockout.attempted_email"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends when the page says it does
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)  # as the audit trail: a header cannot forge the address
AXES_VERBOSE = False
# API: failed HTTP Digest answers per public key and per client address within a window; past either limit
# the key or address gets 429 RATE_LIMITED with Retry-After until the window ends.
API_AUTH_FAILURE_WINDOW_SECONDS = env.int("API_AUTH_FAILURE_WINDOW_SECONDS", default=300)
API_AUTH_FAILURE_LIMIT_PER_KEY = env.int("API_AUTH_FAILURE_LIMIT_PER_KEY", default=10)
API_AUTH_FAILURE_LIMIT_PER_ADDRESS = env.int("API_AUTH_FAILURE_LIMIT_PER_ADDRESS", default=50)
# API fairness (DRF throttles, counted in the shared cache): requests per API key and per signed-in session.
API_THROTTLE_RATES = {
    "api_key": env("API_THROTTLE_RATE_API_KEY", default="600/minute"),
    "session": env("API_THROTTLE_RATE_SESSION", default="600/minute"),
    "service_account": env("API_THROTTLE_RATE_SERVICE_ACCOUNT", default="600/minute"),
}
REST_FRAMEWORK_THROTTLES = [
    "accessportal.api.throttling.ApiKeyRateThrottle",
    "accessportal.api.throttling.SessionRateThrottle",
    "serviceaccounts.authentication.ServiceAccountRateThrottle",
]

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "accessportal.api.negotiation.AtlasContentNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "accessportal.api.negotiation.AtlasJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "accessportal.api.errors.atlas_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Digest first: its challenge is the WWW-Authenticate of a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accessportal.api.authentication.DigestAuthentication",
        "serviceaccounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": REST_FRAMEWORK_THROTTLES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "accessportal API",
    "DESCRIPTION": "The access subset of the MongoDB Atlas Administration API (v2), served by accessportal.",
    "VERSION": "2.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/atlas/v2",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["accessportal.api.urls.only_v2"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# HTTP Digest (RFC 7616) for API keys. The realm is part of every stored HA1: changing it invalidates all keys.
DIGEST_REALM = env("DIGEST_REALM", default="accessportal")
DIGEST_CHALLENGE_ALGORITHM = env("DIGEST_CHALLENGE_ALGORITHM", default="MD5")
DIGEST_NONCE_TTL_SECONDS = env.int("DIGEST_NONCE_TTL_SECONDS", default=300)
DIGEST_NONCE_CACHE = "shared"

# OAuth 2.0 client credentials for service accounts (POST /api/oauth/token): a Bearer token lives exactly this
# long, as Atlas's ("expires_in": 3600).
OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS = env.int("OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS", default=3600)

# Content-Security-Policy (django-csp): scripts, styles, images, fonts and connections from our own origin only;
# no inline script or style anywhere (the Swagger UI at /api/docs/ gets its settings as a script of ours, its page
# style from a static file; the Django admin needs nothing inline). Swagger UI's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# X-Forwarded-Proto says "https" only when a TLS proxy in front sets it (and strips what clients send); trusted
# only when BEHIND_TLS_PROXY says there is one, else any client could claim a secure connection.
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # An hour by default, so that a first deployment can still back out of HTTPS; a year (31536000) once it
    # works: the README's production settings.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Operations: health, logs, metrics, errors ----------------------------------------------------------------
# (accessportal/operations; README "Running it in production"). This block adds to what is above and
# defines LOGGING.
import logging  # noqa: E402

from accessportal.operations import logs as _logs  # noqa: E402

INSTALLED_APPS += ["health_check", "django_structlog", "django_prometheus", "accessportal.operations"]
# django-prometheus times the whole stack, so its two middlewares wrap all others; django-structlog's comes
# next, so that every line of a request (Django's own included) carries its request id.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "accessportal.operations.logs.RequestContextMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Logs: JSON lines with DEBUG off, readable lines otherwise (LOG_FORMAT overrides), on standard error.
LOG_FORMAT = env("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING = _logs.logging_config(fmt=LOG_FORMAT, level=env("LOG_LEVEL", default="INFO"))
_logs.configure_structlog()
# The request id comes from the X-Request-ID header only when a proxy we trust sets it (and drops the
# client's); otherwise each request gets a new one. Either way it is returned as X-Request-ID.
REQUEST_ID_FROM_PROXY = env.bool("REQUEST_ID_FROM_PROXY", default=False)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = REQUEST_ID_FROM_PROXY
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # the address is REMOTE_ADDR, bound by operations.logs
DJANGO_STRUCTLOG_USER_ID_FIELD = "public_id"
DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL = logging.INFO  # refusals are routine; failures (5xx) stay ERROR

# Metrics: /metrics answers addresses in METRICS_ALLOWED_IPS (addresses or CIDR blocks) or a request with
# "Authorization: Bearer METRICS_TOKEN"; a Celery worker serves the same on CELERY_METRICS_PORT when set.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDRESS = env("CELERY_METRICS_ADDRESS", default="127.0.0.1")
# Database and cache timings (django-prometheus's wrappers keep the vendor: connection.vendor is unchanged).
# Redis caches only: its local-memory wrapper would return the default for a cached falsy value.
_INSTRUMENTED = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.core.cache.backends.redis.RedisCache": "django_prometheus.cache.backends.redis.NativeRedisCache",
}
for _config in (*DATABASES.values(), *CACHES.values()):
    _key = "ENGINE" if "ENGINE" in _config else "BACKEND"
    _config[_key] = _INSTRUMENTED.get(_config[_key], _config[_key])

# Health: /health/ (liveness) and /health/ready/ (database, caches, broker, migrations). A probe must not hang
# on an unreachable Redis: the readiness check reaches it through a cache of its own with short timeouts.
if REDIS_URL:
    CACHES["health_probe"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    HEALTH_CACHE_ALIASES = ["health_probe"]
else:
    HEALTH_CACHE_ALIASES = ["default", "shared"]
# Probes and scrapes come over plain HTTP from inside the network: no redirect to HTTPS for them.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# Error reports: Sentry only when SENTRY_DSN is set (no personal data, no request bodies, secrets scrubbed).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from accessportal.operations.error_reports import sentry_init  # noqa: E402

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=ACCESSPORTAL_VERSION,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
