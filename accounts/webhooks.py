"""The ESP's tracking webhook (/anymail/<esp>/tracking/): only the ESP that EMAIL_BACKEND names is mounted, and
only with the basic-auth credentials of ANYMAIL_WEBHOOK_SECRET; anymail parses the events and delivers them as a
Django signal, whose receiver hands each to the email service and holds no logic of its own."""

from functools import cache

from anymail.signals import tracking
from anymail.utils import get_request_basic_auth
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from .services.emails import email_tracking_event_record


@receiver(tracking, dispatch_uid="accounts.email_tracking")
def on_tracking_event(sender, event, esp_name, **kwargs):
    email_tracking_event_record(event=event)


def configured_esp() -> str | None:
    """The ESP of ``EMAIL_BACKEND = "anymail.backends.<esp>.EmailBackend"``; None for any other backend (console,
    SMTP, file, anymail's test backend), which has no tracking webhook."""
    parts = settings.EMAIL_BACKEND.split(".")
    if len(parts) == 4 and parts[:2] == ["anymail", "backends"]:
        return parts[2]
    return None


@cache
def _tracking_views() -> dict:
    """anymail's own tracking views by ESP, read from its URL patterns (``<esp>_tracking_webhook``)."""
    from anymail import urls

    suffix = "_tracking_webhook"
    return {p.name.removesuffix(suffix): p.callback for p in urls.urlpatterns if (p.name or "").endswith(suffix)}


def _authorized(request) -> bool:
    secret = (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET") or ""
    given = get_request_basic_auth(request)
    return bool(secret) and given is not None and constant_time_compare(given, secret)


@csrf_exempt
def tracking_webhook(request, esp):
    """404 for any ESP but the configured one; 401 with a Basic challenge without the right credentials (Amazon
    SNS sends them only after such a challenge); otherwise anymail's view for that ESP."""
    view = _tracking_views().get(esp) if esp == configured_esp() else None
    if view is None:
        raise Http404("No such webhook.")
    if not _authorized(request):
        return HttpResponse(
            "Unauthorized", status=401, content_type="text/plain", headers={"WWW-Authenticate": 'Basic realm="email"'}
        )
    return view(request)
