"""Customers' pages of support access (included by accessportal/urls.py)."""

from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("projects/<str:project_id>/clusters/", views.project_clusters, name="project_clusters"),
    path(
        "projects/<str:project_id>/clusters/<str:cluster_name>/support-access/grant/",
        views.cluster_grant,
        name="cluster_grant",
    ),
    path(
        "projects/<str:project_id>/clusters/<str:cluster_name>/support-access/revoke/",
        views.cluster_revoke,
        name="cluster_revoke",
    ),
    path("orgs/<str:org_id>/settings/", views.organization_settings, name="organization_settings"),
    path(
        "orgs/<str:org_id>/support-access/log/", views.organization_decisions, name="organization_decisions"
    ),
]
