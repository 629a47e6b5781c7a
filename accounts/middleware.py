"""How the customers' pages answer a service's refusal, in one place: a ``ServiceError`` that a page view does not
handle itself becomes the site's error page with the refusal's status and message (404 for a missing or foreign
object, 403 for one seen but not allowed, the refusal's own status otherwise), in the layout, with DEBUG on or
off. The API answers refusals through its own exception handler (``accessportal.api.errors``), which DRF applies
before this middleware could see them."""

from .errors import ServiceError
from .views.pages import error_page


class ServiceErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceError) or request.path.startswith(("/api/", "/admin/")):
            return None
        return error_page(request, status=exception.status, message=exception.message)
