"""How the customers' pages answer a service's refusal, in one place: a ``ServiceError`` that a page view does not
handle itself becomes the site's 404 page (a missing or foreign object), its 403 page (seen but not allowed), or
the error page with the refusal's message and status. The API answers refusals through its own exception
handler (``accessportal.api.errors``), which DRF applies before this middleware could see them."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from .errors import ServiceError


class ServiceErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceError):
            return None
        if exception.status == 404:
            raise Http404(exception.message) from exception
        if exception.status == 403:
            raise PermissionDenied(exception.message) from exception
        return render(
            request,
            "error.html",
            {"status": exception.status, "message": exception.message},
            status=exception.status,
        )
