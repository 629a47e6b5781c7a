"""/groups/{groupId}/teams: the teams assigned to a project and their project roles."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView, self_link
from accounts import roles, selectors, services


class TeamRoleSerializer(serializers.Serializer):
    """Atlas's TeamRole: one team's roles in one project (the object serialized is the assignment)."""

    teamId = serializers.CharField(source="team.public_id", read_only=True)
    roleNames = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    @staticmethod
    def prefetch(assignments):
        """What serializing a page of assignments needs, in the page's own queries."""
        return assignments.select_related("team", "project").prefetch_related("roles")

    def get_roleNames(self, assignment) -> list[str]:
        return assignment.role_names

    def get_links(self, assignment) -> list[dict]:
        return self_link(
            self.context["request"],
            f"groups/{assignment.project.public_id}/teams/{assignment.team.public_id}",
        )


def _role_names(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=list(roles.PROJECT_ROLES)), min_length=1, **kwargs
    )


class TeamRoleListSerializer(serializers.ListSerializer):
    def validate(self, attrs):
        team_ids = [item["teamId"] for item in attrs]
        repeated = sorted({team_id for team_id in team_ids if team_ids.count(team_id) > 1})
        if repeated:
            raise serializers.ValidationError(
                {"teamId": f"Name each team once; repeated: {', '.join(repeated)}."}
            )
        return attrs


class TeamRoleInputSerializer(serializers.Serializer):
    teamId = serializers.CharField(max_length=24)
    roleNames = _role_names(
        required=False, help_text=f"project roles; {roles.DEFAULT_PROJECT_ROLE} when left out"
    )

    class Meta:
        list_serializer_class = TeamRoleListSerializer


class TeamRoleUpdateSerializer(serializers.Serializer):
    roleNames = _role_names(help_text="the team's project roles, replacing those it has")
    teamId = serializers.CharField(
        required=False, max_length=24, help_text="if given, the teamId of the path"
    )


# What the project team endpoints share: the project, then a team of its organization (another organization's
# team is a 404 like a missing one). Not a docstring, which the schema would show on every operation.
class ProjectTeamView(AtlasView):
    def project(self, group_id, need=roles.VIEW_PROJECT):
        return selectors.access_project(actor=self.request.user, project_id=group_id, need=need)

    def team(self, project, team_id):
        return selectors.access_team(
            actor=self.request.user, team_id=team_id, organization=project.organization
        )

    def roles_page(self, assignments, status_code=status.HTTP_200_OK) -> Response:
        """Assignments as Atlas lists them (by team name): constant queries whatever the size."""
        return self.page(
            TeamRoleSerializer.prefetch(assignments).order_by("team__name", "pk"),
            lambda page: TeamRoleSerializer(page, many=True, context={"request": self.request}).data,
            status_code,
        )


class ProjectTeamListView(ProjectTeamView):
    @extend_schema(
        operation_id="listProjectTeams",
        description="Returns the teams assigned to the project and their project roles, by team name.",
        responses=responses({200: TeamRoleSerializer(many=True)}),
    )
    def get(self, request, group_id):
        return self.roles_page(self.project(group_id).team_assignments.all())

    @extend_schema(
        operation_id="addAllTeamsToProject",
        request=TeamRoleInputSerializer(many=True),
        responses=responses({201: TeamRoleSerializer(many=True)}),
        description="Assigns teams of the project's organization with project roles: all of them or, if any is "
        "refused, none. Answers with every team of the project.",
    )
    def post(self, request, group_id):
        project = self.project(group_id, roles.MANAGE_PROJECT_MEMBERS)
        items = self.validated(TeamRoleInputSerializer, many=True, allow_empty=False)
        assignments = [(self.team(project, item["teamId"]), item.get("roleNames")) for item in items]
        services.team_projects_assign(project=project, assignments=assignments, actor=request.user)
        return self.roles_page(project.team_assignments.all(), status.HTTP_201_CREATED)


class ProjectTeamDetailView(ProjectTeamView):
    @extend_schema(
        operation_id="getProjectTeam",
        description="Returns one team's roles in the project.",
        responses=responses({200: TeamRoleSerializer}),
    )
    def get(self, request, group_id, team_id):
        project = self.project(group_id)
        team = self.team(project, team_id)
        assignment = TeamRoleSerializer.prefetch(project.team_assignments.filter(team=team)).first()
        if assignment is None:
            raise AtlasAPIError(
                404,
                "TEAM_NOT_IN_GROUP",
                f"Team {team.name} is not assigned to project {project.name}.",
                [team.public_id],
            )
        return Response(TeamRoleSerializer(assignment, context={"request": request}).data)

    @extend_schema(
        operation_id="updateTeamRoles",
        request=TeamRoleUpdateSerializer,
        responses=responses({200: TeamRoleSerializer(many=True)}),
        description="Replaces the team's roles in the project; answers with the team's new roles.",
    )
    def patch(self, request, group_id, team_id):
        project = self.project(group_id, roles.MANAGE_PROJECT_MEMBERS)
        team = self.team(project, team_id)
        data = self.validated(TeamRoleUpdateSerializer)
        if data.get("teamId", team.public_id) != team.public_id:
            raise serializers.ValidationError({"teamId": "Leave it out, or give the teamId of the path."})
        services.team_project_roles_set(
            team=team, project=project, roles=data["roleNames"], actor=request.user
        )
        return self.roles_page(project.team_assignments.filter(team=team))

    @extend_schema(
        operation_id="removeProjectTeam",
        responses=responses({204: None}),
        description="Removes the team from the project: its members lose the access it gave there.",
    )
    def delete(self, request, group_id, team_id):
        project = self.project(group_id, roles.MANAGE_PROJECT_MEMBERS)
        services.team_project_unassign(team=self.team(project, team_id), project=project, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("groups/<str:group_id>/teams", ProjectTeamListView.as_view(), name="group-teams"),
    path("groups/<str:group_id>/teams/<str:team_id>", ProjectTeamDetailView.as_view(), name="group-team"),
]
