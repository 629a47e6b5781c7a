"""Structured logs: structlog through the standard library, django-structlog for requests and Celery tasks.

JSON lines in production (``DEBUG`` off), readable lines on a newcomer's machine; a request id on every line of a
request, of the tasks it queued and of gunicorn's access line; never a secret on any line. Django's, Celery's and
gunicorn's own loggers go through the same formatter, so every line has one shape and one redaction."""

import re
import sys
import uuid
from collections.abc import Mapping

import structlog

REDACTED = "[redacted]"

# Values under these keys are secrets, whatever they hold (compared in lower case).
SECRET_KEYS = frozenset(
    {
        "authorization",
        "http_authorization",
        "proxy-authorization",
        "cookie",
        "http_cookie",
        "set-cookie",
        "password",
        "password1",
        "password2",
        "new_password",
        "old_password",
        "secret",
        "client_secret",
        "secret_context",
        "token",
        "access_token",
        "refresh_token",
        "accept_path",
        "accept_url",
        "private_key",
        "privatekey",
        "ha1",
        "ha1_encrypted",
        "digest_response",
    }
)

# Secrets that travel inside text (a path, a query string, a repr of task arguments, a header that reached a
# message). Group 1 is kept, the secret after it becomes REDACTED.
SECRET_TEXT = (
    # the invitation link (accounts/urls.py, "invitation_accept"): /invitations/<token>/
    re.compile(r"(/invitations/)[^/?#\s\"'<>]+"),
    # sign-in links that carry a key: django-allauth's password reset and email confirmation, Django's own reset
    re.compile(r"(/password/reset/key/)[^/?#\s\"'<>]+"),
    re.compile(r"(/confirm-email/)[^/?#\s\"'<>]+"),
    re.compile(r"(/reset/[^/\s\"'<>]+/)[^/?#\s\"'<>]+"),
    # a secret in a query string
    re.compile(
        r"((?:^|[?&])(?:token|key|code|password|secret|client_secret|access_token|refresh_token)=)[^&#\s\"'<>]+",
        re.IGNORECASE,
    ),
    # an Authorization header (to the end of the line: Digest values hold quotes and commas), or a bearer token,
    # that found its way into a message
    re.compile(r"""((?:HTTP_)?Authorization['"]?\s*[:=]\s*['"]?)[^\n]+""", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(r"""(\bresponse=["']?)[0-9a-fA-F]{16,}"""),
    # "'token': '...'" in the repr of a dict (Celery prints task arguments at DEBUG)
    re.compile(
        r"""(['"](?:token|accept_path|password|private_?key|secret_context)['"]\s*:\s*)(?:'[^']*'|"[^"]*"|\{[^}]*\})""",
        re.IGNORECASE,
    ),
)

# Probes and scrapes that succeed are not worth two lines every few seconds; failed ones are kept.
QUIET_PATHS = ("/health/", "/metrics")

# An X-Request-ID we accept from a trusted proxy: what proxies and tracing systems send, nothing longer.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")


def scrub_text(text: str) -> str:
    for pattern in SECRET_TEXT:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def is_secret_key(key) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


def scrub(value):
    """``value`` with every secret replaced by REDACTED: values of secret keys, secrets inside text, in nested
    dicts and lists. Objects of other types are judged by their text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {key: REDACTED if is_secret_key(key) else scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return scrub_text(str(value))


def redact_secrets(logger, method_name, event_dict):
    """structlog processor, last before rendering: no secret leaves in a log line."""
    return {
        key: value if key.startswith("_") else REDACTED if is_secret_key(key) else scrub(value)
        for key, value in event_dict.items()
    }


def drop_quiet_requests(logger, method_name, event_dict):
    """structlog processor: the request lines of a successful health probe or metrics scrape are dropped."""
    if event_dict.get("event") in ("request_started", "request_finished"):
        path = str(event_dict.get("request", "")).partition(" ")[2]
        if path.startswith(QUIET_PATHS) and int(event_dict.get("code", 200)) < 400:
            raise structlog.DropEvent
    return event_dict


def gunicorn_access_fields(logger, method_name, event_dict):
    """Foreign-record processor: gunicorn's access line becomes fields (method, path, status, duration, request
    id) instead of a preformatted string; the formatter passes gunicorn's atoms as ``positional_args``."""
    atoms = event_dict.pop("positional_args", None)
    record = event_dict.get("_record")
    if getattr(record, "name", "") != "gunicorn.access" or not isinstance(atoms, Mapping):
        return event_dict
    status = str(atoms["s"])
    event_dict.update(
        event="http_access",
        method=atoms["m"],
        path=atoms["U"],
        query=atoms["q"] or None,
        code=int(status) if status.isdigit() else status,
        duration_ms=round(int(atoms["D"]) / 1000, 1),
        bytes=atoms["B"],
        ip=atoms["h"],
        user_agent=atoms["a"],
        request_id=None if atoms["{x-request-id}o"] == "-" else atoms["{x-request-id}o"],
    )
    return event_dict


def request_id_of_record(logger, method_name, event_dict):
    """Foreign-record processor: Django logs a 4xx/5xx answer (``django.request``) after the middlewares have
    returned, when the request's context is gone; such a record carries the request, and the request its id."""
    if "request_id" not in event_dict:
        request_id = getattr(getattr(event_dict.get("_record"), "request", None), "request_id", None)
        if request_id:
            event_dict["request_id"] = request_id
    return event_dict


def _shared_processors():
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(fmt: str) -> dict:
    """A ``logging.config`` formatter: every record, structlog's or not, rendered as one JSON object (``json``)
    or one readable line (``console``), secrets redacted."""
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [*_shared_processors(), request_id_of_record, gunicorn_access_fields],
        "pass_foreign_args": True,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    }


def logging_config(*, fmt: str, level: str) -> dict:
    """The ``LOGGING`` setting (and gunicorn's ``logconfig_dict``): one handler on standard error for everything,
    Django's, Celery's and gunicorn's loggers included (no second copy through Django's default handlers)."""
    if fmt not in ("json", "console"):
        raise ValueError(f"LOG_FORMAT must be 'json' or 'console', not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter(fmt)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def configure_structlog() -> None:
    """structlog hands its events to the standard library, whose formatter (above) renders them."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            drop_quiet_requests,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _bind_request(request, logger, log_kwargs, **kwargs):
    """django-structlog's request_started: a request id taken from a trusted proxy must look like one; the
    client address is REMOTE_ADDR (as in the audit trail), never a header a client could forge."""
    request_id = structlog.contextvars.get_contextvars().get("request_id", "")
    if not REQUEST_ID.fullmatch(request_id):
        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()))
    structlog.contextvars.bind_contextvars(ip=request.META.get("REMOTE_ADDR"))


def connect_request_log_receivers() -> None:
    from django_structlog import signals

    signals.bind_extra_request_metadata.connect(_bind_request, dispatch_uid="operations.bind_request")


# URL keyword arguments that say which organization or project a request is about, and the field they become.
_SCOPE_KWARGS = {"org_id": "org_id", "group_id": "project_id", "project_id": "project_id"}


class RequestContextMiddleware:
    """Inside django-structlog's RequestMiddleware: binds the signed-in actor and the organization or project
    the URL names to every later line of the request, and returns the request id as ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id = structlog.contextvars.get_contextvars().get("request_id")
        response = self.get_response(request)
        if request_id:
            response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        context = {field: view_kwargs[key] for key, field in _SCOPE_KWARGS.items() if key in view_kwargs}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["user_id"] = user.public_id
        structlog.contextvars.bind_contextvars(**context)
        return None
