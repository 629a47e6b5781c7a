"""Organization API keys (programmatic access) and their IP access lists."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .tenancy import Organization, public_id_field


class ApiKey(models.Model):
    """An organization API key. It acts through a service-account ``user`` (no password, cannot sign in), so that
    its organization and project roles are ordinary memberships and guardian permissions, and audit events
    name it like a person.

    What is kept of the private key is what HTTP Digest verification needs and nothing more: HA1 =
    H(publicKey:realm:privateKey), one per algorithm the server accepts (MD5, SHA-256). A one-way hash of the
    private key alone would not do: Digest never sends the secret, only a response derived from HA1, so the
    server needs HA1 itself. HA1 is password-equivalent for Digest, hence stored encrypted with a key from the
    environment (``API_KEY_ENCRYPTION_KEY``), never in clear.

    The provider's staff may disable a key (``disabled_at``, by whom, why): every request signed with it is then
    refused until they enable it again; its roles, projects and access list stay as they were. Only staff
    disable and enable (accounts.services.staff); the organization sees the state and the reason."""

    public_id = public_id_field()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key")
    public_key = models.CharField(max_length=8, unique=True)
    description = models.CharField(max_length=250)
    ha1_md5_encrypted = models.TextField(editable=False)
    ha1_sha256_encrypted = models.TextField(editable=False)
    realm = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_address = models.GenericIPAddressField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the key may be used.")
    disabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["public_key"]
        verbose_name = "API key"
        constraints = [
            # A disabled key says why; an enabled one keeps no stale reason.
            models.CheckConstraint(
                condition=models.Q(disabled_at__isnull=True, disabled_reason="")
                | (models.Q(disabled_at__isnull=False) & ~models.Q(disabled_reason="")),
                name="accounts_api_key_disabled_with_reason",
            )
        ]

    def __str__(self):
        return f"{self.public_key} ({self.description})"

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


class AccessListEntry(models.Model):
    """An IPv4/IPv6 address or CIDR block a programmatic principal (an API key, a service account) may be used
    from, with when and from where it was last used. Each principal's list is a concrete subclass with its
    foreign key and its unique constraint."""

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
        abstract = True
        ordering = ["cidr_block"]

    def __str__(self):
        return self.cidr_block

    @property
    def is_single_address(self) -> bool:
        return self.cidr_block.endswith("/32") or self.cidr_block.endswith("/128")


class ApiKeyAccessListEntry(AccessListEntry):
    """A key with entries is refused from anywhere else."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="access_list")

    class Meta(AccessListEntry.Meta):
        verbose_name = "API key access list entry"
        verbose_name_plural = "API key access list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "cidr_block"], name="accounts_api_key_access_entry_unique"
            )
        ]
