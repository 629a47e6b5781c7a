"""A cluster's monitoring group (/groups/{groupId}/clusters/{clusterName}/monitoringGroup) and a project's
monitoring groups (/groups/{groupId}/monitoringGroups): the system's, one per eligible cluster, and the project's
own; members added and removed by hand."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accessportal.api.schema import responses
from accessportal.api.views import AtlasView
from accounts import roles
from accounts import selectors as account_selectors
from monitoring import selectors, services

from .serializers import (
    SYSTEM_GROUP_NOTE,
    HandRemovalSerializer,
    MonitoringGroupCreateSerializer,
    MonitoringGroupDetailSerializer,
    MonitoringGroupMemberAddSerializer,
    MonitoringGroupMemberSerializer,
    MonitoringGroupSerializer,
)


class ProjectMonitoringBase(AtlasView):
    def project(self, group_id):
        return account_selectors.access_project(actor=self.request.user, project_id=group_id)

    def group(self, group_id, monitoring_group_id, need=roles.VIEW_PROJECT):
        project = self.project(group_id)
        return selectors.access_group(
            actor=self.request.user, project=project, group_id=monitoring_group_id, need=need
        )

    def detail(self, group, code=status.HTTP_200_OK) -> Response:
        return Response(
            MonitoringGroupDetailSerializer(group, context={"request": self.request}).data, status=code
        )


class ClusterMonitoringGroupView(ProjectMonitoringBase):
    @extend_schema(
        operation_id="getClusterMonitoringGroup",
        summary="The monitoring group of a cluster, with its members",
        description='Sandbox and shared single-node clusters have none: 400 NOT_ELIGIBLE, "Not available for '
        f'Sandbox databases and Shared single-node servers". {SYSTEM_GROUP_NOTE}',
        responses=responses({200: MonitoringGroupDetailSerializer}),
    )
    def get(self, request, group_id, cluster_name):
        project = self.project(group_id)
        cluster = account_selectors.access_cluster(actor=request.user, project=project, name=cluster_name)
        return self.detail(selectors.cluster_group(cluster))


class MonitoringGroupListView(ProjectMonitoringBase):
    @extend_schema(
        operation_id="listProjectMonitoringGroups",
        summary="A project's monitoring groups: one per eligible cluster, then the project's own",
        responses=responses({200: MonitoringGroupSerializer(many=True)}),
    )
    def get(self, request, group_id):
        project = self.project(group_id)
        return self.page(
            selectors.project_groups(project),
            lambda page: MonitoringGroupSerializer(page, many=True, context={"request": request}).data,
        )

    @extend_schema(
        operation_id="createProjectMonitoringGroup",
        summary="Create a monitoring group of the project's own",
        description="Names starting with mongolab_ (in any case) are the system's: 403 RESERVED_GROUP_NAME. "
        "Needs the Project Owner or Project Monitoring Admin role.",
        request=MonitoringGroupCreateSerializer,
        responses=responses({201: MonitoringGroupDetailSerializer}),
    )
    def post(self, request, group_id):
        project = self.project(group_id)
        data = self.validated(MonitoringGroupCreateSerializer)
        group = services.monitoring_group_create(project=project, name=data["name"], actor=request.user)
        return self.detail(self.group(group_id, group.public_id), status.HTTP_201_CREATED)


class MonitoringGroupDetailView(ProjectMonitoringBase):
    @extend_schema(
        operation_id="getProjectMonitoringGroup",
        summary="One monitoring group, with its members",
        responses=responses({200: MonitoringGroupDetailSerializer}),
    )
    def get(self, request, group_id, monitoring_group_id):
        return self.detail(self.group(group_id, monitoring_group_id))

    @extend_schema(
        operation_id="deleteProjectMonitoringGroup",
        summary="Delete a monitoring group of the project's own",
        description="A system group (mongolab_...) goes only with its cluster or its eligibility: 403 "
        "RESERVED_GROUP_NAME.",
        responses=responses({204: None}),
    )
    def delete(self, request, group_id, monitoring_group_id):
        group = self.group(group_id, monitoring_group_id)
        services.monitoring_group_delete(group=group, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MonitoringGroupMembersView(ProjectMonitoringBase):
    @extend_schema(
        operation_id="addProjectMonitoringGroupMember",
        summary="Add a monitoring user to one group by hand",
        description="Nobody but the system joins a system group (mongolab_...): 403 RESERVED_GROUP_NAME; attach "
        "the monitoring user to the organization instead. Needs the Project Owner or Project Monitoring Admin "
        "role.",
        request=MonitoringGroupMemberAddSerializer,
        responses=responses({201: MonitoringGroupMemberSerializer}),
    )
    def post(self, request, group_id, monitoring_group_id):
        group = self.group(group_id, monitoring_group_id)
        data = self.validated(MonitoringGroupMemberAddSerializer)
        membership = services.monitoring_group_member_add(
            group=group,
            username=data["username"],
            email=data.get("emailAddress"),
            role=data["groupRole"],
            actor=request.user,
        )
        return Response(MonitoringGroupMemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MonitoringGroupMemberView(ProjectMonitoringBase):
    @extend_schema(
        operation_id="removeProjectMonitoringGroupMember",
        summary="Remove a monitoring user from this one group by hand",
        description="Removes it from this group only. The organization's attached monitoring users are left as "
        "they were: an attached user keeps its other groups and still joins the groups of clusters created "
        "later (the answer says so in stillAttachedToOrg and detail). Detach it from the organization to remove "
        "it from every group.",
        request=None,
        responses=responses({200: HandRemovalSerializer}),
    )
    def delete(self, request, group_id, monitoring_group_id, monitoring_user_id):
        group = self.group(group_id, monitoring_group_id)
        membership = selectors.group_member(group, monitoring_user_id)
        removal = services.monitoring_group_member_remove(
            group=group, monitoring_user=membership.monitoring_user, actor=request.user
        )
        return Response(HandRemovalSerializer(removal).data)
