"""Invitations to an organization or a project, and requests to join a project."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .tenancy import Organization, Project, Team, public_id_field


def invitation_token_hash(token: str) -> str:
    """What is kept of an invitation's token: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256((token or "").encode()).hexdigest()


class Invitation(models.Model):
    """An email address invited with the roles (and, for an organization, teams and project roles) that
    accepting grants. The token itself is never stored: only its SHA-256.

    Expiry is decided at read time from ``expires_at``: a PENDING row past it is expired whatever the tasks
    have done (``effective_status``)."""

    VALIDITY = timedelta(days=30)

    class Status(models.TextChoices):
        PENDING = "PENDING"
        ACCEPTED = "ACCEPTED"
        REVOKED = "REVOKED"
        EXPIRED = "EXPIRED"

    public_id = public_id_field()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,  # see Meta.indexes: only project invitations are indexed
        related_name="invitations",
        help_text="Set for an invitation to a project; empty for one to the organization.",
    )
    email = models.EmailField(max_length=254)
    roles = models.JSONField(default=list, help_text="Organization roles, or project roles for a project.")
    teams = models.ManyToManyField(Team, blank=True, related_name="invitations")
    group_role_assignments = models.JSONField(
        default=list,
        blank=True,
        help_text='Organization invitations only: [{"groupId": ..., "roles": [...]}]',
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inviter_email = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now, help_text="When the latest token was sent.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # see Meta.indexes: only accepted invitations are indexed
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True, help_text="When the expiry task marked it.")
    bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="The ESP reported that the latest invitation email bounced."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(status="PENDING", project__isnull=True),
                name="accounts_invitation_one_pending_per_org",
            ),
            models.UniqueConstraint(
                "project",
                Lower("email"),
                condition=models.Q(status="PENDING", project__isnull=False),
                name="accounts_invitation_one_pending_per_project",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["PENDING", "ACCEPTED", "REVOKED", "EXPIRED"]),
                name="accounts_invitation_status_valid",
            ),
        ]
        # The expiry job's: pending rows by due time (an expired row leaves it). The foreign keys that are empty
        # on most rows index only the rows that have them: each index an UPDATE need not write.
        indexes = [
            models.Index(
                fields=["expires_at"], condition=models.Q(status="PENDING"), name="accounts_invitation_due"
            ),
            models.Index(
                fields=["project"], condition=models.Q(project__isnull=False), name="accounts_invitation_project"
            ),
            models.Index(
                fields=["accepted_by"],
                condition=models.Q(accepted_by__isnull=False),
                name="accounts_invitation_accepter",
            ),
        ]

    def __str__(self):
        return f"{self.email} to {self.project or self.organization}"

    def is_expired(self, now=None) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= (now or timezone.now())

    @property
    def effective_status(self) -> str:
        return self.Status.EXPIRED if self.is_expired() else self.status


class JoinRequest(models.Model):
    """A signed-in user asking to join a project; its GROUP_OWNER or GROUP_USER_ADMIN decides."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        APPROVED = "APPROVED"
        DENIED = "DENIED"

    public_id = public_id_field()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                condition=models.Q(status="PENDING"),
                name="accounts_join_request_one_pending",
            )
        ]

    def __str__(self):
        return f"{self.user} asks to join {self.project}"


class JoinAsk(models.Model):
    """A signed-in person asking to join a project named only by the id they were given (Cloud Manager lets a
    newly registered person ask). Recorded as is, whether or not the id names a project, so that asking costs
    the same and answers the same for a missing project and for another tenant's; a beat job turns the asks
    that name a project into join requests its owners decide (``join_asks_process``)."""

    MAX_PER_DAY = 20

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_asks")
    project_public_id = models.CharField(max_length=24)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(processed_at__isnull=True), name="accounts_join_ask_due"
            )
        ]

    def __str__(self):
        return f"{self.user} asks to join project {self.project_public_id}"
