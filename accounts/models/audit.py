"""The append-only audit trail."""

from django.db import models
from django.utils import timezone

from .tenancy import Organization, Project, User, public_id_field


class AuditEvent(models.Model):
    """One access change or refusal: who, what, when, from where. Append-only (a database trigger refuses
    UPDATE and DELETE), so its references are plain ids that outlive what they point at, with names copied in."""

    class Type(models.TextChoices):
        """The events accounts records, with their human names; other apps register their own (accounts.audit)."""

        ORG_CREATED = "ORG_CREATED", "Organization created"
        ORG_RENAMED = "ORG_RENAMED", "Organization renamed"
        ORG_DELETED = "ORG_DELETED", "Organization deleted"
        JOINED_ORG = "JOINED_ORG", "Joined the organization"
        REMOVED_FROM_ORG = "REMOVED_FROM_ORG", "Removed from the organization"
        GROUP_CREATED = "GROUP_CREATED", "Project created"
        GROUP_RENAMED = "GROUP_RENAMED", "Project renamed"
        GROUP_DELETED = "GROUP_DELETED", "Project deleted"
        JOINED_GROUP = "JOINED_GROUP", "Joined the project"
        REMOVED_FROM_GROUP = "REMOVED_FROM_GROUP", "Removed from the project"
        USER_ROLES_CHANGED = "USER_ROLES_CHANGED_AUDIT", "Roles changed"
        TEAM_CREATED = "TEAM_CREATED", "Team created"
        TEAM_DELETED = "TEAM_DELETED", "Team deleted"
        TEAM_NAME_CHANGED = "TEAM_NAME_CHANGED", "Team renamed"
        JOINED_TEAM = "JOINED_TEAM", "Joined a team"
        REMOVED_FROM_TEAM = "REMOVED_FROM_TEAM", "Removed from a team"
        TEAM_ADDED_TO_GROUP = "TEAM_ADDED_TO_GROUP", "Team added to a project"
        TEAM_REMOVED_FROM_GROUP = "TEAM_REMOVED_FROM_GROUP", "Team removed from a project"
        TEAM_ROLES_MODIFIED = "TEAM_ROLES_MODIFIED", "Team's project roles changed"
        CLUSTER_CREATED = "CLUSTER_CREATED", "Cluster created"
        CLUSTER_UPDATED = "CLUSTER_UPDATED", "Cluster changed"
        CLUSTER_DELETED = "CLUSTER_DELETED", "Cluster deleted"
        INVITED_TO_ORG = "INVITED_TO_ORG", "Invited to the organization"
        INVITED_TO_GROUP = "INVITED_TO_GROUP", "Invited to a project"
        ORG_INVITATION_UPDATED = "ORG_INVITATION_UPDATED", "Organization invitation changed"
        GROUP_INVITATION_UPDATED = "GROUP_INVITATION_UPDATED", "Project invitation changed"
        ORG_INVITATION_RESENT = "ORG_INVITATION_RESENT", "Organization invitation resent"
        GROUP_INVITATION_RESENT = "GROUP_INVITATION_RESENT", "Project invitation resent"
        ORG_INVITATION_DELETED = "ORG_INVITATION_DELETED", "Organization invitation revoked"
        GROUP_INVITATION_DELETED = "GROUP_INVITATION_DELETED", "Project invitation revoked"
        INVITATION_ACCEPT_REFUSED = "INVITATION_ACCEPT_REFUSED", "Invitation acceptance refused"
        ORG_INVITATION_EXPIRED = "ORG_INVITATION_EXPIRED", "Organization invitation expired"
        GROUP_INVITATION_EXPIRED = "GROUP_INVITATION_EXPIRED", "Project invitation expired"
        INVITATION_EMAIL_BOUNCED = "INVITATION_EMAIL_BOUNCED", "Invitation email bounced"
        REQUESTED_TO_JOIN_GROUP = "REQUESTED_TO_JOIN_GROUP", "Asked to join a project"
        JOIN_GROUP_REQUEST_APPROVED = "JOIN_GROUP_REQUEST_APPROVED_AUDIT", "Request to join approved"
        JOIN_GROUP_REQUEST_DENIED = "JOIN_GROUP_REQUEST_DENIED_AUDIT", "Request to join denied"
        API_KEY_CREATED = "API_KEY_CREATED", "API key created"
        API_KEY_DELETED = "API_KEY_DELETED", "API key deleted"
        API_KEY_ROLES_CHANGED = "API_KEY_ROLES_CHANGED", "API key's roles changed"
        API_KEY_DESCRIPTION_CHANGED = "API_KEY_DESCRIPTION_CHANGED", "API key's description changed"
        API_KEY_ACCESS_LIST_ENTRY_ADDED = "API_KEY_ACCESS_LIST_ENTRY_ADDED", "API key access list entry added"
        API_KEY_ACCESS_LIST_ENTRY_DELETED = (
            "API_KEY_ACCESS_LIST_ENTRY_DELETED",
            "API key access list entry removed",
        )
        API_KEY_ADDED_TO_GROUP = "API_KEY_ADDED_TO_GROUP", "API key added to a project"
        API_KEY_REMOVED_FROM_GROUP = "API_KEY_REMOVED_FROM_GROUP", "API key removed from a project"
        API_KEY_GROUP_ROLES_CHANGED = "API_KEY_GROUP_ROLES_CHANGED", "API key's project roles changed"
        API_KEY_AUTHENTICATION_FAILED = "API_KEY_AUTHENTICATION_FAILED", "API key sign-in failed"
        API_KEY_ACCESS_LIST_REFUSED = "API_KEY_ACCESS_LIST_REFUSED", "API key refused by its access list"
        API_KEY_DISABLED = "API_KEY_DISABLED", "API key disabled by provider staff"
        API_KEY_ENABLED = "API_KEY_ENABLED", "API key enabled again by provider staff"
        ORG_SETTINGS_CHANGED = "ORG_SETTINGS_CHANGED", "Organization settings changed"
        # sign-in and account security
        ORG_TWO_FACTOR_AUTH_REQUIRED = "ORG_TWO_FACTOR_AUTH_REQUIRED", "Two-factor authentication required"
        ORG_TWO_FACTOR_AUTH_OPTIONAL = (
            "ORG_TWO_FACTOR_AUTH_OPTIONAL",
            "Two-factor authentication made optional",
        )
        TWO_FACTOR_AUTH_ENABLED = "TWO_FACTOR_AUTH_ENABLED", "Two-factor authentication turned on"
        TWO_FACTOR_AUTH_DISABLED = "TWO_FACTOR_AUTH_DISABLED", "Two-factor authentication turned off"
        TWO_FACTOR_RECOVERY_CODE_USED = "TWO_FACTOR_RECOVERY_CODE_USED", "Recovery code used"
        TWO_FACTOR_RECOVERY_CODES_REGENERATED = (
            "TWO_FACTOR_RECOVERY_CODES_REGENERATED",
            "Recovery codes made anew",
        )
        SIGN_IN_LOCKED_OUT = "SIGN_IN_LOCKED_OUT", "Sign-in locked out"
        # staff (the Django admin)
        USER_DEACTIVATED = "USER_DEACTIVATED", "Account deactivated"
        USER_REACTIVATED = "USER_REACTIVATED", "Account reactivated"
        USER_STAFF_STATUS_CHANGED = "USER_STAFF_STATUS_CHANGED", "Staff status changed"
        USER_STAFF_GROUPS_CHANGED = "USER_STAFF_GROUPS_CHANGED", "Staff groups changed"
        USER_PERMISSIONS_CHANGED = "USER_PERMISSIONS_CHANGED", "Permissions changed"
        STAFF_GROUP_CREATED = "STAFF_GROUP_CREATED", "Staff group created"
        STAFF_GROUP_CHANGED = "STAFF_GROUP_CHANGED", "Staff group changed"
        STAFF_GROUP_DELETED = "STAFF_GROUP_DELETED", "Staff group deleted"
        RECORDS_EXPORTED = "RECORDS_EXPORTED", "Records exported"
        PERMISSIONS_REBUILT = "PERMISSIONS_REBUILT", "Permissions rebuilt"
        SIGN_IN_UNLOCKED = "SIGN_IN_UNLOCKED", "Sign-in unlocked"
        # service accounts (OAuth 2.0 client credentials)

    public_id = public_id_field()
    # No index of their own: each is the first column of a "newest first" index below, which serves it.
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # see Meta.indexes: the system's rows (no actor) are not indexed
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True, help_text="Empty when the system acted.")
    event_type = models.CharField(max_length=64, help_text="A registered type (accounts.audit.event_types).")
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Staff who may export lists from the admin as CSV (audit events, decisions, memberships, API keys).
        permissions = [("export_records", "Export admin lists as CSV")]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="accounts_audit_org_newest"),
            models.Index(fields=["project", "-created_at"], name="accounts_audit_project_newest"),
            # A person's events (and their removal): the bulk jobs' rows, written by the system, stay out of it.
            models.Index(fields=["actor"], condition=models.Q(actor__isnull=False), name="accounts_audit_actor"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.target_name} by {self.actor_email or 'system'}"


class AuthenticationFailureWindow(models.Model):
    """Refused API authentications of one minute, counted for one API key (``public_key`` set: the key exists)
    or for one client address (``client_ip`` set: no key, or one that does not exist). A beat job turns each
    closed window into one AuditEvent with the count, so that nobody without credentials adds more than one
    audit row per key or address per minute, however many requests they send."""

    event_type = models.CharField(max_length=64)  # a registered AuditEvent type
    public_key = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    minute = models.DateTimeField(help_text="Start of the minute the refusals fell in (UTC).")
    organization_id = models.BigIntegerField(null=True, blank=True)
    api_key_public_id = models.CharField(max_length=24, blank=True)
    count = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=dict, blank=True, help_text="reason -> how many times")
    samples = models.JSONField(
        default=dict,
        blank=True,
        help_text="addresses (for a key) or public keys (for an address) -> how many",
    )
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_type", "public_key", "client_ip", "minute"],
                name="accounts_auth_failure_window_unique",
            )
        ]
        indexes = [models.Index(fields=["minute"], name="accounts_auth_failure_minute")]

    def __str__(self):
        return f"{self.event_type} {self.public_key or self.client_ip} {self.minute:%Y-%m-%d %H:%M}: {self.count}"
