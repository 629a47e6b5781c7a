"""Unknown addresses, and requests refused before any view, under /api/ answer in Atlas's error shape, like every
other API refusal."""

from django.http import JsonResponse
from django.views import defaults
from django.views.defaults import page_not_found

from .errors import atlas_error_body, request_refused_body


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        body = atlas_error_body(404, "RESOURCE_NOT_FOUND", f"Cannot find resource {request.path}.")
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields): under
    /api/, Atlas's JSON 400 like every other refusal."""
    if request.path.startswith("/api/"):
        return JsonResponse(request_refused_body(exception), status=400)
    return defaults.bad_request(request, exception)
