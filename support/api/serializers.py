"""The support app's Atlas shapes: a cluster's employee-access grant, the grant request, OrganizationSettings."""

from rest_framework import serializers

from ..models import SupportAccessGrant
from ..selectors import cluster_active_grant

# Atlas's grant types for support staff's temporary access to a cluster, as its schema lists them.
EMPLOYEE_ACCESS_GRANT_TYPES = sorted(SupportAccessGrant.GrantType.values)


class EmployeeAccessGrantSerializer(serializers.Serializer):
    grantType = serializers.ChoiceField(choices=EMPLOYEE_ACCESS_GRANT_TYPES)  # noqa: N815
    expirationTime = serializers.DateTimeField()  # noqa: N815


def employee_access_grant_json(cluster) -> dict:
    """The cluster's grant in force as Atlas's ``mongoDBEmployeeAccessGrant``, or nothing (the field is then
    absent). The cluster JSON of accounts asks for it through the extras this app registers."""
    grant = cluster_active_grant(cluster)
    if grant is None:
        return {}
    return {"mongoDBEmployeeAccessGrant": {"grantType": grant.grant_type, "expirationTime": grant.expires_at}}


# Present only while support staff hold a grant in force on the cluster.
CLUSTER_FIELDS = {"mongoDBEmployeeAccessGrant": EmployeeAccessGrantSerializer(required=False)}


class GrantMongoDBEmployeeAccessSerializer(serializers.Serializer):
    grantType = serializers.ChoiceField(choices=SupportAccessGrant.GrantType.values)  # noqa: N815
    expirationTime = serializers.DateTimeField(  # noqa: N815
        help_text="When the access ends (ISO 8601): in the future, and at most 24 hours from now."
    )


class OrganizationSettingsSerializer(serializers.Serializer):
    restrictEmployeeAccess = serializers.BooleanField(  # noqa: N815
        source="restrict_employee_access",
        help_text="Block support staff's access to the infrastructure and logs of the organization's clusters "
        "unless a project owner grants it, cluster by cluster, for at most 24 hours.",
    )
    apiAccessListRequired = serializers.BooleanField(  # noqa: N815
        source="api_access_list_required",
        help_text="The organization's API keys are refused unless they have an IP access list.",
    )
    multiFactorAuthRequired = serializers.BooleanField(  # noqa: N815
        source="multi_factor_auth_required",
        help_text="Members must set up two-factor authentication before they reach the organization.",
    )


class OrganizationSettingsUpdateSerializer(serializers.Serializer):
    restrictEmployeeAccess = serializers.BooleanField(required=False)  # noqa: N815
    apiAccessListRequired = serializers.BooleanField(required=False)  # noqa: N815
    multiFactorAuthRequired = serializers.BooleanField(required=False)  # noqa: N815
