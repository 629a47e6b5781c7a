"""Monitoring users attached to an organization, and one monitoring group per eligible cluster (issue 6).

The mLab "MMS monitoring" feature: a monitoring user is an account in the monitoring system; attaching it to an
organization makes it a member of the monitoring group of every eligible cluster there, now and later. The
system names those groups with the reserved prefix ``mongolab_``; customers may make groups of their own under
any other name.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Cluster, Organization, Project, public_id_field

# The prefix of the groups the system makes for eligible clusters; nobody else may create or join one.
RESERVED_GROUP_PREFIX = "mongolab_"
# The message mLab shows, word for word, for clusters that cannot be monitored.
NOT_ELIGIBLE_MESSAGE = "Not available for Sandbox databases and Shared single-node servers"
ELIGIBLE_TIERS = frozenset({Cluster.Tier.DEDICATED})


def is_eligible(cluster_or_tier) -> bool:
    """Sandbox (free) and shared single-node clusters are not eligible for monitoring; dedicated ones are."""
    tier = getattr(cluster_or_tier, "tier", cluster_or_tier)
    return tier in ELIGIBLE_TIERS


def is_reserved_group_name(name) -> bool:
    return (name or "").strip().lower().startswith(RESERVED_GROUP_PREFIX)


def system_group_name(cluster) -> str:
    """The name the system gives a cluster's group: the prefix, the cluster's name and its id (unique)."""
    return f"{RESERVED_GROUP_PREFIX}{cluster.name}_{cluster.public_id}"


class GroupRole(models.TextChoices):
    ADMIN = "ADMIN", "Group admin"
    MEMBER = "MEMBER", "Member"


class MonitoringUser(models.Model):
    """An account in the monitoring system as one organization knows it, by its user name; one email address per
    account. Each organization has its own record of the accounts it attached or added to its groups, so that
    naming a user name never reveals another organization's monitoring users (nor their email addresses)."""

    public_id = public_id_field()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="monitoring_users")
    username = models.CharField(max_length=254)
    email = models.EmailField("email address", max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("username"),
                name="monitoring_user_username_unique_in_org_ci",
                violation_error_message="A monitoring user with this user name already exists.",
            ),
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                name="monitoring_user_email_unique_in_org_ci",
                violation_error_message="A monitoring user with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.username


class MonitoringUserAttachment(models.Model):
    """A monitoring user attached to an organization: the list the system uses to fill every eligible
    cluster's group, now and for clusters created later. Removing someone from one group by hand leaves it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="monitoring_attachments"
    )
    monitoring_user = models.ForeignKey(MonitoringUser, on_delete=models.PROTECT, related_name="attachments")
    group_role = models.CharField(max_length=16, choices=GroupRole.choices, default=GroupRole.MEMBER)
    # The portal user this monitoring user belongs to, when the attacher said so; otherwise the organization's
    # member with the same email address is taken to be that person (offboarding removes both).
    linked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitoring_attachments",
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attached_by_email = models.CharField(max_length=254, blank=True, help_text="Empty when the system acted.")
    created_at = models.DateTimeField("attached at", default=timezone.now)

    class Meta:
        ordering = ["monitoring_user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "monitoring_user"],
                name="monitoring_attachment_unique",
                violation_error_message="This monitoring user is already attached to the organization.",
            ),
            models.UniqueConstraint(
                fields=["organization", "linked_user"],
                condition=models.Q(linked_user__isnull=False),
                name="monitoring_attachment_one_per_person",
                violation_error_message="This person already has a monitoring user in the organization.",
            ),
            models.CheckConstraint(
                condition=models.Q(group_role__in=GroupRole.values), name="monitoring_attachment_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.monitoring_user} attached to {self.organization}"


class MonitoringGroup(models.Model):
    """A group in the monitoring system. A system group belongs to one eligible cluster and is named with the
    reserved prefix; a custom group (no cluster) is one a customer made, under any other name."""

    public_id = public_id_field()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="monitoring_groups")
    cluster = models.OneToOneField(
        Cluster, null=True, blank=True, on_delete=models.CASCADE, related_name="monitoring_group"
    )
    name = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "project",
                Lower("name"),
                name="monitoring_group_name_unique_in_project_ci",
                violation_error_message="A monitoring group with this name already exists in the project.",
            ),
            models.CheckConstraint(
                condition=models.Q(cluster__isnull=True) | models.Q(name__startswith=RESERVED_GROUP_PREFIX),
                name="monitoring_group_system_name_reserved",
            ),
            models.CheckConstraint(
                condition=models.Q(cluster__isnull=False)
                | ~models.Q(name__istartswith=RESERVED_GROUP_PREFIX),
                name="monitoring_group_custom_name_not_reserved",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_system(self) -> bool:
        return self.cluster_id is not None


class MonitoringGroupMembership(models.Model):
    """A monitoring user in a group: made by an attachment (and removed by its detach) or by hand."""

    class Source(models.TextChoices):
        ATTACHMENT = "ATTACHMENT", "Attached to the organization"
        MANUAL = "MANUAL", "Added by hand"

    group = models.ForeignKey(MonitoringGroup, on_delete=models.CASCADE, related_name="memberships")
    monitoring_user = models.ForeignKey(
        MonitoringUser, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=16, choices=GroupRole.choices, default=GroupRole.MEMBER)
    source = models.CharField(max_length=16, choices=Source.choices)
    attachment = models.ForeignKey(
        MonitoringUserAttachment, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    # The group's admins are emailed about every new member, from a task (outbox): empty until they were.
    admins_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["monitoring_user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "monitoring_user"],
                name="monitoring_membership_unique",
                violation_error_message="This monitoring user is already a member of the group.",
            ),
            models.CheckConstraint(
                condition=(models.Q(source="ATTACHMENT", attachment__isnull=False))
                | models.Q(source="MANUAL", attachment__isnull=True),
                name="monitoring_membership_source_matches",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=GroupRole.values), name="monitoring_membership_role_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["group"],
                condition=models.Q(admins_notified_at__isnull=True),
                name="monitoring_unnotified",
            )
        ]

    def __str__(self):
        return f"{self.monitoring_user} in {self.group}"
