"""An organization's, a project's and a team's admin page show owners, counts that link to the filtered lists,
and settings; an inline of more than 50 rows is left out for its link, so that the page costs the same queries
at 51 rows as at 500, and no more at 500 than at 5."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles, services
from accounts.admin.overview import (
    INLINE_LIMIT,
    ORGANIZATION_FACTS,
    organization_lines,
    project_lines,
    team_lines,
)
from accounts.models import (
    Organization,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectMembership,
    ProjectRole,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
)
from accounts.services.api_keys import api_key_create, api_key_project_assign
from monitoring.services import monitoring_user_attach
from support.services import support_access_restrict_set, support_grant_create
from tests.accounts.test_admin import admin_url, queries_of
from tests.factories import ClusterFactory, UserFactory

pytestmark = pytest.mark.django_db


def grow(organization, project, team, count, start=0):
    """``count`` more people in the organization, the project (individually) and the team, and ``count`` more
    teams on the project: rows written in bulk (the pages read them; how they were made does not matter)."""
    users = User.objects.bulk_create(
        User(email=f"bulk{i:04}@example.com") for i in range(start, start + count)
    )
    org_memberships = OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization=organization, user=user) for user in users
    )
    OrganizationRole.objects.bulk_create(
        OrganizationRole(membership=m, name=roles.ORG_MEMBER) for m in org_memberships
    )
    project_memberships = ProjectMembership.objects.bulk_create(
        ProjectMembership(project=project, user=user) for user in users
    )
    ProjectRole.objects.bulk_create(
        ProjectRole(membership=m, name=roles.GROUP_READ_ONLY) for m in project_memberships
    )
    TeamMembership.objects.bulk_create(TeamMembership(team=team, user=user) for user in users)
    groups = Group.objects.bulk_create(Group(name=f"bulk-team-{i}") for i in range(start, start + count))
    teams = Team.objects.bulk_create(
        Team(organization=organization, name=f"T{i}", name_key=f"t{i}", group=group)
        for i, group in zip(range(start, start + count), groups, strict=True)
    )
    assignments = TeamProjectAssignment.objects.bulk_create(
        TeamProjectAssignment(team=t, project=project) for t in teams
    )
    TeamProjectRole.objects.bulk_create(
        TeamProjectRole(assignment=a, name=roles.GROUP_READ_ONLY) for a in assignments
    )


@pytest.fixture
def team(organization, owner):
    return services.team_create(organization=organization, name="Platform", actor=owner)


def pages(organization, project, team):
    return {
        "organization": admin_url(Organization, "change", organization.pk),
        "project": admin_url(Project, "change", project.pk),
        "team": admin_url(Team, "change", team.pk),
    }


def test_change_pages_cost_no_more_at_500_rows_than_at_5_and_the_same_from_51(
    admin_client, organization, project, team
):
    urls = pages(organization, project, team)
    grow(organization, project, team, 4)
    five = {name: queries_of(admin_client, url) for name, url in urls.items()}

    grow(organization, project, team, INLINE_LIMIT - 3, start=4)  # 51 of each
    fifty_one = {name: queries_of(admin_client, url) for name, url in urls.items()}
    grow(organization, project, team, 449, start=51)  # 500 of each
    five_hundred = {name: queries_of(admin_client, url) for name, url in urls.items()}

    assert fifty_one == five_hundred
    assert all(five_hundred[name] <= five[name] for name in urls)


def test_a_large_inline_becomes_a_link_to_the_filtered_list(admin_client, organization, project, team):
    grow(organization, project, team, INLINE_LIMIT + 1)

    response = admin_client.get(admin_url(Organization, "change", organization.pk))

    assert [i.formset.prefix for i in response.context["inline_admin_formsets"]] == []
    page = response.content.decode()
    assert "Too many to list here: members" in page
    members_url = admin_url(OrganizationMembership) + f"?organization__id__exact={organization.pk}"
    assert members_url in page
    assert admin_client.get(members_url).context["cl"].result_count == INLINE_LIMIT + 2  # and the owner


def test_a_small_inline_stays(admin_client, organization, project, team):
    grow(organization, project, team, 3)

    response = admin_client.get(admin_url(Project, "change", project.pk))

    prefixes = {i.formset.prefix for i in response.context["inline_admin_formsets"]}
    assert prefixes == {"memberships", "team_assignments"}


def test_every_count_links_to_a_list_of_as_many_rows(admin_client, organization, project, team, owner):
    second = UserFactory(email="second@example.com")
    services.organization_member_add(
        organization=organization, user=second, roles=[roles.ORG_OWNER], actor=owner
    )
    services.team_member_add(team=team, user=second, actor=owner)
    services.team_project_assign(team=team, project=project, actor=owner)
    key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(api_key=key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    clusters = ClusterFactory.create_batch(2, project=project)
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    support_grant_create(cluster=clusters[0], grant_type="CLUSTER_INFRASTRUCTURE", actor=owner)  # 1 in force
    monitoring_user_attach(organization=organization, username="mms-ops", email="ops@example.com", actor=owner)
    other = services.organization_create(name="Acme Two", actor=owner)  # its rows must not be counted
    support_access_restrict_set(organization=other, restrict=True, actor=owner)
    support_grant_create(
        cluster=ClusterFactory(project=services.project_create(organization=other, name="P2", actor=owner)),
        grant_type="CLUSTER_INFRASTRUCTURE",
        actor=owner,
    )
    grow(organization, project, team, 3)

    for url in pages(organization, project, team).values():
        lines = _lines(admin_client, url)
        assert lines
        for label, count, link in lines:
            listed = admin_client.get(link)
            assert listed.status_code == 200, link
            assert listed.context["cl"].result_count == count, (url, label, link)


def _organization_lines(organization):
    lines = organization_lines(organization)
    for facts in ORGANIZATION_FACTS:  # monitoring's and support's
        lines += facts(organization)[0]
    return lines


def _lines(client, url):
    """(label, count, link) of the page's overview."""
    obj = client.get(url).context["original"]
    lines = {Organization: _organization_lines, Project: project_lines, Team: team_lines}[type(obj)](obj)
    return [(line.label, line.count, line.url) for line in lines]


def test_organization_page_names_its_owners_and_settings(admin_client, organization, owner):
    page = admin_client.get(admin_url(Organization, "change", organization.pk)).content.decode()

    assert "Organization owners (1)" in page and owner.email in page
    assert "two-factor authentication required: no" in page
    assert "support access to infrastructure blocked: no" in page
