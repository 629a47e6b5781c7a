"""Service accounts: create (the first secret is returned once), change, delete, secrets, the IP access list and
project assignments. Each write locks the organization, checks the actor on the object, refuses escalation and
records its audit event in the same transaction, as the API key services do."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts import roles as catalogue
from accounts.errors import ServiceError
from accounts.models import ProjectMembership
from accounts.services import _principals as principals
from accounts.services._principals import PrincipalKind
from accounts.services._rules import clean_name, grantable_roles
from accounts.services.locks import lock_organization_for
from accounts.services.members import add_to_organization
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


ACCOUNT = PrincipalKind(
    noun="service account",
    article="A",
    target_type="service_account",
    code="SERVICE_ACCOUNT",
    ident_key="clientId",
    ident_attr="client_id",
    description_field="description",
    ident_in_errors=True,
    ident_on_role_changes=True,
    refuse_assigned_twice=True,
    reason_attr="name",
    names_lost_roles=False,
    events={
        "roles_changed": Event.SERVICE_ACCOUNT_ROLES_CHANGED,
        "group_roles_changed": Event.SERVICE_ACCOUNT_GROUP_ROLES_CHANGED,
        "added_to_group": Event.SERVICE_ACCOUNT_ADDED_TO_GROUP,
        "removed_from_group": Event.SERVICE_ACCOUNT_REMOVED_FROM_GROUP,
        "deleted": Event.SERVICE_ACCOUNT_DELETED,
        "access_list_entry_added": Event.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED,
    },
)


def _clean_description(description) -> str:
    return principals.description_clean(ACCOUNT, description)


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


def _audit(event_type, service_account, actor, **details):
    """An audit row about the account in its organization, naming it by its client id."""
    details = {"clientId": service_account.client_id, **details}
    principals.audit(ACCOUNT, event_type, service_account, actor, service_account.organization, details)


@transaction.atomic
def service_account_create(
    *, organization, name, description, roles, secret_expires_after_hours, actor
) -> tuple[ServiceAccount, ServiceAccountSecret, str]:
    """Create a service account with organization roles and its first secret (ORG_OWNER, no escalation).
    Returns the account, the secret and the secret's value: the only time that value exists on our side."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, organization)
    name = clean_name(name, kind="service account")
    description = _clean_description(description)
    hours = _clean_hours(secret_expires_after_hours)
    role_names = grantable_roles(actor=actor, scope=organization, roles=roles)
    client_id = new_client_id()
    user = principals.user_create(
        email=f"{client_id}@service-accounts.invalid", first_name="Service account", last_name=name
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
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
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
        principals.roles_set(ACCOUNT, service_account, organization, roles=roles, actor=actor)
    return service_account


@transaction.atomic
def service_account_delete(*, service_account, actor) -> None:
    """Delete an account: its tokens die with it, it leaves every project, and its user goes too."""
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
    # Its secrets, access list and tokens cascade with it.
    principals.delete(ACCOUNT, service_account, organization, actor=actor, name=service_account.name)


# ---- secrets --------------------------------------------------------------------------------------------------


@transaction.atomic
def service_account_secret_create(
    *, service_account, secret_expires_after_hours, actor
) -> tuple[ServiceAccountSecret, str]:
    """A new secret (for rotation); at most SECRETS_PER_ACCOUNT live at once, expired ones not counted."""
    lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
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
    lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
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
    organization = lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
    return principals.access_list_add(ACCOUNT, service_account, organization, entries=entries, actor=actor)


@transaction.atomic
def service_account_access_list_remove(*, service_account, entry, actor) -> None:
    lock_organization_for(actor, catalogue.MANAGE_API_KEYS, service_account.organization)
    row = principals.access_list_entry(ACCOUNT, service_account, entry)
    row.delete()
    _audit(Event.SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED, service_account, actor, cidrBlock=row.cidr_block)


# ---- projects -------------------------------------------------------------------------------------------------


@transaction.atomic
def service_account_project_assign(*, service_account, project, roles, actor) -> ProjectMembership:
    """Give an organization's service account roles in one of its projects (GROUP_OWNER or GROUP_USER_ADMIN)."""
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    return principals.project_assign(ACCOUNT, service_account, project, roles=roles, actor=actor)


@transaction.atomic
def service_account_project_roles_set(*, service_account, project, roles, actor) -> ProjectMembership:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    return principals.roles_set(ACCOUNT, service_account, project, roles=roles, actor=actor)


@transaction.atomic
def service_account_project_unassign(*, service_account, project, actor) -> None:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    principals.project_unassign(ACCOUNT, service_account, project, actor=actor)
