"""Routes of the support API, relative to /api/atlas/{v2,v1.0}/. Atlas's colon actions on a cluster have routes
of their own: accounts' cluster route never takes a name with a colon."""

from django.urls import path, re_path

from .views import GrantEmployeeAccessView, OrganizationSettingsView, RevokeEmployeeAccessView

_CLUSTER = r"^groups/(?P<group_id>[^/]+)/clusters/(?P<cluster_name>[^/:]+)"

urlpatterns = [
    re_path(
        _CLUSTER + r":grantMongoDBEmployeeAccess$",
        GrantEmployeeAccessView.as_view(),
        name="cluster-grant-employee-access",
    ),
    re_path(
        _CLUSTER + r":revokeMongoDBEmployeeAccess$",
        RevokeEmployeeAccessView.as_view(),
        name="cluster-revoke-employee-access",
    ),
    path("orgs/<str:org_id>/settings", OrganizationSettingsView.as_view(), name="org-settings"),
]
