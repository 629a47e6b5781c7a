"""/orgs/{orgId}/teams (teams and their members) and /groups/{groupId}/teams (teams' roles in projects)."""

from . import organization, projects

urlpatterns = [*organization.urlpatterns, *projects.urlpatterns]
