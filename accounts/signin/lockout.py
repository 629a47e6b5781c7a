"""django-axes, configured for the portal: which account an attempt names, what locks (the account and the
address, or only the address when no account is named), the lockout page with the time to retry, and the guard
of the pages that take a secret token (password reset links, invitation links)."""

from datetime import datetime
from functools import wraps

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_parameters, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

NO_ACCOUNT = {"email": None}  # credentials of an attempt that names no account: counted per address only


def attempted_email(request, credentials) -> str | None:
    """The account an attempt names: allauth passes ``email``, Django's own forms ``username``; without
    credentials, the sign-in form's ``login`` field. Lower-cased, as accounts are."""
    if credentials is not None:
        value = credentials.get("email") or credentials.get("username")
    else:
        value = getattr(request, "POST", {}).get("login")
    value = str(value or "").strip().lower()
    return value or None


def lockout_parameters(request, credentials):
    """Per account and per address, each on its own; an attempt without an account locks only its address
    (otherwise every such attempt, from anywhere, would count against one empty account)."""
    if attempted_email(request, credentials):
        return ["username", "ip_address"]
    return ["ip_address"]


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, for requests only: authenticating without a request (the shell, the test client's
    ``login``) is no guess over HTTP, and axes would refuse it outright."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_until(request, credentials) -> datetime:
    """When the lock on this request's account or address ends: the latest failure of each locked parameter
    plus the cool-off."""
    AxesProxyHandler.update_request(request)
    now = timezone.now()
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    ends = []
    filters = get_client_parameters(
        attempted_email(request, credentials), request.axes_ip_address, request.axes_user_agent, request,
        credentials,
    )
    for filter_kwargs in filters:
        totals = AccessAttempt.objects.filter(**filter_kwargs, attempt_time__gte=now - cool_off).aggregate(
            failures=Sum("failures_since_start"), latest=Max("attempt_time")
        )
        if (totals["failures"] or 0) >= limit:
            ends.append(totals["latest"] + cool_off)
    return max(ends) if ends else now + cool_off


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with a page that says when to try again (and Retry-After)."""
    until = locked_until(request, credentials)
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
    response = render(
        request,
        "account/lockout.html",
        {
            "until": until,
            "minutes": (seconds + 59) // 60,
            "failure_limit": get_failure_limit(request, credentials),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def token_guard(*, failed):
    """For a page that takes a secret token in its URL: refused with the lockout page while the address is
    locked; an answer for which ``failed(response)`` holds (an unknown token) counts as a failed attempt."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not AxesProxyHandler.is_allowed(request, NO_ACCOUNT):
                return lockout_response(request, None, NO_ACCOUNT)
            response = view(request, *args, **kwargs)
            if failed(response):
                AxesProxyHandler.user_login_failed(sender=view, credentials=NO_ACCOUNT, request=request)
                if request.axes_locked_out:
                    return lockout_response(request, response, NO_ACCOUNT)
            return response

        return guarded

    return decorator


def address_guard(view):
    """A page that names an account but proves nothing (the password reset request): refused with the lockout
    page while the address is locked."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method == "POST" and not AxesProxyHandler.is_allowed(request, NO_ACCOUNT):
            return lockout_response(request, None, NO_ACCOUNT)
        return view(request, *args, **kwargs)

    return guarded
