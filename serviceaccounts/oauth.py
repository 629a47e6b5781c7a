"""The OAuth 2.0 endpoints at the site root: ``POST /api/oauth/token`` (client credentials grant, RFC 6749
sections 2.3.1, 4.4 and 5) and ``POST /api/oauth/revoke`` (RFC 7009).

Plain Django views rather than DRF's: the bodies are OAuth's, not Atlas's (``{"error": "invalid_client"}``),
the request is form-encoded, and there is no session, so CSRF does not apply (the client authenticates itself
in the request; a browser's cookies give it nothing here)."""

import base64
import binascii
import math
from urllib.parse import unquote_plus

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.signin.limits import AuthenticationLimitReached

from .services.tokens import (
    InvalidClient,
    access_token_issue,
    access_token_revoke,
    client_authenticate,
    client_refusal_count,
    token_lifetime,
)

GRANT_TYPE = "client_credentials"
FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_CREDENTIAL_LENGTH = 256


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error: its status and ``error`` code are the whole answer."""

    def __init__(self, code: str, status: int = 400):
        super().__init__(code)
        self.code = code
        self.status = status


def _error_response(code: str, status: int, headers=None) -> JsonResponse:
    response = JsonResponse({"error": code}, status=status, headers={**NO_STORE, **(headers or {})})
    if status == 401:  # RFC 6749 section 5.2: answer a failed client authentication with the scheme it used
        response["WWW-Authenticate"] = 'Basic realm="accessportal", charset="UTF-8"'
    return response


def _form(request) -> dict[str, str]:
    """The form body, each parameter once (RFC 6749 section 3.2: repeated parameters are refused)."""
    if request.content_type != FORM:
        raise OAuthError("invalid_request")
    try:
        form = request.POST
    except (RequestDataTooBig, TooManyFieldsSent):
        raise OAuthError("invalid_request") from None
    if any(len(values) > 1 for _, values in form.lists()):
        raise OAuthError("invalid_request")
    return {name: form[name] for name in form}


def _client_credentials(request, form) -> tuple[str, str]:
    """(client id, client secret) from ``Authorization: Basic`` (each part form-url-decoded, split at the first
    colon) or from the body's ``client_id`` and ``client_secret``; both at once is refused (section 2.3)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    in_body = "client_id" in form or "client_secret" in form
    if header:
        if in_body:
            raise OAuthError("invalid_request")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient("unsupported_scheme")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidClient("malformed") from None
        client_id, colon, client_secret = decoded.partition(":")
        if not colon:
            raise InvalidClient("malformed")
        client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
    elif in_body:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    else:
        raise InvalidClient("missing")
    if not client_id or not client_secret or max(len(client_id), len(client_secret)) > MAX_CREDENTIAL_LENGTH:
        raise InvalidClient("malformed")
    if "\x00" in client_id + client_secret:  # names nothing (and PostgreSQL's text refuses it)
        raise InvalidClient("malformed")
    return client_id, client_secret


def _authenticated_client(request, form):
    address = request.META.get("REMOTE_ADDR", "")
    try:
        client_id, client_secret = _client_credentials(request, form)
    except InvalidClient as refusal:
        # Nothing to name: counted against the address, as a malformed Digest header is.
        client_refusal_count(client_id="", address=address, reason=refusal.reason)
        raise
    return client_authenticate(client_id=client_id, client_secret=client_secret, address=address)


def _answer(handler):
    """Turn the refusals of ``handler`` into OAuth's error answers."""

    def view(request):
        try:
            return handler(request)
        except OAuthError as error:
            return _error_response(error.code, error.status)
        except InvalidClient:
            return _error_response("invalid_client", 401)
        except AuthenticationLimitReached as limited:
            wait = str(max(1, math.ceil(limited.wait)))
            return _error_response("slow_down", 429, {"Retry-After": wait})

    view.__name__ = handler.__name__
    view.__doc__ = handler.__doc__
    return csrf_exempt(require_POST(view))


@_answer
def token(request):
    """``grant_type=client_credentials`` -> 200 ``{access_token, token_type, expires_in}``, never stored."""
    form = _form(request)
    if "grant_type" not in form:
        raise OAuthError("invalid_request")
    if form["grant_type"] != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type")
    service_account, secret = _authenticated_client(request, form)
    _, value = access_token_issue(
        service_account=service_account, secret=secret, address=request.META.get("REMOTE_ADDR", "")
    )
    body = {
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": int(token_lifetime().total_seconds()),
    }
    return JsonResponse(body, status=200, headers=NO_STORE)


@_answer
def revoke(request):
    """``token=...`` -> 200 whether or not it was this client's live token (RFC 7009 section 2.2)."""
    form = _form(request)
    service_account, _ = _authenticated_client(request, form)
    if not form.get("token"):
        raise OAuthError("invalid_request")
    access_token_revoke(service_account=service_account, token=form["token"])
    return HttpResponse(status=200, headers=NO_STORE)
