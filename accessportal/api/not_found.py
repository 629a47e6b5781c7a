"""Unknown addresses under /api/ answer in Atlas's error shape, like every other API refusal."""

from django.http import JsonResponse
from django.views.defaults import page_not_found

from .errors import atlas_error_body


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        body = atlas_error_body(404, "RESOURCE_NOT_FOUND", f"Cannot find resource {request.path}.")
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)
