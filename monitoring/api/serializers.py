"""The monitoring API's shapes, in Atlas's style (camelCase, ``links``)."""

from rest_framework import serializers

from accessportal.api.views import self_link
from monitoring.models import GroupRole, MonitoringGroupMembership

GROUP_ROLES = GroupRole.values
SOURCES = MonitoringGroupMembership.Source.values

SYSTEM_GROUP_NOTE = (
    "The system manages this group: its members are the monitoring users attached to the organization. "
    "Removing a member from this group by hand does not change that attached list, which still decides who "
    "joins the groups of clusters created later; detach a monitoring user from the organization to remove it "
    "from every group."
)


class MonitoringUserSerializer(serializers.Serializer):
    """A monitoring user attached to an organization. ``context["people"]`` maps attachment ids to the portal
    user each belongs to (``selectors.linked_people``)."""

    id = serializers.CharField(source="monitoring_user.public_id", read_only=True)
    username = serializers.CharField(source="monitoring_user.username", read_only=True)
    emailAddress = serializers.EmailField(source="monitoring_user.email", read_only=True)
    groupRole = serializers.ChoiceField(source="group_role", choices=GROUP_ROLES, read_only=True)
    attachedAt = serializers.DateTimeField(source="created_at", read_only=True)
    attachedBy = serializers.SerializerMethodField()
    linkedUserId = serializers.SerializerMethodField()
    linkedUsername = serializers.SerializerMethodField()
    monitoringGroupCount = serializers.IntegerField(source="group_count", read_only=True)
    links = serializers.SerializerMethodField()

    def _person(self, attachment):
        return self.context.get("people", {}).get(attachment.pk)

    def get_attachedBy(self, attachment) -> str | None:
        return attachment.attached_by_email or None

    def get_linkedUserId(self, attachment) -> str | None:
        person = self._person(attachment)
        return person.public_id if person else None

    def get_linkedUsername(self, attachment) -> str | None:
        person = self._person(attachment)
        return person.email if person else None

    def get_links(self, attachment) -> list[dict]:
        return self_link(
            self.context["request"],
            f"orgs/{attachment.organization.public_id}/monitoringUsers/{attachment.monitoring_user.public_id}",
        )


class MonitoringUserAttachSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="The user name in the monitoring system.")
    emailAddress = serializers.EmailField(
        required=False,
        max_length=254,
        help_text="Needed when the monitoring user is new and its user name is not an email address.",
    )
    groupRole = serializers.ChoiceField(
        choices=GROUP_ROLES, default=GroupRole.MEMBER, help_text="Its role in every group it joins."
    )
    linkedUserId = serializers.CharField(
        required=False,
        max_length=24,
        help_text="The organization member this monitoring user belongs to (offboarding removes both). "
        "Without it, the member with the same email address is taken.",
    )


class MonitoringGroupMemberSerializer(serializers.Serializer):
    monitoringUserId = serializers.CharField(source="monitoring_user.public_id")
    username = serializers.CharField(source="monitoring_user.username")
    emailAddress = serializers.EmailField(source="monitoring_user.email")
    groupRole = serializers.ChoiceField(source="role", choices=GROUP_ROLES)
    source = serializers.ChoiceField(
        choices=SOURCES,
        help_text="ATTACHMENT: put there by its attachment to the organization (detaching removes it); "
        "MANUAL: added by hand.",
    )
    addedAt = serializers.DateTimeField(source="created_at")


class MonitoringGroupSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    groupId = serializers.CharField(source="project.public_id")
    clusterName = serializers.SerializerMethodField()
    systemManaged = serializers.BooleanField(source="is_system")
    createdAt = serializers.DateTimeField(source="created_at")
    memberCount = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_clusterName(self, group) -> str | None:
        return group.cluster.name if group.cluster_id else None

    def get_memberCount(self, group) -> int:
        members = getattr(group, "members", None)
        return len(members) if members is not None else group.member_count

    def get_links(self, group) -> list[dict]:
        return self_link(
            self.context["request"], f"groups/{group.project.public_id}/monitoringGroups/{group.public_id}"
        )


class MonitoringGroupDetailSerializer(MonitoringGroupSerializer):
    members = MonitoringGroupMemberSerializer(many=True)
    note = serializers.SerializerMethodField()

    def get_note(self, group) -> str:
        if group.is_system:
            return SYSTEM_GROUP_NOTE
        return "A group of the project's own; its members are added and removed by hand."


class MonitoringGroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=128, help_text="Any name that does not start with mongolab_ (the system's prefix)."
    )


class MonitoringGroupMemberAddSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254)
    emailAddress = serializers.EmailField(required=False, max_length=254)
    groupRole = serializers.ChoiceField(choices=GROUP_ROLES, default=GroupRole.MEMBER)


class HandRemovalSerializer(serializers.Serializer):
    monitoringUserId = serializers.CharField(source="monitoring_user.public_id")
    username = serializers.CharField(source="monitoring_user.username")
    monitoringGroupId = serializers.CharField(source="group.public_id")
    monitoringGroupName = serializers.CharField(source="group.name")
    source = serializers.ChoiceField(choices=SOURCES)
    stillAttachedToOrg = serializers.BooleanField(
        source="still_attached",
        help_text="True: the organization's attached list still holds it, so clusters created later add it.",
    )
    detail = serializers.CharField(source="note")


class DetachedMonitoringUserSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    emailAddress = serializers.EmailField()
    groups = serializers.ListField(child=serializers.CharField(), help_text="The groups it was removed from.")


class PortalUserRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()


class OffboardingSerializer(serializers.Serializer):
    """What offboarding removes (a plan) or removed (a report)."""

    user = PortalUserRefSerializer(allow_null=True)
    organizationRoles = serializers.ListField(child=serializers.CharField())
    projects = serializers.ListField(child=serializers.CharField())
    teams = serializers.ListField(child=serializers.CharField())
    invitationsRevoked = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The report only: addresses of the pending invitations the user had sent, revoked with them.",
    )
    monitoringUserDetached = DetachedMonitoringUserSerializer(allow_null=True)
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Said when only one of the portal user and the monitoring user exists to be removed.",
    )
