"""Teams (accounts/services/teams.py): names, limits, members, project assignments and the access they give."""

import re
import time

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    OrganizationMembership,
    OrganizationRole,
    ProjectGroupObjectPermission,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
)
from accounts.permissions import permissions_on
from accounts.selectors import access_organization
from accounts.services import (
    organization_create,
    project_create,
    project_member_add,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_members_add,
    team_project_assign,
    team_project_roles_set,
    team_project_unassign,
    team_rename,
)
from accounts.services.invitations import invitation_accept, organization_invitations_create
from tests.factories import MemberFactory, UserFactory

Event = AuditEvent.Type
CLUSTER_MANAGER_PERMS = {roles.VIEW_PROJECT, roles.MANAGE_CLUSTERS}


def fresh(user):
    """Django caches permissions on the user object: ask about a freshly loaded one."""
    return User.objects.get(pk=user.pk)


def may_manage_clusters(user, project) -> bool:
    return fresh(user).has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)


@pytest.fixture
def alice(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="alice@example.com")


@pytest.fixture
def bob(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="bob@example.com")


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other-owner@example.com")


@pytest.fixture
def other_organization(other_owner):
    return organization_create(name="Globex", actor=other_owner)


# ---- creating teams: who may, and what is recorded ----------------------------------------------------------


def test_team_create_by_org_owner_records_team_created_and_joined_team_per_member(
    organization, owner, alice, bob
):
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice, bob])

    created = AuditEvent.objects.get(event_type=Event.TEAM_CREATED)
    assert created.actor == owner
    assert created.actor_email == owner.email
    assert created.organization == organization
    assert created.target_name == "Platform"
    assert created.target_id == team.public_id
    joined = AuditEvent.objects.filter(event_type=Event.JOINED_TEAM)
    assert sorted(joined.values_list("target_name", flat=True)) == [alice.email, bob.email]
    for event in joined:
        assert event.actor == owner
        assert event.organization == organization
        assert event.details["teamId"] == team.public_id
    assert set(team.group.user_set.all()) == {alice, bob}


def test_team_create_by_org_member_who_is_not_owner_is_unauthorized(organization, alice):
    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="Platform", actor=fresh(alice))

    assert refused.value.code == "USER_UNAUTHORIZED"
    assert refused.value.status == 403
    assert not Team.objects.exists()


def test_team_create_by_user_of_another_organization_is_not_found_and_learns_nothing(
    organization, other_owner, other_organization
):
    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="Platform", actor=fresh(other_owner))
    missing_id = "0" * 24
    with pytest.raises(ServiceError) as missing:
        access_organization(actor=fresh(other_owner), organization_id=missing_id)

    assert refused.value.code == "RESOURCE_NOT_FOUND"
    assert refused.value.status == 404
    assert organization.name not in refused.value.message
    # Word for word what a missing organization answers.
    assert refused.value.message.replace(organization.public_id, "<id>") == missing.value.message.replace(
        missing_id, "<id>"
    )
    assert not Team.objects.exists()


# ---- names -----------------------------------------------------------------------------------------------------


def test_team_names_are_unique_per_organization_case_insensitively(organization, owner):
    team_create(organization=organization, name="platform", actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="Platform", actor=owner)

    assert refused.value.code == "TEAM_NAME_TAKEN"
    assert list(Team.objects.values_list("name", flat=True)) == ["platform"]


def test_team_names_differing_only_in_the_case_of_non_ascii_letters_are_taken(organization, owner):
    """Case-insensitive means for every letter, not only ASCII: "Équipe" and "équipe" are one name. Fails on
    SQLite (the embedded default), whose LIKE (``name__iexact``) and LOWER() fold ASCII letters only."""
    team_create(organization=organization, name="Équipe", actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="équipe", actor=owner)

    assert refused.value.code == "TEAM_NAME_TAKEN"
    assert list(Team.objects.values_list("name", flat=True)) == ["Équipe"]


def test_renaming_a_team_to_a_name_taken_in_another_case_is_refused(organization, owner):
    team_create(organization=organization, name="platform", actor=owner)
    data = team_create(organization=organization, name="Data", actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_rename(team=data, name="PLATFORM", actor=owner)

    assert refused.value.code == "TEAM_NAME_TAKEN"
    data.refresh_from_db()
    assert data.name == "Data"
    assert not AuditEvent.objects.filter(event_type=Event.TEAM_NAME_CHANGED).exists()


def test_renaming_a_team_to_its_own_name_in_another_case_is_allowed(organization, owner):
    team = team_create(organization=organization, name="platform", actor=owner)

    team_rename(team=team, name="Platform", actor=owner)

    team.refresh_from_db()
    assert team.name == "Platform"


def test_the_same_team_name_is_allowed_in_another_organization(
    organization, owner, other_organization, other_owner
):
    team_create(organization=organization, name="Platform", actor=owner)

    team = team_create(organization=other_organization, name="platform", actor=other_owner)

    assert team.organization == other_organization
    assert Team.objects.filter(name__iexact="platform").count() == 2


# ---- limits ----------------------------------------------------------------------------------------------------


def test_an_organization_has_at_most_250_teams_and_the_251st_creates_nothing(organization, owner):
    started = time.monotonic()
    for number in range(Team.MAX_PER_ORGANIZATION):
        team_create(organization=organization, name=f"team-{number}", actor=owner)
    assert time.monotonic() - started < 30, "creating 250 teams through the service should take seconds"
    groups_before = Group.objects.count()
    events_before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="one-too-many", actor=owner)

    assert Team.MAX_PER_ORGANIZATION == 250
    assert refused.value.code == "TEAM_LIMIT_REACHED"
    assert Team.objects.filter(organization=organization).count() == 250
    assert not Team.objects.filter(name="one-too-many").exists()
    assert Group.objects.count() == groups_before
    assert AuditEvent.objects.count() == events_before


def _bulk_organization_members(organization, count, prefix="member"):
    """``count`` accepted ORG_MEMBERs, inserted in bulk (the limit tests need hundreds)."""
    users = User.objects.bulk_create(User(email=f"{prefix}{n}@example.com") for n in range(count))
    users = list(User.objects.filter(email__startswith=prefix).order_by("email"))
    memberships = OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization=organization, user=user) for user in users
    )
    memberships = OrganizationMembership.objects.filter(organization=organization, user__in=users)
    OrganizationRole.objects.bulk_create(
        OrganizationRole(membership=m, name=roles.ORG_MEMBER) for m in memberships
    )
    return users


def test_a_team_has_at_most_250_users_and_the_251st_is_refused(organization, owner):
    users = _bulk_organization_members(organization, Team.MAX_MEMBERS + 1)
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_members_add(team=team, users=users[:250], actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_member_add(team=team, user=users[250], actor=owner)

    assert Team.MAX_MEMBERS == 250
    assert refused.value.code == "TEAM_MEMBER_LIMIT_REACHED"
    assert team.memberships.count() == 250
    assert not team.group.user_set.filter(pk=users[250].pk).exists()


def test_a_batch_of_members_that_would_pass_the_team_limit_adds_nobody(organization, owner):
    users = _bulk_organization_members(organization, 252)
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_members_add(team=team, users=users[:249], actor=owner)
    events_before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        team_members_add(team=team, users=users[249:], actor=owner)

    assert refused.value.code == "TEAM_MEMBER_LIMIT_REACHED"
    assert team.memberships.count() == 249
    assert team.group.user_set.count() == 249
    assert AuditEvent.objects.count() == events_before


# ---- only accepted organization members join ---------------------------------------------------------------------


def test_a_user_outside_the_organization_cannot_join_a_team_and_is_named(organization, owner):
    team = team_create(organization=organization, name="Platform", actor=owner)
    outsider = UserFactory(email="outsider@example.com")

    with pytest.raises(ServiceError) as refused:
        team_member_add(team=team, user=outsider, actor=owner)

    assert refused.value.code == "USER_NOT_IN_ORG"
    assert "outsider@example.com" in refused.value.message
    assert not team.memberships.exists()
    assert not team.group.user_set.exists()


def test_an_outsider_among_members_in_one_call_adds_nobody(organization, owner, alice, bob):
    team = team_create(organization=organization, name="Platform", actor=owner)
    outsider = UserFactory(email="outsider@example.com")

    with pytest.raises(ServiceError) as refused:
        team_members_add(team=team, users=[alice, outsider, bob], actor=owner)

    assert refused.value.code == "USER_NOT_IN_ORG"
    assert "outsider@example.com" in refused.value.message
    assert alice.email not in refused.value.message
    assert not team.memberships.exists()
    assert not team.group.user_set.exists()
    assert not AuditEvent.objects.filter(event_type=Event.JOINED_TEAM).exists()


def test_an_invited_user_joins_a_team_only_after_accepting_the_invitation(
    organization, owner, django_capture_on_commit_callbacks
):
    team = team_create(organization=organization, name="Platform", actor=owner)
    invitee = UserFactory(email="invitee@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(organization=organization, emails=[invitee.email], actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_member_add(team=team, user=invitee, actor=owner)
    assert refused.value.code == "USER_NOT_IN_ORG"
    assert invitee.email in refused.value.message
    assert not team.memberships.exists()

    message = [m for m in mail.outbox if invitee.email in m.to][-1]
    token = re.search(r"/invitations/([^/\s]+)/", message.body).group(1)
    invitation_accept(token=token, user=invitee)
    team_member_add(team=team, user=invitee, actor=owner)

    assert list(team.group.user_set.all()) == [invitee]


def test_a_member_of_another_organization_cannot_join_a_team(
    organization, owner, other_owner, other_organization
):
    team = team_create(organization=organization, name="Platform", actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_member_add(team=team, user=other_owner, actor=owner)

    assert refused.value.code == "USER_NOT_IN_ORG"
    assert other_owner.email in refused.value.message
    assert not team.memberships.exists()


# ---- the access a team gives --------------------------------------------------------------------------------------


def test_a_team_assigned_to_a_project_gives_its_members_exactly_those_project_permissions(
    organization, owner, project, alice, bob
):
    other_project = project_create(organization=organization, name="Staging", actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    assert not may_manage_clusters(alice, project)

    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    assert may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == CLUSTER_MANAGER_PERMS
    assert permissions_on(fresh(alice), other_project) == set()
    assert not may_manage_clusters(bob, project)  # not in the team


def test_removing_a_team_member_removes_the_project_access_the_team_gave(organization, owner, project, alice):
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    assert may_manage_clusters(alice, project)

    team_member_remove(team=team, user=alice, actor=owner)

    assert not may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == set()
    assert AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_TEAM, target_name=alice.email).exists()


def test_removing_team_member_keeps_individual_project_access(organization, owner, project, alice):
    """Cloud Manager: removing a user from a team removes the team's access; an individual assignment to the
    same project stays."""
    project_member_add(project=project, user=alice, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    team_project_assign(
        team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER, roles.GROUP_BACKUP_ADMIN], actor=owner
    )
    assert roles.MANAGE_BACKUPS in permissions_on(fresh(alice), project)

    team_member_remove(team=team, user=alice, actor=owner)

    assert may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == CLUSTER_MANAGER_PERMS


# ---- deleting a team --------------------------------------------------------------------------------------------


def test_deleting_a_team_assigned_to_projects_reports_the_access_it_removed_and_records_team_deleted(
    organization, owner, project, alice, bob
):
    staging = project_create(organization=organization, name="Staging", actor=owner)
    project_member_add(project=project, user=bob, roles=[roles.GROUP_READ_ONLY], actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice, bob])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team_project_assign(
        team=team, project=staging, roles=[roles.GROUP_READ_ONLY, roles.GROUP_BACKUP_ADMIN], actor=owner
    )
    group_id, team_id = team.group_id, team.public_id

    removed = team_delete(team=team, actor=owner)

    assert removed == {
        "projects": {
            "Production": [roles.GROUP_CLUSTER_MANAGER],
            "Staging": sorted([roles.GROUP_BACKUP_ADMIN, roles.GROUP_READ_ONLY]),
        },
        "members": [alice.email, bob.email],
    }
    event = AuditEvent.objects.get(event_type=Event.TEAM_DELETED)
    assert (event.actor, event.organization, event.target_name, event.target_id) == (
        owner,
        organization,
        "Platform",
        team_id,
    )
    assert event.details == removed
    assert not Team.objects.filter(public_id=team_id).exists()
    assert not TeamProjectAssignment.objects.exists()
    assert not Group.objects.filter(pk=group_id).exists()
    assert not ProjectGroupObjectPermission.objects.filter(group_id=group_id).exists()
    # Exactly the team-given access is gone; bob's individual assignment stays.
    assert permissions_on(fresh(alice), project) == set()
    assert permissions_on(fresh(alice), staging) == set()
    assert permissions_on(fresh(bob), project) == {roles.VIEW_PROJECT}
    assert permissions_on(fresh(bob), staging) == set()


# ---- assigning teams to projects ----------------------------------------------------------------------------------


def test_a_team_cannot_be_assigned_to_a_project_of_another_organization(
    organization, owner, other_organization, other_owner
):
    other_project = project_create(organization=other_organization, name="Theirs", actor=other_owner)
    team = team_create(organization=organization, name="Platform", actor=owner)
    # The owner may manage the other project too, so that only the organization rule refuses.
    project_member_add(project=other_project, user=owner, roles=[roles.GROUP_OWNER], actor=other_owner)

    with pytest.raises(ServiceError) as refused:
        team_project_assign(
            team=team, project=other_project, roles=[roles.GROUP_READ_ONLY], actor=fresh(owner)
        )

    assert refused.value.code == "TEAM_NOT_IN_ORG"
    assert not TeamProjectAssignment.objects.exists()
    assert not ProjectGroupObjectPermission.objects.filter(group=team.group).exists()


def test_assigning_a_team_to_the_same_project_twice_is_refused(organization, owner, project):
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    with pytest.raises(ServiceError) as refused:
        team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    assert refused.value.code == "TEAM_ALREADY_IN_GROUP"
    assignment = TeamProjectAssignment.objects.get()
    assert assignment.role_names == [roles.GROUP_READ_ONLY]


def test_changing_a_teams_project_roles_changes_its_members_permissions_and_is_recorded(
    organization, owner, project, alice
):
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    assert not may_manage_clusters(alice, project)

    team_project_roles_set(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    assert may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == CLUSTER_MANAGER_PERMS
    event = AuditEvent.objects.get(event_type=Event.TEAM_ROLES_MODIFIED)
    assert (event.actor, event.project, event.target_name) == (owner, project, "Platform")
    assert event.details == {"from": [roles.GROUP_READ_ONLY], "to": [roles.GROUP_CLUSTER_MANAGER]}

    team_project_roles_set(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    assert not may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == {roles.VIEW_PROJECT}


def test_unassigning_a_team_from_a_project_drops_its_members_access_and_is_recorded(
    organization, owner, project, alice
):
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    team_project_unassign(team=team, project=project, actor=owner)

    assert not may_manage_clusters(alice, project)
    assert permissions_on(fresh(alice), project) == set()
    assert not ProjectGroupObjectPermission.objects.filter(group=team.group).exists()
    event = AuditEvent.objects.get(event_type=Event.TEAM_REMOVED_FROM_GROUP)
    assert (event.actor, event.project, event.target_name) == (owner, project, "Platform")
    assert event.details == {"roles": [roles.GROUP_CLUSTER_MANAGER]}
    assert team.memberships.filter(user=alice).exists()  # still in the team, just not in the project


# ---- no privilege escalation ------------------------------------------------------------------------------------


def test_group_user_admin_may_assign_a_team_read_only_but_not_as_group_owner(organization, owner, project):
    admin = UserFactory(email="admin@example.com")
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    readers = team_create(organization=organization, name="Readers", actor=owner)
    owners = team_create(organization=organization, name="Owners", actor=owner)

    team_project_assign(team=readers, project=project, roles=[roles.GROUP_READ_ONLY], actor=fresh(admin))
    with pytest.raises(ServiceError) as refused:
        team_project_assign(team=owners, project=project, roles=[roles.GROUP_OWNER], actor=fresh(admin))

    assert refused.value.code == "ROLE_ESCALATION"
    assert refused.value.status == 403
    assert TeamProjectAssignment.objects.get(project=project).team == readers
    assert not TeamProjectRole.objects.filter(name=roles.GROUP_OWNER).exists()
    assert not ProjectGroupObjectPermission.objects.filter(group=owners.group).exists()
    assert list(
        AuditEvent.objects.filter(event_type=Event.TEAM_ADDED_TO_GROUP).values_list("target_name", flat=True)
    ) == ["Readers"]


def test_group_user_admin_cannot_raise_a_teams_roles_to_group_owner(organization, owner, project, alice):
    admin = UserFactory(email="admin@example.com")
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner, members=[alice])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=fresh(admin))

    with pytest.raises(ServiceError) as refused:
        team_project_roles_set(team=team, project=project, roles=[roles.GROUP_OWNER], actor=fresh(admin))

    assert refused.value.code == "ROLE_ESCALATION"
    assert TeamProjectAssignment.objects.get().role_names == [roles.GROUP_READ_ONLY]
    assert permissions_on(fresh(alice), project) == {roles.VIEW_PROJECT}


# ---- refusals leave nothing half-applied --------------------------------------------------------------------------


def test_team_create_with_an_outsider_among_members_creates_no_team_and_no_audit_event(
    organization, owner, alice
):
    outsider = UserFactory(email="outsider@example.com")
    groups_before = Group.objects.count()
    events_before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        team_create(organization=organization, name="Platform", actor=owner, members=[alice, outsider])

    assert refused.value.code == "USER_NOT_IN_ORG"
    assert not Team.objects.exists()
    assert not TeamMembership.objects.exists()
    assert Group.objects.count() == groups_before
    assert AuditEvent.objects.count() == events_before
    assert not alice.groups.exists()
