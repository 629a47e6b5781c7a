"""Organization API keys: create (the private key is returned once), change, delete, project assignments, and
the IP access list."""

import functools
import ipaddress
import secrets
import string
from datetime import timedelta

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.digest import compute_ha1, get_realm
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    ApiKeyAccessListEntry,
    AuditEvent,
    ProjectMembership,
)

from . import _principals as principals

# The API and the pages clean access-list entries through this module.
from ._principals import PrincipalKind, clean_access_list_entry  # noqa: F401
from ._rules import grantable_roles
from .locks import lock_organization_for
from .members import add_to_organization

Event = AuditEvent.Type


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    """Built once per set of keys (every Digest request decrypts an HA1), not once per call."""
    return _fernet_for(tuple(settings.API_KEY_ENCRYPTION_KEYS))


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _decrypted(tuple(settings.API_KEY_ENCRYPTION_KEYS), token)


@functools.lru_cache(maxsize=1024)
def _decrypted(keys: tuple[str, ...], token: str) -> str:
    """Every Digest request decrypts its key's HA1: a process decrypts each stored value once (a new secret is a
    new token, and new encryption keys a new cache entry). The process holds the encryption keys, so keeping
    what they decrypt exposes nothing more."""
    return _fernet_for(keys).decrypt(token.encode()).decode()


def _new_public_key() -> str:
    """8 lowercase letters, as Atlas's public keys."""
    while True:
        key = "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        if not ApiKey.objects.filter(public_key=key).exists():
            return key


def _new_private_key() -> str:
    """128 random bits from `secrets`, shaped like a UUID (8-4-4-4-12 hex) as Atlas's private keys are."""
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


KEY = PrincipalKind(
    noun="API key",
    article="An",
    target_type="api_key",
    code="API_KEY",
    ident_key="publicKey",
    ident_attr="public_key",
    description_field="desc",
    reason_attr="public_key",
    events={
        "roles_changed": Event.API_KEY_ROLES_CHANGED,
        "group_roles_changed": Event.API_KEY_GROUP_ROLES_CHANGED,
        "added_to_group": Event.API_KEY_ADDED_TO_GROUP,
        "removed_from_group": Event.API_KEY_REMOVED_FROM_GROUP,
        "deleted": Event.API_KEY_DELETED,
        "access_list_entry_added": Event.API_KEY_ACCESS_LIST_ENTRY_ADDED,
    },
)


def _clean_description(description) -> str:
    return principals.description_clean(KEY, description)


@transaction.atomic
def api_key_create(*, organization, description, roles, actor) -> tuple[ApiKey, str]:
    """Create an organization API key (ORG_OWNER). Returns the key and its private key: the only time the
    private key exists outside the caller's hands; we keep only the HA1 values Digest verification needs."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, organization)
    description = _clean_description(description)
    role_names = grantable_roles(actor=actor, scope=organization, roles=roles)
    public_key, private_key = _new_public_key(), _new_private_key()
    realm = get_realm()
    user = principals.user_create(
        email=f"{public_key}@api-keys.invalid", first_name="API key", last_name=public_key
    )
    api_key = ApiKey.objects.create(
        organization=organization,
        user=user,
        public_key=public_key,
        description=description,
        realm=realm,
        ha1_md5_encrypted=encrypt_secret(compute_ha1(public_key, realm, private_key, "MD5")),
        ha1_sha256_encrypted=encrypt_secret(compute_ha1(public_key, realm, private_key, "SHA-256")),
        created_by=actor,
    )
    add_to_organization(organization=organization, user=user, role_names=role_names, actor=actor)
    details = {"publicKey": public_key, "roles": role_names, "desc": description}
    principals.audit(KEY, Event.API_KEY_CREATED, api_key, actor, organization, details)
    return api_key, private_key


@transaction.atomic
def api_key_create_for_project(*, project, description, roles, actor) -> tuple[ApiKey, str]:
    """Create a key of the project's organization for this project (Atlas's POST /groups/{groupId}/apiKeys): it
    holds Organization Member in the organization and ``roles`` in the project. Needs the power to create the
    organization's keys and to give those project roles; both or nothing."""
    api_key, private_key = api_key_create(
        organization=project.organization,
        description=description,
        roles=[catalogue.DEFAULT_ORGANIZATION_ROLE],
        actor=actor,
    )
    api_key_project_assign(api_key=api_key, project=project, roles=roles, actor=actor)
    return api_key, private_key


def api_key_ha1(api_key, algorithm: str) -> str | None:
    """The stored HA1 for a Digest algorithm, decrypted; None for an algorithm we do not accept."""
    encrypted = {"MD5": api_key.ha1_md5_encrypted, "SHA-256": api_key.ha1_sha256_encrypted}.get(algorithm)
    return decrypt_secret(encrypted) if encrypted else None


@transaction.atomic
def api_key_update(*, api_key, actor, description=None, roles=None) -> ApiKey:
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, api_key.organization)
    if description is not None:
        description = _clean_description(description)
        if description != api_key.description:
            old = api_key.description
            api_key.description = description
            api_key.save(update_fields=["description"])
            details = {"from": old, "to": description}
            principals.audit(KEY, Event.API_KEY_DESCRIPTION_CHANGED, api_key, actor, organization, details)
    if roles is not None:
        principals.roles_set(KEY, api_key, organization, roles=roles, actor=actor)
    return api_key


@transaction.atomic
def api_key_delete(*, api_key, actor) -> None:
    """Delete a key: it leaves every project and its service account goes with it."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, api_key.organization)
    principals.delete(KEY, api_key, organization, actor=actor)


@transaction.atomic
def api_key_project_assign(*, api_key, project, roles, actor) -> ProjectMembership:
    """Give an organization key roles in one of its organization's projects (GROUP_OWNER or GROUP_USER_ADMIN)."""
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    return principals.project_assign(KEY, api_key, project, roles=roles, actor=actor)


@transaction.atomic
def api_key_project_roles_set(*, api_key, project, roles, actor) -> ProjectMembership:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    return principals.roles_set(KEY, api_key, project, roles=roles, actor=actor)


@transaction.atomic
def api_key_project_unassign(*, api_key, project, actor) -> None:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    principals.project_unassign(KEY, api_key, project, actor=actor)


@transaction.atomic
def api_key_access_list_add(*, api_key, entries, actor) -> list[ApiKeyAccessListEntry]:
    """Add addresses or CIDR blocks to a key's access list; ones already there are kept as they are."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, api_key.organization)
    return principals.access_list_add(KEY, api_key, organization, entries=entries, actor=actor)


@transaction.atomic
def api_key_access_list_remove(*, api_key, entry, actor, request_address=None) -> None:
    """Remove one entry. The entry the request itself comes through cannot be removed (it would lock the caller
    out mid-request)."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, api_key.organization)
    row = principals.access_list_entry(KEY, api_key, entry)
    block = row.cidr_block
    if (
        request_address
        and getattr(actor, "pk", None) == api_key.user_id
        and ipaddress.ip_address(request_address) in ipaddress.ip_network(block)
    ):
        raise ServiceError(
            "CANNOT_REMOVE_CALLER_ACCESS_LIST_ENTRY",
            f"{block} is the access list entry this request comes through ({request_address}); it cannot be removed.",
        )
    row.delete()
    details = {"publicKey": api_key.public_key, "cidrBlock": block}
    principals.audit(KEY, Event.API_KEY_ACCESS_LIST_ENTRY_DELETED, api_key, actor, organization, details)


def access_list_entry_for(api_key, address: str):
    """The access-list entry that lets ``address`` use the key, None if the list refuses it. A key without an
    access list is usable from anywhere (``True``), unless its organization requires one."""
    entries = list(api_key.access_list.all())
    if not entries:
        return None if api_key.organization.api_access_list_required else True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for entry in entries:
        network = ipaddress.ip_network(entry.cidr_block)
        if ip.version == network.version and ip in network:
            return entry
    return None


# A key's last use is kept to the minute: a busy key is not written on every request.
LAST_USE_PRECISION = timedelta(seconds=60)


def api_key_record_use(*, api_key, address, entry=None) -> None:
    """Note when and from where a key was last used, at most once a minute per key and address: the key as
    loaded for this request says when it was last written, and the UPDATE is conditional, so that workers
    answering the same key at once write it once. An access-list entry counts every use (one UPDATE)."""
    now = timezone.now()
    stale = now - LAST_USE_PRECISION
    if api_key.last_used_at is None or api_key.last_used_at <= stale or api_key.last_used_address != address:
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale) | ~Q(last_used_address=address),
            pk=api_key.pk,
        ).update(last_used_at=now, last_used_address=address)
    if isinstance(entry, ApiKeyAccessListEntry):
        ApiKeyAccessListEntry.objects.filter(pk=entry.pk).update(
            last_used_at=now, last_used_address=address, access_count=F("access_count") + 1
        )


def api_key_refusal_record(*, public_key, reason, address, api_key=None, event_type=None) -> None:
    """Audit a refused API request (bad credentials, replay, outside the access list). Runs in its own
    autocommit, outside any request transaction, so the record stays."""
    audit_event_record(
        event_type=event_type or Event.API_KEY_AUTHENTICATION_FAILED,
        actor=None,
        organization=api_key.organization if api_key else None,
        target=api_key,
        target_type="api_key",
        details={"publicKey": public_key, "reason": reason, "remoteAddress": address},
    )
