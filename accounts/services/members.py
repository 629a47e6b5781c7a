"""Organization and project members: add, remove, change roles. The last owner always stays."""

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError, not_found
from accounts.models import (
    AuditEvent,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    TeamMembership,
)
from accounts.permissions import require, require_may_grant, sync_organization_permissions

from ._rules import clean_organization_roles, clean_project_roles, roles_set
from .locks import lock_organization

Event = AuditEvent.Type


def _check_active(user):
    if not user.is_active:
        raise ServiceError("USER_INACTIVE", f"{user.email} is deactivated.", username=user.email)


def _refuse_api_key_account(user):
    """An API key's service account changes only through the API key services (its roles are the key's)."""
    if user.is_service_account:
        raise ServiceError(
            "VALIDATION_ERROR",
            f"{user.email} is an API key's account; change its access through the organization's API keys.",
            username=user.email,
        )


def _organization_membership(organization, user) -> OrganizationMembership:
    try:
        return OrganizationMembership.objects.get(organization=organization, user=user)
    except OrganizationMembership.DoesNotExist:
        raise ServiceError(
            "USER_NOT_IN_ORG", f"{user.email} is not a member of {organization.name}.", username=user.email
        ) from None


def _project_membership(project, user) -> ProjectMembership:
    try:
        return ProjectMembership.objects.get(project=project, user=user)
    except ProjectMembership.DoesNotExist:
        raise ServiceError(
            "USER_NOT_IN_GROUP",
            f"{user.email} is not a member of project {project.name}.",
            username=user.email,
        ) from None


def _refuse_if_last_organization_owner(organization, user, *, demoting=False):
    owners = OrganizationRole.objects.filter(
        membership__organization=organization,
        name=catalogue.ORG_OWNER,
        membership__user__is_service_account=False,
    )
    if not owners.filter(membership__user=user).exists():
        return
    if not owners.exclude(membership__user=user).filter(membership__user__is_active=True).exists():
        verb = "demoted" if demoting else "removed"
        raise ServiceError(
            "CANNOT_REMOVE_LAST_ORG_OWNER",
            f"{user.email} is the last Organization Owner of {organization.name} and cannot be {verb}; "
            "make someone else Organization Owner first.",
            username=user.email,
        )


def _projects_left_without_owner(user, projects) -> list[str]:
    """Of ``projects`` (a list or a queryset), the names of those where ``user`` is the only active
    individual GROUP_OWNER: two or three queries, whatever the number of projects, no project loaded."""
    owned = ProjectRole.objects.filter(name=catalogue.GROUP_OWNER, membership__user__is_service_account=False)
    mine = set(
        owned.filter(membership__project__in=projects, membership__user=user).values_list(
            "membership__project_id", flat=True
        )
    )
    if not mine:
        return []
    others = set(
        owned.filter(membership__project_id__in=mine, membership__user__is_active=True)
        .exclude(membership__user=user)
        .values_list("membership__project_id", flat=True)
    )
    return sorted(Project.objects.filter(pk__in=mine - others).values_list("name", flat=True))


def _refuse_if_last_project_owner(user, projects, *, demoting=False):
    orphaned = _projects_left_without_owner(user, projects)
    if orphaned:
        verb = "demoted" if demoting else "removed"
        raise ServiceError(
            "CANNOT_REMOVE_LAST_GROUP_OWNER",
            f"{user.email} is the last Project Owner of {', '.join(orphaned)} and cannot be {verb}; make "
            "someone else Project Owner first.",
            username=user.email,
            groups=orphaned,
        )


def _revoke_invitations_beyond(organization, users, actor, reason) -> list[str]:
    from .invitations.revoking import invitations_revoke_beyond_inviter

    return invitations_revoke_beyond_inviter(
        organization=organization, inviters=users, actor=actor, reason=reason
    )


def add_to_organization(*, organization, user, role_names, actor, details=None) -> OrganizationMembership:
    """Make ``user`` a member with these roles, without checking the actor (the caller did, or an accepted
    invitation speaks for itself). The caller holds the organization lock."""
    _check_active(user)
    if OrganizationMembership.objects.filter(organization=organization, user=user).exists():
        raise ServiceError(
            "USER_ALREADY_IN_ORG",
            f"{user.email} is already a member of {organization.name}.",
            username=user.email,
        )
    membership = OrganizationMembership.objects.create(organization=organization, user=user)
    OrganizationRole.objects.bulk_create(OrganizationRole(membership=membership, name=n) for n in role_names)
    sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[])
    audit_event_record(
        event_type=Event.JOINED_ORG,
        actor=actor,
        organization=organization,
        target=user,
        details={"roles": list(role_names), **(details or {})},
    )
    return membership


def add_to_project(*, project, user, role_names, actor, details=None) -> ProjectMembership:
    """Make ``user`` a project member, joining the organization as ORG_MEMBER first if needed. No actor check;
    the caller holds the organization lock."""
    organization = project.organization
    _check_active(user)
    if not OrganizationMembership.objects.filter(organization=organization, user=user).exists():
        add_to_organization(
            organization=organization,
            user=user,
            role_names=[catalogue.ORG_MEMBER],
            actor=actor,
            details=details,
        )
    if ProjectMembership.objects.filter(project=project, user=user).exists():
        raise ServiceError(
            "USER_ALREADY_IN_GROUP",
            f"{user.email} is already a member of project {project.name}.",
            username=user.email,
        )
    membership = ProjectMembership.objects.create(project=project, user=user)
    ProjectRole.objects.bulk_create(ProjectRole(membership=membership, name=n) for n in role_names)
    sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[], project_ids=[project.pk])
    audit_event_record(
        event_type=Event.JOINED_GROUP,
        actor=actor,
        project=project,
        target=user,
        details={"roles": list(role_names), **(details or {})},
    )
    return membership


@transaction.atomic
def organization_member_add(
    *, organization, user, roles=(catalogue.ORG_MEMBER,), actor
) -> OrganizationMembership:
    """Add an existing user straight to the organization (staff, provisioning; people are normally invited)."""
    organization = lock_organization(organization)
    _refuse_api_key_account(user)
    require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, organization)
    role_names = clean_organization_roles(roles)
    require_may_grant(actor, role_names, organization)
    return add_to_organization(organization=organization, user=user, role_names=role_names, actor=actor)


@transaction.atomic
def organization_member_remove(*, organization, user, actor) -> dict:
    """Remove a user from the organization with their teams and project roles there; a user may also leave.
    The pending invitations they sent there are revoked (they could no longer send them). Returns what was
    removed: {"projects": [...], "teams": [...], "roles": [...], "invitations": [invited addresses]}."""
    organization = lock_organization(organization)
    _refuse_api_key_account(user)
    if actor is None or actor.pk != user.pk:
        require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, organization)
    return remove_from_organization(organization=organization, user=user, actor=actor)


def remove_from_organization(*, organization, user, actor) -> dict:
    """``organization_member_remove`` after its lock and permission check, for a service that did both itself
    (offboarding): the rules about whom may be removed still hold here."""
    _refuse_api_key_account(user)
    membership = _organization_membership(organization, user)
    role_names = membership.role_names
    if actor is not None and actor.pk != user.pk:
        require_may_grant(actor, role_names, organization)
    _refuse_if_last_organization_owner(organization, user)
    project_memberships = ProjectMembership.objects.filter(project__organization=organization, user=user)
    _refuse_if_last_project_owner(user, Project.objects.filter(organization=organization))
    team_memberships = TeamMembership.objects.filter(team__organization=organization, user=user)
    removed = {
        "roles": role_names,
        "projects": sorted(project_memberships.values_list("project__name", flat=True)),
        "teams": sorted(team_memberships.values_list("team__name", flat=True)),
    }
    # Set-based deletes that load no rows: role rows have nothing hanging off them (QuerySet.delete() takes
    # Django's fast path, one DELETE); the memberships' only dependents, their roles, are gone by then.
    ProjectRole.objects.filter(membership__in=project_memberships).delete()
    project_memberships._raw_delete(project_memberships.db)
    team_memberships.delete()
    get_user_model().groups.through.objects.filter(user=user, group__team__organization=organization).delete()
    membership.delete()
    sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[])
    removed["invitations"] = _revoke_invitations_beyond(
        organization, [user], actor, f"{user.email} was removed from {organization.name}"
    )
    audit_event_record(
        event_type=Event.REMOVED_FROM_ORG,
        actor=actor,
        organization=organization,
        target=user,
        details=removed,
    )
    return removed


@transaction.atomic
def organization_member_roles_set(*, organization, user, roles, actor) -> OrganizationMembership:
    """Replace a member's organization roles (at least one). The last ORG_OWNER cannot be demoted."""
    organization = lock_organization(organization)
    _refuse_api_key_account(user)
    require(actor, catalogue.MANAGE_ORGANIZATION_MEMBERS, organization)
    change = roles_set(
        actor=actor,
        scope=organization,
        roles=roles,
        holder=lambda: _organization_membership(organization, user),
        owner_demoted=lambda: _refuse_if_last_organization_owner(organization, user, demoting=True),
    )
    if change.changed:
        sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[])
        audit_event_record(
            event_type=Event.USER_ROLES_CHANGED,
            actor=actor,
            organization=organization,
            target=user,
            details=change.details,
        )
    if change.removed:
        _revoke_invitations_beyond(
            organization, [user], actor, f"{user.email} no longer holds {', '.join(change.removed)}"
        )
    return change.holder


@transaction.atomic
def project_member_add(*, project, user, roles=(catalogue.GROUP_READ_ONLY,), actor) -> ProjectMembership:
    """Add a user to a project (GROUP_OWNER or GROUP_USER_ADMIN); one outside the organization joins it as
    ORG_MEMBER."""
    lock_organization(project.organization)
    _refuse_api_key_account(user)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    role_names = clean_project_roles(roles)
    require_may_grant(actor, role_names, project)
    return add_to_project(project=project, user=user, role_names=role_names, actor=actor)


@transaction.atomic
def project_member_remove(*, project, user, actor) -> None:
    """Remove a user's individual assignment to a project (access through teams stays)."""
    lock_organization(project.organization)
    _refuse_api_key_account(user)
    if actor is None or actor.pk != user.pk:
        require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    membership = _project_membership(project, user)
    if actor is not None and actor.pk != user.pk:
        require_may_grant(actor, membership.role_names, project)
    _refuse_if_last_project_owner(user, [project])
    old = membership.role_names
    membership.delete()
    sync_organization_permissions(
        project.organization, user_ids=[user.pk], team_ids=[], project_ids=[project.pk]
    )
    audit_event_record(
        event_type=Event.REMOVED_FROM_GROUP, actor=actor, project=project, target=user, details={"roles": old}
    )
    _revoke_invitations_beyond(
        project.organization, [user], actor, f"{user.email} was removed from project {project.name}"
    )


@transaction.atomic
def project_member_roles_set(*, project, user, roles, actor) -> ProjectMembership:
    lock_organization(project.organization)
    _refuse_api_key_account(user)
    require(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    change = roles_set(
        actor=actor,
        scope=project,
        roles=roles,
        holder=lambda: _project_membership(project, user),
        owner_demoted=lambda: _refuse_if_last_project_owner(user, [project], demoting=True),
    )
    if change.changed:
        sync_organization_permissions(
            project.organization, user_ids=[user.pk], team_ids=[], project_ids=[project.pk]
        )
        audit_event_record(
            event_type=Event.USER_ROLES_CHANGED,
            actor=actor,
            project=project,
            target=user,
            details=change.details,
        )
    if change.removed:
        lost = ", ".join(change.removed)
        _revoke_invitations_beyond(
            project.organization, [user], actor, f"{user.email} no longer holds {lost} in {project.name}"
        )
    return change.holder


@transaction.atomic
def organization_member_role_add(*, organization, user, role, actor) -> OrganizationMembership:
    """One organization role more (Atlas's ``:addRole``), read and written under the organization lock so
    that two at once cannot overwrite each other."""
    organization = lock_organization(organization)
    current = _organization_membership(organization, user).role_names
    return organization_member_roles_set(
        organization=organization, user=user, roles=sorted({*current, role}), actor=actor
    )


@transaction.atomic
def organization_member_role_remove(*, organization, user, role, actor) -> OrganizationMembership:
    """One organization role less (``:removeRole``); a member keeps at least one role, and the last owner."""
    organization = lock_organization(organization)
    current = _organization_membership(organization, user).role_names
    return organization_member_roles_set(
        organization=organization, user=user, roles=[name for name in current if name != role], actor=actor
    )


@transaction.atomic
def project_member_role_add(*, project, user, role, actor) -> ProjectMembership:
    lock_organization(project.organization)
    current = _project_membership(project, user).role_names
    return project_member_roles_set(project=project, user=user, roles=sorted({*current, role}), actor=actor)


@transaction.atomic
def project_member_role_remove(*, project, user, role, actor) -> ProjectMembership:
    lock_organization(project.organization)
    current = _project_membership(project, user).role_names
    return project_member_roles_set(
        project=project, user=user, roles=[name for name in current if name != role], actor=actor
    )


@transaction.atomic
def organization_member_update(
    *, organization, user, actor, roles=None, group_role_assignments=(), teams=None
) -> OrganizationMembership:
    """Atlas's PATCH of an organization user, all or nothing: organization roles; then each named project's
    roles (an empty list removes the user from that project; projects not named are left alone); then the
    user's teams, exactly ``teams`` when given. Each step is the service of its own, with its own checks and
    audit event; a refusal anywhere rolls every step back."""
    from .teams import team_member_add, team_member_remove

    organization = lock_organization(organization)
    if roles is not None:
        organization_member_roles_set(organization=organization, user=user, roles=roles, actor=actor)
    for assignment in group_role_assignments:
        project = Project.objects.filter(organization=organization, public_id=assignment["groupId"]).first()
        if project is None:
            raise not_found("project", assignment["groupId"])
        is_member = ProjectMembership.objects.filter(project=project, user=user).exists()
        if not assignment["roles"]:
            if is_member:
                project_member_remove(project=project, user=user, actor=actor)
        elif is_member:
            project_member_roles_set(project=project, user=user, roles=assignment["roles"], actor=actor)
        else:
            project_member_add(project=project, user=user, roles=assignment["roles"], actor=actor)
    if teams is not None:
        current = {
            tm.team_id: tm.team
            for tm in TeamMembership.objects.filter(
                team__organization=organization, user=user
            ).select_related("team__organization")
        }
        for team in teams:
            if team.pk not in current:
                team_member_add(team=team, user=user, actor=actor)
        for team_pk in current.keys() - {team.pk for team in teams}:
            team_member_remove(team=current[team_pk], user=user, actor=actor)
    return _organization_membership(organization, user)
