"""The organization's Projects tab and a project's Access tab: each view module brings its views, this one the
URL patterns."""

from django.urls import path

from . import access, listing

urlpatterns = [
    path("orgs/<str:org_id>/projects/", listing.organization_projects, name="organization_projects"),
    path(
        "orgs/<str:org_id>/projects/new/",
        listing.organization_project_create,
        name="organization_project_create",
    ),
    path(
        "orgs/<str:org_id>/projects/<str:project_id>/join/",
        listing.organization_project_join,
        name="organization_project_join",
    ),
    path("projects/<str:project_id>/", access.project_access, name="project_access"),
    path(
        "projects/<str:project_id>/users/<str:user_id>/roles/",
        access.project_user_roles,
        name="project_user_roles",
    ),
    path(
        "projects/<str:project_id>/users/<str:user_id>/remove/",
        access.project_user_remove,
        name="project_user_remove",
    ),
    path("projects/<str:project_id>/teams/add/", access.project_team_add, name="project_team_add"),
    path(
        "projects/<str:project_id>/teams/<str:team_id>/roles/",
        access.project_team_roles,
        name="project_team_roles",
    ),
    path(
        "projects/<str:project_id>/teams/<str:team_id>/remove/",
        access.project_team_remove,
        name="project_team_remove",
    ),
    path(
        "join-requests/<str:request_id>/<str:action>/", access.join_request_action, name="join_request_action"
    ),
]
