"""The organization's block on support staff, temporary per-cluster grants, and the log of support staff's
attempts to reach a cluster (issue 7; Atlas's "MongoDB Support Access to Atlas Backend Infrastructure")."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Cluster, Organization, Project, public_id_field

# A grant lasts at most this long (Atlas: "24-hour temporary infrastructure access").
GRANT_MAX_DURATION = timedelta(hours=24)
# Support engineers are staff users in the auth.Group of this name (created by a migration; teams' groups are
# named "team:<id>", so a customer can never make one).
SUPPORT_GROUP_NAME = "Support"


class SupportAccessSetting(models.Model):
    """The organization's "Block support access to infrastructure" setting (Atlas's ``restrictEmployeeAccess``).
    An organization without a row does not block: Atlas's default."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="support_access_setting"
    )
    restrict_employee_access = models.BooleanField(
        "block support access to infrastructure",
        default=False,
        help_text="Support staff reach the clusters' infrastructure and logs only through a grant.",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_email = models.CharField(max_length=254, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "support access setting"

    def __str__(self):
        state = "blocks" if self.restrict_employee_access else "does not block"
        return f"{self.organization} {state} support access"


class SupportAccessGrant(models.Model):
    """Temporary access of support staff to one cluster, given by a holder of GRANT_SUPPORT_ACCESS on its
    project. At most one ACTIVE grant per cluster (a partial unique index); a new grant REPLACES the active one
    and both rows stay.

    Expiry is decided at read time from ``expires_at``: an ACTIVE row at or past it is dead, whatever the tasks
    have done (``effective_status``); the beat task then marks it EXPIRED and tells the owners."""

    class GrantType(models.TextChoices):
        CLUSTER_INFRASTRUCTURE = "CLUSTER_INFRASTRUCTURE", "Cluster infrastructure and all cluster logs"
        CLUSTER_DATABASE_LOGS = "CLUSTER_DATABASE_LOGS", "Only database logs (never audit logs)"
        CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA = (
            "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA",
            "Cluster infrastructure, all cluster logs and App Services sync data",
        )

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        REVOKED = "REVOKED"
        REPLACED = "REPLACED", "Replaced by a newer grant"
        EXPIRED = "EXPIRED"

    public_id = public_id_field()
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="support_grants")
    grant_type = models.CharField(max_length=64, choices=GrantType.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_by_email = models.CharField(max_length=254, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Who ended it and when: a revocation, or the grant that replaced it.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # see Meta.indexes
        related_name="+",
    )
    revoked_by_email = models.CharField(max_length=254, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # At most one grant replaces another (Meta.constraints: unique where set).
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, db_index=False, related_name="+"
    )
    expired_at = models.DateTimeField(null=True, blank=True, help_text="When the expiry task marked it.")

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster"],
                condition=models.Q(status="ACTIVE"),
                name="support_grant_one_active_per_cluster",
                violation_error_message="The cluster already has an active support access grant.",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    grant_type__in=[
                        "CLUSTER_INFRASTRUCTURE",
                        "CLUSTER_DATABASE_LOGS",
                        "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA",
                    ]
                ),
                name="support_grant_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at"))
                & models.Q(expires_at__lte=models.F("granted_at") + GRANT_MAX_DURATION),
                name="support_grant_lasts_at_most_24_hours",
            ),
            models.UniqueConstraint(
                fields=["replaced_by"],
                condition=models.Q(replaced_by__isnull=False),
                name="support_grant_replaced_once",
            ),
        ]
        # The expiry job's: active grants by due time (an expired grant leaves it). The revoker, empty on most
        # rows, indexes only the rows that have one (an index the expiry's UPDATE need not write).
        indexes = [
            models.Index(
                fields=["expires_at"], condition=models.Q(status="ACTIVE"), name="support_grant_active_due"
            ),
            models.Index(
                fields=["revoked_by"], condition=models.Q(revoked_by__isnull=False), name="support_grant_revoked_by"
            ),
        ]

    def __str__(self):
        return f"{self.get_grant_type_display()} on {self.cluster}"

    def is_live(self, now=None) -> bool:
        return self.status == self.Status.ACTIVE and (now or timezone.now()) < self.expires_at

    def effective_status(self, now=None) -> str:
        """The status as it is in force: ACTIVE past ``expires_at`` is EXPIRED, whatever the tasks did."""
        if self.status == self.Status.ACTIVE and not self.is_live(now):
            return self.Status.EXPIRED
        return self.status


class SupportAccessDecision(models.Model):
    """One attempt of a support engineer to reach a cluster, allowed or refused, as ``support_access_decide``
    ruled it. Append-only (a database trigger refuses UPDATE, and DELETE on PostgreSQL), so that its references
    are plain ids that outlive what they point at, with names copied in; the organization's owners read it."""

    class Scope(models.TextChoices):
        INFRASTRUCTURE = "INFRASTRUCTURE", "Infrastructure (hosts, Atlas Search)"
        CLUSTER_LOGS = "CLUSTER_LOGS", "Cluster logs"
        DATABASE_LOGS = "DATABASE_LOGS", "Database logs"
        AUDIT_LOGS = "AUDIT_LOGS", "Database audit logs"
        SYNC_DATA = "SYNC_DATA", "App Services sync data"
        DATABASE_DATA = "DATABASE_DATA", "Database data"

    class Reason(models.TextChoices):
        NOT_BLOCKED = "NOT_BLOCKED", "Allowed: the organization does not block support access"
        GRANTED = "GRANTED", "Allowed by the cluster's active grant"
        NOT_SUPPORT_STAFF = "NOT_SUPPORT_STAFF", "Refused: not an active staff user in the Support group"
        DATABASE_DATA_NEVER = "DATABASE_DATA_NEVER", "Refused: support never reads the database's data"
        BLOCKED = "BLOCKED", "Refused: the organization blocks support access and no grant is active"
        GRANT_EXPIRED = "GRANT_EXPIRED", "Refused: the cluster's grant has expired"
        GRANT_DOES_NOT_COVER = "GRANT_DOES_NOT_COVER", "Refused: the active grant does not cover this"
        SYNC_NEEDS_GRANT = (
            "SYNC_NEEDS_GRANT",
            "Refused: sync data needs an infrastructure-and-sync-data grant",
        )
        SYNC_NOT_ENABLED = "SYNC_NOT_ENABLED", "Refused: App Services sync is not enabled on the cluster"

    public_id = public_id_field()
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    engineer_email = models.CharField(max_length=254)
    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    project = models.ForeignKey(Project, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    cluster = models.ForeignKey(Cluster, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    cluster_name = models.CharField(max_length=64)
    scope = models.CharField(max_length=32, choices=Scope.choices)
    allowed = models.BooleanField()
    reason = models.CharField(max_length=32, choices=Reason.choices)
    restricted = models.BooleanField(help_text="Whether the organization blocked support access at the time.")
    grant = models.ForeignKey(
        SupportAccessGrant,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    grant_type = models.CharField(max_length=64, blank=True, choices=SupportAccessGrant.GrantType.choices)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["organization", "-decided_at"], name="support_decision_org_newest")]

    def __str__(self):
        verdict = "allowed" if self.allowed else "refused"
        return f"{self.engineer_email} {verdict} {self.scope} on {self.cluster_name}"


class SupportReach(Cluster):
    """The admin's "which clusters may I reach now, and until when" page for a support engineer. No table of
    its own: a proxy of Cluster, so that the page has its place in the admin."""

    class Meta:
        proxy = True
        verbose_name = "cluster I may reach"
        verbose_name_plural = "clusters I may reach"
