"""URLs: the admin, sign-in, and the customers' pages."""

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from accessportal.api import urls as api_urls
from accessportal.api.not_found import unknown_api_address
from accessportal.operations import health, metrics
from accounts.signin.lockout import address_guard, token_guard
from accounts.webhooks import tracking_webhook

# The admin signs in through allauth's sign-in page (lockout, two-factor), never through its own form.
admin.site.login = secure_admin_login(admin.site.login)

# Sign-in pages (allauth) under /accounts/; the password reset pages behind the lockout (an unknown reset
# link counts as a failed attempt of its address), and the names and paths the portal used before.
signin_urlpatterns = [
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/password/reset/", address_guard(account_views.password_reset), name="account_reset_password"),
    re_path(
        r"^accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        token_guard(failed=lambda response: bool(getattr(response, "context_data", {}).get("token_fail")))(
            account_views.password_reset_from_key
        ),
        name="account_reset_password_from_key",
    ),
    path(
        "accounts/password_reset/",
        RedirectView.as_view(pattern_name="account_reset_password"),
        name="password_reset_old_address",
    ),
    path(
        "accounts/password_change/",
        RedirectView.as_view(pattern_name="account_change_password"),
        name="password_change_old_address",
    ),
    path("accounts/", include("allauth.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/atlas/", include("accessportal.api.urls")),
    path("api/oauth/", include("serviceaccounts.urls")),  # OAuth 2.0 client credentials (service accounts)
    path("api/docs/", include(api_urls.docs_urlpatterns)),
    path("anymail/<slug:esp>/tracking/", tracking_webhook, name="email_tracking_webhook"),
    *signin_urlpatterns,
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

# Last: any other address under /api/ is Atlas's JSON 404, with DEBUG on too (Django's debug page otherwise).
urlpatterns.append(re_path(r"^api/", unknown_api_address))

handler404 = "accessportal.api.not_found.not_found"
handler400 = "accessportal.api.not_found.bad_request"
handler403 = "accounts.views.errors.permission_denied"
handler500 = "accounts.views.errors.server_error"
