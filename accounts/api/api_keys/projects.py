"""/groups/{groupId}/apiKeys: the organization keys assigned to a project; assign one with project roles,
change those roles, unassign it."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import selectors
from accounts.services import api_keys as services

from .organization import key_details, organization_api_key, serialize_keys, visible_keys
from .serializers import ApiKeySerializer, ProjectKeyUpdateSerializer, ProjectRolesSerializer


class ProjectApiKeysView(AtlasView):
    @extend_schema(
        operation_id="listProjectApiKeys",
        responses=responses({200: ApiKeySerializer(many=True)}),
    )
    def get(self, request, group_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        keys = project.organization.api_keys.filter(user__project_memberships__project=project)
        return self.page(visible_keys(request, project.organization, keys), serialize_keys(request))


class ProjectApiKeyView(AtlasView):
    def _fetch(self, request, group_id, api_user_id):
        project = selectors.access_project(actor=request.user, project_id=group_id)
        return project, organization_api_key(request, project.organization, api_user_id)

    @extend_schema(
        operation_id="addProjectApiKey",
        request=ProjectRolesSerializer(many=True),
        responses=responses({204: None}),
    )
    def post(self, request, group_id, api_user_id):
        project, api_key = self._fetch(request, group_id, api_user_id)
        # Atlas takes a list of {roles}; one bare {roles} object is taken too.
        body = request.data if isinstance(request.data, list) else [request.data]
        assignments = self.validated(
            ProjectRolesSerializer,
            data=body,
            many=True,
            allow_empty=False,
            context={"target_id": project.public_id},
        )
        roles = [name for assignment in assignments for name in assignment["roles"]]
        services.api_key_project_assign(api_key=api_key, project=project, roles=roles, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="updateApiKeyRoles",
        request=ProjectKeyUpdateSerializer,
        responses=responses({200: ApiKeySerializer}),
    )
    def patch(self, request, group_id, api_user_id):
        project, api_key = self._fetch(request, group_id, api_user_id)
        data = self.validated(ProjectKeyUpdateSerializer, context={"target_id": project.public_id})
        if data.get("desc", api_key.description) != api_key.description:
            raise serializers.ValidationError(
                {"desc": "Change the description with PATCH /orgs/{orgId}/apiKeys/{apiUserId}."}
            )
        services.api_key_project_roles_set(
            api_key=api_key, project=project, roles=data["roles"], actor=request.user
        )
        return Response(key_details(request, api_key))

    @extend_schema(operation_id="removeProjectApiKey", responses=responses({204: None}))
    def delete(self, request, group_id, api_user_id):
        project, api_key = self._fetch(request, group_id, api_user_id)
        services.api_key_project_unassign(api_key=api_key, project=project, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("groups/<str:group_id>/apiKeys", ProjectApiKeysView.as_view(), name="group-api-keys"),
    path(
        "groups/<str:group_id>/apiKeys/<str:api_user_id>", ProjectApiKeyView.as_view(), name="group-api-key"
    ),
]
