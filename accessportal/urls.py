"""URLs: the admin, sign-in, and the customers' pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accessportal.api import urls as api_urls
from accounts.webhooks import tracking_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/atlas/", include("accessportal.api.urls")),
    path("api/docs/", include(api_urls.docs_urlpatterns)),
    path("anymail/<slug:esp>/tracking/", tracking_webhook, name="email_tracking_webhook"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("", include("monitoring.urls")),
    path("", include("support.urls")),
]

handler404 = "accessportal.api.not_found.not_found"
handler400 = "accessportal.api.not_found.bad_request"
