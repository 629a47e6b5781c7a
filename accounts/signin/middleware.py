"""Middleware of signed-in pages: times in the viewer's own time zone, and two-factor authentication where it
is required (the Django admin for staff; an organization that requires it, for its members)."""

import re
import zoneinfo
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import two_factor_required_by

# A page of one organization or project, by the public id in its path (the customers' pages).
_SCOPED_PAGE = re.compile(r"^/(?P<kind>orgs|projects)/(?P<public_id>[^/]+)/")


class TimeZoneMiddleware:
    """Pages show times in the signed-in person's time zone (their profile); the API keeps UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class TwoFactorRequiredMiddleware:
    """Sends a signed-in person without two-factor authentication to set it up before they reach the Django
    admin (staff) or any page of an organization that requires it (under /orgs/<id>/ or /projects/<id>/). The
    decision is ``accounts.selectors.two_factor_required_by``, which page views may call too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = self._requirement(request, user)
            if reason:
                messages.warning(request, f"{reason} Set up two-factor authentication to continue.")
                setup = reverse("mfa_activate_totp")
                return HttpResponseRedirect(f"{setup}?next={quote(request.get_full_path())}")
        return self.get_response(request)

    @staticmethod
    def _requirement(request, user) -> str | None:
        if request.path.startswith("/admin/"):
            if user.is_staff:
                return two_factor_required_by(user=user, admin=True)
            return None
        match = _SCOPED_PAGE.match(request.path)
        if match is None:
            return None
        kind = "organization" if match["kind"] == "orgs" else "project"
        return two_factor_required_by(user=user, **{f"{kind}_id": match["public_id"]})
