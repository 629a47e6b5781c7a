"""Settings, read from the environment (django-environ); the defaults serve a newcomer's machine."""

import base64
import hashlib
from pathlib import Path

import environ
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
    "guardian",
    "rest_framework",
    "anymail",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files: /api/docs/ works offline
    "django_celery_beat",
    "accounts",
    "monitoring",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.audit.ClientIPMiddleware",
    "accounts.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "accessportal.urls"
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
    "django.contrib.auth.backends.ModelBackend",
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

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
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "accessportal_shared_cache",
            # The default (300) culls live entries: a culled nonce count could be replayed.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
    }
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
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

# Email: the console on a newcomer's machine; in production an anymail backend, e.g.
# EMAIL_BACKEND=anymail.backends.amazon_ses.EmailBackend or anymail.backends.postmark.EmailBackend.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-email"))  # the file backend only
SLOW_EMAIL_MARKER = env("SLOW_EMAIL_MARKER", default="")  # the worker tests' stalling backend only
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="accessportal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": env("POSTMARK_SERVER_TOKEN", default=""),
    "AMAZON_SES_CLIENT_PARAMS": {"region_name": env("AWS_SES_REGION", default="us-east-1")},
    "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET", default=""),
}
# The address people reach the portal at, for links in email.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
        "rest_framework.authentication.SessionAuthentication",
    ],
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

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
