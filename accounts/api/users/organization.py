"""/orgs/{orgId}/users: an organization's members and invited people (Atlas's OrgUserResponse); invite, change
roles, remove. A ``userId`` names a member, or an invitation while the person is only invited."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import selectors, services
from accounts.models import Invitation
from accounts.services import invitations as invitation_services

from .people import (
    AddOrRemoveOrgRoleSerializer,
    Concatenation,
    OrgUserRolesInputSerializer,
    OrgUserRolesUpdateSerializer,
    OrgUserSerializer,
    UserFilters,
    entity_ids,
    org_users_data,
    organization_people,
    organization_person,
    organization_users,
    organization_users_built_later,
    organization_users_counted,
    person_or_404,
    teams_named,
    users_page_cached,
    with_filters,
)


class OrgUserCreateSerializer(serializers.Serializer):
    username = serializers.EmailField(max_length=254)
    roles = OrgUserRolesInputSerializer()
    teamIds = entity_ids(required=False, default=list)


class OrgUserUpdateSerializer(serializers.Serializer):
    roles = OrgUserRolesUpdateSerializer(required=False)
    teamIds = entity_ids(required=False)


def _assignments(roles) -> list[dict]:
    """Atlas's ``[{groupId, groupRoles}]`` -> the services' ``[{groupId, roles}]``."""
    return [
        {"groupId": a["groupId"], "roles": a["groupRoles"]} for a in roles.get("groupRoleAssignments", [])
    ]


class OrgUsersBase(AtlasView):
    def organization(self, org_id):
        return selectors.access_organization(actor=self.request.user, organization_id=org_id)

    def person(self, organization, user_id):
        return person_or_404(*organization_users(organization), person_id=user_id)

    def changeable(self, obj):
        """A member, or an invitation to the organization: a project invitee's roles are the project's."""
        if isinstance(obj, Invitation) and obj.project_id is not None:
            raise AtlasAPIError(
                400,
                "INVITED_TO_PROJECT_ONLY",
                f"{obj.email} is invited to a project of this organization only; change that invitation at "
                f"/groups/{obj.project.public_id}/invites/{obj.public_id}, or revoke it here.",
                [obj.public_id],
            )
        return obj

    def respond(self, organization, obj, code=status.HTTP_200_OK) -> Response:
        """The OrgUserResponse of ``obj`` as stored now (read again after a change)."""
        obj = self.person(organization, obj.public_id if isinstance(obj, Invitation) else obj.user.public_id)
        person = organization_person(obj, organization, self.request.user)
        return Response(OrgUserSerializer(person, context={"request": self.request}).data, status=code)


class OrgUserListView(OrgUsersBase):
    @extend_schema(
        operation_id="listOrganizationUsers",
        parameters=[UserFilters],
        responses=responses({200: OrgUserSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = self.organization(org_id)
        filters = UserFilters.read(request)

        def serialized(page):
            return org_users_data(organization_people(page, organization, request.user), request)

        if any(filters.values()):
            return self.page(Concatenation(*with_filters(filters, *organization_users(organization))), serialized)
        return users_page_cached(
            request,
            organization,
            lambda version: self.page(
                organization_users_counted(organization, organization_users_built_later(organization), version),
                serialized,
            ),
        )

    @extend_schema(
        operation_id="createOrganizationUser",
        request=OrgUserCreateSerializer,
        responses=responses({201: OrgUserSerializer}),
    )
    def post(self, request, org_id):
        """Invite a person: they are PENDING until they accept the emailed invitation."""
        organization = self.organization(org_id)
        data = self.validated(OrgUserCreateSerializer)
        (invitation,) = invitation_services.organization_invitations_create(
            organization=organization,
            emails=[data["username"]],
            roles=data["roles"]["orgRoles"],
            teams=teams_named(organization, data["teamIds"]),
            group_role_assignments=_assignments(data["roles"]),
            actor=request.user,
        )
        return self.respond(organization, invitation, status.HTTP_201_CREATED)


class OrgUserDetailView(OrgUsersBase):
    @extend_schema(operation_id="getOrganizationUser", responses=responses({200: OrgUserSerializer}))
    def get(self, request, org_id, user_id):
        organization = self.organization(org_id)
        return self.respond(organization, self.person(organization, user_id))

    @extend_schema(
        operation_id="updateOrganizationUser",
        request=OrgUserUpdateSerializer,
        responses=responses({200: OrgUserSerializer}),
    )
    def patch(self, request, org_id, user_id):
        organization = self.organization(org_id)
        obj = self.changeable(self.person(organization, user_id))
        data = self.validated(OrgUserUpdateSerializer)
        roles = data.get("roles", {})
        teams = teams_named(organization, data["teamIds"]) if "teamIds" in data else None
        if isinstance(obj, Invitation):
            assignments = None
            if "groupRoleAssignments" in roles:  # named projects change; the others keep their roles
                named = {a["groupId"]: a for a in _assignments(roles)}
                kept = [a for a in obj.group_role_assignments if a["groupId"] not in named]
                assignments = kept + [a for a in named.values() if a["roles"]]
            obj = invitation_services.invitation_update(
                invitation=obj,
                actor=request.user,
                roles=roles.get("orgRoles"),
                teams=teams,
                group_role_assignments=assignments,
            )
        else:
            services.organization_member_update(
                organization=organization,
                user=obj.user,
                actor=request.user,
                roles=roles.get("orgRoles"),
                group_role_assignments=_assignments(roles),
                teams=teams,
            )
        return self.respond(organization, obj)

    @extend_schema(operation_id="removeOrganizationUser", responses=responses({204: None}))
    def delete(self, request, org_id, user_id):
        """Remove a member (with their teams and project roles here), or withdraw an invitation."""
        organization = self.organization(org_id)
        obj = self.person(organization, user_id)
        if isinstance(obj, Invitation):
            invitation_services.invitation_revoke(invitation=obj, actor=request.user)
        else:
            services.organization_member_remove(organization=organization, user=obj.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrgUserRoleView(OrgUsersBase):
    """``:addRole`` and ``:removeRole``: one organization role more or less. The new set goes to the service
    that sets roles, which keeps at least one (removing the last is a 400) and the last owner."""

    def change(self, request, org_id, user_id, *, adding):
        organization = self.organization(org_id)
        obj = self.changeable(self.person(organization, user_id))
        role = self.validated(AddOrRemoveOrgRoleSerializer)["orgRole"]
        if isinstance(obj, Invitation):
            current = list(obj.roles)
            new = sorted({*current, role}) if adding else [name for name in current if name != role]
            obj = invitation_services.invitation_update(invitation=obj, actor=request.user, roles=new)
        else:
            change = (
                services.organization_member_role_add if adding else services.organization_member_role_remove
            )
            change(organization=organization, user=obj.user, role=role, actor=request.user)
        return self.respond(organization, obj)


class OrgUserAddRoleView(OrgUserRoleView):
    @extend_schema(
        operation_id="addOrganizationRole",
        request=AddOrRemoveOrgRoleSerializer,
        responses=responses({200: OrgUserSerializer}),
    )
    def post(self, request, org_id, user_id):
        return self.change(request, org_id, user_id, adding=True)


class OrgUserRemoveRoleView(OrgUserRoleView):
    @extend_schema(
        operation_id="removeOrganizationRole",
        request=AddOrRemoveOrgRoleSerializer,
        responses=responses({200: OrgUserSerializer}),
    )
    def post(self, request, org_id, user_id):
        return self.change(request, org_id, user_id, adding=False)


urlpatterns = [
    path("orgs/<str:org_id>/users", OrgUserListView.as_view(), name="org-users"),
    path(
        "orgs/<str:org_id>/users/<str:user_id>:addRole",
        OrgUserAddRoleView.as_view(),
        name="org-user-add-role",
    ),
    path(
        "orgs/<str:org_id>/users/<str:user_id>:removeRole",
        OrgUserRemoveRoleView.as_view(),
        name="org-user-remove-role",
    ),
    path("orgs/<str:org_id>/users/<str:user_id>", OrgUserDetailView.as_view(), name="org-user"),
]
