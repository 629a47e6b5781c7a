"""Service accounts (Atlas's OAuth 2.0 principals): the account, its client secrets, its IP access list and the
access tokens issued to it."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization, public_id_field

CLIENT_ID_PREFIX = "mdb_sa_id_"
SECRET_PREFIX = "mdb_sa_sk_"


def new_client_id() -> str:
    """``mdb_sa_id_`` and 24 random hex digits (96 bits from `secrets`), as Atlas's client ids."""
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def secret_hash(value: str) -> str:
    """What is kept of a client secret or an access token: its SHA-256. Both carry at least 160 random bits, so a
    fast hash is safe (nothing to brute-force), and a lookup by hash is one indexed query in any process."""
    return hashlib.sha256(value.encode()).hexdigest()


class ServiceAccount(models.Model):
    """An organization's service account. Like an API key it acts through a service-account ``user`` (no
    password, cannot sign in), so its organization and project roles are ordinary memberships and guardian
    permissions, and audit events name it like a person."""

    client_id = models.CharField(max_length=34, unique=True, default=new_client_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="service_accounts")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=250)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} ({self.client_id})"

    @property
    def public_id(self) -> str:
        """The id audit events and logs name it by."""
        return self.client_id

    @property
    def public_key(self) -> str:
        """What the refusal counters and their audit rows name a principal by (an API key's public key)."""
        return self.client_id


class ServiceAccountSecret(models.Model):
    """One client secret: shown once, kept as its SHA-256, refused after ``expires_at``."""

    public_id = public_id_field()
    service_account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="secrets")
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    masked_value = models.CharField(max_length=32, editable=False, help_text="mdb_sa_sk_...wxyz")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.masked_value

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class ServiceAccountAccessListEntry(models.Model):
    """An IPv4/IPv6 address or CIDR block the account may be used from (the same rule as an API key's list)."""

    service_account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="access_list")
    cidr_block = models.CharField(
        max_length=64, help_text="Normalised network, e.g. 203.0.113.0/24 or 2001:db8::/32"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)
    access_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["cidr_block"]
        verbose_name_plural = "service account access list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["service_account", "cidr_block"], name="serviceaccounts_access_entry_unique"
            )
        ]

    def __str__(self):
        return self.cidr_block

    @property
    def is_single_address(self) -> bool:
        return self.cidr_block.endswith("/32") or self.cidr_block.endswith("/128")


class AccessToken(models.Model):
    """A Bearer token issued by ``POST /api/oauth/token``. Only its SHA-256 is kept, in the database, so every
    process checks and revokes the same tokens; it is dead after ``expires_at`` or once ``revoked_at`` is set."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    service_account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="tokens")
    secret = models.ForeignKey(
        ServiceAccountSecret, null=True, on_delete=models.SET_NULL, related_name="tokens"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    issued_to_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return f"token of {self.service_account_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"

    def is_live(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())
