"""The Atlas-shaped API under /api/atlas/v2 and, from the same views, the legacy /api/atlas/v1.0; the OpenAPI
schema and its browsable UI."""

from django.urls import include, path, re_path
from django.urls.resolvers import RegexPattern
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from accounts.api import urls as accounts_api
from monitoring.api import urls as monitoring_api
from serviceaccounts.api import views as service_accounts_api
from support.api import urls as support_api

from . import views


def with_trailing_slashes(patterns):
    """Each route also answers with a trailing slash (Atlas does, and clients such as atlasapi use it). A twin
    route, not a redirect: the client signs the path it asked for with HTTP Digest."""
    twins = []
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern.pattern, RegexPattern):
            twin = (
                re_path(route[:-1] + "/$", pattern.callback, pattern.default_args)
                if route.endswith("$")
                else None
            )
        else:
            twin = path(route + "/", pattern.callback, pattern.default_args)
        if twin is not None:
            twins.append(twin)
    return [*patterns, *twins]


# Every app's resources; the project knows the apps, the apps know only accounts.
resources = with_trailing_slashes(
    [
        *accounts_api.urlpatterns,
        *monitoring_api.urlpatterns,
        *support_api.urlpatterns,
        *service_accounts_api.urlpatterns,
    ]
)

urlpatterns = [
    path("v2/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi_schema"),
    path("v2", views.api_root, name="api_root"),
    path("v1.0", views.api_root, name="api_root_v1"),
    path("v1.0/", views.api_root),
    path("v2/", include((resources, "api"), namespace="v2")),
    path("v1.0/", include((resources, "api"), namespace="v1")),
]
# The split view serves Swagger UI's settings as a script of its own (/api/docs/?script): no inline script,
# as the Content-Security-Policy requires.
docs_urlpatterns = [path("", SpectacularSwaggerSplitView.as_view(url_name="openapi_schema"), name="api_docs")]


def only_v2(endpoints, **kwargs):
    """drf-spectacular hook: the schema documents /api/atlas/v2; /api/atlas/v1.0 serves the same views."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith("/api/atlas/v2") and not endpoint[0].endswith("/")
    ]
