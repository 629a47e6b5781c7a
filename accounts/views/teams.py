"""The organization's Teams tab and a team's page: create, rename, members, projects and roles, delete."""

urlpatterns = []
