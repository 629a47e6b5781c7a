from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("welcome/", views.welcome, name="welcome"),
    path("accounts/profile/", views.profile, name="account_profile"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("orgs/<str:org_id>/", views.organization_access, name="organization_access"),
    path("projects/<str:project_id>/", views.project_access, name="project_access"),
    path("projects/<str:project_id>/join/", views.project_join_request, name="project_join_request"),
    path(
        "pending-invitations/<str:invitation_id>/<str:action>/",
        views.invitation_action,
        name="invitation_action",
    ),
    path(
        "join-requests/<str:request_id>/<str:action>/", views.join_request_action, name="join_request_action"
    ),
]
