"""The Atlas-shaped API under /api/atlas/v2 and, from the same views, the legacy /api/atlas/v1.0."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^(?P<version>v2|v1\.0)/?$", views.api_root, name="api_root"),
]
