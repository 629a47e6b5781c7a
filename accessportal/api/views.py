"""The API's root resource."""

from django.conf import settings
from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def api_root(request, version):
    """What Atlas answers at its root: the application, its build and links; authentication required."""
    return Response(
        {
            "appName": "accessportal",
            "build": settings.ACCESSPORTAL_VERSION,
            "links": [{"href": request.build_absolute_uri(), "rel": "self"}],
            "throttling": False,
        }
    )
