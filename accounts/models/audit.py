"""The append-only audit trail."""

from django.db import models
from django.utils import timezone

from .tenancy import Organization, Project, User, public_id_field


class AuditEvent(models.Model):
    """One access change or refusal: who, what, when, from where. Append-only (a database trigger refuses
    UPDATE and DELETE), so its references are plain ids that outlive what they point at, with names copied in."""

    class Type(models.TextChoices):
        ORG_CREATED = "ORG_CREATED"
        ORG_RENAMED = "ORG_RENAMED"
        ORG_DELETED = "ORG_DELETED"
        JOINED_ORG = "JOINED_ORG"
        REMOVED_FROM_ORG = "REMOVED_FROM_ORG"
        GROUP_CREATED = "GROUP_CREATED"
        GROUP_RENAMED = "GROUP_RENAMED"
        GROUP_DELETED = "GROUP_DELETED"
        JOINED_GROUP = "JOINED_GROUP"
        REMOVED_FROM_GROUP = "REMOVED_FROM_GROUP"
        USER_ROLES_CHANGED = "USER_ROLES_CHANGED_AUDIT"
        TEAM_CREATED = "TEAM_CREATED"
        TEAM_DELETED = "TEAM_DELETED"
        TEAM_NAME_CHANGED = "TEAM_NAME_CHANGED"
        JOINED_TEAM = "JOINED_TEAM"
        REMOVED_FROM_TEAM = "REMOVED_FROM_TEAM"
        TEAM_ADDED_TO_GROUP = "TEAM_ADDED_TO_GROUP"
        TEAM_REMOVED_FROM_GROUP = "TEAM_REMOVED_FROM_GROUP"
        TEAM_ROLES_MODIFIED = "TEAM_ROLES_MODIFIED"
        CLUSTER_CREATED = "CLUSTER_CREATED"
        CLUSTER_UPDATED = "CLUSTER_UPDATED"
        CLUSTER_DELETED = "CLUSTER_DELETED"
        INVITED_TO_ORG = "INVITED_TO_ORG"
        INVITED_TO_GROUP = "INVITED_TO_GROUP"
        ORG_INVITATION_UPDATED = "ORG_INVITATION_UPDATED"
        GROUP_INVITATION_UPDATED = "GROUP_INVITATION_UPDATED"
        ORG_INVITATION_RESENT = "ORG_INVITATION_RESENT"
        GROUP_INVITATION_RESENT = "GROUP_INVITATION_RESENT"
        ORG_INVITATION_DELETED = "ORG_INVITATION_DELETED"
        GROUP_INVITATION_DELETED = "GROUP_INVITATION_DELETED"
        INVITATION_ACCEPT_REFUSED = "INVITATION_ACCEPT_REFUSED"
        ORG_INVITATION_EXPIRED = "ORG_INVITATION_EXPIRED"
        GROUP_INVITATION_EXPIRED = "GROUP_INVITATION_EXPIRED"
        INVITATION_EMAIL_BOUNCED = "INVITATION_EMAIL_BOUNCED"
        REQUESTED_TO_JOIN_GROUP = "REQUESTED_TO_JOIN_GROUP"
        JOIN_GROUP_REQUEST_APPROVED = "JOIN_GROUP_REQUEST_APPROVED_AUDIT"
        JOIN_GROUP_REQUEST_DENIED = "JOIN_GROUP_REQUEST_DENIED_AUDIT"
        API_KEY_CREATED = "API_KEY_CREATED"
        API_KEY_DELETED = "API_KEY_DELETED"
        API_KEY_ROLES_CHANGED = "API_KEY_ROLES_CHANGED"
        API_KEY_DESCRIPTION_CHANGED = "API_KEY_DESCRIPTION_CHANGED"
        API_KEY_ACCESS_LIST_ENTRY_ADDED = "API_KEY_ACCESS_LIST_ENTRY_ADDED"
        API_KEY_ACCESS_LIST_ENTRY_DELETED = "API_KEY_ACCESS_LIST_ENTRY_DELETED"
        API_KEY_ADDED_TO_GROUP = "API_KEY_ADDED_TO_GROUP"
        API_KEY_REMOVED_FROM_GROUP = "API_KEY_REMOVED_FROM_GROUP"
        API_KEY_GROUP_ROLES_CHANGED = "API_KEY_GROUP_ROLES_CHANGED"
        API_KEY_AUTHENTICATION_FAILED = "API_KEY_AUTHENTICATION_FAILED"
        API_KEY_ACCESS_LIST_REFUSED = "API_KEY_ACCESS_LIST_REFUSED"
        API_KEY_DISABLED = "API_KEY_DISABLED"
        API_KEY_ENABLED = "API_KEY_ENABLED"
        ORG_SETTINGS_CHANGED = "ORG_SETTINGS_CHANGED"
        # sign-in and account security
        ORG_TWO_FACTOR_AUTH_REQUIRED = "ORG_TWO_FACTOR_AUTH_REQUIRED"
        ORG_TWO_FACTOR_AUTH_OPTIONAL = "ORG_TWO_FACTOR_AUTH_OPTIONAL"
        TWO_FACTOR_AUTH_ENABLED = "TWO_FACTOR_AUTH_ENABLED"
        TWO_FACTOR_AUTH_DISABLED = "TWO_FACTOR_AUTH_DISABLED"
        TWO_FACTOR_RECOVERY_CODE_USED = "TWO_FACTOR_RECOVERY_CODE_USED"
        TWO_FACTOR_RECOVERY_CODES_REGENERATED = "TWO_FACTOR_RECOVERY_CODES_REGENERATED"
        SIGN_IN_LOCKED_OUT = "SIGN_IN_LOCKED_OUT"
        # staff (the Django admin)
        USER_DEACTIVATED = "USER_DEACTIVATED"
        USER_REACTIVATED = "USER_REACTIVATED"
        USER_STAFF_STATUS_CHANGED = "USER_STAFF_STATUS_CHANGED"
        USER_STAFF_GROUPS_CHANGED = "USER_STAFF_GROUPS_CHANGED"
        USER_PERMISSIONS_CHANGED = "USER_PERMISSIONS_CHANGED"
        STAFF_GROUP_CREATED = "STAFF_GROUP_CREATED"
        STAFF_GROUP_CHANGED = "STAFF_GROUP_CHANGED"
        STAFF_GROUP_DELETED = "STAFF_GROUP_DELETED"
        RECORDS_EXPORTED = "RECORDS_EXPORTED"
        PERMISSIONS_REBUILT = "PERMISSIONS_REBUILT"
        SIGN_IN_UNLOCKED = "SIGN_IN_UNLOCKED"
        # monitoring
        MONITORING_USER_ATTACHED = "MONITORING_USER_ATTACHED"
        MONITORING_USER_DETACHED = "MONITORING_USER_DETACHED"
        MONITORING_GROUP_CREATED = "MONITORING_GROUP_CREATED"
        MONITORING_GROUP_DELETED = "MONITORING_GROUP_DELETED"
        MONITORING_GROUP_MEMBER_ADDED = "MONITORING_GROUP_MEMBER_ADDED"
        MONITORING_GROUP_MEMBER_REMOVED = "MONITORING_GROUP_MEMBER_REMOVED"
        USER_OFFBOARDED = "USER_OFFBOARDED"
        # support access
        ORG_EMPLOYEE_ACCESS_RESTRICTED = "ORG_EMPLOYEE_ACCESS_RESTRICTED"
        ORG_EMPLOYEE_ACCESS_UNRESTRICTED = "ORG_EMPLOYEE_ACCESS_UNRESTRICTED"
        EMPLOYEE_ACCESS_GRANTED = "EMPLOYEE_ACCESS_GRANTED"
        EMPLOYEE_ACCESS_REVOKED = "EMPLOYEE_ACCESS_REVOKED"
        EMPLOYEE_ACCESS_EXPIRED = "EMPLOYEE_ACCESS_EXPIRED"
        EMPLOYEE_ACCESS_REPLACED = "EMPLOYEE_ACCESS_REPLACED"
        # service accounts (OAuth 2.0 client credentials)
        SERVICE_ACCOUNT_CREATED = "SERVICE_ACCOUNT_CREATED"
        SERVICE_ACCOUNT_DELETED = "SERVICE_ACCOUNT_DELETED"
        SERVICE_ACCOUNT_DETAILS_CHANGED = "SERVICE_ACCOUNT_DETAILS_CHANGED"
        SERVICE_ACCOUNT_ROLES_CHANGED = "SERVICE_ACCOUNT_ROLES_CHANGED"
        SERVICE_ACCOUNT_SECRET_ADDED = "SERVICE_ACCOUNT_SECRET_ADDED"
        SERVICE_ACCOUNT_SECRET_DELETED = "SERVICE_ACCOUNT_SECRET_DELETED"
        SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED = "SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED"
        SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED = "SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED"
        SERVICE_ACCOUNT_ADDED_TO_GROUP = "SERVICE_ACCOUNT_ADDED_TO_GROUP"
        SERVICE_ACCOUNT_REMOVED_FROM_GROUP = "SERVICE_ACCOUNT_REMOVED_FROM_GROUP"
        SERVICE_ACCOUNT_GROUP_ROLES_CHANGED = "SERVICE_ACCOUNT_GROUP_ROLES_CHANGED"
        SERVICE_ACCOUNT_TOKEN_ISSUED = "SERVICE_ACCOUNT_TOKEN_ISSUED"
        SERVICE_ACCOUNT_TOKEN_REVOKED = "SERVICE_ACCOUNT_TOKEN_REVOKED"
        SERVICE_ACCOUNT_AUTHENTICATION_FAILED = "SERVICE_ACCOUNT_AUTHENTICATION_FAILED"
        SERVICE_ACCOUNT_ACCESS_LIST_REFUSED = "SERVICE_ACCOUNT_ACCESS_LIST_REFUSED"

    public_id = public_id_field()
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True, help_text="Empty when the system acted.")
    event_type = models.CharField(max_length=64, choices=Type.choices)
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
        ]

    def __str__(self):
        return f"{self.event_type} {self.target_name} by {self.actor_email or 'system'}"


class AuthenticationFailureWindow(models.Model):
    """Refused API authentications of one minute, counted for one API key (``public_key`` set: the key exists)
    or for one client address (``client_ip`` set: no key, or one that does not exist). A beat job turns each
    closed window into one AuditEvent with the count, so that nobody without credentials adds more than one
    audit row per key or address per minute, however many requests they send."""

    event_type = models.CharField(max_length=64)  # an AuditEvent.Type
    public_key = models.CharField(max_length=64, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    minute = models.DateTimeField(help_text="Start of the minute the refusals fell in (UTC).")
    organization_id = models.BigIntegerField(null=True, blank=True)
    api_key_public_id = models.CharField(max_length=24, blank=True)
    count = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=dict, blank=True, help_text="reason -> how many times")
    samples = models.JSONField(
        default=dict, blank=True, help_text="addresses (for a key) or public keys (for an address) -> how many"
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
