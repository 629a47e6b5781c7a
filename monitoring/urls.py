"""The monitoring pages (included at the site's root)."""

from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("orgs/<str:org_id>/monitoring/", views.organization_monitoring, name="organization"),
    path("orgs/<str:org_id>/monitoring/users/<str:monitoring_user_id>/detach/", views.detach, name="detach"),
    path("orgs/<str:org_id>/offboard/users/<str:user_id>/", views.offboard_user, name="offboard_user"),
    path(
        "orgs/<str:org_id>/offboard/monitoring-users/<str:monitoring_user_id>/",
        views.offboard_monitoring_user,
        name="offboard_monitoring_user",
    ),
    path("projects/<str:project_id>/monitoring/", views.project_monitoring, name="project"),
    path("projects/<str:project_id>/monitoring/groups/<str:group_id>/", views.group_detail, name="group"),
    path(
        "projects/<str:project_id>/monitoring/groups/<str:group_id>/delete/",
        views.group_delete,
        name="group_delete",
    ),
    path(
        "projects/<str:project_id>/monitoring/groups/<str:group_id>/members/<str:monitoring_user_id>/remove/",
        views.group_member_remove,
        name="group_member_remove",
    ),
    path(
        "projects/<str:project_id>/clusters/<str:cluster_name>/monitoring/",
        views.cluster_monitoring,
        name="cluster",
    ),
]
