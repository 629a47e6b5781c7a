"""What the API says of service accounts (Atlas's OrgServiceAccount, GroupServiceAccount, ServiceAccountSecret,
ServiceAccountIPAccessListEntry, ServiceAccountGroup), and the request bodies it takes."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.api.api_keys.serializers import single_address
from serviceaccounts.services.accounts import SECRET_MAX_HOURS, SECRET_MIN_HOURS


@extend_schema_serializer(component_name="ServiceAccountSecret")
class SecretSerializer(serializers.Serializer):
    """A secret; ``secret`` (the value itself) only in the answer that created it."""

    id = serializers.CharField(source="public_id", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    expiresAt = serializers.DateTimeField(source="expires_at", read_only=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", required=False)
    maskedSecretValue = serializers.CharField(source="masked_value", read_only=True)
    secret = serializers.CharField(required=False)

    def to_representation(self, secret):
        data = super().to_representation(secret)
        values = self.context.get("secret_values", {})
        data["secret"] = values.get(secret.pk)
        return {name: value for name, value in data.items() if value is not None}


class _ServiceAccountSerializer(serializers.Serializer):
    clientId = serializers.CharField(source="client_id", read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    roles = serializers.SerializerMethodField()
    secrets = serializers.SerializerMethodField()

    @extend_schema_field(SecretSerializer(many=True))
    def get_secrets(self, service_account) -> list[dict]:
        return SecretSerializer(service_account.secrets.all(), many=True, context=self.context).data


@extend_schema_serializer(component_name="OrgServiceAccount")
class OrgServiceAccountSerializer(_ServiceAccountSerializer):
    """Atlas's OrgServiceAccount: its organization roles (needs ``selectors.with_details``)."""

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, service_account) -> list[str]:
        return sorted(
            role.name
            for membership in service_account.user.visible_organization_memberships
            for role in membership.roles.all()
        )


@extend_schema_serializer(component_name="GroupServiceAccount")
class GroupServiceAccountSerializer(_ServiceAccountSerializer):
    """Atlas's GroupServiceAccount: its roles in the project of the request (``context["project"]``)."""

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, service_account) -> list[str]:
        project = self.context["project"]
        return sorted(
            role.name
            for membership in service_account.user.visible_project_memberships
            if membership.project_id == project.pk
            for role in membership.roles.all()
        )


_HOURS = {"min_value": SECRET_MIN_HOURS, "max_value": SECRET_MAX_HOURS}


@extend_schema_serializer(component_name="OrgServiceAccountRequest")
class CreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=250)
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    secretExpiresAfterHours = serializers.IntegerField(**_HOURS)


@extend_schema_serializer(component_name="OrgServiceAccountUpdateRequest")
class UpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, required=False)
    description = serializers.CharField(max_length=250, required=False)
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False, required=False)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Give name, description, roles or any of them.")
        return data


@extend_schema_serializer(component_name="ServiceAccountSecretRequest")
class SecretCreateSerializer(serializers.Serializer):
    secretExpiresAfterHours = serializers.IntegerField(**_HOURS)


@extend_schema_serializer(component_name="GroupServiceAccountRoleAssignment")
class ProjectRolesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False)


@extend_schema_serializer(component_name="GroupServiceAccountUpdateRequest")
class ProjectUpdateSerializer(serializers.Serializer):
    """Only ``roles`` changes here; ``name`` and ``description`` may only repeat the current ones (they change
    through PATCH /orgs/{orgId}/serviceAccounts/{clientId})."""

    name = serializers.CharField(max_length=64, required=False)
    description = serializers.CharField(max_length=250, required=False)
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False)


@extend_schema_serializer(component_name="ServiceAccountIPAccessListEntry")
class AccessListEntrySerializer(serializers.Serializer):
    """``ipAddress`` only for a single address; ``lastUsedAt`` and ``lastUsedAddress`` once a request used it."""

    cidrBlock = serializers.CharField(source="cidr_block", read_only=True)
    ipAddress = serializers.CharField(source="cidr_block", required=False)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", required=False)
    lastUsedAddress = serializers.CharField(source="last_used_address", required=False)
    requestCount = serializers.IntegerField(source="access_count", read_only=True)

    def to_representation(self, entry):
        data = super().to_representation(entry)
        data["ipAddress"] = single_address(entry)
        return {name: value for name, value in data.items() if value is not None}


@extend_schema_serializer(component_name="ServiceAccountGroup")
class ServiceAccountGroupSerializer(serializers.Serializer):
    """A project a service account is assigned to, with its roles there."""

    groupId = serializers.CharField(source="project.public_id", read_only=True)
    name = serializers.CharField(source="project.name", read_only=True)
    roles = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, membership) -> list[str]:
        return sorted(role.name for role in membership.roles.all())
