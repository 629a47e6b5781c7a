"""Every email the portal sends: one row a message, so that a delivery, a retry, a permanent failure or a bounce
is recorded and one bad address blocks nobody."""

import secrets

from django.db import models
from django.utils import timezone

from .invitations import Invitation


def new_tracking_id() -> str:
    """128 random bits: what the ESP echoes back on tracking events (a sequential id would be guessable)."""
    return secrets.token_hex(16)


class OutboundEmail(models.Model):
    """One message to one recipient, rendered when it is sent from ``template`` (.txt and .html) and
    ``context`` (plain values). Secrets such as an accept link's token are kept only encrypted
    (``secret_context_encrypted``, Fernet with API_KEY_ENCRYPTION_KEYS) until the message is done with; the
    broker's message carries only the row's id.

    ``lease_expires_at``: while a QUEUED row's lease runs, its task is trusted to be in the broker or a worker;
    past it, a beat job queues it again (a lost message, a killed worker, a broker that was down)."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED"
        SENT = "SENT"
        FAILED = "FAILED", "Failed (given up)"
        BOUNCED = "BOUNCED"
        SKIPPED = "SKIPPED", "Skipped (no longer relevant)"

    tracking_id = models.CharField(
        max_length=32,
        unique=True,
        default=new_tracking_id,
        editable=False,
        help_text="Sent to the ESP as metadata; a tracking event must carry it and the ESP's message id.",
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    template = models.CharField(max_length=200, help_text="Template path without .txt/.html")
    context = models.JSONField(default=dict, blank=True)
    secret_context_encrypted = models.TextField(blank=True, editable=False)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Still QUEUED after this, the message is queued again."
    )
    esp_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    last_event = models.CharField(max_length=32, blank=True, help_text="Latest delivery event from the ESP")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="accounts_email_status"),
            models.Index(fields=["status", "lease_expires_at"], name="accounts_email_lease"),
        ]

    def __str__(self):
        return f"{self.subject} to {self.to} ({self.status})"
