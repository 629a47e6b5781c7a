"""/orgs/{orgId}/teams: list, create, get (by id or name), rename, delete; the team's users, added and removed
by user id or user name."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView, self_link
from accounts import roles, selectors, services

from ..users import UserSerializer, with_visible_access


class TeamSerializer(serializers.Serializer):
    """Atlas's TeamResponse."""

    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    links = serializers.SerializerMethodField()

    def get_links(self, team) -> list[dict]:
        return self_link(
            self.context["request"], f"orgs/{team.organization.public_id}/teams/{team.public_id}"
        )


class TeamCreatedSerializer(TeamSerializer):
    """Atlas's Team: the new team and its members' user names."""

    usernames = serializers.ListField(child=serializers.CharField(), read_only=True)


class TeamCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    usernames = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        max_length=1000,
        help_text="the members: user names (or user ids) of accepted members of the organization",
    )


class TeamRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


class TeamMemberSerializer(serializers.Serializer):
    """Atlas's AddOrRemoveUserFromTeam ``{id}``. ``id`` may also be a user name, or give ``username`` instead.
    Validates to the reference itself (a string)."""

    id = serializers.CharField(required=False, max_length=254, help_text="user id or user name")
    username = serializers.CharField(required=False, max_length=254)

    def validate(self, attrs):
        reference = attrs.get("id") or attrs.get("username")
        if not reference:
            raise serializers.ValidationError({"id": "Give the user's id (or user name)."})
        return reference


class RemovedAssignmentSerializer(serializers.Serializer):
    groupName = serializers.CharField()
    roleNames = serializers.ListField(child=serializers.CharField())


class TeamDeletedSerializer(serializers.Serializer):
    """What deleting a team took away (Atlas answers 204 and says nothing)."""

    removedFromGroups = RemovedAssignmentSerializer(
        many=True, help_text="the team's project assignments, and the roles they gave"
    )
    removedMembers = serializers.ListField(
        child=serializers.CharField(), help_text="user names of its members, who lost the access it gave"
    )


def organization_members_named(organization, references) -> list:
    """The accepted members of ``organization`` that ``references`` (user ids or user names) name. Any other
    reference is a 400 naming it, and pending invitees are said to be so (Atlas answers these with a 500).
    Nobody outside the organization is looked up: the answer says nothing of accounts elsewhere."""
    wanted = {reference.strip().lower(): reference for reference in references}
    users = list(
        get_user_model()
        .objects.filter(organization_memberships__organization=organization)
        .alias(email_lower=Lower("email"))
        .filter(Q(public_id__in=wanted) | Q(email_lower__in=wanted))
    )
    found = {user.public_id for user in users} | {user.email.lower() for user in users}
    missing = sorted(wanted.keys() - found)
    if missing:
        pending = set(
            selectors.pending_invitations(organization=organization)
            .filter(email__in=missing)
            .values_list("email", flat=True)
        )
        names = [wanted[key] for key in missing]
        said = "; ".join(
            f"{wanted[key]} {'has not accepted the invitation yet' if key in pending else 'is not a member'}"
            for key in missing
        )
        raise AtlasAPIError(
            400,
            "USER_NOT_IN_ORG",
            f"Only users who have accepted their invitation to {organization.name} can join a team: {said}.",
            names,
        )
    return users


def team_member_named(team, reference):
    """The member of ``team`` that ``reference`` (user id or user name) names; a 404 otherwise."""
    user = (
        get_user_model()
        .objects.filter(team_memberships__team=team)
        .filter(Q(public_id=reference.strip().lower()) | Q(email__iexact=reference.strip()))
        .first()
    )
    if user is None:
        raise AtlasAPIError(404, "USER_NOT_IN_TEAM", f"{reference} is not in team {team.name}.", [reference])
    return user


# What the team endpoints share: the organization, then one of its teams (another's is a 404). A comment, not a
# docstring: the schema would show a base class's docstring as every operation's description.
class OrganizationTeamView(AtlasView):
    def organization(self, org_id, need=roles.VIEW_ORGANIZATION):
        return selectors.access_organization(actor=self.request.user, organization_id=org_id, need=need)

    def team(self, org_id, team_id, need=roles.VIEW_ORGANIZATION):
        organization = self.organization(org_id, need)
        return selectors.access_team(
            actor=self.request.user, team_id=team_id, organization=organization, need=need
        )

    def team_body(self, team) -> dict:
        return TeamSerializer(team, context={"request": self.request}).data

    def users_page(self, team, status_code=status.HTTP_200_OK) -> Response:
        """The team's users as Atlas lists them: constant queries whatever the size."""
        users = get_user_model().objects.filter(team_memberships__team=team).order_by("email", "pk")
        return self.page(
            with_visible_access(users, [team.organization]),
            lambda page: UserSerializer(page, many=True, context={"request": self.request}).data,
            status_code,
        )

    def user_body(self, team, user) -> dict:
        user = with_visible_access(get_user_model().objects.filter(pk=user.pk), [team.organization]).get()
        return UserSerializer(user, context={"request": self.request}).data


class TeamListView(OrganizationTeamView):
    @extend_schema(
        operation_id="listOrganizationTeams",
        description="Returns the organization's teams, by name.",
        responses=responses({200: TeamSerializer(many=True)}),
    )
    def get(self, request, org_id):
        organization = self.organization(org_id)
        teams = organization.teams.select_related("organization").order_by("name", "pk")
        return self.page(
            teams, lambda page: TeamSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="createTeam",
        request=TeamCreateSerializer,
        responses=responses({201: TeamCreatedSerializer}),
        description="Creates a team with members named by user name or user id. A name that is not an accepted "
        "member of the organization (a pending invitee, say) is a 400 naming it.",
    )
    def post(self, request, org_id):
        organization = self.organization(org_id, roles.MANAGE_TEAMS)
        data = self.validated(TeamCreateSerializer)
        members = organization_members_named(organization, data.get("usernames", []))
        team = services.team_create(
            organization=organization, name=data["name"], actor=request.user, members=members
        )
        body = {**self.team_body(team), "usernames": sorted({user.email for user in members})}
        return Response(body, status=status.HTTP_201_CREATED)


class TeamDetailView(OrganizationTeamView):
    @extend_schema(
        operation_id="getTeamById",
        description="Returns one team.",
        responses=responses({200: TeamSerializer}),
    )
    def get(self, request, org_id, team_id):
        return Response(self.team_body(self.team(org_id, team_id)))

    @extend_schema(
        operation_id="renameTeam",
        description="Renames the team (names are unique in the organization, whatever their case).",
        request=TeamRenameSerializer,
        responses=responses({200: TeamSerializer}),
    )
    def patch(self, request, org_id, team_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        data = self.validated(TeamRenameSerializer)
        team = services.team_rename(team=team, name=data["name"], actor=request.user)
        return Response(self.team_body(team))

    @extend_schema(
        operation_id="deleteTeam",
        responses=responses({200: TeamDeletedSerializer}),
        description="Deletes the team, also one assigned to projects: its members lose exactly the access the "
        "team gave and keep their own. Answers 200 with what was removed (Atlas: 204, no body).",
    )
    def delete(self, request, org_id, team_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        removed = services.team_delete(team=team, actor=request.user)
        body = {
            "removedFromGroups": [
                {"groupName": name, "roleNames": list(role_names)}
                for name, role_names in sorted(removed["projects"].items())
            ],
            "removedMembers": list(removed["members"]),
        }
        return Response(body)


class TeamByNameView(OrganizationTeamView):
    @extend_schema(
        operation_id="getTeamByName",
        description="Returns the team of this name, whatever its case.",
        responses=responses({200: TeamSerializer}),
    )
    def get(self, request, org_id, team_name):
        organization = self.organization(org_id)
        team = selectors.access_team_by_name(actor=request.user, organization=organization, name=team_name)
        return Response(self.team_body(team))


class TeamUsersView(OrganizationTeamView):
    @extend_schema(
        operation_id="listTeamUsers",
        description="Returns the team's users, by user name.",
        responses=responses({200: UserSerializer(many=True)}),
    )
    def get(self, request, org_id, team_id):
        return self.users_page(self.team(org_id, team_id))

    @extend_schema(
        operation_id="addTeamUser",
        request=TeamMemberSerializer(many=True),
        responses=responses({201: UserSerializer(many=True)}),
        description="Adds users (`[{id}]`, each a user id or user name) to the team, all or none; answers with "
        "the team's users.",
    )
    def post(self, request, org_id, team_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        references = self.validated(TeamMemberSerializer, many=True, allow_empty=False)
        users = organization_members_named(team.organization, references)
        services.team_members_add(team=team, users=users, actor=request.user)
        return self.users_page(team, status.HTTP_201_CREATED)


class TeamUserView(OrganizationTeamView):
    @extend_schema(
        operation_id="removeTeamUser",
        responses=responses({204: None}),
        description="Removes a member (userId: a user id or user name); they keep their own project access.",
    )
    def delete(self, request, org_id, team_id, user_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        services.team_member_remove(team=team, user=team_member_named(team, user_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamAddUserView(OrganizationTeamView):
    @extend_schema(
        operation_id="addUserToTeam",
        request=TeamMemberSerializer,
        responses=responses({200: UserSerializer}),
        description="Adds one accepted member of the organization, named by user id or user name.",
    )
    def post(self, request, org_id, team_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        (user,) = organization_members_named(team.organization, [self.validated(TeamMemberSerializer)])
        services.team_member_add(team=team, user=user, actor=request.user)
        return Response(self.user_body(team, user))


class TeamRemoveUserView(OrganizationTeamView):
    @extend_schema(
        operation_id="removeUserFromTeam",
        request=TeamMemberSerializer,
        responses=responses({200: UserSerializer}),
        description="Removes one member, named by user id or user name; they keep their own project access.",
    )
    def post(self, request, org_id, team_id):
        team = self.team(org_id, team_id, roles.MANAGE_TEAMS)
        user = team_member_named(team, self.validated(TeamMemberSerializer))
        services.team_member_remove(team=team, user=user, actor=request.user)
        return Response(self.user_body(team, user))


urlpatterns = [
    path("orgs/<str:org_id>/teams", TeamListView.as_view(), name="org-teams"),
    path(
        "orgs/<str:org_id>/teams/byName/<path:team_name>", TeamByNameView.as_view(), name="org-team-by-name"
    ),
    # The colon actions before the plain team route, which would otherwise take "<id>:addUser" for an id.
    path(
        "orgs/<str:org_id>/teams/<str:team_id>:addUser", TeamAddUserView.as_view(), name="org-team-add-user"
    ),
    path(
        "orgs/<str:org_id>/teams/<str:team_id>:removeUser",
        TeamRemoveUserView.as_view(),
        name="org-team-remove-user",
    ),
    path("orgs/<str:org_id>/teams/<str:team_id>", TeamDetailView.as_view(), name="org-team"),
    path("orgs/<str:org_id>/teams/<str:team_id>/users", TeamUsersView.as_view(), name="org-team-users"),
    path(
        "orgs/<str:org_id>/teams/<str:team_id>/users/<str:user_id>",
        TeamUserView.as_view(),
        name="org-team-user",
    ),
]
