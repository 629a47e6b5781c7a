"""Derived object permissions (accounts/permissions.py) and what the role catalogue (accounts/roles.py) gives."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    OrganizationGroupObjectPermission,
    OrganizationRoleGroup,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    Team,
    User,
)
from accounts.permissions import ROLES_WITH_GROUPS, actor_may, permissions_on, sync_organization_permissions
from accounts.selectors import (
    access_organization,
    access_project,
    organizations_overview,
    project_members,
    projects_for_user,
)
from accounts.services import (
    organization_create,
    organization_delete,
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_create,
    project_delete,
    project_member_add,
    project_member_remove,
    project_member_roles_set,
    team_create,
    team_delete,
    team_member_remove,
    team_members_add,
    team_project_assign,
    team_project_roles_set,
)
from accounts.services.api_keys import api_key_create, api_key_delete, api_key_project_assign
from tests.factories import MemberFactory, UserFactory

ALL_PROJECT_PERMISSIONS = set(roles.PROJECT_PERMISSIONS)
UserGroup = User.groups.through


def fresh(user):
    """Django caches permissions on the user object: ask about a freshly loaded one."""
    return User.objects.get(pk=user.pk)


def visible_project_names(user, organization=None):
    return sorted(projects_for_user(fresh(user), organization=organization).values_list("name", flat=True))


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other-owner@example.com")


@pytest.fixture
def other_organization(other_owner):
    return organization_create(name="Globex", actor=other_owner)


# ---- what organization roles give on projects ---------------------------------------------------------------------


def test_org_owner_has_owner_power_on_every_project_including_later_ones_without_being_a_member(
    organization, owner, project
):
    creator = MemberFactory(
        organization=organization, actor=owner, email="creator@example.com", roles=[roles.ORG_GROUP_CREATOR]
    )
    later = project_create(organization=organization, name="Later", actor=fresh(creator))

    for each in (project, later):
        assert permissions_on(fresh(owner), each) == ALL_PROJECT_PERMISSIONS
        assert actor_may(fresh(owner), roles.DELETE_PROJECT, each)
    # Inherited, so not listed among the later project's members.
    assert [m.user for m in project_members(later)] == [creator]
    assert visible_project_names(owner) == ["Later", "Production"]


def test_org_read_only_views_every_project_but_cannot_manage_clusters(organization, owner, project):
    reader = MemberFactory(
        organization=organization, actor=owner, email="reader@example.com", roles=[roles.ORG_READ_ONLY]
    )
    later = project_create(organization=organization, name="Later", actor=owner)

    for each in (project, later):
        assert permissions_on(fresh(reader), each) == {roles.VIEW_PROJECT}
        assert actor_may(fresh(reader), roles.VIEW_PROJECT, each)
        assert not actor_may(fresh(reader), roles.MANAGE_CLUSTERS, each)
    assert visible_project_names(reader) == ["Later", "Production"]


def test_org_member_sees_only_the_projects_they_were_added_to(organization, owner, project):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")
    staging = project_create(organization=organization, name="Staging", actor=owner)
    project_member_add(project=staging, user=member, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    assert visible_project_names(member) == ["Staging"]
    assert permissions_on(fresh(member), project) == set()
    assert permissions_on(fresh(member), staging) == {roles.VIEW_PROJECT, roles.MANAGE_CLUSTERS}
    assert actor_may(fresh(member), roles.VIEW_ORGANIZATION, organization)
    with pytest.raises(ServiceError) as refused:
        access_project(actor=fresh(member), project_id=project.public_id)
    assert refused.value.code == "RESOURCE_NOT_FOUND"


def test_org_group_creator_may_create_projects_and_owns_them(organization, owner):
    creator = MemberFactory(
        organization=organization, actor=owner, email="creator@example.com", roles=[roles.ORG_GROUP_CREATOR]
    )

    created = project_create(organization=organization, name="Analytics", actor=fresh(creator))

    assert created.organization == organization
    assert [(m.user, m.role_names) for m in project_members(created)] == [(creator, [roles.GROUP_OWNER])]
    assert permissions_on(fresh(creator), created) == ALL_PROJECT_PERMISSIONS


def test_plain_org_member_cannot_create_projects(organization, owner):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")

    with pytest.raises(ServiceError) as refused:
        project_create(organization=organization, name="Analytics", actor=fresh(member))

    assert refused.value.code == "NOT_ORG_GROUP_CREATOR"
    assert refused.value.status == 403
    assert not Project.objects.filter(name="Analytics").exists()


def test_user_of_another_organization_creating_a_project_gets_not_found(organization, other_owner):
    with pytest.raises(ServiceError) as refused:
        project_create(organization=organization, name="Analytics", actor=fresh(other_owner))

    assert refused.value.code == "RESOURCE_NOT_FOUND"
    assert not Project.objects.filter(name="Analytics").exists()


# ---- derived in the same transaction ----------------------------------------------------------------------------


def _derived_row_counts():
    return {
        "organization users": OrganizationUserObjectPermission.objects.count(),
        "project users": ProjectUserObjectPermission.objects.count(),
        "project groups": ProjectGroupObjectPermission.objects.count(),
        "organization groups": OrganizationGroupObjectPermission.objects.count(),
        "team group members": UserGroup.objects.filter(group__team__isnull=False).count(),
        "role group members": UserGroup.objects.filter(group__organization_role__isnull=False).count(),
    }


class Boom(Exception):
    pass


def test_derived_permissions_are_written_in_the_transaction_of_the_role_change(organization, owner, project):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")
    team = team_create(organization=organization, name="Platform", actor=owner)
    newcomer = UserFactory(email="newcomer@example.com")
    before = _derived_row_counts()

    with pytest.raises(Boom), transaction.atomic():
        organization_member_add(
            organization=organization, user=newcomer, roles=[roles.ORG_OWNER], actor=owner
        )
        project_member_add(project=project, user=member, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
        team_members_add(team=team, users=[member], actor=owner)
        team_project_assign(team=team, project=project, roles=[roles.GROUP_BACKUP_ADMIN], actor=owner)
        # Written already, inside the transaction (not later, on commit) ...
        assert actor_may(fresh(newcomer), roles.MANAGE_TEAMS, organization)
        assert permissions_on(fresh(member), project) == {
            roles.VIEW_PROJECT,
            roles.MANAGE_CLUSTERS,
            roles.MANAGE_BACKUPS,
        }
        assert all(
            _derived_row_counts()[kind] > count
            for kind, count in before.items()
            if kind != "organization groups"
        )
        raise Boom

    # ... so that they go with it when it rolls back.
    assert _derived_row_counts() == before
    assert not OrganizationUserObjectPermission.objects.filter(user=newcomer).exists()
    assert not ProjectUserObjectPermission.objects.filter(user=newcomer).exists()
    assert not ProjectUserObjectPermission.objects.filter(user=member).exists()
    assert not ProjectGroupObjectPermission.objects.filter(group=team.group).exists()
    assert not member.groups.exists()
    assert not actor_may(fresh(newcomer), roles.VIEW_ORGANIZATION, organization)


# ---- rebuild = incremental --------------------------------------------------------------------------------------


def _snapshot():
    """Every derived row as natural tuples (no database ids), so that two builds can be compared."""
    return {
        "organization users": set(
            OrganizationUserObjectPermission.objects.values_list(
                "user__email", "permission__codename", "content_object__public_id"
            )
        ),
        "project users": set(
            ProjectUserObjectPermission.objects.values_list(
                "user__email", "permission__codename", "content_object__public_id"
            )
        ),
        "project groups": set(
            ProjectGroupObjectPermission.objects.values_list(
                "group__name", "permission__codename", "content_object__public_id"
            )
        ),
        "organization groups": set(
            OrganizationGroupObjectPermission.objects.values_list(
                "group__name", "permission__codename", "content_object__public_id"
            )
        ),
        "team group members": set(
            UserGroup.objects.filter(group__team__isnull=False).values_list("user__email", "group__name")
        ),
        "role group members": set(
            UserGroup.objects.filter(group__organization_role__isnull=False).values_list(
                "user__email", "group__name"
            )
        ),
    }


def _realistic_history(organization, owner, project):
    """Two organizations lived in through the services: members with various roles, role changes, teams assigned
    to projects, a member removed, a team and a project deleted."""
    staging = project_create(organization=organization, name="Staging", actor=owner)
    reader = MemberFactory(
        organization=organization, actor=owner, email="reader@example.com", roles=[roles.ORG_READ_ONLY]
    )
    billing = MemberFactory(
        organization=organization, actor=owner, email="billing@example.com", roles=[roles.ORG_BILLING_ADMIN]
    )
    creator = MemberFactory(
        organization=organization, actor=owner, email="creator@example.com", roles=[roles.ORG_GROUP_CREATOR]
    )
    dev = MemberFactory(organization=organization, actor=owner, email="dev@example.com")
    leaver = MemberFactory(
        organization=organization,
        actor=owner,
        email="leaver@example.com",
        roles=[roles.ORG_MEMBER, roles.ORG_BILLING_READ_ONLY],
    )
    admin = UserFactory(email="admin@example.com")  # joins the organization by being added to a project
    co_owner = MemberFactory(organization=organization, actor=owner, email="co-owner@example.com")

    analytics = project_create(organization=organization, name="Analytics", actor=creator)
    doomed_project = project_create(organization=organization, name="Doomed", actor=owner)
    project_member_add(project=project, user=dev, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    project_member_add(project=staging, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    project_member_add(project=staging, user=leaver, roles=[roles.GROUP_DATA_ACCESS_READ_WRITE], actor=owner)
    project_member_add(project=doomed_project, user=dev, roles=[roles.GROUP_OWNER], actor=owner)
    project_member_add(project=analytics, user=reader, roles=[roles.GROUP_DATA_ACCESS_ADMIN], actor=creator)
    project_member_roles_set(
        project=project,
        user=dev,
        roles=[roles.GROUP_DATA_ACCESS_ADMIN, roles.GROUP_MONITORING_ADMIN],
        actor=owner,
    )
    organization_member_roles_set(
        organization=organization, user=co_owner, roles=[roles.ORG_OWNER, roles.ORG_MEMBER], actor=owner
    )
    organization_member_roles_set(
        organization=organization, user=billing, roles=[roles.ORG_BILLING_READ_ONLY], actor=owner
    )

    platform = team_create(
        organization=organization, name="Platform", actor=owner, members=[dev, leaver, reader]
    )
    data = team_create(organization=organization, name="Data", actor=co_owner, members=[billing, dev])
    doomed_team = team_create(organization=organization, name="Doomed", actor=owner, members=[billing])
    team_project_assign(team=platform, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team_project_assign(team=platform, project=staging, actor=fresh(admin))
    team_project_assign(team=data, project=analytics, roles=[roles.GROUP_DATA_ACCESS_READ_ONLY], actor=owner)
    team_project_assign(team=data, project=doomed_project, roles=[roles.GROUP_BACKUP_ADMIN], actor=owner)
    team_project_assign(team=doomed_team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    team_project_roles_set(
        team=data,
        project=analytics,
        roles=[roles.GROUP_DATA_ACCESS_READ_WRITE, roles.GROUP_BACKUP_ADMIN],
        actor=owner,
    )
    team_member_remove(team=platform, user=reader, actor=owner)

    organization_member_remove(organization=organization, user=leaver, actor=owner)
    team_delete(team=doomed_team, actor=owner)
    project_delete(project=doomed_project, actor=owner)
    project_member_remove(project=analytics, user=reader, actor=creator)

    # API keys hold roles too (through their service accounts): one kept and assigned, one deleted.
    kept_key, _ = api_key_create(
        organization=organization, description="CI", roles=[roles.ORG_READ_ONLY], actor=owner
    )
    api_key_project_assign(
        api_key=kept_key, project=staging, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner
    )
    dropped_key, _ = api_key_create(
        organization=organization, description="Old", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(api_key=dropped_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    api_key_delete(api_key=dropped_key, actor=owner)

    # A second organization, sharing a user with the first.
    other_owner = UserFactory(email="other-owner@example.com")
    globex = organization_create(name="Globex", actor=other_owner)
    research = project_create(organization=globex, name="Research", actor=other_owner)
    organization_member_add(organization=globex, user=dev, roles=[roles.ORG_READ_ONLY], actor=other_owner)
    ops = team_create(organization=globex, name="Ops", actor=other_owner, members=[dev])
    team_project_assign(team=ops, project=research, roles=[roles.GROUP_MONITORING_ADMIN], actor=other_owner)


def _delete_derived_rows():
    OrganizationUserObjectPermission.objects.all().delete()
    ProjectUserObjectPermission.objects.all().delete()
    ProjectGroupObjectPermission.objects.all().delete()
    OrganizationGroupObjectPermission.objects.all().delete()
    UserGroup.objects.filter(group__team__isnull=False).delete()
    UserGroup.objects.filter(group__organization_role__isnull=False).delete()


def test_rebuilding_permissions_from_roles_equals_the_incremental_result(organization, owner, project):
    _realistic_history(organization, owner, project)
    incremental = _snapshot()
    # The history really produced every kind of derived row (an empty comparison would prove nothing).
    assert all(incremental[kind] for kind in ("organization users", "project users", "project groups"))
    assert incremental["team group members"]
    assert not any(email == "leaver@example.com" for email, *_ in incremental["organization users"])

    _delete_derived_rows()
    assert not any(_snapshot().values())
    call_command("sync_permissions", stdout=io.StringIO())

    assert _snapshot() == incremental


def test_sync_permissions_repairs_corrupted_permissions(organization, owner, project):
    _realistic_history(organization, owner, project)
    incremental = _snapshot()
    reader = User.objects.get(email="reader@example.com")
    outsider = UserFactory(email="outsider@example.com")
    platform = Team.objects.get(name="Platform")
    project_perm = Permission.objects.get(content_type__model="project", codename=roles.DELETE_PROJECT)
    org_perm = Permission.objects.get(content_type__model="organization", codename=roles.MANAGE_TEAMS)
    # Bogus rows ...
    ProjectUserObjectPermission.objects.create(user=reader, permission=project_perm, content_object=project)
    OrganizationUserObjectPermission.objects.create(
        user=reader, permission=org_perm, content_object=organization
    )
    ProjectGroupObjectPermission.objects.create(
        group=platform.group, permission=project_perm, content_object=project
    )
    OrganizationGroupObjectPermission.objects.create(
        group=platform.group, permission=org_perm, content_object=organization
    )
    outsider.groups.add(platform.group)
    # ... and real ones lost.
    ProjectUserObjectPermission.objects.filter(user=owner, content_object=project).first().delete()
    OrganizationUserObjectPermission.objects.filter(user__email="dev@example.com").first().delete()
    ProjectGroupObjectPermission.objects.filter(group=platform.group).first().delete()
    UserGroup.objects.filter(group=platform.group, user__email="dev@example.com").delete()
    assert _snapshot() != incremental

    call_command("sync_permissions", stdout=io.StringIO())

    assert _snapshot() == incremental


def test_a_project_scoped_sync_repairs_that_project_and_leaves_the_others_as_they_are(
    organization, owner, project
):
    """``project_ids`` limits the recomputation to those projects' rows (what a new project touches)."""
    _realistic_history(organization, owner, project)
    staging = Project.objects.get(name="Staging")
    reader = User.objects.get(email="reader@example.com")
    delete_perm = Permission.objects.get(content_type__model="project", codename=roles.DELETE_PROJECT)
    lost = {}
    for target in (project, staging):
        ProjectUserObjectPermission.objects.create(user=reader, permission=delete_perm, content_object=target)
        row = ProjectUserObjectPermission.objects.filter(user=owner, content_object=target).first()
        lost[target.pk] = row.permission_id
        row.delete()

    def owner_row(target):
        return ProjectUserObjectPermission.objects.filter(
            user=owner, content_object=target, permission_id=lost[target.pk]
        ).exists()

    counts = sync_organization_permissions(organization, team_ids=[], project_ids=[project.pk])

    assert counts == {"removed": 1, "added": 1}
    assert actor_may(fresh(reader), roles.VIEW_PROJECT, project)  # what the role gives stays
    assert not actor_may(fresh(reader), roles.DELETE_PROJECT, project)
    assert not ProjectUserObjectPermission.objects.filter(
        user=reader, permission=delete_perm, content_object=project
    ).exists()
    assert ProjectUserObjectPermission.objects.filter(
        user=reader, permission=delete_perm, content_object=staging
    ).exists()
    assert owner_row(project)
    assert not owner_row(staging)
    # The organization's own rows are not a project's: a project-scoped sync leaves them be.
    OrganizationUserObjectPermission.objects.filter(user=reader).delete()
    sync_organization_permissions(organization, project_ids=[project.pk])
    assert not OrganizationUserObjectPermission.objects.filter(user=reader).exists()

    call_command("sync_permissions", stdout=io.StringIO())
    assert owner_row(staging)
    assert OrganizationUserObjectPermission.objects.filter(user=reader).exists()


def test_a_user_and_project_scoped_sync_touches_only_that_users_rows_there(organization, owner, project):
    _realistic_history(organization, owner, project)
    dev = User.objects.get(email="dev@example.com")
    ProjectUserObjectPermission.objects.filter(content_object=project).delete()

    counts = sync_organization_permissions(
        organization, user_ids=[dev.pk], team_ids=[], project_ids=[project.pk]
    )

    assert counts["removed"] == 0 and counts["added"] > 0
    assert set(
        ProjectUserObjectPermission.objects.filter(content_object=project).values_list(
            "user__email", flat=True
        )
    ) == {"dev@example.com"}


def test_rebuild_equals_incremental_with_many_owners_and_projects_created_after_them(organization, owner):
    """Project creation recomputes only the new project's rows: the inherited rows of every owner and read-only
    member must still be all there, as a full rebuild makes them."""
    MemberFactory(
        organization=organization, actor=owner, email="second-owner@example.com", roles=[roles.ORG_OWNER]
    )
    MemberFactory(
        organization=organization,
        actor=owner,
        email="auditor@example.com",
        roles=[roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN],
    )
    creator = MemberFactory(
        organization=organization, actor=owner, email="maker@example.com", roles=[roles.ORG_GROUP_CREATOR]
    )
    for i in range(4):
        project_create(organization=organization, name=f"P{i}", actor=creator if i % 2 else owner)
    incremental = _snapshot()
    # What the owners' and read-only members' roles carry to the four projects: their groups' rows.
    assert len(incremental["project groups"]) > 4 * len(ALL_PROJECT_PERMISSIONS)
    assert len(incremental["role group members"]) == 3  # two owners, one read-only member

    _delete_derived_rows()
    call_command("sync_permissions", stdout=io.StringIO())

    assert _snapshot() == incremental


@pytest.mark.parametrize("write", ["project_create", "make_owner"])
def test_writes_cost_the_same_queries_with_2_and_with_12_projects(
    organization, owner, write, django_assert_num_queries
):
    """Flat in the organization's size: the permission sync is set-based SQL, scoped to what changed."""
    people = [
        MemberFactory(organization=organization, actor=owner, email=f"p{i}@example.com") for i in range(3)
    ]

    def run(i):
        if write == "project_create":
            project_create(organization=organization, name=f"New {i}", actor=owner)
        else:
            organization_member_roles_set(
                organization=organization, user=people[i], roles=[roles.ORG_OWNER], actor=owner
            )

    project_create(organization=organization, name="Only", actor=owner)
    with CaptureQueriesContext(connection) as small:
        run(0)
    for i in range(10):
        project_create(organization=organization, name=f"More {i}", actor=owner)
    with django_assert_num_queries(len(small.captured_queries)):
        run(1)


# ---- no cache across calls ----------------------------------------------------------------------------------------


def test_a_removed_project_role_is_refused_on_the_very_next_check(organization, owner, project):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")
    project_member_add(project=project, user=member, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    assert actor_may(fresh(member), roles.MANAGE_CLUSTERS, project)

    project_member_roles_set(project=project, user=member, roles=[roles.GROUP_READ_ONLY], actor=owner)

    assert not actor_may(fresh(member), roles.MANAGE_CLUSTERS, project)
    assert actor_may(fresh(member), roles.VIEW_PROJECT, project)


def test_a_removed_org_owner_role_is_refused_on_the_very_next_check(organization, owner, project):
    second = MemberFactory(
        organization=organization, actor=owner, email="second@example.com", roles=[roles.ORG_OWNER]
    )
    assert actor_may(fresh(second), roles.MANAGE_TEAMS, organization)
    assert actor_may(fresh(second), roles.DELETE_PROJECT, project)

    organization_member_roles_set(
        organization=organization, user=second, roles=[roles.ORG_MEMBER], actor=owner
    )

    assert not actor_may(fresh(second), roles.MANAGE_TEAMS, organization)
    assert not actor_may(fresh(second), roles.DELETE_PROJECT, project)
    assert not actor_may(fresh(second), roles.VIEW_PROJECT, project)


def test_a_user_removed_from_the_organization_is_refused_on_the_very_next_check(organization, owner, project):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")
    project_member_add(project=project, user=member, roles=[roles.GROUP_READ_ONLY], actor=owner)
    assert actor_may(fresh(member), roles.VIEW_PROJECT, project)

    organization_member_remove(organization=organization, user=member, actor=owner)

    assert not actor_may(fresh(member), roles.VIEW_PROJECT, project)
    assert not actor_may(fresh(member), roles.VIEW_ORGANIZATION, organization)


# ---- selectors: fetching is a permission check ------------------------------------------------------------------


def _refusal(call):
    with pytest.raises(ServiceError) as refused:
        call()
    return refused.value


def test_access_project_answers_a_foreign_project_exactly_like_a_missing_one(
    organization, owner, project, other_owner, other_organization
):
    foreign = _refusal(lambda: access_project(actor=fresh(other_owner), project_id=project.public_id))
    project_id = project.public_id
    project_delete(project=project, actor=owner)
    missing = _refusal(lambda: access_project(actor=fresh(other_owner), project_id=project_id))

    assert foreign.code == missing.code == "RESOURCE_NOT_FOUND"
    assert foreign.status == missing.status == 404
    assert foreign.message == missing.message
    assert foreign.parameters == missing.parameters
    assert project.name not in foreign.message


def test_access_organization_answers_a_foreign_organization_exactly_like_a_missing_one(
    organization, owner, other_owner, other_organization
):
    organization_id = other_organization.public_id
    foreign = _refusal(lambda: access_organization(actor=fresh(owner), organization_id=organization_id))
    organization_delete(organization=other_organization, actor=other_owner)
    missing = _refusal(lambda: access_organization(actor=fresh(owner), organization_id=organization_id))

    assert foreign.code == missing.code == "RESOURCE_NOT_FOUND"
    assert foreign.status == missing.status == 404
    assert foreign.message == missing.message
    assert foreign.parameters == missing.parameters
    assert "Globex" not in foreign.message


def test_access_project_by_a_member_lacking_the_permission_is_unauthorized(organization, owner, project):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")
    project_member_add(project=project, user=member, roles=[roles.GROUP_READ_ONLY], actor=owner)

    assert access_project(actor=fresh(member), project_id=project.public_id) == project
    refused = _refusal(
        lambda: access_project(actor=fresh(member), project_id=project.public_id, need=roles.MANAGE_CLUSTERS)
    )
    assert refused.code == "USER_UNAUTHORIZED"
    assert refused.status == 403


def test_access_organization_by_a_member_lacking_the_permission_is_unauthorized(organization, owner):
    member = MemberFactory(organization=organization, actor=owner, email="member@example.com")

    assert access_organization(actor=fresh(member), organization_id=organization.public_id) == organization
    refused = _refusal(
        lambda: access_organization(
            actor=fresh(member), organization_id=organization.public_id, need=roles.MANAGE_TEAMS
        )
    )
    assert refused.code == "USER_UNAUTHORIZED"
    assert refused.status == 403


def _overview_queries(user):
    with CaptureQueriesContext(connection) as queries:
        overview = organizations_overview(user)
        shown = {org.name: [p.name for p in org.visible_projects] for org in overview}
    return len(queries), shown


def test_organizations_overview_costs_the_same_queries_for_2_and_for_20_projects(
    organization, owner, project, other_owner, other_organization, django_assert_num_queries
):
    project_create(organization=organization, name="Staging", actor=owner)
    # The other organization's projects reach the owner by an individual role and by a team; one stays hidden.
    research = project_create(organization=other_organization, name="Research", actor=other_owner)
    project_member_add(project=research, user=owner, roles=[roles.GROUP_READ_ONLY], actor=other_owner)
    ops = project_create(organization=other_organization, name="Ops", actor=other_owner)
    team = team_create(organization=other_organization, name="Ops", actor=other_owner, members=[owner])
    team_project_assign(team=team, project=ops, actor=other_owner)
    project_create(organization=other_organization, name="Hidden", actor=other_owner)
    organizations_overview(
        fresh(owner)
    )  # warm the process-wide content-type caches (Django's and guardian's)

    with_2, shown = _overview_queries(fresh(owner))
    assert shown == {"Acme": ["Production", "Staging"], "Globex": ["Ops", "Research"]}

    for number in range(18):
        project_create(organization=organization, name=f"Project {number:02}", actor=owner)
    with_20, shown = _overview_queries(fresh(owner))
    assert len(shown["Acme"]) == 20
    assert shown["Globex"] == ["Ops", "Research"]

    assert with_20 == with_2
    user = fresh(owner)
    # Organizations, projects (each asking the model-wide permission in the same query).
    with django_assert_num_queries(2):
        overview = organizations_overview(user)
        assert sum(len(org.visible_projects) for org in overview) == 22


# ---- organization roles reach every project through one group each ------------------------------------------------


def test_making_someone_owner_is_one_group_membership_whatever_the_number_of_projects(organization, owner):
    projects = [project_create(organization=organization, name=f"P{i}", actor=owner) for i in range(4)]
    member = MemberFactory(organization=organization, actor=owner, email="rising@example.com")
    assert visible_project_names(member) == []

    organization_member_roles_set(
        organization=organization, user=member, roles=[roles.ORG_OWNER], actor=owner
    )

    assert not ProjectUserObjectPermission.objects.filter(user=member).exists()  # no row per project ...
    owners = OrganizationRoleGroup.objects.get(organization=organization, role=roles.ORG_OWNER)
    assert list(UserGroup.objects.filter(user=member).values_list("group_id", flat=True)) == [owners.group_id]
    for project in projects:  # ... and every project's owner permissions, through the group
        assert permissions_on(fresh(member), project) == ALL_PROJECT_PERMISSIONS
        assert actor_may(fresh(member), roles.DELETE_PROJECT, project)
    later = project_create(organization=organization, name="Later", actor=owner)
    assert permissions_on(fresh(member), later) == ALL_PROJECT_PERMISSIONS

    organization_member_roles_set(
        organization=organization, user=member, roles=[roles.ORG_MEMBER], actor=owner
    )

    assert not UserGroup.objects.filter(user=member).exists()
    assert visible_project_names(member) == []
    assert not actor_may(fresh(member), roles.VIEW_PROJECT, later)


def test_each_organizations_role_groups_are_its_own(
    organization, owner, project, other_organization, other_owner
):
    theirs = project_create(organization=other_organization, name="Theirs", actor=other_owner)
    assert visible_project_names(owner) == [project.name]
    assert not actor_may(fresh(owner), roles.VIEW_PROJECT, theirs)
    assert not actor_may(fresh(other_owner), roles.VIEW_PROJECT, project)
    assert set(OrganizationRoleGroup.objects.values_list("organization_id", "role")) == {
        (org.pk, role) for org in (organization, other_organization) for role in ROLES_WITH_GROUPS
    }


def test_an_organization_synced_before_role_groups_existed_gets_them_on_its_next_sync(organization, owner):
    """An organization whose owners still hold one row per project (as every sync wrote them before role
    groups) gets its groups on its next sync, whatever that sync's scope: the groups and their members are made,
    each role's rows written on every project, the old per-project rows of organization roles removed, and
    nobody's access changes on the way."""
    projects = [project_create(organization=organization, name=f"P{i}", actor=owner) for i in range(3)]
    reader = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY])
    expected = {user.pk: {p.pk: permissions_on(fresh(user), p) for p in projects} for user in (owner, reader)}
    # The state before role groups: no group, and each holder's inherited permissions as their own rows.
    groups = list(
        OrganizationRoleGroup.objects.filter(organization=organization).values_list("group_id", flat=True)
    )
    OrganizationRoleGroup.objects.filter(organization=organization).delete()
    Group.objects.filter(pk__in=groups).delete()
    perm_ids = dict(Permission.objects.filter(content_type__model="project").values_list("codename", "pk"))
    for user in (owner, reader):
        for project in projects:
            ProjectUserObjectPermission.objects.bulk_create(
                [
                    ProjectUserObjectPermission(
                        user=user, permission_id=perm_ids[codename], content_object=project
                    )
                    for codename in expected[user.pk][project.pk]
                ],
                ignore_conflicts=True,
            )
    assert {
        user.pk: {p.pk: permissions_on(fresh(user), p) for p in projects} for user in (owner, reader)
    } == expected

    MemberFactory(organization=organization, actor=owner)  # any change: a sync scoped to one newcomer

    assert set(
        OrganizationRoleGroup.objects.filter(organization=organization).values_list("role", flat=True)
    ) == set(ROLES_WITH_GROUPS)
    assert not ProjectUserObjectPermission.objects.filter(user=reader).exists()
    assert {
        user.pk: {p.pk: permissions_on(fresh(user), p) for p in projects} for user in (owner, reader)
    } == expected
    incremental = _snapshot()
    _delete_derived_rows()
    call_command("sync_permissions", stdout=io.StringIO())
    assert _snapshot() == incremental


def test_granting_asks_for_model_wide_permissions_only_when_the_object_ones_fall_short(
    organization, owner, django_assert_num_queries
):
    """``require_may_grant``: an owner's object permissions cover the roles (one query, staff permissions never
    read); a staff user without object permissions is refused until model-wide permissions cover the roles."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Organization
    from accounts.permissions import require_may_grant
    from tests.factories import UserFactory

    owner = User.objects.get(pk=owner.pk)  # no permission cache
    with django_assert_num_queries(1):
        require_may_grant(owner, [roles.ORG_OWNER], organization)

    clerk = UserFactory(is_staff=True)
    with pytest.raises(ServiceError) as refused:
        require_may_grant(clerk, [roles.ORG_MEMBER], organization)
    assert refused.value.code == "ROLE_ESCALATION"

    organization_type = ContentType.objects.get_for_model(Organization)
    clerk.user_permissions.add(*Permission.objects.filter(content_type=organization_type))
    clerk = User.objects.get(pk=clerk.pk)
    require_may_grant(clerk, [roles.ORG_OWNER], organization)

    clerk.is_active = False
    with pytest.raises(ServiceError):
        require_may_grant(clerk, [roles.ORG_MEMBER], organization)


def test_a_removed_member_keeps_nothing_the_sync_would_remove_and_keeps_other_organizations(
    organization, owner, project, other_owner, other_organization
):
    """Removal deletes a departed member's permissions directly (``permissions_of_departed_revoke``), not through
    the sync: the sync finds nothing left to do, and the member's rows in another organization stay."""
    user = MemberFactory(
        organization=organization,
        actor=owner,
        roles=[ROLES_WITH_GROUPS[0]],
        project=project,
        project_roles=[roles.GROUP_OWNER],
    )
    team = team_create(organization=organization, name="Ops", actor=owner, members=[user])
    team_project_assign(team=team, project=project, actor=owner)
    organization_member_add(organization=other_organization, user=user, actor=other_owner)
    elsewhere = project_create(organization=other_organization, name="Elsewhere", actor=other_owner)
    project_member_add(project=elsewhere, user=user, actor=other_owner)

    def held():
        return {
            "organization": OrganizationUserObjectPermission.objects.filter(
                user=user, content_object=organization
            ).count(),
            "projects": ProjectUserObjectPermission.objects.filter(
                user=user, content_object__organization=organization
            ).count(),
            "groups": user.groups.filter(
                pk__in=[
                    team.group_id,
                    *OrganizationRoleGroup.objects.filter(organization=organization).values_list(
                        "group_id", flat=True
                    ),
                ]
            ).count(),
        }

    def elsewhere_held():
        return (
            OrganizationUserObjectPermission.objects.filter(
                user=user, content_object=other_organization
            ).count(),
            ProjectUserObjectPermission.objects.filter(user=user, content_object=elsewhere).count(),
        )

    assert all(held().values()), held()  # the member held something of each kind
    kept = elsewhere_held()
    assert all(kept)

    organization_member_remove(organization=organization, user=user, actor=owner)

    assert held() == {"organization": 0, "projects": 0, "groups": 0}
    assert sync_organization_permissions(organization, user_ids=[user.pk], team_ids=[]) == {
        "removed": 0,
        "added": 0,
    }
    assert elsewhere_held() == kept
