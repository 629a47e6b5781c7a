"""What the API says of organization API keys and their access lists (Atlas's ApiKeyUserDetails and
UserAccessListResponse), and the request bodies it takes."""

from urllib.parse import quote

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accessportal.api.schema import LinkSerializer
from accessportal.api.views import self_link

from ..users import RoleAssignmentSerializer
from ..users.app_user import role_assignments, visible_roles

# What every answer but the creation shows of the private key: Atlas's redacted shape, with nothing of the
# secret in it (Atlas shows its last characters; we keep none to show).
MASKED_PRIVATE_KEY = "********-****-****-************"


# ---- reading -------------------------------------------------------------------------------------------------


def with_visible_roles(api_keys, organization, projects):
    """Prefetch what ``ApiKeySerializer`` shows of a page of keys: their roles in ``organization`` and in
    ``projects`` (those the caller may see) only. Four queries whatever the page size."""
    return api_keys.select_related("user", "organization").prefetch_related(
        *visible_roles("user__", Q(organization=organization), Q(project__in=projects))
    )


@extend_schema_serializer(component_name="ApiKeyUserDetails")
class ApiKeySerializer(serializers.Serializer):
    """Atlas's ApiKeyUserDetails. ``privateKey`` is the real one only in the creation response."""

    id = serializers.CharField(source="public_id", read_only=True)
    desc = serializers.CharField(source="description", read_only=True)
    publicKey = serializers.CharField(source="public_key", read_only=True)
    privateKey = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_privateKey(self, api_key) -> str:
        return self.context.get("private_key") or MASKED_PRIVATE_KEY

    @extend_schema_field(RoleAssignmentSerializer(many=True))
    def get_roles(self, api_key) -> list[dict]:
        """The organization roles, then the project roles, each sorted (Atlas's CloudAccessRoleAssignment)."""
        return role_assignments(api_key.user)

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, api_key) -> list[dict]:
        org_id = api_key.organization.public_id
        return self_link(self.context["request"], f"orgs/{org_id}/apiKeys/{api_key.public_id}")


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {
                    "roleName": {"type": "string"},
                    "orgId": {"type": "string"},
                    "groupId": {"type": "string"},
                },
                "required": ["roleName"],
            },
        ]
    }
)
class RoleNameField(serializers.Field):
    """A role as Atlas's request bodies give it (``"ORG_OWNER"``) or as its responses show it (``{"orgId": ...,
    "roleName": "ORG_OWNER"}``), so that a role list read from a key can be sent back. Which names exist is the
    service's to say; this only takes the name out of its wrapping."""

    default_error_messages = {
        "invalid": "A role is a role name or an object with a roleName.",
        "other_scope": "This list takes {expected} roles; {found} roles are set on {where}.",
        "other_target": "{scope} {value} is not the {kind} of this request.",
    }
    SCOPES = {
        "orgId": ("organization", "groupId", "/groups/{groupId}/apiKeys/{apiUserId}"),
        "groupId": ("project", "orgId", "/orgs/{orgId}/apiKeys/{apiUserId}"),
    }

    def __init__(self, *, scope, **kwargs):
        self.scope = scope  # "orgId" for organization roles, "groupId" for project roles
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        if not isinstance(data, dict) or not isinstance(data.get("roleName"), str):
            self.fail("invalid")
        kind, other, where = self.SCOPES[self.scope]
        if data.get(other):
            found = "project" if other == "groupId" else "organization"
            self.fail("other_scope", expected=kind, found=found, where=where)
        if data.get(self.scope) and data[self.scope] != self.context.get("target_id"):
            self.fail("other_target", scope=self.scope, value=data[self.scope], kind=kind)
        return data["roleName"]

    def to_representation(self, value):
        return value


@extend_schema_serializer(component_name="CreateAtlasOrganizationApiKey")
class ApiKeyCreateSerializer(serializers.Serializer):
    desc = serializers.CharField(max_length=250)
    roles = serializers.ListField(child=RoleNameField(scope="orgId"), allow_empty=False)


@extend_schema_serializer(component_name="UpdateAtlasOrganizationApiKey")
class ApiKeyUpdateSerializer(serializers.Serializer):
    desc = serializers.CharField(max_length=250, required=False)
    roles = serializers.ListField(child=RoleNameField(scope="orgId"), allow_empty=False, required=False)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Give desc, roles or both.")
        return data


@extend_schema_serializer(component_name="UserAccessList")
class AccessListRequestSerializer(serializers.Serializer):
    """Atlas's UserAccessListRequest: one address or one CIDR block."""

    ipAddress = serializers.CharField(required=False, max_length=64)
    cidrBlock = serializers.CharField(required=False, max_length=64)

    def validate(self, data):
        if "ipAddress" in data and "cidrBlock" in data:
            raise serializers.ValidationError({"cidrBlock": "Give ipAddress or cidrBlock, not both."})
        if "ipAddress" not in data and "cidrBlock" not in data:
            raise serializers.ValidationError({"ipAddress": "Give ipAddress (one address) or cidrBlock."})
        if "/" in data.get("ipAddress", ""):
            raise serializers.ValidationError({"ipAddress": "One address only; give a block as cidrBlock."})
        return data


def access_list_entries(view) -> list[str]:
    """The addresses and CIDR blocks an access-list POST names (the API keys' and the service accounts'): a
    list of UserAccessListRequest objects, or one object as one entry; a 400 naming the fields otherwise."""
    request = view.request
    body = request.data if isinstance(request.data, list) else [request.data]
    entries = view.validated(AccessListRequestSerializer, data=body, many=True, allow_empty=False)
    return [entry.get("ipAddress") or entry["cidrBlock"] for entry in entries]


def single_address(entry) -> str | None:
    """The address of an entry that is one address (a /32 or /128), None for a wider block."""
    return entry.cidr_block.rsplit("/", 1)[0] if entry.is_single_address else None


@extend_schema_serializer(component_name="UserAccessListResponse")
class AccessListEntrySerializer(serializers.Serializer):
    """Atlas's UserAccessListResponse: ``ipAddress`` only for a single address, ``lastUsed`` and
    ``lastUsedAddress`` only once a request came through the entry (output only; the fields that may be
    missing are ``required=False`` so that the schema says so)."""

    cidrBlock = serializers.CharField(source="cidr_block", read_only=True)
    ipAddress = serializers.CharField(source="cidr_block", required=False)
    count = serializers.IntegerField(source="access_count", read_only=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)
    lastUsed = serializers.DateTimeField(source="last_used_at", required=False)
    lastUsedAddress = serializers.CharField(source="last_used_address", required=False)
    links = serializers.SerializerMethodField()

    @extend_schema_field(LinkSerializer(many=True))
    def get_links(self, entry) -> list[dict]:
        api_key = self.context["api_key"]
        segment = quote(single_address(entry) or entry.cidr_block, safe="")
        where = f"orgs/{api_key.organization.public_id}/apiKeys/{api_key.public_id}/accessList/{segment}"
        return self_link(self.context["request"], where)

    def to_representation(self, entry):
        data = super().to_representation(entry)
        data["ipAddress"] = single_address(entry)
        return {name: value for name, value in data.items() if value is not None}


@extend_schema_serializer(component_name="UserAccessRoleAssignment")
class ProjectRolesSerializer(serializers.Serializer):
    """Atlas's UserAccessRoleAssignment (``userId`` is read-only there and ignored here)."""

    roles = serializers.ListField(child=RoleNameField(scope="groupId"), allow_empty=False)


@extend_schema_serializer(component_name="UpdateAtlasProjectApiKey")
class ProjectKeyUpdateSerializer(serializers.Serializer):
    """Atlas's UpdateAtlasProjectApiKey. ``desc`` is the organization key's; it changes through
    PATCH /orgs/{orgId}/apiKeys/{apiUserId}, so here it may only repeat the current one."""

    desc = serializers.CharField(max_length=250, required=False)
    roles = serializers.ListField(child=RoleNameField(scope="groupId"), allow_empty=False)
