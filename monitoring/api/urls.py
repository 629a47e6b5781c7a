"""Routes of the monitoring API, relative to /api/atlas/{v2,v1.0}/."""

from django.urls import path, re_path

from . import groups, monitoring_users

urlpatterns = [
    path(
        "orgs/<str:org_id>/monitoringUsers",
        monitoring_users.MonitoringUserListView.as_view(),
        name="org-monitoring-users",
    ),
    path(
        "orgs/<str:org_id>/monitoringUsers/<str:monitoring_user_id>",
        monitoring_users.MonitoringUserDetailView.as_view(),
        name="org-monitoring-user",
    ),
    path(
        "orgs/<str:org_id>/monitoringUsers/<str:monitoring_user_id>/offboarding",
        monitoring_users.MonitoringUserOffboardingView.as_view(),
        name="org-monitoring-user-offboarding",
    ),
    # Not ``users/{userId}:offboard``: accounts' ``users/{userId}`` route takes any id with a colon in it.
    path(
        "orgs/<str:org_id>/users/<str:user_id>/offboarding",
        monitoring_users.UserOffboardingView.as_view(),
        name="org-user-offboarding",
    ),
    re_path(
        r"^groups/(?P<group_id>[^/]+)/clusters/(?P<cluster_name>[^/:]+)/monitoringGroup$",
        groups.ClusterMonitoringGroupView.as_view(),
        name="cluster-monitoring-group",
    ),
    path(
        "groups/<str:group_id>/monitoringGroups",
        groups.MonitoringGroupListView.as_view(),
        name="monitoring-groups",
    ),
    path(
        "groups/<str:group_id>/monitoringGroups/<str:monitoring_group_id>",
        groups.MonitoringGroupDetailView.as_view(),
        name="monitoring-group",
    ),
    path(
        "groups/<str:group_id>/monitoringGroups/<str:monitoring_group_id>/members",
        groups.MonitoringGroupMembersView.as_view(),
        name="monitoring-group-members",
    ),
    path(
        "groups/<str:group_id>/monitoringGroups/<str:monitoring_group_id>/members/<str:monitoring_user_id>",
        groups.MonitoringGroupMemberView.as_view(),
        name="monitoring-group-member",
    ),
]
