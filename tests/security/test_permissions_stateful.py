"""A Hypothesis state machine over memberships, role changes, teams, invitations and API keys (issue 11): any
sequence of those writes, by owners and by anyone else, leaves every organization with an owner, and the derived
django-guardian permissions exactly what the roles give, as a rebuild from roles computes them and as the
catalogue (accounts/roles.py) says, computed here on its own.

Its size comes from the Hypothesis profile: ``ci`` (the default, see tests/conftest.py) runs a fixed,
derandomized set of examples; ``pytest tests/security/test_permissions_stateful.py --hypothesis-profile=thorough``
explores many more, at random."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import TestCase
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    Invitation,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationMembership,
    OrganizationRoleGroup,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectMembership,
    ProjectUserObjectPermission,
    Team,
    TeamMembership,
    TeamProjectAssignment,
)
from accounts.permissions import sync_all_permissions
from accounts.services import (
    organization_create,
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_create,
    project_member_add,
    project_member_remove,
    project_member_roles_set,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_project_assign,
    team_project_roles_set,
    team_project_unassign,
)
from accounts.services.api_keys import api_key_create, api_key_delete, api_key_project_assign, api_key_update
from accounts.services.invitations import (
    invitation_accept,
    invitation_revoke,
    organization_invitations_create,
    project_invitations_create,
)

from .world import person

pytestmark = pytest.mark.django_db

PEOPLE = 5
ORG_ROLES = sorted(roles.ORGANIZATION_ROLES)
PROJECT_ROLES = sorted(roles.PROJECT_ROLES)
User = get_user_model()
UserGroup = User.groups.through

people = st.integers(min_value=0, max_value=PEOPLE - 1)
organizations = st.integers(min_value=0, max_value=1)
projects = st.integers(min_value=0, max_value=2)
org_role_sets = st.sets(st.sampled_from(ORG_ROLES), min_size=1, max_size=2).map(sorted)
project_role_sets = st.sets(st.sampled_from(PROJECT_ROLES), min_size=1, max_size=2).map(sorted)
# Who acts: an owner of the organization concerned (most changes succeed) or anyone of the pool (most are refused).
actors = st.one_of(st.just("owner"), st.just("owner"), people)


def refused_or_done(call):
    """Run a write; a refusal (ServiceError) is an answer like any other. Anything else is a bug."""
    try:
        return call()
    except ServiceError:
        return None


class AccessMachine(RuleBasedStateMachine):
    teams = Bundle("teams")
    invitations = Bundle("invitations")
    keys = Bundle("keys")

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()  # each example starts from the same world and leaves nothing
        self._atomic.__enter__()
        self.people = [person(f"p{i}@stateful.example", f"P{i}") for i in range(PEOPLE)]
        p = self.people
        one = organization_create(name="Stateful One", actor=p[0])
        two = organization_create(name="Stateful Two", actor=p[1])
        self.organization_ids = [one.pk, two.pk]
        projects = [
            project_create(organization=one, name="One A", actor=p[0]),
            project_create(organization=one, name="One B", actor=p[0]),
            project_create(organization=two, name="Two A", actor=p[1]),
        ]
        self.project_ids = [project.pk for project in projects]
        # Something to change from the first step on: members, project roles, a team with a project, a key.
        organization_member_add(organization=one, user=p[2], actor=p[0])
        organization_member_add(organization=one, user=p[3], roles=[roles.ORG_READ_ONLY], actor=p[0])
        organization_member_add(organization=two, user=p[4], actor=p[1])
        project_member_add(project=projects[0], user=p[2], roles=[roles.GROUP_OWNER], actor=p[0])
        self.initial_teams = [
            team_create(organization=one, name="Initial One", members=[p[2], p[3]], actor=p[0]),
            team_create(organization=two, name="Initial Two", members=[p[4]], actor=p[1]),
        ]
        team_project_assign(team=self.initial_teams[0], project=projects[1], actor=p[0])
        team_project_assign(
            team=self.initial_teams[1], project=projects[2], roles=[roles.GROUP_CLUSTER_MANAGER], actor=p[1]
        )
        key, _ = api_key_create(organization=one, description="initial", roles=[roles.ORG_MEMBER], actor=p[0])
        api_key_project_assign(api_key=key, project=projects[0], roles=[roles.GROUP_READ_ONLY], actor=p[0])
        self.initial_keys = [key]
        self.team_count = 0

    @initialize(target=teams)
    def initial_teams_bundle(self):
        return multiple(*(team.pk for team in self.initial_teams))

    @initialize(target=keys)
    def initial_keys_bundle(self):
        return multiple(*(key.pk for key in self.initial_keys))

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ---- reading the state ---------------------------------------------------------------------------------

    def organization(self, index):
        return Organization.objects.get(pk=self.organization_ids[index])

    def project(self, index):
        return Project.objects.select_related("organization").get(pk=self.project_ids[index])

    def user(self, index):
        return User.objects.get(pk=self.people[index].pk)

    def actor(self, who, organization):
        """A fresh row of the actor: an owner of ``organization`` (its longest-standing), or a pool member."""
        if who == "owner":
            membership = (
                OrganizationMembership.objects.filter(
                    organization=organization, roles__name=roles.ORG_OWNER, user__is_service_account=False
                )
                .order_by("created_at", "pk")
                .first()
            )
            return User.objects.get(pk=membership.user_id)
        return self.user(who)

    # ---- memberships and roles -------------------------------------------------------------------------------

    @rule(org=organizations, who=people, role_set=org_role_sets, by=actors)
    def add_member(self, org, who, role_set, by):
        organization = self.organization(org)
        refused_or_done(
            lambda: organization_member_add(
                organization=organization,
                user=self.user(who),
                roles=role_set,
                actor=self.actor(by, organization),
            )
        )

    @rule(org=organizations, who=people, by=actors)
    def remove_member(self, org, who, by):
        organization = self.organization(org)
        refused_or_done(
            lambda: organization_member_remove(
                organization=organization, user=self.user(who), actor=self.actor(by, organization)
            )
        )

    @rule(org=organizations, who=people, role_set=org_role_sets, by=actors)
    def set_organization_roles(self, org, who, role_set, by):
        organization = self.organization(org)
        refused_or_done(
            lambda: organization_member_roles_set(
                organization=organization,
                user=self.user(who),
                roles=role_set,
                actor=self.actor(by, organization),
            )
        )

    @rule(proj=projects, who=people, role_set=project_role_sets, by=actors)
    def add_project_member(self, proj, who, role_set, by):
        project = self.project(proj)
        refused_or_done(
            lambda: project_member_add(
                project=project,
                user=self.user(who),
                roles=role_set,
                actor=self.actor(by, project.organization),
            )
        )

    @rule(proj=projects, who=people, by=actors)
    def remove_project_member(self, proj, who, by):
        project = self.project(proj)
        refused_or_done(
            lambda: project_member_remove(
                project=project, user=self.user(who), actor=self.actor(by, project.organization)
            )
        )

    @rule(proj=projects, who=people, role_set=project_role_sets, by=actors)
    def set_project_roles(self, proj, who, role_set, by):
        project = self.project(proj)
        refused_or_done(
            lambda: project_member_roles_set(
                project=project,
                user=self.user(who),
                roles=role_set,
                actor=self.actor(by, project.organization),
            )
        )

    # ---- teams -------------------------------------------------------------------------------------------------

    @rule(target=teams, org=organizations, by=actors)
    def create_team(self, org, by):
        organization = self.organization(org)
        self.team_count += 1
        team = refused_or_done(
            lambda: team_create(
                organization=organization, name=f"Team {self.team_count}", actor=self.actor(by, organization)
            )
        )
        return team.pk if team is not None else multiple()

    def team(self, pk):
        return Team.objects.select_related("organization").filter(pk=pk).first()

    @rule(team=teams, who=people, by=actors)
    def add_team_member(self, team, who, by):
        found = self.team(team)
        if found is not None:
            refused_or_done(
                lambda: team_member_add(
                    team=found, user=self.user(who), actor=self.actor(by, found.organization)
                )
            )

    @rule(team=teams, who=people, by=actors)
    def remove_team_member(self, team, who, by):
        found = self.team(team)
        if found is not None:
            refused_or_done(
                lambda: team_member_remove(
                    team=found, user=self.user(who), actor=self.actor(by, found.organization)
                )
            )

    @rule(team=teams, proj=projects, role_set=project_role_sets, by=actors)
    def assign_team(self, team, proj, role_set, by):
        found, project = self.team(team), self.project(proj)
        if found is not None:
            refused_or_done(
                lambda: team_project_assign(
                    team=found, project=project, roles=role_set, actor=self.actor(by, project.organization)
                )
            )

    @rule(team=teams, proj=projects, role_set=project_role_sets, by=actors)
    def set_team_roles(self, team, proj, role_set, by):
        found, project = self.team(team), self.project(proj)
        if found is not None:
            refused_or_done(
                lambda: team_project_roles_set(
                    team=found, project=project, roles=role_set, actor=self.actor(by, project.organization)
                )
            )

    @rule(team=teams, proj=projects, by=actors)
    def unassign_team(self, team, proj, by):
        found, project = self.team(team), self.project(proj)
        if found is not None:
            refused_or_done(
                lambda: team_project_unassign(
                    team=found, project=project, actor=self.actor(by, project.organization)
                )
            )

    @rule(team=consumes(teams), by=actors)
    def delete_team(self, team, by):
        found = self.team(team)
        if found is not None:
            refused_or_done(lambda: team_delete(team=found, actor=self.actor(by, found.organization)))

    # ---- invitations -------------------------------------------------------------------------------------------

    def _invite(self, service, who, **kwargs):
        mail.outbox = []
        with TestCase.captureOnCommitCallbacks(execute=True):  # the invitation email, with its link
            invitations = refused_or_done(lambda: service(emails=[self.people[who].email], **kwargs))
        if not invitations:
            return multiple()
        link = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body)
        return (invitations[0].pk, link.group(1), who)

    @rule(target=invitations, org=organizations, who=people, role_set=org_role_sets, by=actors)
    def invite_to_organization(self, org, who, role_set, by):
        organization = self.organization(org)
        teams = list(organization.teams.order_by("pk")[:1])
        return self._invite(
            organization_invitations_create,
            who,
            organization=organization,
            roles=role_set,
            teams=teams,
            actor=self.actor(by, organization),
        )

    @rule(target=invitations, proj=projects, who=people, role_set=project_role_sets, by=actors)
    def invite_to_project(self, proj, who, role_set, by):
        project = self.project(proj)
        return self._invite(
            project_invitations_create,
            who,
            project=project,
            roles=role_set,
            actor=self.actor(by, project.organization),
        )

    @rule(invitation=invitations, someone_else=st.booleans(), other=people)
    def accept(self, invitation, someone_else, other):
        _, token, invitee = invitation
        refused_or_done(
            lambda: invitation_accept(token=token, user=self.user(other if someone_else else invitee))
        )

    @rule(invitation=invitations, by=actors)
    def revoke(self, invitation, by):
        found = Invitation.objects.select_related("organization", "project").get(pk=invitation[0])
        refused_or_done(lambda: invitation_revoke(invitation=found, actor=self.actor(by, found.organization)))

    # ---- API keys ----------------------------------------------------------------------------------------------

    @rule(target=keys, org=organizations, role_set=org_role_sets, by=actors)
    def create_key(self, org, role_set, by):
        organization = self.organization(org)
        created = refused_or_done(
            lambda: api_key_create(
                organization=organization,
                description="stateful",
                roles=role_set,
                actor=self.actor(by, organization),
            )
        )
        return created[0].pk if created else multiple()

    def key(self, pk):
        return ApiKey.objects.select_related("organization", "user").filter(pk=pk).first()

    @rule(key=keys, role_set=org_role_sets, by=actors)
    def set_key_roles(self, key, role_set, by):
        found = self.key(key)
        if found is not None:
            refused_or_done(
                lambda: api_key_update(
                    api_key=found, roles=role_set, actor=self.actor(by, found.organization)
                )
            )

    @rule(key=keys, proj=projects, role_set=project_role_sets, by=actors)
    def assign_key(self, key, proj, role_set, by):
        found, project = self.key(key), self.project(proj)
        if found is not None:
            refused_or_done(
                lambda: api_key_project_assign(
                    api_key=found, project=project, roles=role_set, actor=self.actor(by, project.organization)
                )
            )

    @rule(key=consumes(keys), by=actors)
    def delete_key(self, key, by):
        found = self.key(key)
        if found is not None:
            refused_or_done(lambda: api_key_delete(api_key=found, actor=self.actor(by, found.organization)))

    # ---- what must hold after every step -------------------------------------------------------------------

    @invariant()
    def every_organization_has_an_owner(self):
        for pk in self.organization_ids:
            assert OrganizationMembership.objects.filter(
                organization_id=pk,
                roles__name=roles.ORG_OWNER,
                user__is_service_account=False,
                user__is_active=True,
            ).exists(), f"organization {pk} has no owner"

    @invariant()
    def derived_permissions_equal_a_rebuild_from_roles(self):
        before = derived_rows()
        with transaction.atomic():
            sync_all_permissions()
            rebuilt = derived_rows()
            transaction.set_rollback(True)
        assert before == rebuilt

    @invariant()
    def derived_permissions_are_what_the_catalogue_gives(self):
        assert derived_rows() == catalogue_rows()


def derived_rows() -> dict:
    """Every derived permission and team-group membership, as sets of plain tuples."""

    def rows(model, owner):
        return set(model.objects.values_list(f"{owner}_id", "permission__codename", "content_object_id"))

    return {
        "organization/user": rows(OrganizationUserObjectPermission, "user"),
        "organization/group": rows(OrganizationGroupObjectPermission, "group"),
        "project/user": rows(ProjectUserObjectPermission, "user"),
        "project/group": rows(ProjectGroupObjectPermission, "group"),
        "team groups": set(
            UserGroup.objects.filter(group__team__isnull=False).values_list("user_id", "group_id")
        ),
        "role groups": set(
            UserGroup.objects.filter(group__organization_role__isnull=False).values_list("user_id", "group_id")
        ),
    }


def catalogue_rows() -> dict:
    """The same, computed from the memberships with accounts/roles.py alone (not accounts/permissions.py): a
    member's organization roles give permissions on the organization, and what each organization role carries
    to every project of it is its role group's, whose members are the role's holders; project roles count while
    the member is in the organization; a team's project roles are its group's; a team's members are its group's
    members. Every organization has a group for each role that carries project permissions."""
    org_roles, project_roles = {}, {}
    for membership in OrganizationMembership.objects.prefetch_related("roles"):
        org_roles[(membership.user_id, membership.organization_id)] = [r.name for r in membership.roles.all()]
    for membership in ProjectMembership.objects.select_related("project").prefetch_related("roles"):
        project_roles[(membership.user_id, membership.project_id)] = [r.name for r in membership.roles.all()]
    expected = {
        name: set() for name in ("organization/user", "organization/group", "project/user", "project/group")
    }
    projects_of = {}
    for project_id, organization_id in Project.objects.values_list("pk", "organization_id"):
        projects_of.setdefault(organization_id, []).append(project_id)
    role_groups = {
        (group.organization_id, group.role): group.group_id for group in OrganizationRoleGroup.objects.all()
    }
    reaching = {name for name in roles.ORGANIZATION_ROLES if roles.project_permissions((), [name])}
    organizations = Organization.objects.values_list("pk", flat=True)
    assert set(role_groups) == {(pk, name) for pk in organizations for name in reaching}
    expected["role groups"] = set()
    for (organization_id, name), group_id in role_groups.items():
        for project_id in projects_of.get(organization_id, []):
            for codename in roles.project_permissions((), [name]):
                expected["project/group"].add((group_id, codename, project_id))
    for (user_id, organization_id), names in org_roles.items():
        for codename in roles.organization_permissions(names):
            expected["organization/user"].add((user_id, codename, organization_id))
        for name in reaching.intersection(names):
            expected["role groups"].add((user_id, role_groups[organization_id, name]))
        for project_id in projects_of.get(organization_id, []):
            for codename in roles.project_permissions(project_roles.get((user_id, project_id), ())):
                expected["project/user"].add((user_id, codename, project_id))
    for assignment in TeamProjectAssignment.objects.select_related("team").prefetch_related("roles"):
        for codename in roles.project_permissions([r.name for r in assignment.roles.all()]):
            expected["project/group"].add((assignment.team.group_id, codename, assignment.project_id))
    expected["team groups"] = set(TeamMembership.objects.values_list("user_id", "team__group_id"))
    return expected


def test_any_sequence_of_access_changes_keeps_an_owner_and_permissions_derived_from_roles():
    run_state_machine_as_test(AccessMachine)
