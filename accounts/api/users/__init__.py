"""People in the API: the shared AppUser representation and /users, /orgs/{orgId}/users, /groups/{groupId}/users."""

from . import app_user, organization, project
from .app_user import RoleAssignmentSerializer, UserSerializer, with_visible_access

__all__ = ["RoleAssignmentSerializer", "UserSerializer", "urlpatterns", "with_visible_access"]

urlpatterns = [*app_user.urlpatterns, *organization.urlpatterns, *project.urlpatterns]
