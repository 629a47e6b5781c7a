"""Organization API keys in the API: /orgs/{orgId}/apiKeys (keys and their access lists) and
/groups/{groupId}/apiKeys (keys' project roles)."""

from . import organization, projects

urlpatterns = [*organization.urlpatterns, *projects.urlpatterns]
