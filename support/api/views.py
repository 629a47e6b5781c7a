"""Atlas's employee-access actions on a cluster, and /orgs/{orgId}/settings."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import roles
from accounts import selectors as accounts_selectors

from .. import selectors, services
from .serializers import (
    GrantMongoDBEmployeeAccessSerializer,
    OrganizationSettingsSerializer,
    OrganizationSettingsUpdateSerializer,
)


# A cluster the caller may grant support access on (GRANT_SUPPORT_ACCESS on its project): a stranger gets a 404,
# a member without the power a 403. A comment, not a docstring: the schema would show it as every description.
class ClusterActionView(AtlasView):
    def http_method_not_allowed(self, request, *args, **kwargs):
        # An action is only POSTed; any other method finds no such resource (as the cluster route answers).
        raise NotFound()

    def cluster(self, group_id, cluster_name):
        user = self.request.user
        project = accounts_selectors.access_project(actor=user, project_id=group_id)
        return accounts_selectors.access_cluster(
            actor=user, project=project, name=cluster_name, need=roles.GRANT_SUPPORT_ACCESS
        )


class GrantEmployeeAccessView(ClusterActionView):
    @extend_schema(
        operation_id="grantMongoDbEmployeeAccess",
        request=GrantMongoDBEmployeeAccessSerializer,
        responses=responses({204: None}),
        description="Grants support staff temporary access of `grantType` to the cluster until "
        "`expirationTime` (in the future, at most 24 hours ahead). It replaces the cluster's active grant, if "
        "any. While the organization does not block support access, only "
        "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA can be granted (GRANT_NOT_NEEDED otherwise); that "
        "type needs App Services sync on the cluster (SYNC_NOT_ENABLED). Needs Project Owner.",
    )
    def post(self, request, group_id, cluster_name):
        cluster = self.cluster(group_id, cluster_name)
        data = self.validated(GrantMongoDBEmployeeAccessSerializer)
        services.support_grant_create(
            cluster=cluster,
            grant_type=data["grantType"],
            expires_at=data["expirationTime"],
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevokeEmployeeAccessView(ClusterActionView):
    @extend_schema(
        operation_id="revokeMongoDbEmployeeAccess",
        request=None,
        responses=responses({204: None}),
        description="Revokes support staff's access to the cluster now. Without a grant in force there is "
        "nothing to revoke, and the answer is the same. Needs Project Owner.",
    )
    def post(self, request, group_id, cluster_name):
        services.support_grant_revoke(cluster=self.cluster(group_id, cluster_name), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrganizationSettingsView(AtlasView):
    @extend_schema(
        operation_id="getOrganizationSettings",
        responses=responses({200: OrganizationSettingsSerializer}),
        description="Returns the organization's settings.",
    )
    def get(self, request, org_id):
        organization = accounts_selectors.access_organization(actor=request.user, organization_id=org_id)
        return Response(OrganizationSettingsSerializer(selectors.organization_settings(organization)).data)

    @extend_schema(
        operation_id="updateOrganizationSettings",
        request=OrganizationSettingsUpdateSerializer,
        responses=responses({200: OrganizationSettingsSerializer}),
        description="Changes the settings named in the body, all or none. Needs Organization Owner.",
    )
    def patch(self, request, org_id):
        organization = accounts_selectors.access_organization(
            actor=request.user, organization_id=org_id, need=roles.CHANGE_ORGANIZATION
        )
        data = self.validated(OrganizationSettingsUpdateSerializer)
        settings = services.organization_settings_set(
            organization=organization,
            actor=request.user,
            restrict_employee_access=data.get("restrictEmployeeAccess"),
            api_access_list_required=data.get("apiAccessListRequired"),
            multi_factor_auth_required=data.get("multiFactorAuthRequired"),
        )
        return Response(OrganizationSettingsSerializer(settings).data)
