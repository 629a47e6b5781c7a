"""Organizations and projects: create, rename, delete."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
)
from accounts.permissions import actor_may, require, sync_organization_permissions
from accounts.selectors import user_has_two_factor
from accounts.selectors.access import access_colleague, body_reference

from ._rules import clean_name
from .locks import lock_organization, lock_organization_for
from .members import add_to_organization

Event = AuditEvent.Type


@transaction.atomic
def organization_create(*, name, actor, owner=None) -> Organization:
    """Create an organization; its creator (or ``owner``, when staff or the system create it for someone)
    becomes its ORG_OWNER."""
    owner = owner or actor
    if owner is None:
        raise ServiceError("VALIDATION_ERROR", "An organization needs an owner.", field="owner")
    if actor is not None and owner.pk != actor.pk and not actor.has_perm("accounts.add_organization"):
        # Staff who may create organizations name anyone. A customer may hand an organization only to someone
        # it already manages; anyone else (and an unknown id, at the API) is refused in the same words, so the
        # answer reveals no account elsewhere.
        with body_reference("orgOwnerId", code="INVALID_ORG_OWNER"):
            access_colleague(actor=actor, user_id=owner.public_id)
    if not owner.is_active:
        raise ServiceError("USER_INACTIVE", f"{owner.email} is deactivated and cannot own an organization.")
    organization = Organization.objects.create(name=clean_name(name, kind="organization"))
    membership = OrganizationMembership.objects.create(organization=organization, user=owner)
    OrganizationRole.objects.create(membership=membership, name=roles.ORG_OWNER)
    sync_organization_permissions(organization, user_ids=[owner.pk], team_ids=[])
    audit_event_record(
        event_type=Event.ORG_CREATED, actor=actor, organization=organization, target=organization
    )
    audit_event_record(
        event_type=Event.JOINED_ORG,
        actor=actor,
        organization=organization,
        target=owner,
        details={"roles": [roles.ORG_OWNER]},
    )
    return organization


@transaction.atomic
def organization_rename(*, organization, name, actor) -> Organization:
    organization = lock_organization_for(actor, roles.CHANGE_ORGANIZATION, organization)
    old = organization.name
    organization.name = clean_name(name, kind="organization")
    organization.save(update_fields=["name"])
    audit_event_record(
        event_type=Event.ORG_RENAMED,
        actor=actor,
        organization=organization,
        target=organization,
        details={"from": old, "to": organization.name},
    )
    return organization


@transaction.atomic
def organization_settings_update(
    *, organization, actor, api_access_list_required=None, multi_factor_auth_required=None
) -> Organization:
    """The organization's own settings (ORG_OWNER): whether its API keys need an IP access list, and whether its
    members need two-factor authentication (Atlas's ``multiFactorAuthRequired``). A person who turns the latter
    on must have it already, or they would shut themselves out."""
    organization = lock_organization_for(actor, roles.CHANGE_ORGANIZATION, organization)
    if (
        api_access_list_required is not None
        and bool(api_access_list_required) != organization.api_access_list_required
    ):
        old = organization.api_access_list_required
        organization.api_access_list_required = bool(api_access_list_required)
        organization.save(update_fields=["api_access_list_required"])
        audit_event_record(
            event_type=Event.ORG_SETTINGS_CHANGED,
            actor=actor,
            organization=organization,
            target=organization,
            details={"apiAccessListRequired": {"from": old, "to": organization.api_access_list_required}},
        )
    if (
        multi_factor_auth_required is not None
        and bool(multi_factor_auth_required) != organization.multi_factor_auth_required
    ):
        required = bool(multi_factor_auth_required)
        if required and not actor.is_service_account and not user_has_two_factor(actor):
            raise ServiceError(
                "TWO_FACTOR_AUTH_NOT_ENABLED",
                "Set up two-factor authentication for your own account before requiring it of the "
                f"members of {organization.name}.",
                field="multiFactorAuthRequired",
            )
        organization.multi_factor_auth_required = required
        organization.save(update_fields=["multi_factor_auth_required"])
        audit_event_record(
            event_type=Event.ORG_TWO_FACTOR_AUTH_REQUIRED if required else Event.ORG_TWO_FACTOR_AUTH_OPTIONAL,
            actor=actor,
            organization=organization,
            target=organization,
            details={"multiFactorAuthRequired": {"from": not required, "to": required}},
        )
    return organization


@transaction.atomic
def organization_delete(*, organization, actor) -> None:
    """Delete an organization that has no projects left (as Atlas refuses while it has any)."""
    organization = lock_organization_for(actor, roles.DELETE_ORGANIZATION, organization)
    if organization.projects.exists():
        raise ServiceError(
            "ORG_NOT_EMPTY",
            f"Organization {organization.name} still has projects; delete them first.",
            projects=list(organization.projects.values_list("name", flat=True)),
        )
    audit_event_record(
        event_type=Event.ORG_DELETED, actor=actor, organization=organization, target=organization
    )
    group_ids = list(organization.teams.values_list("group_id", flat=True))
    # The accounts that act for its API keys and service accounts (any app's) go with it.
    key_user_ids = list(
        organization.memberships.filter(user__is_service_account=True).values_list("user_id", flat=True)
    )
    organization.delete()
    get_user_model().objects.filter(pk__in=key_user_ids, is_service_account=True).delete()
    Group.objects.filter(pk__in=group_ids).delete()


@transaction.atomic
def project_create(*, organization, name, actor, owner=None) -> Project:
    """Create a project (ORG_OWNER or ORG_GROUP_CREATOR); its creator, or ``owner``, becomes GROUP_OWNER."""
    organization = lock_organization(organization)
    if not actor_may(actor, roles.CREATE_PROJECT, organization):
        require(actor, roles.VIEW_ORGANIZATION, organization)  # a stranger learns nothing: 404
        raise ServiceError(
            "NOT_ORG_GROUP_CREATOR",
            f"Creating a project in {organization.name} needs the Organization Owner or Organization Project "
            "Creator role.",
        )
    owner = owner or actor
    if owner is not None and owner.is_service_account:
        # An API key owns nothing itself: as in Atlas, the organization's longest-standing owner does.
        owner = (
            OrganizationMembership.objects.filter(
                organization=organization, roles__name=roles.ORG_OWNER, user__is_service_account=False
            )
            .select_related("user")
            .order_by("created_at", "pk")
            .first()
        )
        owner = owner.user if owner else None
    if owner is None:
        raise ServiceError("VALIDATION_ERROR", "A project needs an owner.", field="owner")
    if not owner.is_active or owner.is_service_account:
        raise ServiceError("USER_INACTIVE", f"{owner.email} cannot own a project.", username=owner.email)
    name = clean_name(name, kind="project")
    if Project.objects.filter(organization=organization, name=name).exists():
        raise ServiceError(
            "GROUP_ALREADY_EXISTS",
            f"A project named {name} already exists in {organization.name}.",
            name=name,
        )
    is_member = OrganizationMembership.objects.filter(organization=organization, user=owner).exists()
    if not is_member and actor is not None and owner.pk != actor.pk:
        # Naming someone else as owner gives them no way into an organization they were not invited to.
        raise ServiceError(
            "USER_NOT_IN_ORG",
            f"The named project owner is not a member of {organization.name}; invite them first.",
            field="owner",
        )
    project = Project.objects.create(organization=organization, name=name)
    if not is_member:
        add_to_organization(organization=organization, user=owner, role_names=[roles.ORG_MEMBER], actor=actor)
    membership = ProjectMembership.objects.create(project=project, user=owner)
    ProjectRole.objects.create(membership=membership, name=roles.GROUP_OWNER)
    # Owners and read-only users of the organization reach the new project too: every user's rows, on this
    # project only (the others are untouched by a new project).
    sync_organization_permissions(organization, team_ids=[], project_ids=[project.pk])
    audit_event_record(event_type=Event.GROUP_CREATED, actor=actor, project=project, target=project)
    audit_event_record(
        event_type=Event.JOINED_GROUP,
        actor=actor,
        project=project,
        target=owner,
        details={"roles": [roles.GROUP_OWNER]},
    )
    return project


@transaction.atomic
def project_rename(*, project, name, actor) -> Project:
    lock_organization(project.organization)
    project = Project.objects.select_related("organization").get(pk=project.pk)  # as stored, not as edited
    require(actor, roles.CHANGE_PROJECT, project)
    name = clean_name(name, kind="project")
    if (
        Project.objects.filter(organization_id=project.organization_id, name=name)
        .exclude(pk=project.pk)
        .exists()
    ):
        raise ServiceError("GROUP_ALREADY_EXISTS", f"A project named {name} already exists.", name=name)
    old = project.name
    project.name = name
    project.save(update_fields=["name"])
    audit_event_record(
        event_type=Event.GROUP_RENAMED,
        actor=actor,
        project=project,
        target=project,
        details={"from": old, "to": name},
    )
    return project


@transaction.atomic
def project_delete(*, project, actor) -> None:
    """Delete a project that has no clusters; its memberships, team assignments and permissions go with it."""
    lock_organization_for(actor, roles.DELETE_PROJECT, project)
    if project.clusters.exists():
        raise ServiceError(
            "GROUP_NOT_EMPTY",
            f"Project {project.name} still has clusters; delete them first.",
            clusters=list(project.clusters.values_list("name", flat=True)),
        )
    audit_event_record(event_type=Event.GROUP_DELETED, actor=actor, project=project, target=project)
    project.delete()
