"""Organization and project members: add, remove, change roles. The last owner always stays."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from accounts import roles as catalogue
from accounts.audit import audit_event_record
from accounts.errors import ServiceError, not_found
from accounts.models import (
    AuditEvent,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    TeamMembership,
)
from accounts.permissions import (
    permissions_of_departed_revoke,
    require,
    require_may_grant,
)

from ._rules import (
    Grantee,
    access_changed,
    grantable_roles,
    invitations_beyond_revoke,
    roles_set,
    roles_set_recorded,
)
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


@dataclass(frozen=True)
class _Kind:
    """What differs between the members of an organization and those of a project: the permission that manages
    them, the error codes, the event of joining, how messages name the scope, and its last-owner rule
    (``refuse_last_owner(scope, user, demoting)``)."""

    manage: str
    not_member: str
    already_member: str
    joined: str
    refuse_last_owner: Callable
    in_scope: Callable[[object], str]
    lost_in: Callable[[object], str]


def _kind(scope) -> _Kind:
    return _ORGANIZATION if isinstance(scope, Organization) else _PROJECT


def _membership(scope, user):
    """``user``'s membership of ``scope``, or USER_NOT_IN_ORG / USER_NOT_IN_GROUP."""
    model = scope.memberships.model
    try:
        return model.objects.get(**{model.SCOPE: scope}, user=user)
    except model.DoesNotExist:
        raise ServiceError(
            _kind(scope).not_member,
            f"{user.email} is not a member of {_kind(scope).in_scope(scope)}.",
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


_ORGANIZATION = _Kind(
    manage=catalogue.MANAGE_ORGANIZATION_MEMBERS,
    not_member="USER_NOT_IN_ORG",
    already_member="USER_ALREADY_IN_ORG",
    joined=Event.JOINED_ORG,
    refuse_last_owner=_refuse_if_last_organization_owner,
    in_scope=lambda organization: organization.name,
    lost_in=lambda organization: "",
)
_PROJECT = _Kind(
    manage=catalogue.MANAGE_PROJECT_MEMBERS,
    not_member="USER_NOT_IN_GROUP",
    already_member="USER_ALREADY_IN_GROUP",
    joined=Event.JOINED_GROUP,
    refuse_last_owner=lambda project, user, demoting: _refuse_if_last_project_owner(
        user, [project], demoting=demoting
    ),
    in_scope=lambda project: f"project {project.name}",
    lost_in=lambda project: f" in {project.name}",
)


def _member(scope, user) -> Grantee:
    return Grantee(scope=scope, target=user, inviters=lambda: [user], user_ids=[user.pk])


def _members_locked(scope, user, actor, *, may_leave=False):
    """What every service of a member starts with: the organization locked (returned as locked, or ``scope``
    when it is a project), ``user`` no API key's account, and ``actor`` allowed to manage the members of
    ``scope`` (``may_leave``: or the user themselves)."""
    if isinstance(scope, Organization):
        scope = lock_organization(scope)
    else:
        lock_organization(scope.organization)
    _refuse_api_key_account(user)
    if not (may_leave and actor is not None and actor.pk == user.pk):
        require(actor, _kind(scope).manage, scope)
    return scope


def _add_member(scope, user, role_names, actor, details):
    """The membership of ``user`` in ``scope`` (an organization or a project) with these roles, its
    permissions synced and the joining audited; USER_ALREADY_IN_ORG / _GROUP when they are a member."""
    model, kind = scope.memberships.model, _kind(scope)
    if model.objects.filter(**{model.SCOPE: scope}, user=user).exists():
        raise ServiceError(
            kind.already_member,
            f"{user.email} is already a member of {kind.in_scope(scope)}.",
            username=user.email,
        )
    membership = model.objects.create(**{model.SCOPE: scope}, user=user)
    role_model = model.roles.rel.related_model
    role_model.objects.bulk_create(role_model(membership=membership, name=n) for n in role_names)
    details = {"roles": list(role_names), **(details or {})}
    access_changed(_member(scope, user), event_type=kind.joined, actor=actor, details=details)
    return membership


def _member_roles_set(scope, user, roles, actor):
    """Both "set a member's roles" services: the last owner of ``scope`` cannot be demoted."""
    scope = _members_locked(scope, user, actor)
    kind = _kind(scope)
    change = roles_set(
        actor=actor,
        scope=scope,
        roles=roles,
        holder=lambda: _membership(scope, user),
        owner_demoted=lambda: kind.refuse_last_owner(scope, user, demoting=True),
    )
    return roles_set_recorded(
        change,
        _member(scope, user),
        event_type=Event.USER_ROLES_CHANGED,
        actor=actor,
        lost=lambda lost: f"{user.email} no longer holds {lost}{kind.lost_in(scope)}",
    )


def add_to_organization(*, organization, user, role_names, actor, details=None) -> OrganizationMembership:
    """Make ``user`` a member with these roles, without checking the actor (the caller did, or an accepted
    invitation speaks for itself). The caller holds the organization lock."""
    _check_active(user)
    return _add_member(organization, user, role_names, actor, details)


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
    return _add_member(project, user, role_names, actor, details)


@transaction.atomic
def organization_member_add(
    *, organization, user, roles=(catalogue.ORG_MEMBER,), actor
) -> OrganizationMembership:
    """Add an existing user straight to the organization (staff, provisioning; people are normally invited)."""
    organization = _members_locked(organization, user, actor)
    role_names = grantable_roles(actor=actor, scope=organization, roles=roles)
    return add_to_organization(organization=organization, user=user, role_names=role_names, actor=actor)


@transaction.atomic
def organization_member_remove(*, organization, user, actor) -> dict:
    """Remove a user from the organization with their teams and project roles there; a user may also leave.
    The pending invitations they sent there are revoked (they could no longer send them). Returns what was
    removed: {"projects": [...], "teams": [...], "roles": [...], "invitations": [invited addresses]}."""
    organization = _members_locked(organization, user, actor, may_leave=True)
    return remove_from_organization(organization=organization, user=user, actor=actor)


def remove_from_organization(*, organization, user, actor, membership=None) -> dict:
    """``organization_member_remove`` after its lock and permission check, for a service that did both itself
    (offboarding, which passes the ``membership`` it read under the lock): the rules about whom may be removed
    still hold here."""
    _refuse_api_key_account(user)
    membership = membership or _membership(organization, user)
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
    membership.delete()
    permissions_of_departed_revoke(organization, user)
    removed["invitations"] = invitations_beyond_revoke(
        _member(organization, user), actor, f"{user.email} was removed from {organization.name}"
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
    return _member_roles_set(organization, user, roles, actor)


@transaction.atomic
def project_member_add(*, project, user, roles=(catalogue.GROUP_READ_ONLY,), actor) -> ProjectMembership:
    """Add a user to a project (GROUP_OWNER or GROUP_USER_ADMIN); one outside the organization joins it as
    ORG_MEMBER."""
    _members_locked(project, user, actor)
    role_names = grantable_roles(actor=actor, scope=project, roles=roles)
    return add_to_project(project=project, user=user, role_names=role_names, actor=actor)


@transaction.atomic
def project_member_remove(*, project, user, actor) -> None:
    """Remove a user's individual assignment to a project (access through teams stays)."""
    _members_locked(project, user, actor, may_leave=True)
    membership = _membership(project, user)
    if actor is not None and actor.pk != user.pk:
        require_may_grant(actor, membership.role_names, project)
    _refuse_if_last_project_owner(user, [project])
    old = membership.role_names
    membership.delete()
    member = _member(project, user)
    access_changed(member, event_type=Event.REMOVED_FROM_GROUP, actor=actor, details={"roles": old})
    invitations_beyond_revoke(member, actor, f"{user.email} was removed from project {project.name}")


@transaction.atomic
def project_member_roles_set(*, project, user, roles, actor) -> ProjectMembership:
    """Replace a member's project roles (at least one). The last GROUP_OWNER cannot be demoted."""
    return _member_roles_set(project, user, roles, actor)


@transaction.atomic
def organization_member_role_add(*, organization, user, role, actor) -> OrganizationMembership:
    """One organization role more (Atlas's ``:addRole``), read and written under the organization lock so
    that two at once cannot overwrite each other."""
    organization = lock_organization(organization)
    current = _membership(organization, user).role_names
    return organization_member_roles_set(
        organization=organization, user=user, roles=sorted({*current, role}), actor=actor
    )


@transaction.atomic
def organization_member_role_remove(*, organization, user, role, actor) -> OrganizationMembership:
    """One organization role less (``:removeRole``); a member keeps at least one role, and the last owner."""
    organization = lock_organization(organization)
    current = _membership(organization, user).role_names
    return organization_member_roles_set(
        organization=organization, user=user, roles=[name for name in current if name != role], actor=actor
    )


@transaction.atomic
def project_member_role_add(*, project, user, role, actor) -> ProjectMembership:
    lock_organization(project.organization)
    current = _membership(project, user).role_names
    return project_member_roles_set(project=project, user=user, roles=sorted({*current, role}), actor=actor)


@transaction.atomic
def project_member_role_remove(*, project, user, role, actor) -> ProjectMembership:
    lock_organization(project.organization)
    current = _membership(project, user).role_names
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
    return _membership(organization, user)
