from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("projects/<str:project_id>/join/", views.project_join_request, name="project_join_request"),
]
