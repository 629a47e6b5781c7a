"""Explain access: the selector computes from roles what each user reaches and who reaches each cluster, and
for every user and every object of the demo data it agrees with the guardian permissions derived from those
roles. The admin shows it on the user's and the cluster's pages at a fixed number of queries."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles, services
from accounts.models import (
    ApiKey,
    Cluster,
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    User,
)
from accounts.selectors.explain import cluster_access, user_access
from accounts.services.api_keys import api_key_create, api_key_project_assign
from monitoring.services import monitoring_user_attach
from support.models import SUPPORT_GROUP_NAME
from support.services import support_access_restrict_set, support_grant_create
from tests.accounts.test_admin import admin_url
from tests.factories import ClusterFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    """The demo data, plus what it lacks: API keys (one with a project, one inheriting as Organization Owner),
    a monitoring user attached, a support engineer and a blocked organization with a grant in force."""
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    acme = Organization.objects.get(name="Acme Corp")
    production = acme.projects.get(name="Production")
    key, _ = api_key_create(organization=acme, description="deploys", roles=[roles.ORG_MEMBER], actor=None)
    api_key_project_assign(api_key=key, project=production, roles=[roles.GROUP_CLUSTER_MANAGER], actor=None)
    api_key_create(organization=acme, description="terraform", roles=[roles.ORG_OWNER], actor=None)
    monitoring_user_attach(organization=acme, username="mms-ops", email="ops@acme.example", actor=None)
    engineer = UserFactory(email="engineer@provider.example", is_staff=True)
    engineer.groups.add(Group.objects.get(name=SUPPORT_GROUP_NAME))
    support_access_restrict_set(organization=acme, restrict=True, actor=None)
    cluster = Cluster.objects.filter(project=production, tier=Cluster.Tier.DEDICATED).first()
    support_grant_create(cluster=cluster, grant_type="CLUSTER_INFRASTRUCTURE", actor=None)
    return acme


def guardian_project_permissions(user) -> set[tuple[int, str]]:
    groups = user.groups.values("pk")
    own = ProjectUserObjectPermission.objects.filter(user=user)
    team = ProjectGroupObjectPermission.objects.filter(group__in=groups)
    return {
        (object_id, codename)
        for rows in (own, team)
        for object_id, codename in rows.values_list("content_object_id", "permission__codename")
    }


def guardian_organization_permissions(user) -> set[tuple[int, str]]:
    own = OrganizationUserObjectPermission.objects.filter(user=user)
    team = OrganizationGroupObjectPermission.objects.filter(group__in=user.groups.values("pk"))
    return {
        (object_id, codename)
        for rows in (own, team)
        for object_id, codename in rows.values_list("content_object_id", "permission__codename")
    }


def test_what_each_demo_user_reaches_agrees_with_guardian(demo):
    users = list(User.objects.all())
    assert len(users) > 10

    for user in users:
        access = user_access(user)
        explained_projects = {
            (project_id, codename)
            for project_id in access.project_grants
            for codename in roles.project_permissions(access.project_roles(project_id))
        }
        explained_organizations = {
            (organization_id, codename)
            for organization_id, names in access.organization_roles.items()
            for codename in roles.organization_permissions(names)
        }
        assert explained_projects == guardian_project_permissions(user), user.email
        assert explained_organizations == guardian_organization_permissions(user), user.email
        # every project listed has a reason, and every cluster of those projects is listed
        assert {entry.subject.pk for entry in access.projects} == set(access.project_grants)
        assert all(entry.reasons for entry in access.projects + access.organizations + access.clusters)
        assert {entry.subject.pk for entry in access.clusters} == set(
            Cluster.objects.filter(project_id__in=access.project_grants).values_list("pk", flat=True)
        )


def test_who_reaches_each_demo_cluster_agrees_with_guardian(demo):
    clusters = list(Cluster.objects.select_related("project__organization"))
    assert clusters

    for cluster in clusters:
        access = cluster_access(cluster)
        explained = {
            (user_id, codename)
            for user_id, grants in access.grants.items()
            for codename in roles.project_permissions({name for grant in grants for name in grant.roles})
        }
        derived = set(
            ProjectUserObjectPermission.objects.filter(content_object=cluster.project).values_list(
                "user_id", "permission__codename"
            )
        )
        through_teams = ProjectGroupObjectPermission.objects.filter(content_object=cluster.project)
        for group_id, codename in through_teams.values_list("group_id", "permission__codename"):
            derived |= {
                (u, codename) for u in User.objects.filter(groups=group_id).values_list("pk", flat=True)
            }
        assert explained == derived, cluster.name
        people = {entry.subject.pk for entry in access.people}
        keys = {entry.subject.user_id for entry in access.api_keys}
        assert people | keys == set(access.grants)
        assert not people & keys


def test_a_cluster_explains_teams_keys_monitoring_users_and_support_with_reasons(demo):
    production = Project.objects.get(organization=demo, name="Production")
    cluster = Cluster.objects.filter(project=production, tier=Cluster.Tier.DEDICATED).first()

    sections = {section.title: section for section in cluster_access(cluster).sections}

    assert {e.subject.name for e in sections["Teams"].entries} == {"Platform", "Analytics"}
    keys = {e.subject.description: e.reasons for e in sections["API keys"].entries}
    assert keys["deploys"] == ("direct: Project Cluster Manager",)
    assert keys["terraform"][0].startswith("from Organization Owner")
    (monitoring,) = sections["Monitoring users"].entries
    assert monitoring.subject.username == "mms-ops"
    assert "attached to the organization" in monitoring.reasons[0]
    (support,) = sections["Support engineers"].entries
    assert support.subject.email == "engineer@provider.example"
    assert support.until is not None and support.until > timezone.now()
    assert "grant" in support.reasons[0]
    dave = next(e for e in sections["People"].entries if e.subject.email == "dave@acme.example")
    assert set(dave.reasons) == {
        "direct: Project Monitoring Admin",
        "via team Platform: Project Cluster Manager, Project Data Access Read/Write",
    }


def test_a_blocked_cluster_without_grant_is_reached_by_no_support_engineer(demo):
    cluster = ClusterFactory(project=Project.objects.get(organization=demo, name="Production"))

    support = next(s for s in cluster_access(cluster).sections if s.title == "Support engineers")

    assert support.entries == []
    assert "blocks support access" in support.note


def test_a_removed_team_member_no_longer_reaches_through_the_team(demo):
    bob = User.objects.get(email="bob@acme.example")
    platform = demo.teams.get(name="Platform")
    alice = User.objects.get(email="alice@acme.example")

    services.team_member_remove(team=platform, user=bob, actor=alice)

    reasons = [r for entry in user_access(bob).projects for r in entry.reasons]
    assert not any("via team Platform" in reason for reason in reasons)


def _queries(client, url) -> int:
    client.get(
        url
    )  # once first: caches that fill once per process (content types, ...) are not the page's cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grow(organization, project, owner, n):
    """``n`` more people in the project and a team of them, ``n`` more API keys."""
    team = services.team_create(organization=organization, name=f"Team of {n}", actor=owner)
    services.team_project_assign(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    for i in range(n):
        user = UserFactory(email=f"grow{n}-{i}@example.com")
        services.project_member_add(project=project, user=user, roles=[roles.GROUP_READ_ONLY], actor=owner)
        services.team_member_add(team=team, user=user, actor=owner)
    for i in range(n // 5):
        key, _ = api_key_create(
            organization=organization, description=f"k{n}-{i}", roles=[roles.ORG_MEMBER], actor=owner
        )
        api_key_project_assign(api_key=key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)


def test_cluster_and_user_pages_cost_the_same_queries_small_and_large(
    admin_client, organization, project, owner
):
    cluster = ClusterFactory(project=project)
    _grow(organization, project, owner, 5)
    cluster_small = _queries(admin_client, admin_url(Cluster, "change", cluster.pk))
    user_small = _queries(admin_client, admin_url(User, "change", owner.pk))

    _grow(organization, project, owner, 60)
    ClusterFactory.create_batch(10, project=project)
    cluster_large = _queries(admin_client, admin_url(Cluster, "change", cluster.pk))
    user_large = _queries(admin_client, admin_url(User, "change", owner.pk))

    assert cluster_small == cluster_large
    assert user_small == user_large
    assert ApiKey.objects.count() == 13


def test_cluster_page_shows_who_reaches_it(admin_client, organization, project, owner):
    cluster = ClusterFactory(project=project)
    services.project_member_add(
        project=project, user=UserFactory(email="pat@example.com"), roles=[roles.GROUP_READ_ONLY], actor=owner
    )

    page = admin_client.get(admin_url(Cluster, "change", cluster.pk)).content.decode()

    assert "Who can reach it, and why" in page
    assert "pat@example.com" in page and "direct: Project Read Only" in page
    assert "owner@example.com" in page and "from Organization Owner" in page


def test_grant_until_is_shown(demo):
    cluster = Cluster.objects.get(support_grants__status="ACTIVE")
    support = next(s for s in cluster_access(cluster).sections if s.title == "Support engineers")
    grant = cluster.support_grants.get(status="ACTIVE")
    assert support.entries[0].until == grant.expires_at
    assert grant.expires_at - timezone.now() <= timedelta(hours=24)


def test_cluster_page_costs_the_same_queries_at_5_and_500_people_and_teams(
    admin_client, organization, project, owner
):
    from tests.staff.test_overview import grow

    team = services.team_create(organization=organization, name="Platform", actor=owner)
    cluster = ClusterFactory(project=project)
    url = admin_url(Cluster, "change", cluster.pk)
    grow(organization, project, team, 5)
    small = _queries(admin_client, url)

    grow(organization, project, team, 495, start=5)
    large = _queries(admin_client, url)

    assert small == large
    assert len(cluster_access(cluster).people) == 501  # and the owner, from Organization Owner


def test_a_support_engineers_page_lists_the_clusters_a_grant_opens_until_when(demo):
    engineer = User.objects.get(email="engineer@provider.example")
    grant = Cluster.objects.get(support_grants__status="ACTIVE").support_grants.get(status="ACTIVE")

    (section,) = [s for s in user_access(engineer).sections if s.title == "Clusters as a support engineer"]

    assert [(e.subject, e.until) for e in section.entries] == [(grant.cluster, grant.expires_at)]
    assert "1 organization(s) that do not block support" in section.note  # Globex
    assert not [
        s for s in user_access(User.objects.get(email="alice@acme.example")).sections if "support" in s.title
    ]
