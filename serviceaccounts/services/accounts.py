"""Service accounts: create (the first secret is returned once), change, delete, secrets, the IP access list and
project assignments. Each write locks the organization, checks the actor on the object, refuses escalation and
records its audit event in the same transaction, as the API key services do."""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import ProjectMembership
from accounts.permissions import require, require_may_grant, sync_organization_permissions
from accounts.services._rules import (
    clean_name,
    clean_organization_roles,
    clean_project_roles,
    refuse_unsafe_characters,
    roles_set,
)
from accounts.services.api_keys import clean_access_list_entry
from accounts.services.locks import lock_organization
from accounts.services.members import add_to_organization, add_to_project
from serviceaccounts.models import (
    SECRET_PREFIX,
    AccessToken,
    ServiceAccount,
    ServiceAccountAccessListEntry,
    ServiceAccountSecret,
    new_client_id,
    secret_hash,
)

from ..audit import Event

# Atlas's bounds for ``secretExpiresAfterHours``: from 8 hours to 365 days.
SECRET_MIN_HOURS = 8
SECRET_MAX_HOURS = 365 * 24
# A service account holds at most this many live secrets at once: one rotated in while the other still works.
SECRETS_PER_ACCOUNT = 2


def _clean_description(description) -> str:
    description = (description or "").strip()
    if not 1 <= len(description) <= 250:
        raise ServiceError(
            "VALIDATION_ERROR",
            "A service account needs a description of 1 to 250 characters.",
            field="description",
        )
    return refuse_unsafe_characters(description, field="description", what="service account description")


def _clean_hours(hours) -> int:
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int)
        or not SECRET_MIN_HOURS <= hours <= SECRET_MAX_HOURS
    ):
        raise ServiceError(
            "INVALID_SECRET_EXPIRATION",
            f"secretExpiresAfterHours must be a whole number of hours from {SECRET_MIN_HOURS} to "
            f"{SECRET_MAX_HOURS} (365 days).",
            field="secretExpiresAfterHours",
        )
    return hours


def _new_secret(service_account, hours) -> tuple[ServiceAccountSecret, str]:
    """A client secret: ``mdb_sa_sk_`` and 40 hex digits (160 bits from `secrets`); only its hash is kept."""
    value = SECRET_PREFIX + secrets.token_hex(20)
    secret = ServiceAccountSecret.objects.create(
        service_account=service_account,
        secret_hash=secret_hash(value),
        masked_value=f"{SECRET_PREFIX}...{value[-4:]}",
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    return secret, value


def _audit(event_type, service_account, actor, *, project=None, **details):
    audit_event_record(
        event_type=event_type,
        actor=actor,
        organization=None if project else service_account.organization,
        project=project,
        target=service_account,
        target_type="service_account",
        details={"clientId": service_account.client_id, **details},
    )


@transaction.atomic
def service_account_create(
    *, organization, name, description, roles, secret_expires_after_hours, actor
) -> tuple[ServiceAccount, ServiceAccountSecret, str]:
    """Create a service account with organization roles and its first secret (ORG_OWNER, no escalation).
    Returns the account, the secret and the secret's value: the only time that value exists on our side."""
    organization = lock_organization(organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    name = clean_name(name, kind="service account")
    description = _clean_description(description)
    hours = _clean_hours(secret_expires_after_hours)
    role_names = clean_organization_roles(roles)
    require_may_grant(actor, role_names, organization)
    client_id = new_client_id()
    user = get_user_model().objects.create_user(
        f"{client_id}@service-accounts.invalid",
        None,
        first_name="Service account",
        last_name=name,
        is_service_account=True,
    )
    service_account = ServiceAccount.objects.create(
        client_id=client_id,
        organization=organization,
        user=user,
        name=name,
        description=description,
        created_by=actor,
    )
    add_to_organization(organization=organization, user=user, role_names=role_names, actor=actor)
    secret, value = _new_secret(service_account, hours)
    _audit(Event.SERVICE_ACCOUNT_CREATED, service_account, actor, name=name, roles=role_names)
    _audit(Event.SERVICE_ACCOUNT_SECRET_ADDED, service_account, actor, secretId=secret.public_id)
    return service_account, secret, value


def service_account_bootstrap(*, organization, actor=None) -> tuple[str, str]:
    """For ``manage.py bootstrap --service-account``: a new ORG_OWNER service account whose secret lasts the
    longest Atlas allows. Returns (client id, client secret)."""
    service_account, _, value = service_account_create(
        organization=organization,
        name="bootstrap",
        description="Made by manage.py bootstrap",
        roles=[catalogue.ORG_OWNER],
        secret_expires_after_hours=SECRET_MAX_HOURS,
        actor=actor,
    )
    return service_account.client_id, value


@transaction.atomic
def service_account_update(
    *, service_account, actor, name=None, description=None, roles=None
) -> ServiceAccount:
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    changes = {}
    if name is not None:
        name = clean_name(name, kind="service account")
        if name != service_account.name:
            changes["name"] = {"from": service_account.name, "to": name}
            service_account.name = name
    if description is not None:
        description = _clean_description(description)
        if description != service_account.description:
            changes["description"] = {"from": service_account.description, "to": description}
            service_account.description = description
    if changes:
        service_account.save(update_fields=["name", "description"])
        _audit(Event.SERVICE_ACCOUNT_DETAILS_CHANGED, service_account, actor, **changes)
    if roles is not None:
        change = roles_set(
            actor=actor,
            scope=organization,
            roles=roles,
            holder=lambda: service_account.user.organization_memberships.get(organization=organization),
        )
        if change.changed:
            sync_organization_permissions(organization, user_ids=[service_account.user_id], team_ids=[])
            _audit(Event.SERVICE_ACCOUNT_ROLES_CHANGED, service_account, actor, **change.details)
        if change.removed:
            _revoke_invitations(service_account, actor, f"service account {service_account.name} lost roles")
    return service_account


def _revoke_invitations(service_account, actor, reason, everything=False):
    """The pending invitations the account sent and could no longer send (``everything``: it is going)."""
    from accounts.services.invitations.revoking import invitations_revoke_beyond_inviter

    invitations_revoke_beyond_inviter(
        organization=service_account.organization,
        inviters=[service_account.user],
        actor=actor,
        reason=reason,
        everything=everything,
    )


@transaction.atomic
def service_account_delete(*, service_account, actor) -> None:
    """Delete an account: its tokens die with it, it leaves every project, and its user goes too."""
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    _audit(Event.SERVICE_ACCOUNT_DELETED, service_account, actor, name=service_account.name)
    _revoke_invitations(
        service_account, actor, f"service account {service_account.name} was deleted", everything=True
    )
    user = service_account.user
    service_account.delete()  # secrets, access list and tokens cascade
    user.delete()  # memberships, roles and object permissions cascade


# ---- secrets --------------------------------------------------------------------------------------------------


@transaction.atomic
def service_account_secret_create(
    *, service_account, secret_expires_after_hours, actor
) -> tuple[ServiceAccountSecret, str]:
    """A new secret (for rotation); at most SECRETS_PER_ACCOUNT live at once, expired ones not counted."""
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    hours = _clean_hours(secret_expires_after_hours)
    live = service_account.secrets.filter(expires_at__gt=timezone.now()).count()
    if live >= SECRETS_PER_ACCOUNT:
        raise ServiceError(
            "SERVICE_ACCOUNT_SECRET_LIMIT_REACHED",
            f"Service account {service_account.client_id} already has {live} secrets; delete one first.",
            clientId=service_account.client_id,
        )
    secret, value = _new_secret(service_account, hours)
    _audit(
        Event.SERVICE_ACCOUNT_SECRET_ADDED,
        service_account,
        actor,
        secretId=secret.public_id,
        expiresAt=secret.expires_at.isoformat(),
    )
    return secret, value


@transaction.atomic
def service_account_secret_delete(*, service_account, secret_id, actor) -> None:
    """Delete a secret; the tokens issued with it are revoked at once."""
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    secret = service_account.secrets.filter(public_id=str(secret_id)).first()
    if secret is None:
        raise ServiceError(
            "SERVICE_ACCOUNT_SECRET_NOT_FOUND",
            f"No secret with ID {secret_id} exists for service account {service_account.client_id}.",
            id=str(secret_id),
        )
    AccessToken.objects.filter(secret=secret, revoked_at__isnull=True).update(revoked_at=timezone.now())
    secret.delete()
    _audit(Event.SERVICE_ACCOUNT_SECRET_DELETED, service_account, actor, secretId=secret.public_id)


# ---- access list ----------------------------------------------------------------------------------------------


@transaction.atomic
def service_account_access_list_add(
    *, service_account, entries, actor
) -> list[ServiceAccountAccessListEntry]:
    """Add addresses or CIDR blocks (normalised as for API keys); ones already there are kept as they are."""
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    blocks = list(dict.fromkeys(clean_access_list_entry(entry) for entry in entries))
    if not blocks:
        raise ServiceError(
            "VALIDATION_ERROR", "Give at least one IP address or CIDR block.", field="ipAddress"
        )
    existing = set(
        service_account.access_list.filter(cidr_block__in=blocks).values_list("cidr_block", flat=True)
    )
    new = [
        ServiceAccountAccessListEntry(service_account=service_account, cidr_block=b, created_by=actor)
        for b in blocks
        if b not in existing
    ]
    ServiceAccountAccessListEntry.objects.bulk_create(new)
    for entry in new:
        _audit(
            Event.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED, service_account, actor, cidrBlock=entry.cidr_block
        )
    return list(service_account.access_list.filter(cidr_block__in=blocks))


@transaction.atomic
def service_account_access_list_remove(*, service_account, entry, actor) -> None:
    organization = lock_organization(service_account.organization)
    require(actor, catalogue.MANAGE_API_KEYS, organization)
    block = clean_access_list_entry(entry)
    row = service_account.access_list.filter(cidr_block=block).first()
    if row is None:
        raise ServiceError(
            "RESOURCE_NOT_FOUND",
            f"{block} is not on the access list of service account {service_account.client_id}.",
            entry=block,
        )
    row.delete()
    _audit(Event.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED, service_account, actor, cidrBlock=block)


# ---- projects -------------------------------------------------------------------------------------------------


def _same_organization(service_account, project):
    if service_account.organization_id != project.organization_id:
        raise ServiceError(
            "SERVICE_ACCOUNT_NOT_FOUND",
            f"No service account {service_account.client_id} exists in the organization of project "
            f"{project.name}.",
            clientId=service_account.client_id,
        )


def _membership(service_account, project) -> ProjectMembership:
    membership = ProjectMembership.objects.filter(project=project, user=service_account.user).first()
    if membership is None:
        raise ServiceError(
            "SERVICE_ACCOUNT_NOT_IN_GROUP",
            f"Service account {service_account.client_id} is not assigned to project {project.name}.",
            clientId=service_account.client_id,
        )
    return membership


@transaction.atomic
def service_account_project_assign(*, service_account, project, roles, actor) -> ProjectMembership:
    """Give an organization's service account roles in one of its projects (GROUP_OWNER or GROUP_USER_ADMIN)."""
    lock_organization(project.organization)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    _same_organization(service_account, project)
    role_names = clean_project_roles(roles)
    require_may_grant(actor, role_names, project)
    if ProjectMembership.objects.filter(project=project, user=service_account.user).exists():
        raise ServiceError(
            "SERVICE_ACCOUNT_ALREADY_IN_GROUP",
            f"Service account {service_account.client_id} is already assigned to project {project.name}.",
            clientId=service_account.client_id,
        )
    membership = add_to_project(
        project=project, user=service_account.user, role_names=role_names, actor=actor
    )
    _audit(Event.SERVICE_ACCOUNT_ADDED_TO_GROUP, service_account, actor, project=project, roles=role_names)
    return membership


@transaction.atomic
def service_account_project_roles_set(*, service_account, project, roles, actor) -> ProjectMembership:
    lock_organization(project.organization)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    change = roles_set(
        actor=actor, scope=project, roles=roles, holder=lambda: _membership(service_account, project)
    )
    if change.changed:
        sync_organization_permissions(project.organization, user_ids=[service_account.user_id], team_ids=[])
        _audit(
            Event.SERVICE_ACCOUNT_GROUP_ROLES_CHANGED,
            service_account,
            actor,
            project=project,
            **change.details,
        )
    if change.removed:
        _revoke_invitations(service_account, actor, f"service account {service_account.name} lost roles")
    return change.holder


@transaction.atomic
def service_account_project_unassign(*, service_account, project, actor) -> None:
    lock_organization(project.organization)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    membership = _membership(service_account, project)
    require_may_grant(actor, membership.role_names, project)
    membership.delete()
    sync_organization_permissions(project.organization, user_ids=[service_account.user_id], team_ids=[])
    _audit(Event.SERVICE_ACCOUNT_REMOVED_FROM_GROUP, service_account, actor, project=project)
    _revoke_invitations(
        service_account, actor, f"service account {service_account.name} was removed from {project.name}"
    )
