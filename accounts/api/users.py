"""The user representation shared by every resource that lists people (Atlas's AppUser), and /users."""

from django.db.models import Prefetch
from rest_framework import serializers

from accessportal.api.views import self_link
from accounts.models import OrganizationMembership, ProjectMembership, TeamMembership


def with_visible_access(users, organizations):
    """Prefetch what ``UserSerializer`` shows of a page of users: their roles and teams in ``organizations``
    only (a user's standing elsewhere is none of the caller's business). Four queries whatever the page size."""
    return users.prefetch_related(
        Prefetch(
            "organization_memberships",
            queryset=OrganizationMembership.objects.filter(organization__in=organizations)
            .select_related("organization")
            .prefetch_related("roles"),
            to_attr="visible_organization_memberships",
        ),
        Prefetch(
            "project_memberships",
            queryset=ProjectMembership.objects.filter(project__organization__in=organizations)
            .select_related("project")
            .prefetch_related("roles"),
            to_attr="visible_project_memberships",
        ),
        Prefetch(
            "team_memberships",
            queryset=TeamMembership.objects.filter(team__organization__in=organizations).select_related(
                "team"
            ),
            to_attr="visible_team_memberships",
        ),
    )


class RoleAssignmentSerializer(serializers.Serializer):
    orgId = serializers.CharField(required=False)  # noqa: N815
    groupId = serializers.CharField(required=False)  # noqa: N815
    roleName = serializers.CharField()  # noqa: N815


class UserSerializer(serializers.Serializer):
    """Atlas's AppUser: who a person is and the roles (``[{orgId|groupId, roleName}]``) and teams the caller
    may see. The queryset must come through ``with_visible_access``."""

    id = serializers.CharField(source="public_id", read_only=True)
    username = serializers.CharField(source="email", read_only=True)
    emailAddress = serializers.CharField(source="email", read_only=True)  # noqa: N815
    firstName = serializers.CharField(source="first_name", read_only=True)  # noqa: N815
    lastName = serializers.CharField(source="last_name", read_only=True)  # noqa: N815
    createdAt = serializers.DateTimeField(source="date_joined", read_only=True)  # noqa: N815
    roles = serializers.SerializerMethodField()
    teamIds = serializers.SerializerMethodField()  # noqa: N815
    links = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[RoleAssignmentSerializer]:
        org_roles = [
            {"orgId": m.organization.public_id, "roleName": role.name}
            for m in user.visible_organization_memberships
            for role in m.roles.all()
        ]
        project_roles = [
            {"groupId": m.project.public_id, "roleName": role.name}
            for m in user.visible_project_memberships
            for role in m.roles.all()
        ]
        key = lambda r: (r.get("orgId", ""), r.get("groupId", ""), r["roleName"])  # noqa: E731
        return sorted(org_roles, key=key) + sorted(project_roles, key=key)

    def get_teamIds(self, user) -> list[str]:  # noqa: N802
        return sorted(m.team.public_id for m in user.visible_team_memberships)

    def get_links(self, user) -> list[dict]:
        return self_link(self.context["request"], f"users/{user.public_id}")


urlpatterns = []
