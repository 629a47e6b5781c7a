"""Teams: create, rename, delete, members, and their assignments to projects with project roles."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles as catalogue
from accounts.audit import audit_event_record, audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    OrganizationMembership,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    team_name_key,
)
from accounts.permissions import require, require_may_grant

from ._rules import (
    Grantee,
    access_changed,
    clean_name,
    grantable_roles,
    invitations_beyond_revoke,
    roles_set,
    roles_set_recorded,
)
from .locks import lock_organization, lock_organization_for

Event = AuditEvent.Type


def _members(team) -> list:
    return [m.user for m in team.memberships.select_related("user")]


def _team_in(scope, team) -> Grantee:
    """The team as holder of roles in ``scope``; its members are who lose the invitations."""
    return Grantee(scope=scope, target=team, inviters=lambda: _members(team), team_ids=[team.pk])


def _user_in(organization, user) -> Grantee:
    return Grantee(scope=organization, target=user, inviters=lambda: [user], user_ids=[user.pk])


def _refuse_taken_name(organization, name, *, exclude=None):
    taken = Team.objects.filter(organization=organization, name_key=team_name_key(name))
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ServiceError(
            "TEAM_NAME_TAKEN", f"A team named {name} already exists in {organization.name}.", name=name
        )


@transaction.atomic
def team_create(*, organization, name, actor, members=()) -> Team:
    """Create a team (ORG_OWNER), optionally with members; at most 250 teams per organization."""
    organization = lock_organization_for(actor, catalogue.MANAGE_TEAMS, organization)
    name = clean_name(name, kind="team")
    if Team.objects.filter(organization=organization).count() >= Team.MAX_PER_ORGANIZATION:
        raise ServiceError(
            "TEAM_LIMIT_REACHED",
            f"{organization.name} already has {Team.MAX_PER_ORGANIZATION} teams, the most an organization may have.",
            limit=Team.MAX_PER_ORGANIZATION,
        )
    _refuse_taken_name(organization, name)
    team = Team(organization=organization, name=name, name_key=team_name_key(name))
    team.group = Group.objects.create(name=f"team:{team.public_id}")
    team.save()
    audit_event_record(event_type=Event.TEAM_CREATED, actor=actor, organization=organization, target=team)
    if members:
        add_to_team(team, list(members), actor)
    return team


@transaction.atomic
def team_rename(*, team, name, actor) -> Team:
    lock_organization(team.organization)
    team = Team.objects.select_related("organization").get(pk=team.pk)  # as stored, not as edited
    require(actor, catalogue.MANAGE_TEAMS, team.organization)
    name = clean_name(name, kind="team")
    _refuse_taken_name(team.organization, name, exclude=team)
    old = team.name
    team.name = name
    team.name_key = team_name_key(name)
    team.save(update_fields=["name", "name_key"])
    audit_event_record(
        event_type=Event.TEAM_NAME_CHANGED,
        actor=actor,
        organization=team.organization,
        target=team,
        details={"from": old, "to": name},
    )
    return team


@transaction.atomic
def team_delete(*, team, actor) -> dict:
    """Delete a team, also one assigned to projects: its members lose exactly the access the team gave (their
    individual assignments stay). Returns what was removed: {"projects": {name: roles}, "members": [...]}."""
    organization = lock_organization_for(actor, catalogue.MANAGE_TEAMS, team.organization)
    assignments = team.project_assignments.select_related("project").prefetch_related("roles")
    removed = {
        "projects": {a.project.name: a.role_names for a in assignments},
        "members": sorted(team.memberships.values_list("user__email", flat=True)),
    }
    audit_event_record(
        event_type=Event.TEAM_DELETED, actor=actor, organization=organization, target=team, details=removed
    )
    members = _members(team)
    group = team.group
    team.delete()
    group.delete()  # takes the group's object permissions and its user links with it
    gone = Grantee(scope=organization, target=team, inviters=lambda: members)
    invitations_beyond_revoke(gone, actor, f"team {team.name} was deleted")
    return removed


def add_to_team(team, users, actor) -> list[TeamMembership]:
    """Add users to a team without checking the actor (the caller did, or an accepted invitation speaks for
    itself). The caller holds the organization lock."""
    organization = team.organization
    users = list({user.pk: user for user in users}.values())
    inactive = sorted(user.email for user in users if not user.is_active)
    if inactive:
        raise ServiceError("USER_INACTIVE", f"Deactivated users cannot join a team: {', '.join(inactive)}.")
    keys = sorted(user.email for user in users if user.is_service_account)
    if keys:
        raise ServiceError(
            "VALIDATION_ERROR", f"API keys cannot join teams: {', '.join(keys)}.", usernames=keys
        )
    accepted = set(
        OrganizationMembership.objects.filter(organization=organization, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    outsiders = sorted(user.email for user in users if user.pk not in accepted)
    if outsiders:
        raise ServiceError(
            "USER_NOT_IN_ORG",
            f"Only users who have accepted their invitation to {organization.name} can join a team: "
            f"{', '.join(outsiders)} {'is' if len(outsiders) == 1 else 'are'} not a member.",
            usernames=outsiders,
        )
    already = set(
        TeamMembership.objects.filter(team=team, user__in=users).values_list("user__email", flat=True)
    )
    if already:
        raise ServiceError(
            "USER_ALREADY_IN_TEAM",
            f"{', '.join(sorted(already))} already in team {team.name}.",
            usernames=sorted(already),
        )
    count = TeamMembership.objects.filter(team=team).count()
    if count + len(users) > Team.MAX_MEMBERS:
        raise ServiceError(
            "TEAM_MEMBER_LIMIT_REACHED",
            f"Team {team.name} has {count} members; adding {len(users)} would pass the limit of "
            f"{Team.MAX_MEMBERS} users per team.",
            limit=Team.MAX_MEMBERS,
        )
    memberships = TeamMembership.objects.bulk_create(TeamMembership(team=team, user=user) for user in users)
    through = get_user_model().groups.through
    through.objects.bulk_create(through(user_id=user.pk, group_id=team.group_id) for user in users)
    audit_events_record_bulk(
        [
            AuditEvent(
                event_type=Event.JOINED_TEAM,
                organization=organization,
                actor=actor,
                actor_email=getattr(actor, "email", "") or "",
                target_type="user",
                target_id=user.public_id,
                target_name=user.email,
                details={"team": team.name, "teamId": team.public_id},
            )
            for user in users
        ]
    )
    return memberships


@transaction.atomic
def team_members_add(*, team, users, actor) -> list[TeamMembership]:
    """Add organization members (accepted ones only) to a team; at most 250 users per team."""
    lock_organization_for(actor, catalogue.MANAGE_TEAMS, team.organization)
    return add_to_team(team, users, actor)


def team_member_add(*, team, user, actor) -> TeamMembership:
    return team_members_add(team=team, users=[user], actor=actor)[0]


@transaction.atomic
def team_member_remove(*, team, user, actor) -> None:
    """Remove a user from a team: they lose the project access the team gave, and keep their own."""
    lock_organization_for(actor, catalogue.MANAGE_TEAMS, team.organization)
    deleted, _ = TeamMembership.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise ServiceError(
            "USER_NOT_IN_TEAM", f"{user.email} is not in team {team.name}.", username=user.email
        )
    get_user_model().groups.through.objects.filter(user=user, group_id=team.group_id).delete()
    audit_event_record(
        event_type=Event.REMOVED_FROM_TEAM,
        actor=actor,
        organization=team.organization,
        target=user,
        details={"team": team.name, "teamId": team.public_id},
    )
    invitations_beyond_revoke(_user_in(team.organization, user), actor, f"{user.email} left team {team.name}")


def _assignment(team, project) -> TeamProjectAssignment:
    try:
        return TeamProjectAssignment.objects.get(team=team, project=project)
    except TeamProjectAssignment.DoesNotExist:
        raise ServiceError(
            "TEAM_NOT_IN_GROUP",
            f"Team {team.name} is not assigned to project {project.name}.",
            team=team.name,
        ) from None


@transaction.atomic
def team_project_assign(*, team, project, roles=(catalogue.GROUP_READ_ONLY,), actor) -> TeamProjectAssignment:
    """Give a team's members these project roles (GROUP_OWNER or GROUP_USER_ADMIN of the project)."""
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    if team.organization_id != project.organization_id:
        raise ServiceError(
            "TEAM_NOT_IN_ORG",
            f"Team {team.name} belongs to another organization than project {project.name}.",
        )
    role_names = grantable_roles(actor=actor, scope=project, roles=roles)
    if TeamProjectAssignment.objects.filter(team=team, project=project).exists():
        raise ServiceError(
            "TEAM_ALREADY_IN_GROUP",
            f"Team {team.name} is already assigned to project {project.name}.",
            team=team.name,
        )
    assignment = TeamProjectAssignment.objects.create(team=team, project=project)
    TeamProjectRole.objects.bulk_create(TeamProjectRole(assignment=assignment, name=n) for n in role_names)
    access_changed(
        _team_in(project, team),
        event_type=Event.TEAM_ADDED_TO_GROUP,
        actor=actor,
        details={"roles": role_names},
    )
    return assignment


@transaction.atomic
def team_project_unassign(*, team, project, actor) -> None:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    assignment = _assignment(team, project)
    old = assignment.role_names
    require_may_grant(actor, old, project)
    assignment.delete()
    assigned = _team_in(project, team)
    access_changed(assigned, event_type=Event.TEAM_REMOVED_FROM_GROUP, actor=actor, details={"roles": old})
    invitations_beyond_revoke(assigned, actor, f"team {team.name} was removed from {project.name}")


@transaction.atomic
def team_project_roles_set(*, team, project, roles, actor) -> TeamProjectAssignment:
    lock_organization_for(actor, catalogue.MANAGE_PROJECT_MEMBERS, project)
    change = roles_set(actor=actor, scope=project, roles=roles, holder=lambda: _assignment(team, project))
    return roles_set_recorded(
        change,
        _team_in(project, team),
        event_type=Event.TEAM_ROLES_MODIFIED,
        actor=actor,
        lost=lambda lost: f"team {team.name} lost {lost}",
    )


@transaction.atomic
def team_projects_assign(*, project, assignments, actor) -> list[TeamProjectAssignment]:
    """Assign several teams to a project (``[(team, role names or None for the default)]``): every one, or none
    when any is refused (Atlas's POST /groups/{groupId}/teams takes a list)."""
    lock_organization(project.organization)
    return [
        team_project_assign(team=team, project=project, actor=actor, **({"roles": names} if names else {}))
        for team, names in assignments
    ]
