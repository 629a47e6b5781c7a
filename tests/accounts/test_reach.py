"""Who reaches a project and why (accounts.selectors.reach), from roles, checked against the derived guardian
permissions."""

import pytest
from guardian.core import ObjectPermissionChecker

from accounts import roles
from accounts.selectors import reach
from accounts.services import (
    project_member_add,
    team_create,
    team_member_remove,
    team_project_assign,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def reach_of(project, user):
    (row,) = reach.project_reach(project, [user])
    return row


def test_a_team_that_makes_a_member_owner_shows_both_grants(organization, owner, project):
    """The bug the pages had: a direct Project Read Only member whom a team makes Project Owner is an owner."""
    pat = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=pat, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    row = reach_of(project, pat)

    assert row.roles == [roles.GROUP_OWNER, roles.GROUP_READ_ONLY]
    assert [(g.reason, g.roles) for g in row.grants] == [
        ("direct", (roles.GROUP_READ_ONLY,)),
        ("via team Platform", (roles.GROUP_OWNER,)),
    ]
    assert [g.reason for g in row.grants_of(roles.GROUP_OWNER)] == ["via team Platform"]


def test_organization_roles_reach_every_project_with_the_project_role_they_imply(
    organization, owner, project
):
    reader = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY])
    plain = MemberFactory(organization=organization, actor=owner)

    owner_row, reader_row, plain_row = reach.project_reach(project, [owner, reader, plain])

    assert ("from Organization Owner", (roles.GROUP_OWNER,)) in [
        (g.reason, g.roles) for g in owner_row.grants
    ]
    assert [(g.reason, g.roles) for g in reader_row.grants] == [
        ("from Organization Read Only", (roles.GROUP_READ_ONLY,))
    ]
    assert plain_row.grants == []
    assert plain not in reach.people_reaching_project(project)
    assert {owner, reader} <= set(reach.people_reaching_project(project))


def test_leaving_the_team_leaves_only_the_direct_grant(organization, owner, project):
    pat = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=pat, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    team_member_remove(team=team, user=pat, actor=owner)

    assert reach_of(project, pat).roles == [roles.GROUP_READ_ONLY]


def test_the_explanation_agrees_with_the_derived_guardian_permissions(organization, owner, project):
    people = [
        MemberFactory(organization=organization, actor=owner, roles=[name])
        for name in roles.ORGANIZATION_ROLES
    ]
    for index, name in enumerate(roles.PROJECT_ROLES):
        user = people[index % len(people)]
        if not user.project_memberships.filter(project=project).exists():
            project_member_add(project=project, user=user, roles=[name], actor=owner)
    team = team_create(organization=organization, name="Ops", members=people[::2], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    everyone = [owner, *people]
    rows = reach.project_reach(project, everyone)
    for row in rows:
        derived = set(ObjectPermissionChecker(row.user).get_perms(project))
        assert row.permissions == derived, row.user.email
    reaching = set(reach.people_reaching_project(project))
    assert reaching == {row.user for row in rows if row.grants}


def test_a_page_of_reach_costs_the_same_queries_for_2_and_20(
    organization, owner, project, django_assert_max_num_queries
):
    team = team_create(organization=organization, name="Ops", members=(), actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    def page_queries(size):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        users = list(reach.people_reaching_project(project)[:size])
        with CaptureQueriesContext(connection) as captured:
            reach.project_reach(project, users)
        return len(captured)

    from accounts.services import team_member_add

    for _ in range(2):
        user = MemberFactory(organization=organization, actor=owner)
        project_member_add(project=project, user=user, actor=owner)
        team_member_add(team=team, user=user, actor=owner)
    two = page_queries(3)
    for _ in range(20):
        user = MemberFactory(organization=organization, actor=owner)
        project_member_add(project=project, user=user, actor=owner)
        team_member_add(team=team, user=user, actor=owner)
    assert page_queries(21) == two == 3
