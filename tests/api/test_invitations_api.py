"""/orgs/{orgId}/invites and /groups/{groupId}/invites over the session and over HTTP Digest."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Invitation
from accounts.services import (
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
    team_create,
)
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def invite(organization, owner, email, **kwargs):
    return organization_invitations_create(organization=organization, emails=[email], actor=owner, **kwargs)[
        0
    ]


def invite_to_project(project, owner, email, **kwargs):
    return project_invitations_create(project=project, emails=[email], actor=owner, **kwargs)[0]


def expire(invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def signed_in_member(organization, owner, org_roles=(roles.ORG_MEMBER,)):
    user = UserFactory()
    organization_member_add(organization=organization, user=user, roles=list(org_roles), actor=owner)
    client = APIClient()
    client.force_login(user)
    return client, user


def assert_400(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert any(f["field"].startswith(field) for f in body["badRequestDetail"]["fields"]), body


def assert_404(response):
    assert response.status_code == 404, response.content
    assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def queries(client, url):
    """SQL queries of one GET, after a first GET has warmed the process-wide caches (content types)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


# ---- /orgs/{orgId}/invites --------------------------------------------------------------------------------------


def test_org_invites_lists_pending_invitations_as_atlas_does(api, organization, owner, project):
    team = team_create(organization=organization, name="Ops", actor=owner)
    pending = invite(
        organization,
        owner,
        "bob@example.com",
        roles=[roles.ORG_READ_ONLY],
        teams=[team],
        group_role_assignments=[
            {"groupId": project.public_id, "roles": [roles.GROUP_OWNER, roles.GROUP_READ_ONLY]}
        ],
    )
    expire(invite(organization, owner, "late@example.com"))
    invite_to_project(project, owner, "project-only@example.com")

    response = api.get(f"{V2}/orgs/{organization.public_id}/invites")

    assert response.status_code == 200
    (listed,) = (
        response.json()
    )  # a plain array, as Atlas answers; expired and project invitations are not here
    assert listed == {
        "id": pending.public_id,
        "orgId": organization.public_id,
        "orgName": "Acme",
        "username": "bob@example.com",
        "roles": [roles.ORG_READ_ONLY],
        "teamIds": [team.public_id],
        "groupRoleAssignments": [
            {"groupId": project.public_id, "groupRole": roles.GROUP_OWNER},
            {"groupId": project.public_id, "groupRole": roles.GROUP_READ_ONLY},
        ],
        "createdAt": listed["createdAt"],
        "expiresAt": listed["expiresAt"],
        "inviterUsername": "owner@example.com",
        "emailBouncedAt": None,
        "links": [
            {
                "href": f"http://testserver/api/atlas/v2/orgs/{organization.public_id}/invites/{pending.public_id}",
                "rel": "self",
            }
        ],
    }
    filtered = api.get(f"{V2}/orgs/{organization.public_id}/invites?username=BOB@example.com").json()
    assert [i["id"] for i in filtered] == [pending.public_id]
    assert api.get(f"{V2}/orgs/{organization.public_id}/invites?username=nobody@example.com").json() == []


def test_org_invites_list_is_exactly_what_the_invitation_serializer_says(organization, owner, project):
    """The list writes its JSON out by hand for speed; OrganizationInvitationSerializer (the schema) stays the
    definition: teams, a bounce, project roles the caller sees and does not see, several roles."""
    from rest_framework.test import APIRequestFactory

    from accounts import selectors
    from accounts.api.invitations import OrganizationInvitationSerializer, organization_invitations_data
    from accounts.api.users.people import visible_project_ids

    hidden = project_create(organization=organization, name="Hidden", actor=owner)
    team = team_create(organization=organization, name="SRE", actor=owner)
    other_team = team_create(organization=organization, name="Web", actor=owner)
    invite(organization, owner, "teams@example.com", teams=[other_team, team])
    invite(
        organization,
        owner,
        "projects@example.com",
        roles=[roles.ORG_READ_ONLY, roles.ORG_BILLING_ADMIN],
        group_role_assignments=[
            {"groupId": project.public_id, "roles": [roles.GROUP_OWNER, roles.GROUP_READ_ONLY]},
            {"groupId": hidden.public_id, "roles": [roles.GROUP_CLUSTER_MANAGER]},
        ],
    )
    bounced = invite(organization, owner, "bounced@example.com")
    Invitation.objects.filter(pk=bounced.pk).update(bounced_at=timezone.now())

    request = APIRequestFactory().get("/api/atlas/v2/orgs")
    invitations = selectors.pending_invitations(organization=organization)
    visible = visible_project_ids(owner, organization) - {hidden.public_id}
    expected = OrganizationInvitationSerializer(
        list(invitations), many=True, context={"request": request, "visible_project_ids": visible}
    ).data
    written = organization_invitations_data(organization, invitations, request, visible)
    assert written == [dict(item) for item in expected]
    assert [list(item) for item in written] == [list(item) for item in expected]  # the same order of fields
    assert len(written) == 3
    by_address = {item["username"]: item for item in written}
    assert by_address["projects@example.com"]["groupRoleAssignments"] == [
        {"groupId": project.public_id, "groupRole": roles.GROUP_OWNER},
        {"groupId": project.public_id, "groupRole": roles.GROUP_READ_ONLY},
    ]
    assert by_address["bounced@example.com"]["emailBouncedAt"] is not None
    assert by_address["teams@example.com"]["teamIds"] == sorted([team.public_id, other_team.public_id])


def test_org_invites_costs_the_same_queries_for_2_and_20(api, organization, owner):
    team = team_create(organization=organization, name="Ops", actor=owner)
    url = f"{V2}/orgs/{organization.public_id}/invites"
    for i in range(2):
        invite(organization, owner, f"p{i}@example.com", teams=[team])
    two = queries(api, url)
    for i in range(2, 20):
        invite(organization, owner, f"p{i}@example.com", teams=[team])
    assert len(api.get(url).json()) == 20
    assert queries(api, url) == two


def test_post_org_invite_creates_it_and_queues_the_email(
    api, organization, owner, project, django_capture_on_commit_callbacks
):
    team = team_create(organization=organization, name="Ops", actor=owner)
    body = {
        "username": "new@example.com",
        "roles": [roles.ORG_GROUP_CREATOR],
        "teamIds": [team.public_id],
        "groupRoleAssignments": [{"groupId": project.public_id, "roles": [roles.GROUP_READ_ONLY]}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{V2}/orgs/{organization.public_id}/invites", body, format="json")
    assert response.status_code == 200, response.content  # Atlas answers 200 here, not 201
    created = response.json()
    assert (created["username"], created["roles"], created["teamIds"]) == (
        "new@example.com",
        [roles.ORG_GROUP_CREATOR],
        [team.public_id],
    )
    assert created["groupRoleAssignments"] == [
        {"groupId": project.public_id, "groupRole": roles.GROUP_READ_ONLY}
    ]
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_post_org_invite_without_roles_invites_as_org_member(api, organization):
    response = api.post(
        f"{V2}/orgs/{organization.public_id}/invites", {"username": "x@example.com"}, format="json"
    )
    assert response.json()["roles"] == [roles.ORG_MEMBER]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "not-an-email"}, "username"),
        ({"roles": ["ORG_MEMBER"]}, "username"),
        ({"username": "x@example.com", "roles": ["ORG_EMPEROR"]}, "roles"),
        ({"username": "x@example.com", "roles": "ORG_MEMBER"}, "roles"),
        ({"username": "x@example.com", "teamIds": [{"id": 1}]}, "teamIds"),
        (
            {"username": "x@example.com", "groupRoleAssignments": [{"groupId": "x", "roles": ["NOPE"]}]},
            "groupRole",
        ),
    ],
)
def test_post_org_invite_with_bad_input_is_a_400_naming_the_field(api, organization, body, field):
    assert_400(api.post(f"{V2}/orgs/{organization.public_id}/invites", body, format="json"), field)
    assert not Invitation.objects.exists()


def test_post_org_invite_with_another_organizations_team_is_a_400(api, organization):
    stranger = UserFactory()
    team = team_create(
        organization=organization_create(name="Foreign", actor=stranger), name="T", actor=stranger
    )
    body = {"username": "x@example.com", "teamIds": [team.public_id]}
    assert_400(api.post(f"{V2}/orgs/{organization.public_id}/invites", body, format="json"), "teamIds")


def test_patch_org_invites_by_username_and_by_id(api, organization, owner):
    pending = invite(organization, owner, "bob@example.com")
    team = team_create(organization=organization, name="Ops", actor=owner)
    url = f"{V2}/orgs/{organization.public_id}/invites"

    by_name = api.patch(
        url,
        {"username": "Bob@example.com", "roles": [roles.ORG_READ_ONLY], "teamIds": [team.public_id]},
        format="json",
    )
    assert by_name.status_code == 200, by_name.content
    assert (by_name.json()["roles"], by_name.json()["teamIds"]) == ([roles.ORG_READ_ONLY], [team.public_id])

    by_id = api.patch(f"{url}/{pending.public_id}", {"teamIds": []}, format="json")
    assert by_id.status_code == 200, by_id.content
    assert (by_id.json()["roles"], by_id.json()["teamIds"]) == ([roles.ORG_READ_ONLY], [])

    assert_404(api.patch(url, {"username": "nobody@example.com", "roles": ["ORG_MEMBER"]}, format="json"))
    assert_400(api.patch(f"{url}/{pending.public_id}", {"roles": ["ORG_EMPEROR"]}, format="json"), "roles")


def test_get_and_delete_org_invite(api, organization, owner):
    pending = invite(organization, owner, "bob@example.com")
    url = f"{V2}/orgs/{organization.public_id}/invites/{pending.public_id}"
    assert api.get(url).json()["username"] == "bob@example.com"
    assert api.delete(url).status_code == 204
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED
    assert_404(api.get(url))
    assert_404(api.delete(url))


def test_expired_invitation_is_not_pending_404(api, organization, owner):
    late = invite(organization, owner, "late@example.com")
    expire(late)
    url = f"{V2}/orgs/{organization.public_id}/invites/{late.public_id}"
    assert_404(api.get(url))
    assert_404(api.patch(url, {"roles": ["ORG_MEMBER"]}, format="json"))
    assert_404(api.delete(url))


def test_another_organizations_invitation_is_a_404(api, organization, owner, project):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    theirs = invite(foreign, stranger, "theirs@example.com")
    project_invitation = invite_to_project(project, owner, "p@example.com")
    url = f"{V2}/orgs/{organization.public_id}/invites"
    for invitation_id in [theirs.public_id, project_invitation.public_id, "0123456789abcdef01234567"]:
        assert_404(api.get(f"{url}/{invitation_id}"))
        assert_404(api.patch(f"{url}/{invitation_id}", {"roles": ["ORG_MEMBER"]}, format="json"))
        assert_404(api.delete(f"{url}/{invitation_id}"))
    assert_404(api.patch(url, {"username": "theirs@example.com", "roles": ["ORG_MEMBER"]}, format="json"))
    assert_404(api.get(f"{V2}/orgs/{foreign.public_id}/invites"))
    theirs.refresh_from_db()
    assert theirs.status == Invitation.Status.PENDING


def test_org_member_cannot_invite_change_or_revoke_403(organization, owner):
    pending = invite(organization, owner, "bob@example.com")
    client, _ = signed_in_member(organization, owner)
    url = f"{V2}/orgs/{organization.public_id}/invites"
    assert client.get(url).status_code == 200
    for response in [
        client.post(url, {"username": "x@example.com"}, format="json"),
        client.patch(url, {"username": "bob@example.com", "roles": ["ORG_MEMBER"]}, format="json"),
        client.patch(f"{url}/{pending.public_id}", {"roles": ["ORG_READ_ONLY"]}, format="json"),
        client.delete(f"{url}/{pending.public_id}"),
    ]:
        assert response.status_code == 403, response.content
        assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


def test_inviting_with_more_than_the_inviter_holds_is_refused(organization, owner):
    client, user = signed_in_member(organization, owner)
    project = project_create(organization=organization, name="P", actor=owner)
    project_member_add(project=project, user=user, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    url = f"{V2}/groups/{project.public_id}/invites"
    response = client.post(url, {"username": "x@example.com", "roles": [roles.GROUP_OWNER]}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "ROLE_ESCALATION"


# ---- /groups/{groupId}/invites ----------------------------------------------------------------------------------


def test_group_invites_list_create_get_patch_delete(api, organization, owner, project):
    expire(invite_to_project(project, owner, "late@example.com"))
    invite(organization, owner, "org-only@example.com")
    url = f"{V2}/groups/{project.public_id}/invites"

    created = api.post(
        url, {"username": "bob@example.com", "roles": [roles.GROUP_DATA_ACCESS_READ_ONLY]}, format="json"
    )
    assert created.status_code == 200, created.content
    body = created.json()
    assert body == {
        **body,
        "groupId": project.public_id,
        "groupName": "Production",
        "username": "bob@example.com",
        "roles": [roles.GROUP_DATA_ACCESS_READ_ONLY],
        "inviterUsername": "owner@example.com",
    }
    assert "teamIds" not in body and "orgId" not in body
    assert [i["id"] for i in api.get(url).json()] == [body["id"]]

    assert api.get(f"{url}/{body['id']}").json()["username"] == "bob@example.com"
    changed = api.patch(f"{url}/{body['id']}", {"roles": [roles.GROUP_READ_ONLY]}, format="json")
    assert changed.json()["roles"] == [roles.GROUP_READ_ONLY]
    by_name = api.patch(
        url, {"username": "bob@example.com", "roles": [roles.GROUP_CLUSTER_MANAGER]}, format="json"
    )
    assert by_name.json()["roles"] == [roles.GROUP_CLUSTER_MANAGER]
    assert api.delete(f"{url}/{body['id']}").status_code == 204
    assert api.get(url).json() == []


def test_group_invites_without_roles_invites_read_only(api, project):
    response = api.post(
        f"{V2}/groups/{project.public_id}/invites", {"username": "x@example.com"}, format="json"
    )
    assert response.json()["roles"] == [roles.GROUP_READ_ONLY]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "nope"}, "username"),
        ({"username": "x@example.com", "roles": ["ORG_OWNER"]}, "roles"),
        ({"username": "x@example.com", "roles": [1, 2]}, "roles"),
    ],
)
def test_post_group_invite_with_bad_input_is_a_400(api, project, body, field):
    assert_400(api.post(f"{V2}/groups/{project.public_id}/invites", body, format="json"), field)


def test_group_invites_of_foreign_or_org_scope_are_404(api, organization, owner, project):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    foreign_project = project_create(organization=foreign, name="Theirs", actor=stranger)
    theirs = invite_to_project(foreign_project, stranger, "theirs@example.com")
    org_invitation = invite(organization, owner, "org@example.com")
    other = project_create(organization=organization, name="Other", actor=owner)
    other_invitation = invite_to_project(other, owner, "other@example.com")
    url = f"{V2}/groups/{project.public_id}/invites"
    for invitation_id in [theirs.public_id, org_invitation.public_id, other_invitation.public_id]:
        assert_404(api.get(f"{url}/{invitation_id}"))
        assert_404(api.delete(f"{url}/{invitation_id}"))
    assert_404(api.get(f"{V2}/groups/{foreign_project.public_id}/invites"))
    assert_404(
        api.post(
            f"{V2}/groups/{foreign_project.public_id}/invites", {"username": "x@example.com"}, format="json"
        )
    )


def test_group_read_only_cannot_invite_403(organization, owner, project):
    client, user = signed_in_member(organization, owner)
    project_member_add(project=project, user=user, actor=owner)
    pending = invite_to_project(project, owner, "bob@example.com")
    url = f"{V2}/groups/{project.public_id}/invites"
    assert client.get(url).status_code == 200
    for response in [
        client.post(url, {"username": "x@example.com"}, format="json"),
        client.patch(f"{url}/{pending.public_id}", {"roles": ["GROUP_OWNER"]}, format="json"),
        client.delete(f"{url}/{pending.public_id}"),
    ]:
        assert response.status_code == 403, response.content


def test_group_invites_costs_the_same_queries_for_2_and_20(api, project, owner):
    url = f"{V2}/groups/{project.public_id}/invites"
    for i in range(2):
        invite_to_project(project, owner, f"p{i}@example.com")
    two = queries(api, url)
    for i in range(2, 20):
        invite_to_project(project, owner, f"p{i}@example.com")
    assert len(api.get(url).json()) == 20
    assert queries(api, url) == two


# ---- over HTTP Digest -------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_lists_creates_and_revokes_invites(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="P", actor=owner)
    client = digest_client(organization)

    created = client.post(f"orgs/{organization.public_id}/invites", json={"username": "new@example.com"})
    assert created.status_code == 200, created.text
    assert [i["username"] for i in client.get(f"orgs/{organization.public_id}/invites").json()] == [
        "new@example.com"
    ]
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert client.delete(f"orgs/{organization.public_id}/invites/{created.json()['id']}").status_code == 204
    assert client.get(f"orgs/{organization.public_id}/invites").json() == []

    to_project = client.post(f"groups/{project.public_id}/invites", json={"username": "p@example.com"})
    assert to_project.status_code == 200, to_project.text
    assert [i["id"] for i in client.get(f"groups/{project.public_id}/invites").json()] == [
        to_project.json()["id"]
    ]


def test_a_bounced_invitation_shows_as_bounced(api, organization, owner):
    from django.utils import timezone

    from accounts.models import Invitation
    from accounts.services.invitations import organization_invitations_create

    invitation = organization_invitations_create(
        organization=organization, emails=["gone@example.com"], actor=owner
    )[0]
    Invitation.objects.filter(pk=invitation.pk).update(bounced_at=timezone.now())

    invites = api.get(f"/api/atlas/v2/orgs/{organization.public_id}/invites").json()
    assert [i["emailBouncedAt"] is not None for i in invites if i["username"] == "gone@example.com"] == [True]
    users = api.get(f"/api/atlas/v2/orgs/{organization.public_id}/users").json()["results"]
    pending = [u for u in users if u["username"] == "gone@example.com"][0]
    assert pending["orgMembershipStatus"] == "PENDING"
    assert "invitationEmailBouncedAt" in pending
