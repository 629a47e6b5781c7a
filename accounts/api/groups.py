"""/groups (projects): the caller's projects, create, get by id or by name, rename, delete (once it has no
clusters). GroupSerializer is shared with /orgs/{orgId}/groups."""

from django.db.models import Count
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.errors import AtlasAPIError
from accessportal.api.schema import responses
from accessportal.api.views import AtlasView, self_link
from accounts import selectors, services


class GroupSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    name = serializers.CharField(read_only=True)
    orgId = serializers.CharField(source="organization.public_id", read_only=True)
    clusterCount = serializers.IntegerField(source="cluster_count", read_only=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)
    links = serializers.SerializerMethodField()

    @staticmethod
    def prefetch(projects):
        """What serializing a page of projects needs, in the page's own queries."""
        return projects.select_related("organization").annotate(cluster_count=Count("clusters"))

    def get_links(self, project) -> list[dict]:
        return self_link(self.context["request"], f"groups/{project.public_id}")


class GroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    orgId = serializers.CharField(max_length=24)


class GroupCreateQuerySerializer(serializers.Serializer):
    projectOwnerId = serializers.CharField(required=False, max_length=24)


class GroupRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


PROJECT_OWNER_PARAMETER = OpenApiParameter(
    "projectOwnerId",
    str,
    description="ID of a member of the organization to make Project Owner (default: the caller).",
)


def _group(project, request) -> dict:
    """One project as Atlas's Group (its cluster count in one query)."""
    project.cluster_count = project.clusters.count()
    return GroupSerializer(project, context={"request": request}).data


class GroupListView(AtlasView):
    @extend_schema(
        operation_id="listProjects",
        responses=responses({200: GroupSerializer(many=True)}),
    )
    def get(self, request):
        projects = selectors.projects_for_user(request.user).order_by("name", "pk")
        return self.page(
            GroupSerializer.prefetch(projects),
            lambda page: GroupSerializer(page, many=True, context={"request": request}).data,
        )

    @extend_schema(
        operation_id="createProject",
        parameters=[PROJECT_OWNER_PARAMETER],
        request=GroupCreateSerializer,
        responses=responses({201: GroupSerializer}),
    )
    def post(self, request):
        query = self.validated(GroupCreateQuerySerializer, data=request.query_params)
        data = self.validated(GroupCreateSerializer)
        organization = selectors.access_organization(actor=request.user, organization_id=data["orgId"])
        owner = None
        if "projectOwnerId" in query:
            # The same answer for an unknown id, another tenant's person and someone outside the organization.
            with selectors.body_reference(
                "owner",
                code="USER_NOT_IN_ORG",
                message="The named project owner is not a member of this organization.",
            ):
                owner = selectors.access_member(
                    actor=request.user, organization=organization, user_id=query["projectOwnerId"]
                )
        project = services.project_create(
            organization=organization, name=data["name"], actor=request.user, owner=owner
        )
        return Response(_group(project, request), status=status.HTTP_201_CREATED)


class GroupDetailView(AtlasView):
    @extend_schema(operation_id="getProject", responses=responses({200: GroupSerializer}))
    def get(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        return Response(_group(project, request))

    @extend_schema(
        operation_id="updateProject",
        request=GroupRenameSerializer,
        responses=responses({200: GroupSerializer}),
    )
    def patch(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        data = self.validated(GroupRenameSerializer)
        project = services.project_rename(project=project, name=data["name"], actor=request.user)
        return Response(_group(project, request))

    @extend_schema(operation_id="deleteProject", responses=responses({204: None}))
    def delete(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        services.project_delete(project=project, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupByNameView(AtlasView):
    @extend_schema(operation_id="getProjectByName", responses=responses({200: GroupSerializer}))
    def get(self, request, group_name):
        """Among the projects the caller can see only. Names are unique within an organization, not across
        them: a caller who sees two projects of that name is told so (409) rather than handed either."""
        visible = selectors.projects_for_user(request.user).filter(name=group_name)
        matches = list(GroupSerializer.prefetch(visible).order_by("organization__name", "pk")[:10])
        if not matches:
            raise AtlasAPIError(
                404, "RESOURCE_NOT_FOUND", f"No project named {group_name} exists.", [group_name]
            )
        if len(matches) > 1:
            orgs = ", ".join(f"{p.organization.name} ({p.organization.public_id})" for p in matches)
            raise AtlasAPIError(
                409,
                "GROUP_NAME_AMBIGUOUS",
                f"Several projects you can see are named {group_name}, in organizations {orgs}; "
                "address the one you mean by its ID (GET /groups/{groupId}).",
                [group_name],
            )
        return Response(GroupSerializer(matches[0], context={"request": request}).data)


urlpatterns = [
    path("groups", GroupListView.as_view(), name="groups"),
    path("groups/byName/<str:group_name>", GroupByNameView.as_view(), name="group-by-name"),
    path("groups/<str:group_id>", GroupDetailView.as_view(), name="group"),
]
