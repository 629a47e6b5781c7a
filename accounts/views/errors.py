"""Our own error pages, in the site's layout, with DEBUG on or off: 403 and 404 for every page outside /api/ and
/admin/ (one middleware), the 403/500 handlers of the URLconf, and a 500 page that needs neither the database
nor the request."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseServerError
from django.template import loader

from .pages import error_page

logger = logging.getLogger(__name__)

# Their own error shapes: the API answers in Atlas's JSON (accessportal/api), the admin with Django's pages.
OWN_ERRORS_PREFIXES = ("/api/", "/admin/")


def _ours(request) -> bool:
    return not request.path.startswith(OWN_ERRORS_PREFIXES)


def _message(exception) -> str:
    """The exception's text when it is one written for people (``Http404("No project with ID … exists.")``);
    a URL resolver's 404 carries a dict of the patterns tried, which is not for them."""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        return exception.args[0]
    return ""


class ErrorPageMiddleware:
    """Answers a page's ``Http404`` and ``PermissionDenied``, and an address that no URL matches, with our 404
    and 403 pages. Django's own handlers would show its technical 404 page whenever DEBUG is on. Placed after
    CommonMiddleware, whose APPEND_SLASH redirect still applies to our 404s, and after the authentication and
    messages middleware, whose ``user`` and ``messages`` the layout shows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None and _ours(request):
            return error_page(request, status=404)
        return response

    def process_exception(self, request, exception):
        if not _ours(request):
            return None
        if isinstance(exception, Http404):
            return error_page(request, status=404, message=_message(exception))
        if isinstance(exception, PermissionDenied):
            return error_page(request, status=403, message=_message(exception))
        return None


def permission_denied(request, exception=None):
    """``handler403``: what reaches Django's handler (a 403 under /admin/ never does; it has its own)."""
    return error_page(request, status=403, message=_message(exception))


def server_error(request):
    """``handler500``: ``500.html`` rendered with no context at all (no database, no session, no user), and
    plain text should even that fail."""
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:  # the last resort must not fail in turn
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(
            "Something went wrong on our side. Try again in a moment.", content_type="text/plain"
        )
