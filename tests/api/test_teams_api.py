"""/orgs/{orgId}/teams and /groups/{groupId}/teams over the session and over HTTP Digest."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import (
    OrganizationMembership,
    OrganizationRole,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
    team_name_key,
)
from accounts.services import (
    organization_create,
    project_create,
    project_member_add,
    team_create,
    team_member_add,
    team_project_assign,
)
from accounts.services.invitations import organization_invitations_create
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def fresh(user):
    """Django caches permissions on a user object: ask a freshly loaded one."""
    return User.objects.get(pk=user.pk)


def bulk_teams(organization, count, prefix="bulk"):
    """``count`` bare teams straight into the tables (the limit and query-count tests need hundreds)."""
    names = [f"{prefix}-{i:03}" for i in range(count)]
    teams = [Team(organization=organization, name=name, name_key=team_name_key(name)) for name in names]
    groups = Group.objects.bulk_create(Group(name=f"team:{team.public_id}") for team in teams)
    for team, group in zip(teams, groups, strict=True):
        team.group = group
    return Team.objects.bulk_create(teams)


def bulk_members(organization, count, prefix="bulk", team=None):
    """``count`` accepted ORG_MEMBERs (optionally in ``team``) straight into the tables."""
    users = User.objects.bulk_create(User(email=f"{prefix}{i:03}@example.com") for i in range(count))
    memberships = OrganizationMembership.objects.bulk_create(
        OrganizationMembership(organization=organization, user=user) for user in users
    )
    OrganizationRole.objects.bulk_create(
        OrganizationRole(membership=m, name=roles.ORG_MEMBER) for m in memberships
    )
    if team is not None:
        TeamMembership.objects.bulk_create(TeamMembership(team=team, user=user) for user in users)
    return users


def queries_for(client, url) -> int:
    """Queries of one GET once warm (the first request of a process also fills Django's ContentType cache)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def field_names(response) -> list[str]:
    return [f["field"] for f in response.json()["badRequestDetail"]["fields"]]


@pytest.fixture
def alice(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="alice@example.com")


@pytest.fixture
def bob(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="bob@example.com")


@pytest.fixture
def team(organization, owner):
    return team_create(organization=organization, name="Platform", actor=owner)


@pytest.fixture
def other_organization(db):
    return organization_create(name="Globex", actor=UserFactory(email="globex-owner@example.com"))


@pytest.fixture
def foreign_team(other_organization):
    owner = User.objects.get(email="globex-owner@example.com")
    return team_create(organization=other_organization, name="Platform", actor=owner)


def teams_url(organization, suffix=""):
    return f"{V2}/orgs/{organization.public_id}/teams{suffix}"


# ---- organization teams ---------------------------------------------------------------------------------------


def test_create_team_with_members_named_by_user_name_or_id(api, organization, alice, bob):
    response = api.post(
        teams_url(organization),
        {"name": "Platform", "usernames": ["ALICE@example.com", bob.public_id]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Platform"
    assert body["usernames"] == ["alice@example.com", "bob@example.com"]
    assert body["links"][0]["href"].endswith(
        f"/api/atlas/v2/orgs/{organization.public_id}/teams/{body['id']}"
    )
    team = Team.objects.get(public_id=body["id"])
    assert set(team.memberships.values_list("user__email", flat=True)) == {
        "alice@example.com",
        "bob@example.com",
    }


def test_create_team_without_usernames_makes_an_empty_team(api, organization):
    response = api.post(teams_url(organization), {"name": "Empty"}, format="json")
    assert response.status_code == 201
    assert response.json()["usernames"] == []


def test_unknown_and_pending_user_names_are_a_400_naming_them_not_a_500(api, organization, owner, alice):
    organization_invitations_create(organization=organization, emails=["pending@example.com"], actor=owner)
    UserFactory(email="elsewhere@example.com")  # an account, but not in this organization

    response = api.post(
        teams_url(organization),
        {"name": "Platform", "usernames": [alice.email, "pending@example.com", "nobody@example.com"]},
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "USER_NOT_IN_ORG"
    assert body["parameters"] == ["nobody@example.com", "pending@example.com"]
    assert "pending@example.com has not accepted the invitation yet" in body["detail"]
    assert "nobody@example.com is not a member" in body["detail"]
    assert not Team.objects.filter(organization=organization).exists()

    outsider = api.post(
        teams_url(organization), {"name": "Platform", "usernames": ["elsewhere@example.com"]}, format="json"
    ).json()
    assert "elsewhere@example.com is not a member" in outsider["detail"]  # exactly like a missing account


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": ["Platform"]}, "name"),
        ({"name": "Platform", "usernames": "alice@example.com"}, "usernames"),
        ({"name": "Platform", "usernames": [{"id": "x"}]}, "usernames"),
    ],
)
def test_create_validation_400_names_the_field(api, organization, body, field):
    response = api.post(teams_url(organization), body, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert field_names(response)[0].startswith(field)


def test_create_with_a_taken_name_is_a_409(api, organization, team):
    response = api.post(teams_url(organization), {"name": "PLATFORM"}, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "TEAM_NAME_TAKEN"


def test_the_251st_team_is_refused_with_team_limit_reached(api, organization):
    bulk_teams(organization, Team.MAX_PER_ORGANIZATION)
    response = api.post(teams_url(organization), {"name": "One too many"}, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "TEAM_LIMIT_REACHED"


def test_a_team_of_251_members_is_refused_with_team_member_limit_reached(api, organization):
    users = bulk_members(organization, Team.MAX_MEMBERS + 1)
    response = api.post(
        teams_url(organization), {"name": "Crowd", "usernames": [u.email for u in users]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "TEAM_MEMBER_LIMIT_REACHED"
    assert not Team.objects.filter(name="Crowd").exists()


def test_list_is_by_name_with_count_and_served_on_the_legacy_prefix(api, organization, owner, team):
    team_create(organization=organization, name="Analytics", actor=owner)
    body = api.get(teams_url(organization)).json()
    assert [t["name"] for t in body["results"]] == ["Analytics", "Platform"]
    assert body["totalCount"] == 2
    assert set(body["results"][0]) == {"id", "name", "links"}
    legacy = api.get(f"/api/atlas/v1.0/orgs/{organization.public_id}/teams").json()
    assert [t["name"] for t in legacy["results"]] == ["Analytics", "Platform"]


def test_team_list_costs_the_same_queries_for_2_and_20(api, organization):
    url = teams_url(organization)
    bulk_teams(organization, 2, "a")
    two = queries_for(api, url)
    bulk_teams(organization, 18, "b")
    assert api.get(url).json()["totalCount"] == 20
    assert queries_for(api, url) == two


def test_get_by_id_and_by_name(api, organization, owner, team):
    by_id = api.get(teams_url(organization, f"/{team.public_id}")).json()
    assert by_id == api.get(teams_url(organization, "/byName/platform")).json()
    assert by_id["id"] == team.public_id
    team_create(organization=organization, name="Ops/EU", actor=owner)
    assert api.get(teams_url(organization, "/byName/Ops%2FEU")).json()["name"] == "Ops/EU"
    team_create(organization=organization, name="Équipe", actor=owner)
    assert api.get(teams_url(organization, "/byName/%C3%89QUIPE")).json()["name"] == "Équipe"
    missing = api.get(teams_url(organization, "/byName/Nope"))
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_rename(api, organization, owner, team):
    response = api.patch(teams_url(organization, f"/{team.public_id}"), {"name": "Core"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Core"
    team_create(organization=organization, name="Taken", actor=owner)
    taken = api.patch(teams_url(organization, f"/{team.public_id}"), {"name": "taken"}, format="json")
    assert taken.status_code == 409
    missing = api.patch(teams_url(organization, f"/{team.public_id}"), {}, format="json")
    assert missing.status_code == 400
    assert field_names(missing) == ["name"]


def test_deleting_a_team_with_projects_works_and_reports_the_access_it_removed(
    api, organization, owner, project, team, alice
):
    team_member_add(team=team, user=alice, actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    assert fresh(alice).has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)

    response = api.delete(teams_url(organization, f"/{team.public_id}"))

    assert response.status_code == 200
    assert response.json() == {
        "removedFromGroups": [{"groupName": "Production", "roleNames": [roles.GROUP_CLUSTER_MANAGER]}],
        "removedMembers": ["alice@example.com"],
    }
    assert not fresh(alice).has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)
    assert api.get(teams_url(organization, f"/{team.public_id}")).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "Mine"}),
        ("delete", "", None),
        ("get", "/users", None),
        ("post", "/users", [{"id": "alice@example.com"}]),
        ("post", ":addUser", {"id": "alice@example.com"}),
        ("post", ":removeUser", {"id": "alice@example.com"}),
        ("delete", "/users/alice@example.com", None),
    ],
)
def test_another_organizations_team_is_a_404_like_a_missing_one(
    api, organization, alice, foreign_team, other_organization, method, suffix, body
):
    def call(org, team_id):
        url = f"{V2}/orgs/{org.public_id}/teams/{team_id}{suffix}"
        return getattr(api, method)(url, body, format="json")

    missing = call(organization, "0123456789abcdef01234567")
    through_mine = call(organization, foreign_team.public_id)  # org B's team under org A's path
    through_theirs = call(other_organization, foreign_team.public_id)  # org B, where the caller is nobody
    for response in (missing, through_mine, through_theirs):
        assert response.status_code == 404
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    assert Team.objects.filter(pk=foreign_team.pk, name="Platform").exists()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "", {"name": "Mine"}),
        ("patch", "/{team}", {"name": "Mine"}),
        ("delete", "/{team}", None),
        ("post", "/{team}/users", [{"id": "alice@example.com"}]),
        ("post", "/{team}:addUser", {"id": "alice@example.com"}),
        ("post", "/{team}:removeUser", {"id": "alice@example.com"}),
        ("delete", "/{team}/users/alice@example.com", None),
    ],
)
def test_org_member_may_read_teams_but_not_change_them(
    organization, owner, team, alice, method, suffix, body
):
    client = signed_in(MemberFactory(organization=organization, actor=owner, email="member@example.com"))
    assert client.get(teams_url(organization)).status_code == 200
    assert client.get(teams_url(organization, f"/{team.public_id}/users")).status_code == 200

    url = teams_url(organization, suffix.format(team=team.public_id))
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


# ---- team members ---------------------------------------------------------------------------------------------


def test_add_user_by_id_or_user_name_answers_with_the_user(api, organization, team, alice, bob):
    by_id = api.post(
        teams_url(organization, f"/{team.public_id}:addUser"), {"id": alice.public_id}, format="json"
    )
    by_name = api.post(
        teams_url(organization, f"/{team.public_id}:addUser"), {"id": "Bob@Example.com"}, format="json"
    )

    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json()["id"] == alice.public_id
    assert by_id.json()["teamIds"] == [team.public_id]
    assert {"orgId": organization.public_id, "roleName": roles.ORG_MEMBER} in by_name.json()["roles"]
    listed = api.get(teams_url(organization, f"/{team.public_id}/users")).json()
    assert [u["username"] for u in listed["results"]] == ["alice@example.com", "bob@example.com"]
    assert listed["totalCount"] == 2


def test_add_user_refusals(api, organization, owner, team, alice):
    organization_invitations_create(organization=organization, emails=["pending@example.com"], actor=owner)
    url = teams_url(organization, f"/{team.public_id}:addUser")

    pending = api.post(url, {"id": "pending@example.com"}, format="json")
    assert pending.status_code == 400
    assert pending.json()["errorCode"] == "USER_NOT_IN_ORG"
    assert pending.json()["parameters"] == ["pending@example.com"]
    assert api.post(url, {"id": "0123456789abcdef01234567"}, format="json").status_code == 400

    assert api.post(url, {"id": alice.email}, format="json").status_code == 200
    again = api.post(url, {"id": alice.email}, format="json")
    assert again.status_code == 409
    assert again.json()["errorCode"] == "USER_ALREADY_IN_TEAM"

    no_id = api.post(url, {}, format="json")
    assert no_id.status_code == 400
    assert field_names(no_id) == ["id"]
    assert api.post(url, [{"id": alice.email}], format="json").status_code == 400


def test_adding_the_251st_member_is_refused(api, organization, team):
    bulk_members(organization, Team.MAX_MEMBERS, team=team)
    newcomer = bulk_members(organization, 1, prefix="late")[0]
    response = api.post(
        teams_url(organization, f"/{team.public_id}:addUser"), {"id": newcomer.email}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "TEAM_MEMBER_LIMIT_REACHED"


def test_remove_user_by_user_name_keeps_their_own_project_access(
    api, organization, owner, project, team, alice
):
    team_member_add(team=team, user=alice, actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    project_member_add(project=project, user=alice, roles=[roles.GROUP_READ_ONLY], actor=owner)

    response = api.post(
        teams_url(organization, f"/{team.public_id}:removeUser"), {"id": alice.email}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["teamIds"] == []
    assert not fresh(alice).has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)
    assert fresh(alice).has_perm(f"accounts.{roles.VIEW_PROJECT}", project)
    again = api.post(
        teams_url(organization, f"/{team.public_id}:removeUser"), {"id": alice.email}, format="json"
    )
    assert again.status_code == 404
    assert again.json()["errorCode"] == "USER_NOT_IN_TEAM"


def test_older_add_users_takes_a_list_and_answers_with_the_teams_users(api, organization, team, alice, bob):
    url = teams_url(organization, f"/{team.public_id}/users")
    response = api.post(url, [{"id": alice.public_id}, {"id": bob.email}], format="json")
    assert response.status_code == 201
    assert [u["id"] for u in response.json()["results"]] == [alice.public_id, bob.public_id]

    for body, field in [
        ({"id": alice.public_id}, "body"),
        ([], "body"),
        ([{"id": "a"}, {"name": "x"}], "1.id"),
    ]:
        refused = api.post(url, body, format="json")
        assert refused.status_code == 400, body
        assert field_names(refused) == [field]


def test_older_remove_user_by_id_or_user_name_is_a_204(api, organization, owner, team, alice, bob):
    team_member_add(team=team, user=alice, actor=owner)
    team_member_add(team=team, user=bob, actor=owner)
    assert (
        api.delete(teams_url(organization, f"/{team.public_id}/users/{alice.public_id}")).status_code == 204
    )
    assert api.delete(teams_url(organization, f"/{team.public_id}/users/bob@example.com")).status_code == 204
    assert not team.memberships.exists()
    assert api.delete(teams_url(organization, f"/{team.public_id}/users/bob@example.com")).status_code == 404


def test_team_users_list_costs_the_same_queries_for_2_and_20(api, organization, team):
    url = teams_url(organization, f"/{team.public_id}/users")
    bulk_members(organization, 2, "a", team=team)
    two = queries_for(api, url)
    bulk_members(organization, 18, "b", team=team)
    assert api.get(url).json()["totalCount"] == 20
    assert queries_for(api, url) == two


# ---- project teams --------------------------------------------------------------------------------------------


def project_teams_url(project, suffix=""):
    return f"{V2}/groups/{project.public_id}/teams{suffix}"


def test_assign_several_teams_then_list_get_change_and_remove(api, organization, owner, project, team):
    analytics = team_create(organization=organization, name="Analytics", actor=owner)
    response = api.post(
        project_teams_url(project),
        [
            {"teamId": team.public_id, "roleNames": [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY]},
            {"teamId": analytics.public_id},
        ],
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["totalCount"] == 2
    assert body["results"][0]["teamId"] == analytics.public_id
    assert body["results"][0]["roleNames"] == [roles.GROUP_READ_ONLY]
    assert body["results"][1]["roleNames"] == [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY]
    assert body["results"][1]["links"][0]["href"].endswith(
        f"/groups/{project.public_id}/teams/{team.public_id}"
    )
    assert api.get(project_teams_url(project)).json()["results"] == body["results"]

    one = api.get(project_teams_url(project, f"/{team.public_id}"))
    assert one.status_code == 200
    assert one.json() == body["results"][1]

    changed = api.patch(
        project_teams_url(project, f"/{team.public_id}"),
        {"teamId": team.public_id, "roleNames": [roles.GROUP_OWNER]},
        format="json",
    )
    assert changed.status_code == 200
    assert [r["roleNames"] for r in changed.json()["results"]] == [[roles.GROUP_OWNER]]

    assert api.delete(project_teams_url(project, f"/{team.public_id}")).status_code == 204
    gone = api.get(project_teams_url(project, f"/{team.public_id}"))
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "TEAM_NOT_IN_GROUP"
    assert api.delete(project_teams_url(project, f"/{team.public_id}")).status_code == 404


def test_assigning_several_teams_is_all_or_nothing(api, organization, owner, project, team):
    analytics = team_create(organization=organization, name="Analytics", actor=owner)
    team_project_assign(team=team, project=project, actor=owner)

    response = api.post(
        project_teams_url(project),
        [{"teamId": analytics.public_id}, {"teamId": team.public_id}],
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["errorCode"] == "TEAM_ALREADY_IN_GROUP"
    assert not TeamProjectAssignment.objects.filter(team=analytics).exists()


BAD_ITEMS = [
    ({"roleNames": [roles.GROUP_READ_ONLY]}, "1.teamId"),
    ({"teamId": 24 * "0", "roleNames": [roles.GROUP_READ_ONLY, "GROUP_WIZARD"]}, "1.roleNames.1"),
    ({"teamId": 24 * "0", "roleNames": [roles.GROUP_READ_ONLY, roles.ORG_OWNER]}, "1.roleNames.1"),
    ({"teamId": 24 * "0", "roleNames": []}, "1.roleNames"),
    ({"teamId": 24 * "0", "roleNames": roles.GROUP_OWNER}, "1.roleNames"),
]


@pytest.mark.parametrize(("item", "field"), BAD_ITEMS)
def test_assign_validation_400_names_the_item_and_field(api, project, team, item, field):
    response = api.post(project_teams_url(project), [{"teamId": team.public_id}, item], format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert field_names(response) == [field]
    assert not TeamProjectAssignment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"teamId": "x"}, "body"),
        ([], "body"),
        ("{team}", "body"),
        ([{"teamId": "{team}"}, {"teamId": "{team}"}], "teamId"),
    ],
)
def test_assign_body_must_be_a_list_of_distinct_teams(api, project, team, body, field):
    if isinstance(body, list):
        body = [{"teamId": team.public_id} for _ in body]
    response = api.post(project_teams_url(project), body, format="json")
    assert response.status_code == 400
    assert field_names(response) == [field]
    assert not TeamProjectAssignment.objects.exists()


def test_validation_error_of_the_first_list_item_names_its_index(api, project):
    response = api.post(project_teams_url(project), [{"roleNames": [roles.GROUP_READ_ONLY]}], format="json")
    assert field_names(response) == ["0.teamId"]


def test_change_roles_validation(api, owner, project, team):
    team_project_assign(team=team, project=project, actor=owner)
    url = project_teams_url(project, f"/{team.public_id}")
    for body, field in [
        ({}, "roleNames"),
        ({"roleNames": [roles.GROUP_OWNER, "GROUP_WIZARD"]}, "roleNames.1"),
        ({"roleNames": [roles.GROUP_OWNER], "teamId": "0123456789abcdef01234567"}, "teamId"),
    ]:
        response = api.patch(url, body, format="json")
        assert response.status_code == 400, body
        assert field_names(response) == [field]
    assert TeamProjectRole.objects.get(assignment__team=team).name == roles.GROUP_READ_ONLY


def test_another_organizations_team_under_a_project_is_a_404(
    api, owner, project, foreign_team, other_organization
):
    assigned = api.post(project_teams_url(project), [{"teamId": foreign_team.public_id}], format="json")
    assert assigned.status_code == 404
    assert assigned.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    for method, body in [("get", None), ("patch", {"roleNames": [roles.GROUP_OWNER]}), ("delete", None)]:
        response = getattr(api, method)(
            project_teams_url(project, f"/{foreign_team.public_id}"), body, format="json"
        )
        assert response.status_code == 404
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    foreign_project = project_create(
        organization=other_organization,
        name="Theirs",
        actor=User.objects.get(email="globex-owner@example.com"),
    )
    assert api.get(project_teams_url(foreign_project)).status_code == 404


def test_group_read_only_may_list_project_teams_but_not_change_them(organization, owner, project, team):
    team_project_assign(team=team, project=project, actor=owner)
    reader = UserFactory(email="reader@example.com")
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client = signed_in(reader)
    assert client.get(project_teams_url(project)).json()["totalCount"] == 1
    assert client.get(project_teams_url(project, f"/{team.public_id}")).status_code == 200

    for method, suffix, body in [
        ("post", "", [{"teamId": team.public_id}]),
        ("patch", f"/{team.public_id}", {"roleNames": [roles.GROUP_OWNER]}),
        ("delete", f"/{team.public_id}", None),
    ]:
        response = getattr(client, method)(project_teams_url(project, suffix), body, format="json")
        assert response.status_code == 403, method
        assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


def test_group_user_admin_cannot_give_a_team_more_than_they_hold(organization, owner, project, team):
    admin = UserFactory(email="user-admin@example.com")
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    client = signed_in(admin)
    response = client.post(
        project_teams_url(project),
        [{"teamId": team.public_id, "roleNames": [roles.GROUP_OWNER]}],
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "ROLE_ESCALATION"
    ok = client.post(project_teams_url(project), [{"teamId": team.public_id}], format="json")
    assert ok.status_code == 201


def test_project_team_list_costs_the_same_queries_for_2_and_20(api, organization, project):
    url = project_teams_url(project)

    def assign(teams):
        assignments = TeamProjectAssignment.objects.bulk_create(
            TeamProjectAssignment(team=t, project=project) for t in teams
        )
        TeamProjectRole.objects.bulk_create(
            TeamProjectRole(assignment=a, name=name)
            for a in assignments
            for name in (roles.GROUP_READ_ONLY, roles.GROUP_CLUSTER_MANAGER)
        )

    assign(bulk_teams(organization, 2, "a"))
    two = queries_for(api, url)
    assign(bulk_teams(organization, 18, "b"))
    assert api.get(url).json()["totalCount"] == 20
    assert queries_for(api, url) == two


# ---- over HTTP Digest -----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_client_creates_a_team_adds_a_user_assigns_it_and_lists(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Digest Project", actor=owner)
    carol = MemberFactory(organization=organization, actor=owner, email="carol@example.com")
    client = digest_client(organization, actor=owner)

    created = client.post(f"orgs/{organization.public_id}/teams", json={"name": "Ops", "usernames": []})
    assert created.status_code == 201, created.text
    team_id = created.json()["id"]

    added = client.post(
        f"orgs/{organization.public_id}/teams/{team_id}:addUser", json={"id": carol.public_id}
    )
    assert added.status_code == 200, added.text
    assert added.json()["teamIds"] == [team_id]

    assigned = client.post(
        f"groups/{project.public_id}/teams", json=[{"teamId": team_id, "roleNames": [roles.GROUP_READ_ONLY]}]
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["results"][0]["teamId"] == team_id

    assert [t["id"] for t in client.get(f"orgs/{organization.public_id}/teams").json()["results"]] == [
        team_id
    ]
    users = client.get(f"orgs/{organization.public_id}/teams/{team_id}/users").json()
    assert [u["username"] for u in users["results"]] == ["carol@example.com"]
    listed = client.get(f"groups/{project.public_id}/teams").json()
    assert listed["results"] == [
        {**assigned.json()["results"][0], "roleNames": [roles.GROUP_READ_ONLY]},
    ]

    deleted = client.delete(f"orgs/{organization.public_id}/teams/{team_id}")
    assert deleted.status_code == 200
    assert deleted.json()["removedFromGroups"] == [
        {"groupName": "Digest Project", "roleNames": [roles.GROUP_READ_ONLY]}
    ]


@pytest.mark.django_db(transaction=True)
def test_digest_read_only_key_is_refused_and_foreign_teams_are_not_found(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    elsewhere = organization_create(name="Elsewhere", actor=UserFactory())
    foreign = team_create(organization=elsewhere, name="Theirs", actor=elsewhere.memberships.get().user)
    reader = digest_client(organization, key_roles=[roles.ORG_READ_ONLY], actor=owner)

    refused = reader.post(f"orgs/{organization.public_id}/teams", json={"name": "Nope", "usernames": []})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "USER_UNAUTHORIZED"
    assert reader.get(f"orgs/{organization.public_id}/teams").status_code == 200
    assert reader.get(f"orgs/{organization.public_id}/teams/{foreign.public_id}").status_code == 404
