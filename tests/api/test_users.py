"""/users, /orgs/{orgId}/users and /groups/{groupId}/users over the session and over HTTP Digest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Invitation, OrganizationMembership, ProjectMembership, TeamMembership
from accounts.services import (
    organization_create,
    project_create,
    project_member_add,
    team_create,
)
from accounts.services.api_keys import api_key_create
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def signed_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def invite(organization, owner, email, **kwargs):
    return organization_invitations_create(organization=organization, emails=[email], actor=owner, **kwargs)[
        0
    ]


def expire(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def queries(client, url):
    """SQL queries of one GET, after a first GET has warmed the process-wide caches (content types)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def assert_400(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert any(f["field"].startswith(field) for f in body["badRequestDetail"]["fields"]), body


# ---- /orgs/{orgId}/users: list ----------------------------------------------------------------------------------


def test_org_users_lists_members_then_pending_then_expired_invitations(api, organization, owner, project):
    alice = MemberFactory(
        organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY], email="alice@example.com"
    )
    project_member_add(project=project, user=alice, roles=[roles.GROUP_OWNER], actor=owner)
    team = team_create(organization=organization, name="Ops", actor=owner, members=[alice])
    pending = invite(
        organization,
        owner,
        "bob@example.com",
        teams=[team],
        group_role_assignments=[{"groupId": project.public_id, "roles": [roles.GROUP_READ_ONLY]}],
    )
    expire(invite(organization, owner, "carol@example.com"))
    api_key_create(organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner)

    body = api.get(f"{V2}/orgs/{organization.public_id}/users").json()

    assert body["totalCount"] == 4  # the API key's account is not a user
    assert [(u["username"], u["orgMembershipStatus"]) for u in body["results"]] == [
        ("alice@example.com", "ACTIVE"),
        ("owner@example.com", "ACTIVE"),
        ("bob@example.com", "PENDING"),
        ("carol@example.com", "INVITATION_EXPIRED"),
    ]
    active, _, invited, _ = body["results"]
    assert active["id"] == alice.public_id
    assert active["roles"] == {
        "orgRoles": [roles.ORG_READ_ONLY],
        "groupRoleAssignments": [{"groupId": project.public_id, "groupRoles": [roles.GROUP_OWNER]}],
    }
    assert active["teamIds"] == [team.public_id]
    assert active["firstName"] == alice.first_name and "createdAt" in active
    assert "invitationCreatedAt" not in active
    assert active["links"][0]["href"].endswith(
        f"/api/atlas/v2/orgs/{organization.public_id}/users/{alice.public_id}"
    )
    assert invited["id"] == pending.public_id
    assert invited["inviterUsername"] == "owner@example.com"
    assert invited["teamIds"] == [team.public_id]
    assert invited["roles"]["groupRoleAssignments"] == [
        {"groupId": project.public_id, "groupRoles": [roles.GROUP_READ_ONLY]}
    ]
    assert {"invitationCreatedAt", "invitationExpiresAt"} <= invited.keys()
    assert "firstName" not in invited


def test_org_users_filters_by_username_and_status(api, organization, owner):
    MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    invite(organization, owner, "bob@example.com")
    expire(invite(organization, owner, "carol@example.com"))
    url = f"{V2}/orgs/{organization.public_id}/users"

    def names(query):
        return [u["username"] for u in api.get(f"{url}?{query}").json()["results"]]

    assert names("username=ALICE@example.com") == ["alice@example.com"]
    assert names("username=bob@example.com") == ["bob@example.com"]
    assert names("orgMembershipStatus=ACTIVE") == ["alice@example.com", "owner@example.com"]
    assert names("orgMembershipStatus=PENDING") == ["bob@example.com"]
    assert names("orgMembershipStatus=INVITATION_EXPIRED") == ["carol@example.com"]
    refused = api.get(f"{url}?orgMembershipStatus=GONE")
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "INVALID_QUERY_PARAMETER"


def test_org_users_pages_across_members_and_invitations(api, organization, owner):
    for i in range(3):
        MemberFactory(organization=organization, actor=owner, email=f"m{i}@example.com")
        invite(organization, owner, f"p{i}@example.com")
    url = f"{V2}/orgs/{organization.public_id}/users?itemsPerPage=3"
    pages = [api.get(f"{url}&pageNum={n}").json() for n in (1, 2, 3)]
    assert [[u["username"] for u in page["results"]] for page in pages] == [
        ["m0@example.com", "m1@example.com", "m2@example.com"],
        ["owner@example.com", "p0@example.com", "p1@example.com"],
        ["p2@example.com"],
    ]
    assert {page["totalCount"] for page in pages} == {7}


def test_org_users_costs_the_same_queries_for_2_and_20(api, organization, owner, project):
    def grow(start, stop):
        for i in range(start, stop):
            user = MemberFactory(organization=organization, actor=owner, email=f"m{i}@example.com")
            project_member_add(project=project, user=user, actor=owner)
            invite(organization, owner, f"p{i}@example.com")

    def grow_project_invitees(start, stop):
        for i in range(start, stop):
            project_invitations_create(project=project, emails=[f"q{i}@example.com"], actor=owner)

    url = f"{V2}/orgs/{organization.public_id}/users?itemsPerPage=500"
    grow(0, 2)
    grow_project_invitees(0, 1)
    two = queries(api, url)  # owner + 2 members + 2 invitations + 1 project invitee
    grow(2, 20)
    grow_project_invitees(1, 12)
    assert api.get(url).json()["totalCount"] == 53
    assert queries(api, url) == two


def test_org_users_lists_people_invited_only_to_its_projects_as_pending(api, organization, owner, project):
    """Cloud Manager lists everyone pending anywhere in the organization on its Users list: a person invited to
    two of its projects is one PENDING row with both projects' roles; an organization invitation of the same
    address is the row instead."""
    other = project_create(organization=organization, name="Staging", actor=owner)
    project_invitations_create(project=project, emails=["pat@example.com"], actor=owner)
    project_invitations_create(
        project=other, emails=["pat@example.com"], roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner
    )
    project_invitations_create(project=other, emails=["both@example.com"], actor=owner)
    invite(organization, owner, "both@example.com")

    rows = api.get(f"{V2}/orgs/{organization.public_id}/users").json()["results"]
    by_name = {row["username"]: row for row in rows}
    assert [row["username"] for row in rows].count("pat@example.com") == 1
    pat = by_name["pat@example.com"]
    assert pat["orgMembershipStatus"] == "PENDING"
    assert pat["roles"]["orgRoles"] == [roles.ORG_MEMBER]
    assert sorted(pat["roles"]["groupRoleAssignments"], key=lambda a: a["groupRoles"]) == sorted(
        [
            {"groupId": project.public_id, "groupRoles": [roles.GROUP_READ_ONLY]},
            {"groupId": other.public_id, "groupRoles": [roles.GROUP_CLUSTER_MANAGER]},
        ],
        key=lambda a: a["groupRoles"],
    )
    assert [row["username"] for row in rows].count("both@example.com") == 1
    assert by_name["both@example.com"]["roles"]["orgRoles"] == [roles.ORG_MEMBER]
    assert (
        by_name["both@example.com"]["id"]
        == Invitation.objects.get(email="both@example.com", project__isnull=True).public_id
    )

    one = api.get(f"{V2}/orgs/{organization.public_id}/users/{pat['id']}")
    assert one.status_code == 200 and one.json()["orgMembershipStatus"] == "PENDING"
    patched = api.patch(
        f"{V2}/orgs/{organization.public_id}/users/{pat['id']}",
        {"roles": {"orgRoles": ["ORG_OWNER"]}},
        format="json",
    )
    assert patched.status_code == 400
    assert patched.json()["errorCode"] == "INVITED_TO_PROJECT_ONLY"
    assert api.delete(f"{V2}/orgs/{organization.public_id}/users/{pat['id']}").status_code == 204
    assert Invitation.objects.get(public_id=pat["id"]).status == Invitation.Status.REVOKED


def test_org_users_list_is_exactly_what_the_org_user_serializer_says(organization, owner, project):
    """The list writes its JSON out by hand for speed; OrgUserSerializer (the schema) stays the definition:
    members with project and team roles, a member without any, pending, expired and bounced invitations."""
    from rest_framework.test import APIRequestFactory

    from accounts.api.users.people import (
        OrgUserSerializer,
        org_users_data,
        organization_people,
        organization_users,
    )

    staging = project_create(organization=organization, name="Staging", actor=owner)
    alice = MemberFactory(
        organization=organization,
        actor=owner,
        roles=[roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN],
        email="alice@example.com",
    )
    project_member_add(
        project=project, user=alice, roles=[roles.GROUP_OWNER, roles.GROUP_READ_ONLY], actor=owner
    )
    project_member_add(project=staging, user=alice, actor=owner)
    MemberFactory(
        organization=organization, actor=owner, email="bob@example.com", first_name="", last_name=""
    )
    team = team_create(organization=organization, name="SRE", members=[alice], actor=owner)
    invite(organization, owner, "pending@example.com", teams=[team])
    invite(
        organization,
        owner,
        "assigned@example.com",
        group_role_assignments=[{"groupId": staging.public_id, "roles": [roles.GROUP_CLUSTER_MANAGER]}],
    )
    expire(invite(organization, owner, "late@example.com"))
    Invitation.objects.filter(email="pending@example.com").update(bounced_at=timezone.now())

    project_invitations_create(project=staging, emails=["only-a-project@example.com"], actor=owner)

    request = APIRequestFactory().get("/api/atlas/v2/orgs")
    members, invitations, project_invitees = organization_users(organization)
    rows = [*members, *invitations, *project_invitees]
    people = organization_people(rows, organization, owner)

    expected = OrgUserSerializer(people, many=True, context={"request": request}).data
    assert org_users_data(people, request) == [dict(item) for item in expected]
    assert len(people) == 7
    by_name = {p.username: p for p in people}
    assert by_name["alice@example.com"].team_ids == [team.public_id]
    assert len(by_name["alice@example.com"].group_role_assignments) == 2
    assert by_name["pending@example.com"].team_ids == [team.public_id]


def test_org_users_shows_project_roles_only_for_projects_the_caller_sees(organization, owner, project):
    secret = project_create(organization=organization, name="Secret", actor=owner)
    alice = MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    project_member_add(project=project, user=alice, actor=owner)
    project_member_add(project=secret, user=alice, actor=owner)
    caller = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=caller, actor=owner)
    body = signed_in(caller).get(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}").json()
    assert body["roles"]["groupRoleAssignments"] == [
        {"groupId": project.public_id, "groupRoles": [roles.GROUP_READ_ONLY]}
    ]


def test_org_users_of_a_foreign_organization_is_a_404(api):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    response = api.get(f"{V2}/orgs/{foreign.public_id}/users")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


# ---- /orgs/{orgId}/users: invite --------------------------------------------------------------------------------


def test_post_org_user_invites_and_queues_the_email(
    api, organization, owner, project, django_capture_on_commit_callbacks
):
    team = team_create(organization=organization, name="Ops", actor=owner)
    body = {
        "username": "New@Example.com",
        "roles": {
            "orgRoles": [roles.ORG_READ_ONLY],
            "groupRoleAssignments": [{"groupId": project.public_id, "groupRoles": [roles.GROUP_READ_ONLY]}],
        },
        "teamIds": [team.public_id],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{V2}/orgs/{organization.public_id}/users", body, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["orgMembershipStatus"] == "PENDING"
    assert created["username"] == "new@example.com"
    assert created["roles"]["orgRoles"] == [roles.ORG_READ_ONLY]
    assert created["teamIds"] == [team.public_id]
    invitation = Invitation.objects.get(public_id=created["id"])
    assert invitation.group_role_assignments == [
        {"groupId": project.public_id, "roles": [roles.GROUP_READ_ONLY]}
    ]
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert not OrganizationMembership.objects.filter(user__email="new@example.com").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "not-an-email", "roles": {"orgRoles": ["ORG_MEMBER"]}}, "username"),
        ({"roles": {"orgRoles": ["ORG_MEMBER"]}}, "username"),
        ({"username": "x@example.com", "roles": {"orgRoles": ["ORG_EMPEROR"]}}, "roles.orgRoles"),
        ({"username": "x@example.com", "roles": {"orgRoles": "ORG_MEMBER"}}, "roles.orgRoles"),
        ({"username": "x@example.com", "roles": "ORG_MEMBER"}, "roles"),
        ({"username": "x@example.com"}, "roles"),
        ({"username": "x@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}, "teamIds": "abc"}, "teamIds"),
        (
            {
                "username": "x@example.com",
                "roles": {
                    "orgRoles": ["ORG_MEMBER"],
                    "groupRoleAssignments": [{"groupId": "x", "groupRoles": ["NO"]}],
                },
            },
            "roles.groupRoleAssignments",
        ),
    ],
)
def test_post_org_user_with_bad_input_is_a_400_naming_the_field(api, organization, body, field):
    assert_400(api.post(f"{V2}/orgs/{organization.public_id}/users", body, format="json"), field)
    assert not Invitation.objects.exists()


def test_post_org_user_with_another_organizations_team_is_a_400(api, organization):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    team = team_create(organization=foreign, name="Theirs", actor=stranger)
    body = {"username": "x@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}, "teamIds": [team.public_id]}
    assert_400(api.post(f"{V2}/orgs/{organization.public_id}/users", body, format="json"), "teamIds")


def test_post_org_user_already_a_member_is_a_409(api, organization, owner):
    MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    body = {"username": "alice@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}}
    response = api.post(f"{V2}/orgs/{organization.public_id}/users", body, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "USER_ALREADY_IN_ORG"


def test_org_member_cannot_invite_or_remove_403(organization, owner):
    weak = signed_in(MemberFactory(organization=organization, actor=owner))
    other = MemberFactory(organization=organization, actor=owner)
    url = f"{V2}/orgs/{organization.public_id}/users"
    body = {"username": "x@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}}
    assert weak.get(url).status_code == 200
    for response in [
        weak.post(url, body, format="json"),
        weak.delete(f"{url}/{other.public_id}"),
        weak.patch(f"{url}/{other.public_id}", {"roles": {"orgRoles": ["ORG_READ_ONLY"]}}, format="json"),
        weak.post(f"{url}/{other.public_id}:addRole", {"orgRole": "ORG_READ_ONLY"}, format="json"),
    ]:
        assert response.status_code == 403, response.content
        assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


# ---- /orgs/{orgId}/users/{userId} -------------------------------------------------------------------------------


def test_get_org_user_member_and_pending(api, organization, owner):
    alice = MemberFactory(organization=organization, actor=owner)
    pending = invite(organization, owner, "bob@example.com")
    url = f"{V2}/orgs/{organization.public_id}/users"
    assert api.get(f"{url}/{alice.public_id}").json()["orgMembershipStatus"] == "ACTIVE"
    assert api.get(f"{url}/{pending.public_id}").json()["orgMembershipStatus"] == "PENDING"


def test_a_user_of_another_organization_through_this_path_is_a_404(api, organization):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    foreign_invitation = invite(foreign, stranger, "theirs@example.com")
    url = f"{V2}/orgs/{organization.public_id}/users"
    for user_id in [stranger.public_id, foreign_invitation.public_id, "0123456789abcdef01234567"]:
        for response in [
            api.get(f"{url}/{user_id}"),
            api.delete(f"{url}/{user_id}"),
            api.patch(f"{url}/{user_id}", {"roles": {"orgRoles": ["ORG_MEMBER"]}}, format="json"),
            api.post(f"{url}/{user_id}:addRole", {"orgRole": "ORG_MEMBER"}, format="json"),
        ]:
            assert response.status_code == 404, response.content
            assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    assert OrganizationMembership.objects.filter(organization=foreign, user=stranger).exists()


def test_api_key_accounts_are_not_org_users(api, organization, owner):
    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=["ORG_MEMBER"], actor=owner
    )
    assert api.get(f"{V2}/orgs/{organization.public_id}/users/{api_key.user.public_id}").status_code == 404


def test_patch_org_user_sets_org_and_project_roles_and_teams(api, organization, owner, project):
    alice = MemberFactory(organization=organization, actor=owner)
    staging = project_create(organization=organization, name="Staging", actor=owner)
    project_member_add(
        project=staging, user=alice, roles=[roles.GROUP_OWNER, roles.GROUP_READ_ONLY], actor=owner
    )
    kept = project_create(organization=organization, name="Kept", actor=owner)
    project_member_add(project=kept, user=alice, actor=owner)
    old_team = team_create(organization=organization, name="Old", actor=owner, members=[alice])
    new_team = team_create(organization=organization, name="New", actor=owner)
    body = {
        "roles": {
            "orgRoles": [roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR],
            "groupRoleAssignments": [
                {"groupId": project.public_id, "groupRoles": [roles.GROUP_CLUSTER_MANAGER]},
                {"groupId": staging.public_id, "groupRoles": [roles.GROUP_READ_ONLY]},
            ],
        },
        "teamIds": [new_team.public_id],
    }

    response = api.patch(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["roles"] == {
        "orgRoles": [roles.ORG_GROUP_CREATOR, roles.ORG_READ_ONLY],
        "groupRoleAssignments": sorted(
            [
                {"groupId": project.public_id, "groupRoles": [roles.GROUP_CLUSTER_MANAGER]},
                {"groupId": staging.public_id, "groupRoles": [roles.GROUP_READ_ONLY]},
                {"groupId": kept.public_id, "groupRoles": [roles.GROUP_READ_ONLY]},
            ],
            key=lambda a: a["groupId"],
        ),
    }
    assert response.json()["teamIds"] == [new_team.public_id]
    assert not TeamMembership.objects.filter(team=old_team, user=alice).exists()
    assert alice.has_perm("accounts.manage_clusters", project)


def test_patch_org_user_with_empty_group_roles_removes_the_project(api, organization, owner, project):
    alice = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=alice, actor=owner)
    body = {"roles": {"groupRoleAssignments": [{"groupId": project.public_id, "groupRoles": []}]}}
    response = api.patch(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["roles"]["groupRoleAssignments"] == []
    assert not ProjectMembership.objects.filter(project=project, user=alice).exists()


def test_patch_org_user_is_all_or_nothing(api, organization, owner):
    alice = MemberFactory(organization=organization, actor=owner)
    stranger = UserFactory()
    foreign_project = project_create(
        organization=organization_create(name="Foreign", actor=stranger), name="Theirs", actor=stranger
    )
    body = {
        "roles": {
            "orgRoles": [roles.ORG_READ_ONLY],
            "groupRoleAssignments": [
                {"groupId": foreign_project.public_id, "groupRoles": ["GROUP_READ_ONLY"]}
            ],
        }
    }
    response = api.patch(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}", body, format="json")
    assert response.status_code == 404
    assert OrganizationMembership.objects.get(organization=organization, user=alice).role_names == [
        "ORG_MEMBER"
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roles": {"orgRoles": ["ORG_EMPEROR"]}}, "roles.orgRoles"),
        ({"roles": {"groupRoleAssignments": "x"}}, "roles.groupRoleAssignments"),
        (
            {"roles": {"groupRoleAssignments": [{"groupRoles": ["GROUP_OWNER"]}]}},
            "roles.groupRoleAssignments",
        ),
        ({"teamIds": ["0123456789abcdef01234567"]}, "teamIds"),
        ({"teamIds": None}, "teamIds"),
    ],
)
def test_patch_org_user_with_bad_input_is_a_400(api, organization, owner, body, field):
    alice = MemberFactory(organization=organization, actor=owner)
    assert_400(
        api.patch(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}", body, format="json"), field
    )


def test_patch_demoting_the_last_owner_is_a_409(api, organization, owner):
    body = {"roles": {"orgRoles": [roles.ORG_MEMBER]}}
    response = api.patch(f"{V2}/orgs/{organization.public_id}/users/{owner.public_id}", body, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "CANNOT_REMOVE_LAST_ORG_OWNER"


def test_patch_pending_user_changes_the_invitation(api, organization, owner, project):
    pending = invite(organization, owner, "bob@example.com")
    team = team_create(organization=organization, name="Ops", actor=owner)
    body = {
        "roles": {
            "orgRoles": [roles.ORG_READ_ONLY],
            "groupRoleAssignments": [{"groupId": project.public_id, "groupRoles": [roles.GROUP_OWNER]}],
        },
        "teamIds": [team.public_id],
    }
    response = api.patch(f"{V2}/orgs/{organization.public_id}/users/{pending.public_id}", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["orgMembershipStatus"] == "PENDING"
    pending.refresh_from_db()
    assert pending.roles == [roles.ORG_READ_ONLY]
    assert pending.group_role_assignments == [{"groupId": project.public_id, "roles": [roles.GROUP_OWNER]}]
    assert [t.public_id for t in pending.teams.all()] == [team.public_id]


def test_delete_org_user_removes_the_member(api, organization, owner):
    alice = MemberFactory(organization=organization, actor=owner)
    response = api.delete(f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}")
    assert response.status_code == 204
    assert not OrganizationMembership.objects.filter(organization=organization, user=alice).exists()


def test_delete_org_user_pending_revokes_the_invitation(api, organization, owner):
    pending = invite(organization, owner, "bob@example.com")
    assert api.delete(f"{V2}/orgs/{organization.public_id}/users/{pending.public_id}").status_code == 204
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED


def test_the_last_owner_cannot_be_removed_409(api, organization, owner):
    response = api.delete(f"{V2}/orgs/{organization.public_id}/users/{owner.public_id}")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "CANNOT_REMOVE_LAST_ORG_OWNER"
    assert OrganizationMembership.objects.filter(organization=organization, user=owner).exists()


def test_add_and_remove_org_role(api, organization, owner):
    alice = MemberFactory(organization=organization, actor=owner)
    url = f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}"
    added = api.post(f"{url}:addRole", {"orgRole": roles.ORG_READ_ONLY}, format="json")
    assert added.status_code == 200, added.content
    assert added.json()["roles"]["orgRoles"] == [roles.ORG_MEMBER, roles.ORG_READ_ONLY]
    removed = api.post(f"{url}:removeRole", {"orgRole": roles.ORG_MEMBER}, format="json")
    assert removed.json()["roles"]["orgRoles"] == [roles.ORG_READ_ONLY]


def test_removing_the_last_org_role_is_a_400(api, organization, owner):
    alice = MemberFactory(organization=organization, actor=owner)
    url = f"{V2}/orgs/{organization.public_id}/users/{alice.public_id}:removeRole"
    response = api.post(url, {"orgRole": roles.ORG_MEMBER}, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_ROLE"
    assert OrganizationMembership.objects.get(user=alice).role_names == [roles.ORG_MEMBER]


def test_role_actions_on_a_pending_user_and_bad_role_names(api, organization, owner):
    pending = invite(organization, owner, "bob@example.com")
    url = f"{V2}/orgs/{organization.public_id}/users/{pending.public_id}"
    response = api.post(f"{url}:addRole", {"orgRole": roles.ORG_READ_ONLY}, format="json")
    assert response.json()["roles"]["orgRoles"] == [roles.ORG_MEMBER, roles.ORG_READ_ONLY]
    assert_400(api.post(f"{url}:addRole", {"orgRole": "ORG_EMPEROR"}, format="json"), "orgRole")
    assert_400(api.post(f"{url}:removeRole", {}, format="json"), "orgRole")


def test_removing_the_last_owners_owner_role_is_a_409(api, organization, owner):
    url = f"{V2}/orgs/{organization.public_id}/users/{owner.public_id}"
    assert api.post(f"{url}:addRole", {"orgRole": roles.ORG_MEMBER}, format="json").status_code == 200
    response = api.post(f"{url}:removeRole", {"orgRole": roles.ORG_OWNER}, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "CANNOT_REMOVE_LAST_ORG_OWNER"


# ---- /groups/{groupId}/users ------------------------------------------------------------------------------------


def test_group_users_lists_members_then_invitations(api, organization, owner, project):
    alice = MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    project_member_add(project=project, user=alice, roles=[roles.GROUP_OWNER], actor=owner)
    pending = project_invitations_create(project=project, emails=["bob@example.com"], actor=owner)[0]
    body = api.get(f"{V2}/groups/{project.public_id}/users").json()
    # members (the project's creator is one), then invitations
    assert [u["username"] for u in body["results"]] == [
        "alice@example.com",
        "owner@example.com",
        "bob@example.com",
    ]
    first, _, second = body["results"]
    assert first == {
        **first,
        "id": alice.public_id,
        "username": "alice@example.com",
        "orgMembershipStatus": "ACTIVE",
        "roles": [roles.GROUP_OWNER],
    }
    assert (second["id"], second["orgMembershipStatus"], second["roles"]) == (
        pending.public_id,
        "PENDING",
        [roles.GROUP_READ_ONLY],
    )
    assert second["links"][0]["href"].endswith(f"/groups/{project.public_id}/users/{pending.public_id}")


def test_group_users_costs_the_same_queries_for_2_and_20(api, organization, owner, project):
    def grow(start, stop):
        for i in range(start, stop):
            project_member_add(project=project, user=UserFactory(email=f"m{i}@example.com"), actor=owner)
            project_invitations_create(project=project, emails=[f"p{i}@example.com"], actor=owner)

    url = f"{V2}/groups/{project.public_id}/users?itemsPerPage=500"
    grow(0, 2)
    two = queries(api, url)  # the creator + 2 members + 2 invitations
    grow(2, 20)
    assert api.get(url).json()["totalCount"] == 41
    assert queries(api, url) == two


def test_post_group_user_adds_an_org_member_and_invites_anyone_else(
    api, organization, owner, project, django_capture_on_commit_callbacks
):
    alice = MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    url = f"{V2}/groups/{project.public_id}/users"

    added = api.post(url, {"username": "alice@example.com", "roles": [roles.GROUP_OWNER]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        invited = api.post(
            url, {"username": "bob@example.com", "roles": [roles.GROUP_READ_ONLY]}, format="json"
        )

    assert added.status_code == 201, added.content
    assert (added.json()["id"], added.json()["orgMembershipStatus"]) == (alice.public_id, "ACTIVE")
    assert ProjectMembership.objects.get(project=project, user=alice).role_names == [roles.GROUP_OWNER]
    assert invited.status_code == 201, invited.content
    assert invited.json()["orgMembershipStatus"] == "PENDING"
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "nope", "roles": ["GROUP_READ_ONLY"]}, "username"),
        ({"username": "x@example.com", "roles": ["GROUP_EMPEROR"]}, "roles"),
        ({"username": "x@example.com"}, "roles"),
        ({"username": ["x@example.com"], "roles": ["GROUP_READ_ONLY"]}, "username"),
    ],
)
def test_post_group_user_with_bad_input_is_a_400(api, project, body, field):
    assert_400(api.post(f"{V2}/groups/{project.public_id}/users", body, format="json"), field)


def test_group_read_only_cannot_add_or_remove_users_403(organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=reader, actor=owner)
    alice = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=alice, actor=owner)
    client = signed_in(reader)
    url = f"{V2}/groups/{project.public_id}/users"
    assert client.get(url).status_code == 200
    for response in [
        client.post(url, {"username": "x@example.com", "roles": ["GROUP_READ_ONLY"]}, format="json"),
        client.delete(f"{url}/{alice.public_id}"),
        client.post(f"{url}/{alice.public_id}:addRole", {"groupRole": "GROUP_OWNER"}, format="json"),
    ]:
        assert response.status_code == 403, response.content
        assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


def test_group_user_of_another_project_is_a_404(api, organization, owner, project):
    other = project_create(organization=organization, name="Other", actor=owner)
    alice = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=other, user=alice, actor=owner)
    foreign = organization_create(name="Foreign", actor=UserFactory())
    foreign_project = project_create(
        organization=foreign, name="Theirs", actor=foreign.memberships.get().user
    )
    assert api.get(f"{V2}/groups/{project.public_id}/users/{alice.public_id}").status_code == 404
    assert api.delete(f"{V2}/groups/{project.public_id}/users/{alice.public_id}").status_code == 404
    assert api.get(f"{V2}/groups/{foreign_project.public_id}/users").status_code == 404
    assert ProjectMembership.objects.filter(project=other, user=alice).exists()


def test_get_and_delete_group_user(api, organization, owner, project):
    alice = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=alice, actor=owner)
    pending = project_invitations_create(project=project, emails=["bob@example.com"], actor=owner)[0]
    url = f"{V2}/groups/{project.public_id}/users"
    assert api.get(f"{url}/{alice.public_id}").json()["roles"] == [roles.GROUP_READ_ONLY]
    assert api.get(f"{url}/{pending.public_id}").json()["orgMembershipStatus"] == "PENDING"
    assert api.delete(f"{url}/{alice.public_id}").status_code == 204
    assert api.delete(f"{url}/{pending.public_id}").status_code == 204
    assert not ProjectMembership.objects.filter(project=project, user=alice).exists()
    assert OrganizationMembership.objects.filter(organization=organization, user=alice).exists()
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED


def test_the_last_group_owner_cannot_be_removed_409(api, organization, owner, project):
    url = f"{V2}/groups/{project.public_id}/users/{owner.public_id}"  # the creator: its only GROUP_OWNER
    response = api.delete(url)
    assert response.status_code == 409
    assert response.json()["errorCode"] == "CANNOT_REMOVE_LAST_GROUP_OWNER"
    assert api.post(f"{url}:addRole", {"groupRole": roles.GROUP_READ_ONLY}, format="json").status_code == 200
    refused = api.post(f"{url}:removeRole", {"groupRole": roles.GROUP_OWNER}, format="json")
    assert refused.status_code == 409
    assert ProjectMembership.objects.get(project=project, user=owner).role_names == [
        roles.GROUP_OWNER,
        roles.GROUP_READ_ONLY,
    ]


def test_add_and_remove_group_role(api, organization, owner, project):
    alice = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=alice, actor=owner)
    url = f"{V2}/groups/{project.public_id}/users/{alice.public_id}"
    added = api.post(f"{url}:addRole", {"groupRole": roles.GROUP_CLUSTER_MANAGER}, format="json")
    assert added.json()["roles"] == [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY]
    assert alice.has_perm("accounts.manage_clusters", project)
    api.post(f"{url}:removeRole", {"groupRole": roles.GROUP_READ_ONLY}, format="json")
    last = api.post(f"{url}:removeRole", {"groupRole": roles.GROUP_CLUSTER_MANAGER}, format="json")
    assert last.status_code == 400
    assert last.json()["errorCode"] == "INVALID_ROLE"
    assert_400(api.post(f"{url}:addRole", {"groupRole": "ORG_OWNER"}, format="json"), "groupRole")


# ---- /users -----------------------------------------------------------------------------------------------------


def test_get_user_shows_only_roles_in_shared_organizations(api, organization, owner, project):
    alice = MemberFactory(
        organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY], email="alice@example.com"
    )
    elsewhere = organization_create(name="Elsewhere", actor=alice)
    for url in [f"{V2}/users/{alice.public_id}", f"{V2}/users/byName/Alice@Example.com"]:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["id"] == alice.public_id
        assert body["username"] == body["emailAddress"] == "alice@example.com"
        assert body["roles"] == [{"orgId": organization.public_id, "roleName": roles.ORG_READ_ONLY}]
        assert elsewhere.public_id not in str(body)


def test_get_user_who_shares_no_organization_is_a_404(api, organization, owner):
    stranger = UserFactory(email="stranger@example.com")
    organization_create(name="Theirs", actor=stranger)
    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=["ORG_MEMBER"], actor=owner
    )
    for url in [
        f"{V2}/users/{stranger.public_id}",
        f"{V2}/users/byName/stranger@example.com",
        f"{V2}/users/{api_key.user.public_id}",
        f"{V2}/users/byName/{api_key.user.email}",
        f"{V2}/users/0123456789abcdef01234567",
    ]:
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_a_user_sees_themselves(owner):
    lonely = UserFactory()
    assert signed_in(lonely).get(f"{V2}/users/{lonely.public_id}").json()["roles"] == []


# ---- over HTTP Digest -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_lists_invites_and_removes_org_users(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    alice = MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    client = digest_client(organization)
    url = f"orgs/{organization.public_id}/users"

    listed = client.get(url)
    assert listed.status_code == 200
    assert [u["username"] for u in listed.json()["results"]] == ["alice@example.com", owner.email]

    invited = client.post(url, json={"username": "new@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}})
    assert invited.status_code == 201, invited.text
    assert invited.json()["orgMembershipStatus"] == "PENDING"
    assert [m.to for m in mail.outbox] == [["new@example.com"]]  # queued on commit, sent by the eager task

    removed = client.delete(f"{url}/{alice.public_id}")
    assert removed.status_code == 204
    assert not OrganizationMembership.objects.filter(organization=organization, user=alice).exists()

    last_owner = client.delete(f"{url}/{owner.public_id}")
    assert last_owner.status_code == 409

    reader = digest_client(organization, key_roles=[roles.ORG_READ_ONLY], actor=owner)
    refused = reader.post(url, json={"username": "x@example.com", "roles": {"orgRoles": ["ORG_MEMBER"]}})
    assert refused.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_digest_adds_a_group_user(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="P", actor=owner)
    alice = MemberFactory(organization=organization, actor=owner, email="alice@example.com")
    client = digest_client(organization)
    added = client.post(
        f"groups/{project.public_id}/users", json={"username": alice.email, "roles": ["GROUP_OWNER"]}
    )
    assert added.status_code == 201, added.text
    listed = client.get(f"groups/{project.public_id}/users").json()
    assert [u["username"] for u in listed["results"]] == ["alice@example.com", owner.email]


def test_group_users_flattened_include_team_members_and_org_users(api, organization, owner, project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import organization_member_add, team_create, team_project_assign

    def listed(query=""):
        body = api.get(f"/api/atlas/v2/groups/{project.public_id}/users{query}").json()
        return {u["username"]: u["roles"] for u in body["results"]}

    via_team = UserFactory(email="teammate@example.com")
    organization_member_add(organization=organization, user=via_team, actor=owner)
    team = team_create(organization=organization, name="Ops", actor=owner, members=[via_team])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)

    assert "teammate@example.com" not in listed()
    assert listed("?flattenTeams=True")["teammate@example.com"] == [roles.GROUP_CLUSTER_MANAGER]
    reader = UserFactory(email="reader@example.com")
    organization_member_add(organization=organization, user=reader, roles=[roles.ORG_READ_ONLY], actor=owner)
    assert "reader@example.com" not in listed("?flattenTeams=true")
    assert listed("?flattenTeams=true&includeOrgUsers=true")["reader@example.com"] == [roles.GROUP_READ_ONLY]
    assert api.get(f"/api/atlas/v2/groups/{project.public_id}/users?flattenTeams=maybe").status_code == 400

    def count():
        url = f"/api/atlas/v2/groups/{project.public_id}/users?flattenTeams=true&includeOrgUsers=true"
        api.get(url)
        with CaptureQueriesContext(connection) as queries:
            api.get(url)
        return len(queries)

    few = count()
    more = [UserFactory() for _ in range(40)]
    for user in more:
        organization_member_add(organization=organization, user=user, actor=owner)
    from accounts.services import team_members_add

    team_members_add(team=team, users=more, actor=owner)
    assert count() == few
