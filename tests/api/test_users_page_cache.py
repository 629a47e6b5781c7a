"""Pages of the unfiltered users list are kept in the cache under the organization's PeopleVersion (version and
content, bumped by database triggers) and a digest of the projects the caller may see: a second read asks
neither the members nor their roles, and every change of what a page shows is on the next read."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Invitation, PeopleVersion, User
from accounts.services import (
    organization_member_role_add,
    project_create,
    project_delete,
    project_member_add,
    project_member_remove,
    project_member_roles_set,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
)
from accounts.services.invitations import (
    invitation_resend,
    invitation_update,
    invitations_expire_due,
    organization_invitations_create,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def read(client, organization, query=""):
    """(the page's JSON, the queries the request ran)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{V2}/orgs/{organization.public_id}/users{query}")
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in captured.captured_queries]


def fresh(client, organization, query=""):
    """The page as it is answered with nothing kept."""
    cache.clear()
    return read(client, organization, query)[0]


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def versions(organization) -> tuple[int, int]:
    return (
        PeopleVersion.objects.filter(organization_id=organization.pk)
        .values_list("version", "content")
        .first()
    )


@pytest.fixture
def world(organization, owner, project):
    """An owner, a member of the project with a role and of a team, a second project and team, and an
    invitation with a team and a project role."""
    other_project = project_create(organization=organization, name="Staging", actor=owner)
    member = MemberFactory(
        organization=organization, actor=owner, email="member@example.com", project=project, first_name="Mo"
    )
    team = team_create(organization=organization, name="Backend", members=[member], actor=owner)
    other_team = team_create(organization=organization, name="Frontend", actor=owner)
    (invitation,) = organization_invitations_create(
        organization=organization,
        emails=["invited@example.com"],
        teams=[team],
        group_role_assignments=[{"groupId": project.public_id, "roles": [roles.GROUP_READ_ONLY]}],
        actor=owner,
    )
    return {
        "organization": organization,
        "owner": owner,
        "project": project,
        "other_project": other_project,
        "member": member,
        "team": team,
        "other_team": other_team,
        "invitation": invitation,
    }


def test_a_second_read_asks_for_no_member_role_project_or_team(api, world):
    organization = world["organization"]
    first, first_queries = read(api, organization)
    second, second_queries = read(api, organization)
    assert second == first
    assert len(first["results"]) == 3
    read_tables = " ".join(second_queries)
    for table in ("organizationmembership", "organizationrole", "projectmembership", "teammembership"):
        assert f'"accounts_{table}"' not in read_tables, table
    assert len(second_queries) < len(first_queries)


CHANGES = {
    "an organization role added": lambda w: organization_member_role_add(
        organization=w["organization"], user=w["member"], role=roles.ORG_READ_ONLY, actor=w["owner"]
    ),
    "a project role changed": lambda w: project_member_roles_set(
        project=w["project"], user=w["member"], roles=[roles.GROUP_OWNER], actor=w["owner"]
    ),
    "a project joined": lambda w: project_member_add(
        project=w["other_project"], user=w["member"], actor=w["owner"]
    ),
    "a project left": lambda w: project_member_remove(
        project=w["project"], user=w["member"], actor=w["owner"]
    ),
    "a project deleted": lambda w: project_delete(project=w["project"], actor=w["owner"]),
    "a team joined": lambda w: team_member_add(team=w["other_team"], user=w["member"], actor=w["owner"]),
    "a team left": lambda w: team_member_remove(team=w["team"], user=w["member"], actor=w["owner"]),
    "a team deleted": lambda w: team_delete(team=w["team"], actor=w["owner"]),
    # No service: the triggers see any write.
    "a name changed": lambda w: User.objects.filter(pk=w["member"].pk).update(last_name="Renamed"),
    "an invitation's roles changed": lambda w: invitation_update(
        invitation=w["invitation"], roles=[roles.ORG_READ_ONLY], actor=w["owner"]
    ),
    "an invitation's teams changed": lambda w: invitation_update(
        invitation=w["invitation"], teams=[w["other_team"]], actor=w["owner"]
    ),
    "an invitation's projects changed": lambda w: invitation_update(
        invitation=w["invitation"],
        group_role_assignments=[{"groupId": w["other_project"].public_id, "roles": [roles.GROUP_OWNER]}],
        actor=w["owner"],
    ),
    "an invitation bounced": lambda w: Invitation.objects.filter(pk=w["invitation"].pk).update(
        bounced_at=timezone.now()
    ),
    "an invitation sent again": lambda w: invitation_resend(invitation=w["invitation"], actor=w["owner"]),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_of_what_a_page_shows_is_on_the_next_read(api, world, change):
    organization = world["organization"]
    read(api, organization)
    before, _ = read(api, organization)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):  # a resent invitation's dates move
        CHANGES[change](world)
        after, _ = read(api, organization)
        assert after != before
        assert after == fresh(api, organization)


def test_a_page_is_what_each_caller_may_see_of_the_projects(api, world):
    organization, project, member = world["organization"], world["project"], world["member"]
    reader = MemberFactory(organization=organization, actor=world["owner"], email="reader@example.com")
    as_reader = signed_in(reader)

    def assignments(page):
        (row,) = [row for row in page["results"] if row["username"] == member.email]
        return [a["groupId"] for a in row["roles"]["groupRoleAssignments"]]

    assert assignments(read(api, organization)[0]) == [project.public_id]
    assert assignments(read(as_reader, organization)[0]) == []  # the project is not the reader's to see
    assert assignments(read(as_reader, organization)[0]) == []
    assert assignments(read(api, organization)[0]) == [project.public_id]

    # Seeing more changes no listed row: the reader's page is another page.
    content = versions(organization)
    reader.user_permissions.add(Permission.objects.get(codename=roles.VIEW_PROJECT))
    assert versions(organization) == content
    reader = User.objects.get(pk=reader.pk)
    assert assignments(read(signed_in(reader), organization)[0]) == [project.public_id]


def test_a_pending_invitation_on_a_kept_page_shows_expired_once_past_its_date(api, world):
    organization, invitation = world["organization"], world["invitation"]
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(minutes=3))

    def status(page):
        (row,) = [row for row in page["results"] if row["username"] == invitation.email]
        return row["orgMembershipStatus"]

    assert status(read(api, organization)[0]) == "PENDING"
    assert status(read(api, organization)[0]) == "PENDING"
    with time_machine.travel(timezone.now() + timedelta(minutes=4)):
        assert status(read(api, organization)[0]) == "INVITATION_EXPIRED"
        # The expiry job marks it: nothing shown changes, and the page is kept.
        kept = versions(organization)
        assert invitation.pk in invitations_expire_due()
        assert versions(organization) == kept
        page, queries = read(api, organization)
        assert status(page) == "INVITATION_EXPIRED"
        assert not any('"accounts_organizationrole"' in sql for sql in queries)


def test_marking_an_invitation_expired_before_its_date_is_a_change(api, world):
    organization, invitation = world["organization"], world["invitation"]
    read(api, organization)
    content = versions(organization)
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.EXPIRED, expired_at=timezone.now()
    )
    assert versions(organization) != content
    page, _ = read(api, organization)
    (row,) = [row for row in page["results"] if row["username"] == invitation.email]
    assert row["orgMembershipStatus"] == "INVITATION_EXPIRED"


def test_another_organizations_changes_keep_the_page(api, world, owner):
    from accounts.services import organization_create

    organization = world["organization"]
    other = organization_create(name="Other", actor=owner)
    elsewhere = MemberFactory(organization=other, actor=owner, email="elsewhere@example.com")
    read(api, organization)
    kept = versions(organization)
    project_member_add(
        project=project_create(organization=other, name="P", actor=owner), user=elsewhere, actor=owner
    )
    User.objects.filter(pk=elsewhere.pk).update(first_name="Elsewhere")
    assert versions(organization) == kept
    _, queries = read(api, organization)
    assert not any('"accounts_organizationrole"' in sql for sql in queries)


def test_each_page_and_address_is_its_own_entry(api, world, settings):
    settings.ALLOWED_HOSTS = ["testserver", "portal.example.com"]
    organization = world["organization"]
    whole, _ = read(api, organization)
    first, _ = read(api, organization, "?itemsPerPage=1")
    second, _ = read(api, organization, "?itemsPerPage=1&pageNum=2")
    assert [r["id"] for r in first["results"] + second["results"]] == [r["id"] for r in whole["results"][:2]]
    assert read(api, organization, "?itemsPerPage=1")[0] == first
    enveloped = read(api, organization, "?itemsPerPage=1&envelope=true")[0]
    assert enveloped["status"] == 200 and enveloped["content"]["results"] == first["results"]
    assert "envelope=true" in enveloped["content"]["links"][0]["href"]
    other_host = api.get(f"{V2}/orgs/{organization.public_id}/users", HTTP_HOST="portal.example.com")
    assert other_host.json()["links"][0]["href"].startswith("http://portal.example.com/")


def test_a_superuser_is_answered_afresh(world, admin_user):
    organization = world["organization"]
    client = signed_in(admin_user)
    first, first_queries = read(client, organization)
    second, second_queries = read(client, organization)
    assert second == first
    assert any('"accounts_organizationrole"' in sql for sql in second_queries)


def test_a_kept_page_is_sent_as_asked_indented_or_in_the_asked_media_type(api, world):
    organization = world["organization"]
    url = f"{V2}/orgs/{organization.public_id}/users"
    first = api.get(url)
    kept = api.get(url)
    assert kept.content == first.content
    pretty = api.get(f"{url}?pretty=true")
    assert (
        pretty.content.startswith(b'{\n  "links"') and api.get(f"{url}?pretty=true").content == pretty.content
    )
    atlas = "application/vnd.atlas.2023-02-01+json"
    versioned = api.get(url, HTTP_ACCEPT=atlas)
    assert versioned["Content-Type"].startswith(atlas) and versioned.json() == first.json()
    browsable = api.get(url, HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and world["member"].email in browsable.content.decode()


def test_a_kept_page_costs_the_same_queries_at_2_and_20_members(api, organization, owner, project):
    def kept_page_queries(members):
        for number in range(members):
            MemberFactory(organization=organization, actor=owner, email=f"m{members}-{number}@example.com")
        read(api, organization)
        page, queries = read(api, organization)
        assert not any('"accounts_organizationmembership"' in sql for sql in queries)
        return len(page["results"]), len(queries)

    # The authentication and its limits, the organization, the people version, the visible projects.
    small, large = kept_page_queries(1), kept_page_queries(18)
    assert (small[0], large[0]) == (2, 20)
    assert small[1] == large[1]
