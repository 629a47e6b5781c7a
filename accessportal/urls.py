"""URLs: the admin, sign-in, and the customers' pages."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accessportal.api import urls as api_urls
from accessportal.operations import health, metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/atlas/", include("accessportal.api.urls")),
    path("api/docs/", include(api_urls.docs_urlpatterns)),
    path("anymail/", include("anymail.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("", include("monitoring.urls")),
    path("", include("support.urls")),
]

# Operations: liveness, readiness (503 naming what failed), Prometheus metrics for allowed scrapers.
urlpatterns += [
    path("health/", health.ProbeView.as_view(checks=()), name="health_live"),
    path(
        "health/ready/",
        health.ProbeView.as_view(checks=health.readiness_checks(settings.HEALTH_CACHE_ALIASES)),
        name="health_ready",
    ),
    path("metrics", metrics.metrics_view, name="prometheus-django-metrics"),
]

handler404 = "accessportal.api.not_found.not_found"
