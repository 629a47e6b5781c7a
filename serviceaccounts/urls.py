"""The OAuth 2.0 endpoints, mounted at /api/oauth/ (the site root, as Atlas's clients expect)."""

from django.urls import path

from . import oauth

urlpatterns = [
    path("token", oauth.token, name="oauth_token"),
    path("revoke", oauth.revoke, name="oauth_revoke"),
]
