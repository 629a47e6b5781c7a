"""The user representation shared by every resource that lists people (Atlas's AppUser), and /users."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView, self_link
from accounts import selectors
from accounts.models import OrganizationMembership, ProjectMembership, TeamMembership


def visible_roles(path, organization_memberships: Q, project_memberships: Q) -> list[Prefetch]:
    """The prefetching of the roles the caller may see of the users at ``path`` (``""``: the users themselves;
    ``"user__"``: an API key's): their organization memberships and project memberships that match these
    filters, each with its scope and its roles, as ``visible_organization_memberships`` and
    ``visible_project_memberships`` (what ``role_assignments`` reads). Four queries whatever the page size."""
    return [
        Prefetch(
            f"{path}{model.SCOPE}_memberships",
            queryset=model.objects.filter(condition).select_related(model.SCOPE).prefetch_related("roles"),
            to_attr=f"visible_{model.SCOPE}_memberships",
        )
        for model, condition in (
            (OrganizationMembership, organization_memberships),
            (ProjectMembership, project_memberships),
        )
    ]


def role_assignments(user) -> list[dict]:
    """The roles of ``user`` that ``visible_roles`` prefetched, as Atlas's CloudAccessRoleAssignment: the
    organization roles, then the project roles, each sorted."""
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


def with_visible_access(users, organizations):
    """Prefetch what ``UserSerializer`` shows of a page of users: their roles and teams in ``organizations``
    only (a user's standing elsewhere is none of the caller's business). Four queries whatever the page size."""
    return users.prefetch_related(
        *visible_roles("", Q(organization__in=organizations), Q(project__organization__in=organizations)),
        Prefetch(
            "team_memberships",
            queryset=TeamMembership.objects.filter(team__organization__in=organizations).select_related(
                "team"
            ),
            to_attr="visible_team_memberships",
        ),
    )


class RoleAssignmentSerializer(serializers.Serializer):
    orgId = serializers.CharField(required=False)
    groupId = serializers.CharField(required=False)
    roleName = serializers.CharField()


class UserSerializer(serializers.Serializer):
    """Atlas's AppUser: who a person is and the roles (``[{orgId|groupId, roleName}]``) and teams the caller
    may see. The queryset must come through ``with_visible_access``."""

    id = serializers.CharField(source="public_id", read_only=True)
    username = serializers.CharField(source="email", read_only=True)
    emailAddress = serializers.CharField(source="email", read_only=True)
    firstName = serializers.CharField(source="first_name", read_only=True)
    lastName = serializers.CharField(source="last_name", read_only=True)
    createdAt = serializers.DateTimeField(source="date_joined", read_only=True)
    roles = serializers.SerializerMethodField()
    teamIds = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    @extend_schema_field(RoleAssignmentSerializer(many=True))
    def get_roles(self, user):
        return role_assignments(user)

    def get_teamIds(self, user) -> list[str]:
        return sorted(m.team.public_id for m in user.visible_team_memberships)

    def get_links(self, user) -> list[dict]:
        return self_link(self.context["request"], f"users/{user.public_id}")


def _visible_user(request, **reference):
    """The person the reference names if they share an organization with the caller (or are the caller); anyone
    else, and any API key's account, is "not found": the caller learns nothing about people outside its
    organizations."""
    organizations = selectors.organizations_for_user(request.user)
    user = selectors.access_person(
        actor=request.user,
        queryset=with_visible_access(get_user_model().objects.all(), organizations),
        **reference,
    )
    return Response(UserSerializer(user, context={"request": request}).data)


class UserDetailView(AtlasView):
    @extend_schema(operation_id="getUser", responses=responses({200: UserSerializer}))
    def get(self, request, user_id):
        return _visible_user(request, user_id=user_id)


class UserByNameView(AtlasView):
    @extend_schema(operation_id="getUserByUsername", responses=responses({200: UserSerializer}))
    def get(self, request, username):
        return _visible_user(request, email=username)


urlpatterns = [
    path("users/byName/<str:username>", UserByNameView.as_view(), name="user-by-name"),
    path("users/<str:user_id>", UserDetailView.as_view(), name="user"),
]
