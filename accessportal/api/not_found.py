"""Unknown addresses, and requests refused before any view, under /api/ answer in Atlas's error shape, like every
other API refusal."""

from django.conf import settings
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
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


@csrf_exempt  # it changes nothing; a POST there is a 404 in Atlas's shape, not the CSRF page
def unknown_api_address(request):
    """The last route: any other address under /api/ is Atlas's JSON 404, with DEBUG on too. A GET that only
    lacks its trailing slash is still sent to the address with it, as APPEND_SLASH would."""
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_api_address:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return not_found(request)
