"""/groups/{groupId}/users: a project's members and invited people (Atlas's GroupUserResponse); add, change
roles, remove. A ``userId`` names a member, or an invitation while the person is only invited."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.query import FlagParameter
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import selectors, services
from accounts.models import Invitation, OrganizationMembership
from accounts.selectors import reach
from accounts.services import invitations as invitation_services

from .people import (
    AddOrRemoveGroupRoleSerializer,
    Concatenation,
    GroupUserSerializer,
    UserFilters,
    member_person,
    person_or_404,
    project_person,
    project_role_names,
    project_users,
    with_filters,
)


class GroupUserFilters(UserFilters):
    flattenTeams = FlagParameter(
        default=False, help_text="also the users who reach the project only through its teams"
    )
    includeOrgUsers = FlagParameter(
        default=False, help_text="also the organization's users whose roles reach every project"
    )


def everyone_with_access(project, *, teams, organization):
    """Users who reach the project: its members, with ``teams`` those of its teams, with ``organization`` the
    organization's users whose roles reach every project (owners, read-only). People only, by email."""
    return reach.people_reaching_project(project, teams=teams, organization=organization)


def everyone_as_people(users, project) -> list:
    """A page of ``everyone_with_access`` as GroupUserResponse rows, each with every project role it holds here
    (own, through teams, inherited): three queries whatever the page size."""
    people = [user for user in users if not isinstance(user, Invitation)]
    held = {row.user.pk: row.roles for row in reach.project_reach(project, people)}
    path = f"groups/{project.public_id}/users"
    return [
        project_person(user, project)
        if isinstance(user, Invitation)
        else member_person(user, path, project_roles=sorted(held[user.pk]))
        for user in users
    ]


class GroupUserCreateSerializer(serializers.Serializer):
    username = serializers.EmailField(max_length=254)
    roles = project_role_names()


class GroupUsersBase(AtlasView):
    def project(self, group_id):
        return selectors.access_project(actor=self.request.user, project_id=group_id)

    def person(self, project, user_id):
        return person_or_404(*project_users(project), person_id=user_id)

    def respond(self, project, obj, code=status.HTTP_200_OK) -> Response:
        """The GroupUserResponse of ``obj`` as stored now (read again after a change)."""
        obj = self.person(project, obj.public_id if isinstance(obj, Invitation) else obj.user.public_id)
        person = project_person(obj, project)
        return Response(GroupUserSerializer(person, context={"request": self.request}).data, status=code)


class GroupUserListView(GroupUsersBase):
    @extend_schema(
        operation_id="listProjectUsers",
        parameters=[GroupUserFilters],
        responses=responses({200: GroupUserSerializer(many=True)}),
    )
    def get(self, request, group_id):
        project = self.project(group_id)
        filters = GroupUserFilters.read(request)
        members, invitations = with_filters(filters, *project_users(project))
        flatten, org_users = filters["flattenTeams"], filters["includeOrgUsers"]
        if flatten or org_users:
            people = everyone_with_access(project, teams=flatten, organization=org_users)
            if filters["username"]:
                people = people.filter(email__iexact=filters["username"])
            if filters["orgMembershipStatus"] not in (None, "ACTIVE"):
                people = people.none()
            return self.page(
                Concatenation(people, invitations),
                lambda page: (
                    GroupUserSerializer(
                        everyone_as_people(page, project), many=True, context={"request": request}
                    ).data
                ),
            )
        return self.page(
            Concatenation(members, invitations),
            lambda page: (
                GroupUserSerializer(
                    [project_person(obj, project) for obj in page], many=True, context={"request": request}
                ).data
            ),
        )

    @extend_schema(
        operation_id="addProjectUser",
        request=GroupUserCreateSerializer,
        responses=responses({201: GroupUserSerializer}),
    )
    def post(self, request, group_id):
        """A member of the project's organization is added at once (ACTIVE); anyone else is invited (PENDING)."""
        project = self.project(group_id)
        data = self.validated(GroupUserCreateSerializer)
        colleague = (
            OrganizationMembership.objects.filter(
                organization=project.organization,
                user__email__iexact=data["username"],
                user__is_service_account=False,
            )
            .select_related("user")
            .first()
        )
        if colleague is not None:
            membership = services.project_member_add(
                project=project, user=colleague.user, roles=data["roles"], actor=request.user
            )
            return self.respond(project, membership, status.HTTP_201_CREATED)
        (invitation,) = invitation_services.project_invitations_create(
            project=project, emails=[data["username"]], roles=data["roles"], actor=request.user
        )
        return self.respond(project, invitation, status.HTTP_201_CREATED)


class GroupUserDetailView(GroupUsersBase):
    @extend_schema(operation_id="getProjectUser", responses=responses({200: GroupUserSerializer}))
    def get(self, request, group_id, user_id):
        project = self.project(group_id)
        return self.respond(project, self.person(project, user_id))

    @extend_schema(operation_id="removeProjectUser", responses=responses({204: None}))
    def delete(self, request, group_id, user_id):
        """Remove a member's own assignment to the project (access through teams stays), or withdraw an
        invitation to it."""
        project = self.project(group_id)
        obj = self.person(project, user_id)
        if isinstance(obj, Invitation):
            invitation_services.invitation_revoke(invitation=obj, actor=request.user)
        else:
            services.project_member_remove(project=project, user=obj.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupUserRoleView(GroupUsersBase):
    """``:addRole`` and ``:removeRole``: one project role more or less, through the service that sets roles
    (it keeps at least one, and the project's last owner)."""

    def change(self, request, group_id, user_id, *, adding):
        project = self.project(group_id)
        obj = self.person(project, user_id)
        role = self.validated(AddOrRemoveGroupRoleSerializer)["groupRole"]
        if isinstance(obj, Invitation):
            current = list(obj.roles)
            new = sorted({*current, role}) if adding else [name for name in current if name != role]
            obj = invitation_services.invitation_update(invitation=obj, actor=request.user, roles=new)
        else:
            change = services.project_member_role_add if adding else services.project_member_role_remove
            change(project=project, user=obj.user, role=role, actor=request.user)
        return self.respond(project, obj)


class GroupUserAddRoleView(GroupUserRoleView):
    @extend_schema(
        operation_id="addProjectRole",
        request=AddOrRemoveGroupRoleSerializer,
        responses=responses({200: GroupUserSerializer}),
    )
    def post(self, request, group_id, user_id):
        return self.change(request, group_id, user_id, adding=True)


class GroupUserRemoveRoleView(GroupUserRoleView):
    @extend_schema(
        operation_id="removeProjectRole",
        request=AddOrRemoveGroupRoleSerializer,
        responses=responses({200: GroupUserSerializer}),
    )
    def post(self, request, group_id, user_id):
        return self.change(request, group_id, user_id, adding=False)


urlpatterns = [
    path("groups/<str:group_id>/users", GroupUserListView.as_view(), name="group-users"),
    path(
        "groups/<str:group_id>/users/<str:user_id>:addRole",
        GroupUserAddRoleView.as_view(),
        name="group-user-add-role",
    ),
    path(
        "groups/<str:group_id>/users/<str:user_id>:removeRole",
        GroupUserRemoveRoleView.as_view(),
        name="group-user-remove-role",
    ),
    path("groups/<str:group_id>/users/<str:user_id>", GroupUserDetailView.as_view(), name="group-user"),
]
