"""The Teams tab and a team's page (accounts/views/teams.py): list, search and pages of 50 at a constant cost; create
with members from the type-ahead; rename; add and remove members (who then lose the team's projects); delete after
a confirmation naming the access that goes; another organization's team or person answers like a missing one; those
who may not manage teams change nothing."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles, selectors
from accounts.models import AuditEvent, Team, TeamMembership, User
from accounts.services import (
    organization_create,
    project_member_add,
    team_create,
    team_member_add,
    team_project_assign,
)
from accounts.services.invitations import organization_invitations_create
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def teams_url(organization):
    return f"/orgs/{organization.public_id}/teams/"


def team_url(team):
    return f"/orgs/{team.organization.public_id}/teams/{team.public_id}/"


def plain(response, *names):
    """The page without its CSRF token, with ``names`` (the ids or addresses a request gave) masked."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    for name in names:
        text = text.replace(name, "<GIVEN>")
    return text


def reaches(user, project) -> bool:
    fresh = User.objects.get(pk=user.pk)  # no permission cache of an earlier check
    return selectors.visible_projects(fresh).filter(pk=project.pk).exists()


@pytest.fixture
def ann(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="ann@example.com")


@pytest.fixture
def platform(organization, owner, ann, project):
    team = team_create(organization=organization, name="Platform", members=[ann], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    return team


@pytest.fixture
def foreign(db):
    """Another organization, with a team and a member."""
    boss = UserFactory(email="boss@globex.example")
    globex = organization_create(name="Globex", actor=boss)
    stranger = MemberFactory(organization=globex, actor=boss, email="stranger@globex.example")
    team = team_create(organization=globex, name="Secret team", members=[stranger], actor=boss)
    return {"organization": globex, "team": team, "person": stranger, "owner": boss}


# ---- the list ---------------------------------------------------------------------------------------------------


def test_the_tab_lists_teams_with_their_member_and_project_counts(client, organization, owner, platform):
    team_create(organization=organization, name="Empty", actor=owner)
    client.force_login(owner)
    page = client.get(teams_url(organization)).content.decode()
    assert 'aria-current="page">Teams</a>' in page
    row = re.search(r"<tr>\s*<td><a href=\"[^\"]+\">Platform</a></td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="numeric">(\d+)</td>', row) == ["1", "1"]
    assert "Empty" in page and "Create team" in page


def test_the_list_searches_by_name_and_comes_in_pages_of_50(client, organization, owner):
    for index in range(55):
        team_create(organization=organization, name=f"Team {index:02}", actor=owner)
    team_create(organization=organization, name="Databases", actor=owner)
    client.force_login(owner)
    first = client.get(teams_url(organization)).content.decode()
    assert "Team 48" in first and "Team 52" not in first and "1–50 of 56" in first
    second = client.get(teams_url(organization), {"page": 2}).content.decode()
    assert "Team 52" in second
    found = client.get(teams_url(organization), {"q": "datab"}).content.decode()
    assert "Databases" in found and "Team 01" not in found and "1–1 of 1" in found


def _queries(client, url):
    client.get(url)  # the first request may fill caches (the session's, the content types')
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_at_5_and_60_teams(client, organization, owner, ann, project):
    def add(count):
        for _ in range(count):
            team = team_create(
                organization=organization, name=f"T{Team.objects.count()}", members=[ann], actor=owner
            )
            team_project_assign(team=team, project=project, actor=owner)

    client.force_login(owner)
    add(5)
    few = _queries(client, teams_url(organization))
    add(55)
    assert _queries(client, teams_url(organization)) == few


def test_a_team_page_costs_the_same_queries_at_5_and_60_members(client, organization, owner, project):
    team = team_create(organization=organization, name="Big", actor=owner)
    team_project_assign(team=team, project=project, actor=owner)
    client.force_login(owner)

    def add(count):
        start = TeamMembership.objects.count()
        for index in range(count):
            team_member_add(
                team=team,
                user=MemberFactory(
                    organization=organization, actor=owner, email=f"m{start + index}@example.com"
                ),
                actor=owner,
            )

    add(5)
    few = _queries(client, team_url(team))
    add(55)
    assert _queries(client, team_url(team)) == few


# ---- create ----------------------------------------------------------------------------------------------------


def test_an_owner_creates_a_team_with_members_and_lands_on_its_page(client, organization, owner, ann):
    bob = MemberFactory(organization=organization, actor=owner, email="bob@example.com")
    client.force_login(owner)
    response = client.post(
        teams_url(organization), {"team-name": "Platform", "team-members": "ann@example.com, BOB@example.com"}
    )
    team = Team.objects.get(name="Platform")
    assert response.status_code == 302 and response.url == team_url(team)
    assert {m.user for m in team.memberships.all()} == {ann, bob}
    assert AuditEvent.objects.filter(event_type="TEAM_CREATED", target_id=team.public_id).exists()
    page = client.get(response.url).content.decode()
    assert "The team Platform was created with 2 member(s)." in page
    assert "ann@example.com" in page and "bob@example.com" in page


def test_a_taken_name_is_a_form_error_next_to_the_name(client, organization, owner, platform):
    client.force_login(owner)
    response = client.post(teams_url(organization), {"team-name": "platform", "team-members": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A team named platform already exists in Acme." in page
    assert page.count("already exists") == 1
    assert Team.objects.filter(organization=organization).count() == 1


def test_members_must_have_accepted_and_another_organizations_person_is_nobody(
    client, organization, owner, foreign
):
    organization_invitations_create(organization=organization, emails=["pending@example.com"], actor=owner)
    client.force_login(owner)
    answers = {}
    for email in ("pending@example.com", foreign["person"].email, "nobody@example.com"):
        response = client.post(teams_url(organization), {"team-name": "T", "team-members": email})
        assert response.status_code == 400
        answers[email] = plain(response, email)
        assert f"{email} is not a member of Acme." in response.content.decode()
    assert len(set(answers.values())) == 1  # another organization's person answers like a missing one
    assert not Team.objects.filter(organization=organization).exists()


def test_the_type_ahead_offers_at_most_20_accepted_members_of_this_organization(
    client, organization, owner, foreign
):
    for index in range(25):
        MemberFactory(organization=organization, actor=owner, email=f"dev{index:02}@example.com")
    client.force_login(owner)
    url = f"/orgs/{organization.public_id}/teams/member-options/"
    options = client.get(url, {"team-members": "ann@example.com, dev"}).content.decode()
    assert options.count("<option") == 20
    assert 'value="ann@example.com, dev00@example.com"' in options
    assert "globex" not in client.get(url, {"team-members": "stranger"}).content.decode()
    page = client.get(teams_url(organization)).content.decode()
    assert 'list="team-member-options"' in page and page.count("<option") == 20


# ---- a team's page ------------------------------------------------------------------------------------------------


def test_a_team_page_shows_members_and_the_projects_with_their_roles(client, organization, owner, platform):
    client.force_login(owner)
    page = client.get(team_url(platform)).content.decode()
    assert "<h1>Platform</h1>" in page
    assert "ann@example.com" in page
    assert "Production" in page and "Project Owner" in page and "GROUP_OWNER" not in page


def test_an_owner_renames_and_adds_members(client, organization, owner, platform):
    bob = MemberFactory(organization=organization, actor=owner, email="bob@example.com")
    client.force_login(owner)
    response = client.post(team_url(platform), {"action": "rename", "rename-name": "Infrastructure"})
    assert response.status_code == 302
    platform.refresh_from_db()
    assert platform.name == "Infrastructure"
    response = client.post(team_url(platform), {"action": "add", "add-members": "bob@example.com"})
    assert response.status_code == 302
    assert platform.memberships.filter(user=bob).exists()
    response = client.post(team_url(platform), {"action": "add", "add-members": "bob@example.com"})
    assert response.status_code == 400
    assert "already in team Infrastructure" in response.content.decode()


def test_removing_a_member_confirms_first_and_they_lose_the_teams_projects(
    client, organization, owner, platform, ann, project
):
    url = f"{team_url(platform)}members/{ann.public_id}/remove/"
    client.force_login(owner)
    assert reaches(ann, project)
    confirmation = client.get(url).content.decode()
    assert "Remove ann@example.com from the team Platform?" in confirmation
    assert "Production: Project Owner" in confirmation
    assert platform.memberships.filter(user=ann).exists()  # nothing happened on GET

    response = client.post(url)
    assert response.status_code == 302
    assert not platform.memberships.filter(user=ann).exists()
    assert not reaches(ann, project)
    assert AuditEvent.objects.filter(event_type="REMOVED_FROM_TEAM", target_id=ann.public_id).exists()


def test_a_member_keeps_their_own_access_after_leaving_the_team(
    client, organization, owner, platform, ann, project
):
    project_member_add(project=project, user=ann, actor=owner)
    client.force_login(owner)
    client.post(f"{team_url(platform)}members/{ann.public_id}/remove/")
    assert reaches(ann, project)


def test_deleting_a_team_confirms_naming_the_access_that_goes(
    client, organization, owner, platform, ann, project
):
    url = f"{team_url(platform)}delete/"
    client.force_login(owner)
    confirmation = client.get(url).content.decode()
    assert "Delete the team Platform?" in confirmation
    assert "Production: Project Owner" in confirmation
    assert "Delete team" in confirmation
    assert Team.objects.filter(pk=platform.pk).exists()

    response = client.post(url, follow=True)
    assert not Team.objects.filter(pk=platform.pk).exists()
    assert "the access it gave to Production is gone" in response.content.decode()
    assert not reaches(ann, project)


# ---- refusals ------------------------------------------------------------------------------------------------


def _state(organization):
    return (
        sorted(Team.objects.filter(organization=organization).values_list("name", flat=True)),
        TeamMembership.objects.filter(team__organization=organization).count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY])
def test_those_who_may_not_manage_teams_see_them_and_change_nothing(
    client, organization, owner, platform, ann, role
):
    reader = MemberFactory(organization=organization, actor=owner, email="reader@example.com", roles=[role])
    client.force_login(reader)
    page = client.get(teams_url(organization)).content.decode()
    assert "Platform" in page and "Create team" not in page
    detail = client.get(team_url(platform)).content.decode()
    assert "ann@example.com" in detail and "Delete team" not in detail and "Remove" not in detail
    before = _state(organization)
    attempts = [
        (teams_url(organization), {"team-name": "Mine", "team-members": "reader@example.com"}),
        (team_url(platform), {"action": "rename", "rename-name": "Mine"}),
        (team_url(platform), {"action": "add", "add-members": "reader@example.com"}),
        (f"{team_url(platform)}members/{ann.public_id}/remove/", {}),
        (f"{team_url(platform)}delete/", {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(f"{team_url(platform)}delete/").status_code == 403
    assert client.get(f"/orgs/{organization.public_id}/teams/member-options/").status_code == 403
    assert _state(organization) == before


def test_a_project_read_only_member_cannot_manage_teams(client, organization, owner, platform, project):
    reader = MemberFactory(organization=organization, actor=owner, email="reader@example.com")
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client.force_login(reader)
    before = _state(organization)
    assert client.post(f"{team_url(platform)}delete/").status_code == 403
    assert client.post(teams_url(organization), {"team-name": "Mine"}).status_code == 403
    assert _state(organization) == before


def test_another_organizations_team_or_person_answers_like_a_missing_one(
    client, organization, owner, platform, foreign
):
    client.force_login(owner)
    missing = "ffffffffffffffffffff0001"
    theirs = foreign["team"].public_id
    before = _state(foreign["organization"])
    for suffix in ("", "delete/", f"members/{foreign['person'].public_id}/remove/"):
        for method in ("get", "post"):
            got = getattr(client, method)(f"{teams_url(organization)}{theirs}/{suffix}")
            expected = getattr(client, method)(f"{teams_url(organization)}{missing}/{suffix}")
            assert got.status_code == expected.status_code == 404
            assert plain(got, theirs) == plain(expected, missing)
    # Their organization's pages, reached with their ids, are not found either.
    assert client.get(f"{teams_url(foreign['organization'])}{theirs}/").status_code == 404
    # Their member, named on our team's page, is not found.
    url = f"{team_url(platform)}members/{foreign['person'].public_id}/remove/"
    assert client.post(url).status_code == 404
    assert _state(foreign["organization"]) == before


def test_a_name_with_a_bidi_override_is_a_form_error_not_a_team(client, organization, owner):
    client.force_login(owner)
    response = client.post(teams_url(organization), {"team-name": "Ops\u202egnp.exe", "team-members": ""})
    assert response.status_code == 400
    assert 'class="field field-invalid"' in response.content.decode()
    assert not Team.objects.filter(organization=organization).exists()
