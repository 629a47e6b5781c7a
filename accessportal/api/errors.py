"""Atlas's error shape {detail, error, errorCode, parameters, reason, badRequestDetail}, and the one exception
handler that gives every refusal that shape: a service's ServiceError keeps its stable code and status."""

import math
from http import HTTPStatus

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.errors import ServiceError

log = structlog.get_logger("accessportal.api")


def atlas_error_body(status: int, code: str, detail: str, parameters=(), bad_request_detail=None) -> dict:
    body = {
        "detail": detail,
        "error": status,
        "errorCode": code,
        "parameters": list(parameters),
        "reason": HTTPStatus(status).phrase,
    }
    if bad_request_detail is not None:
        body["badRequestDetail"] = bad_request_detail
    return body


class AtlasAPIError(exceptions.APIException):
    """An API refusal with Atlas's body (raise it from views for errors that are not a service's)."""

    def __init__(self, status: int, code: str, detail: str, parameters=()):
        super().__init__()
        self.status_code = status
        self.detail = atlas_error_body(status, code, detail, parameters)


class AtlasAuthenticationFailed(exceptions.AuthenticationFailed):
    """401 with Atlas's body; DRF adds a fresh WWW-Authenticate challenge."""

    def __init__(self, detail: str, code: str = "UNAUTHORIZED", parameters=()):
        super().__init__()
        self.detail = atlas_error_body(401, code, detail, parameters)


class AtlasPermissionDenied(exceptions.PermissionDenied):
    def __init__(self, detail: str, code: str, parameters=()):
        super().__init__()
        self.detail = atlas_error_body(403, code, detail, parameters)


def _flatten(detail, prefix=""):
    """DRF's nested validation messages -> [(dotted field path, message)], e.g. ("1.roleNames.0", "...")."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _flatten(value, ".".join(part for part in (prefix, name) if part))
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _flatten(value, ".".join(part for part in (prefix, str(index)) if part))
            else:
                yield prefix, str(value)
    else:
        yield prefix, str(detail)


_CODES = [
    (exceptions.ParseError, "MALFORMED_JSON"),
    (exceptions.NotAuthenticated, "NOT_AUTHENTICATED"),
    (exceptions.AuthenticationFailed, "UNAUTHORIZED"),
    (exceptions.PermissionDenied, "USER_UNAUTHORIZED"),
    (exceptions.NotFound, "RESOURCE_NOT_FOUND"),
    (exceptions.MethodNotAllowed, "METHOD_NOT_ALLOWED"),
    (exceptions.NotAcceptable, "NOT_ACCEPTABLE"),
    (exceptions.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"),
    (exceptions.Throttled, "RATE_LIMITED"),
]


def _body_for(exc):
    if isinstance(exc, ServiceError):
        parameters = [v for v in exc.parameters.values() if isinstance(v, str | int)]
        return exc.status, atlas_error_body(exc.status, exc.code, exc.message, parameters)
    if isinstance(exc, Http404):
        return 404, atlas_error_body(404, "RESOURCE_NOT_FOUND", "Cannot find resource.")
    if isinstance(exc, DjangoPermissionDenied):
        return 403, atlas_error_body(403, "USER_UNAUTHORIZED", "You are not allowed to do this.")
    if not isinstance(exc, exceptions.APIException):
        return None, None
    status = exc.status_code
    if isinstance(exc.detail, dict) and "errorCode" in exc.detail:
        return status, exc.detail
    if isinstance(exc, exceptions.ValidationError):
        fields = [
            {"field": field or "body", "description": message} for field, message in _flatten(exc.detail)
        ]
        detail = "; ".join(f"{f['field']}: {f['description']}" for f in fields)
        return 400, atlas_error_body(
            400,
            "VALIDATION_ERROR",
            f"Invalid request: {detail}",
            [f["field"] for f in fields],
            {"fields": fields},
        )
    code = next((name for klass, name in _CODES if isinstance(exc, klass)), "INVALID_REQUEST")
    return status, atlas_error_body(status, code, str(exc.detail))


def request_refused_body(exc) -> dict:
    """Django's refusals of a request's body (SuspiciousOperation): too large, too many fields."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return atlas_error_body(
            400, "REQUEST_BODY_TOO_LARGE", f"The request body is larger than the {limit} bytes allowed.", [limit]
        )
    return atlas_error_body(400, "INVALID_REQUEST", "The request was refused as malformed.")


def atlas_exception_handler(exc, context):
    from accessportal.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE, unavailable_body

    if isinstance(exc, UNAVAILABLE):  # the cache (Digest nonce counts) or the broker is down: retry later
        return Response(unavailable_body(), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return Response(request_refused_body(exc), status=400)
    status, body = _body_for(exc)
    if body is None:
        return None  # a real bug: let it be a 500 with a traceback in the logs
    # Every refusal (permission, authentication, validation, not found) is one INFO line with its stable code.
    log.info(
        "api_request_refused",
        status=status,
        error_code=body["errorCode"],
        detail=str(body["detail"])[:300],
        view=type(context.get("view")).__name__,
    )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    from rest_framework.views import set_rollback  # not at import time: DRF's views import our authentication

    set_rollback()
    return Response(body, status=status, headers=headers)
