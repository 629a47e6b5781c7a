"""The organization's Users tab, a member's page, removing a member, revoking an invitation, and the home page's
invitations: each action works through its service, refusals show in place, those who may not are refused and
nothing changes, and the pages cost the same queries at 5 and at 60 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import AuditEvent, Invitation, OrganizationMembership, ProjectMembership
from accounts.services import (
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
    team_create,
    team_member_add,
)
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from accounts.services.join_requests import join_request_create
from tests.factories import MemberFactory, UserFactory, give_totp
from tests.signin import verified

pytestmark = pytest.mark.django_db


def users_tab(organization):
    return f"/orgs/{organization.public_id}/"


def member_page(organization, user):
    return f"/orgs/{organization.public_id}/users/{user.public_id}/"


def remove_page(organization, user):
    return f"/orgs/{organization.public_id}/users/{user.public_id}/remove/"


def roles_field(user):
    return f"member-{user.public_id}-roles"


def roles_of(organization, user):
    return OrganizationMembership.objects.get(organization=organization, user=user).role_names


# ---- the Users tab ----------------------------------------------------------------------------------------------


def test_the_users_tab_lists_members_then_pending_in_the_organization_and_its_projects_then_requests(
    client, organization, project, owner
):
    give_totp(owner)
    MemberFactory(
        organization=organization, actor=owner, email="bea@example.com", first_name="Bea", last_name="Zed"
    )
    organization_invitations_create(
        organization=organization, emails=["org-invitee@example.com"], actor=owner
    )
    project_invitations_create(project=project, emails=["project-invitee@example.com"], actor=owner)
    join_request_create(
        project=project, user=UserFactory(email="asker@example.com"), message="Nightly reports"
    )
    client.force_login(owner)

    page = client.get(users_tab(organization)).content.decode()

    assert page.index("Invite users") < page.index("Members")  # the form above the lists
    assert (
        page.index("bea@example.com")
        < page.index("org-invitee@example.com")
        < page.index("project-invitee@example.com")
        < page.index("asker@example.com")
    )
    assert "Organization Owner" in page and ">ORG_OWNER" not in page  # human role names
    assert "Project Read Only" in page  # the project invitation's role
    assert "Nightly reports" in page
    assert '<span class="badge badge-success">on</span>' in page  # the owner's two-factor


def test_the_search_finds_by_name_or_email_in_every_list(client, organization, project, owner):
    MemberFactory(
        organization=organization, actor=owner, email="ann@example.com", first_name="Ann", last_name="Lee"
    )
    MemberFactory(
        organization=organization, actor=owner, email="zoe@example.com", first_name="Zoe", last_name="Kay"
    )
    organization_invitations_create(
        organization=organization, emails=["ann.invited@example.com"], actor=owner
    )
    organization_invitations_create(organization=organization, emails=["other@example.com"], actor=owner)
    client.force_login(owner)

    page = client.get(users_tab(organization), {"q": "ann lee"}).content.decode()
    assert "ann@example.com" in page and "zoe@example.com" not in page

    page = client.get(users_tab(organization), {"q": "ANN"}).content.decode()
    assert "ann.invited@example.com" in page and "other@example.com" not in page


def test_every_list_is_paged_by_50(client, organization, owner):
    for _ in range(51):
        MemberFactory(organization=organization, actor=owner)
    organization_invitations_create(
        organization=organization, emails=[f"p{i}@example.com" for i in range(51)], actor=owner
    )
    client.force_login(owner)

    page = client.get(users_tab(organization)).content.decode()
    assert "1–50 of 52" in page  # members: 51 and the owner
    assert "1–50 of 51" in page  # pending
    second = client.get(users_tab(organization), {"pending": 2}).content.decode()
    assert "51–51 of 51" in second and "p9@example.com" in second  # by address: p9 is the last


def test_the_default_role_applies_only_when_no_role_is_picked(client, organization, owner):
    client.force_login(owner)
    page = client.get(users_tab(organization)).content.decode()
    assert "checked" not in page.split("Send invitations")[0].split("invite-roles")[1]

    client.post(
        users_tab(organization), {"invite-emails": "one@example.com", "invite-roles": [roles.ORG_READ_ONLY]}
    )
    client.post(users_tab(organization), {"invite-emails": "two@example.com"})

    assert Invitation.objects.get(email="one@example.com").roles == [roles.ORG_READ_ONLY]
    assert Invitation.objects.get(email="two@example.com").roles == [roles.ORG_MEMBER]


def test_invite_several_addresses_with_roles_and_teams(
    client, organization, owner, django_capture_on_commit_callbacks
):
    team = team_create(organization=organization, name="Platform", actor=owner)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            users_tab(organization),
            {
                "invite-emails": "a@example.com,\nb@example.com",
                "invite-roles": [roles.ORG_GROUP_CREATOR],
                "invite-teams": [team.pk],
            },
        )
    assert response.status_code == 302
    for invitation in Invitation.objects.all():
        assert invitation.roles == [roles.ORG_GROUP_CREATOR]
        assert list(invitation.teams.all()) == [team]
    assert Invitation.objects.count() == 2


def test_an_invite_refusal_shows_once_next_to_its_field(client, organization, owner):
    MemberFactory(organization=organization, actor=owner, email="already@example.com")
    client.force_login(owner)

    page = client.post(users_tab(organization), {"invite-emails": "already@example.com"}).content.decode()

    message = "already@example.com is already in Acme."
    assert page.count(message) == 1
    field = page.split('id="id_invite-emails"')[0].rsplit('<div class="field', 1)[1]
    assert "field-invalid" in field and message in field
    assert not Invitation.objects.exists()


def test_revoking_an_invitation_asks_first_then_revokes(client, organization, owner):
    invitation = organization_invitations_create(
        organization=organization, emails=["x@example.com"], actor=owner
    )[0]
    url = f"/pending-invitations/{invitation.public_id}/revoke/"
    client.force_login(owner)

    page = client.get(url).content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "PENDING"
    assert "Revoke the invitation to x@example.com?" in page
    assert "Organization Member" in page

    response = client.post(url, {"next": users_tab(organization) + "?q=x"})
    invitation.refresh_from_db()
    assert invitation.status == "REVOKED"
    assert response["Location"] == users_tab(organization) + "?q=x"
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == users_tab(organization)


def test_the_revoke_confirmation_is_refused_to_whoever_may_not_revoke(client, organization, owner, project):
    invitation = project_invitations_create(project=project, emails=["x@example.com"], actor=owner)[0]
    reader = UserFactory(email="reader@example.com")
    organization_member_add(organization=organization, user=reader, actor=owner)
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client.force_login(reader)

    response = client.get(f"/pending-invitations/{invitation.public_id}/revoke/")

    assert response.status_code == 403
    assert "x@example.com" not in response.content.decode()


def test_resend_is_a_post_and_keeps_the_list_it_came_from(client, organization, owner):
    invitation = organization_invitations_create(
        organization=organization, emails=["x@example.com"], actor=owner
    )[0]
    url = f"/pending-invitations/{invitation.public_id}/resend/"
    client.force_login(owner)
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": users_tab(organization) + "?pending=1"})
    assert response["Location"] == users_tab(organization) + "?pending=1"
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_RESENT").exists()


# ---- a member's roles -----------------------------------------------------------------------------------------


def test_an_owner_changes_a_members_roles_from_the_users_tab(client, organization, owner):
    person = MemberFactory(organization=organization, actor=owner)
    client.force_login(owner)

    response = client.post(
        member_page(organization, person),
        {
            roles_field(person): [roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR],
            f"member-{person.public_id}-next": "/orgs/x/?q=1",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/orgs/x/?q=1"
    assert roles_of(organization, person) == [roles.ORG_GROUP_CREATOR, roles.ORG_READ_ONLY]
    assert AuditEvent.objects.filter(
        event_type="USER_ROLES_CHANGED_AUDIT", target_id=person.public_id
    ).exists()


def test_the_last_owner_is_refused_in_place(client, organization, owner):
    client.force_login(owner)

    response = client.post(member_page(organization, owner), {roles_field(owner): [roles.ORG_MEMBER]})

    page = response.content.decode()
    assert response.status_code == 200
    assert "is the last Organization Owner of Acme" in page
    fieldset = page.split("Save roles")[0].rsplit('<div class="field', 1)[1]
    assert "field-invalid" in fieldset and "last Organization Owner" in fieldset
    assert roles_of(organization, owner) == [roles.ORG_OWNER]


def test_a_rows_form_posted_by_htmx_gets_its_row_back_with_the_refusal_or_the_updated_list(
    client, organization, owner
):
    person = MemberFactory(organization=organization, actor=owner)
    client.force_login(owner)
    htmx = {"HTTP_HX_REQUEST": "true"}
    back = users_tab(organization) + "?q=example"

    page = client.post(
        member_page(organization, owner),
        {roles_field(owner): [roles.ORG_MEMBER], f"member-{owner.public_id}-next": back},
        **htmx,
    ).content.decode()
    assert f'<tr id="member-{owner.public_id}">' in page and "<header" not in page
    assert '<details class="disclosure" open>' in page and "last Organization Owner" in page
    assert f'value="{back}"' in page  # still goes back to the list it came from

    response = client.post(
        member_page(organization, person),
        {roles_field(person): [roles.ORG_READ_ONLY], f"member-{person.public_id}-next": back},
        **htmx,
    )
    assert response.status_code == 302 and response["Location"] == back  # htmx follows it, picks the row
    assert roles_of(organization, person) == [roles.ORG_READ_ONLY]


def test_no_role_at_all_is_a_form_error(client, organization, owner):
    person = MemberFactory(organization=organization, actor=owner)
    client.force_login(owner)
    page = client.post(member_page(organization, person), {}).content.decode()
    assert "Pick at least one role" in page
    assert roles_of(organization, person) == [roles.ORG_MEMBER]


@pytest.mark.parametrize("role", [roles.ORG_READ_ONLY, roles.ORG_MEMBER])
def test_a_member_who_may_not_manage_cannot_change_roles_or_remove(client, organization, owner, role):
    viewer = MemberFactory(organization=organization, actor=owner, roles=(role,))
    person = MemberFactory(organization=organization, actor=owner)
    client.force_login(viewer)

    page = client.get(users_tab(organization)).content.decode()
    assert "Change roles" not in page and "Invite users" not in page and "Remove" not in page
    assert client.get(member_page(organization, person)).status_code == 200

    response = client.post(member_page(organization, person), {roles_field(person): [roles.ORG_OWNER]})
    assert response.status_code == 403
    assert client.post(remove_page(organization, person)).status_code == 403
    assert client.post(users_tab(organization), {"invite-emails": "x@example.com"}).status_code == 403
    assert roles_of(organization, person) == [roles.ORG_MEMBER]
    assert OrganizationMembership.objects.filter(organization=organization, user=person).exists()
    assert not Invitation.objects.exists()


def test_another_organizations_member_is_not_found(client, organization, owner):
    other_owner = UserFactory()
    other = organization_create(name="Other", actor=other_owner)
    client.force_login(owner)
    for url in (member_page(organization, other_owner), remove_page(organization, other_owner)):
        assert client.get(url).status_code == 404
        assert client.post(url, {roles_field(other_owner): [roles.ORG_MEMBER]}).status_code == 404
    assert client.get(member_page(other, other_owner)).status_code == 404
    assert roles_of(other, other_owner) == [roles.ORG_OWNER]


def test_a_members_teams_link_to_their_pages(client, organization, owner):
    person = MemberFactory(organization=organization, actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_member_add(team=team, user=person, actor=owner)
    client.force_login(owner)
    link = f'<a href="/orgs/{organization.public_id}/teams/{team.public_id}/">Platform</a>'

    assert link in client.get(users_tab(organization)).content.decode()
    assert link in client.get(member_page(organization, person)).content.decode()


# ---- removing a member ----------------------------------------------------------------------------------------


def test_removing_a_member_lists_what_goes_then_removes(client, organization, project, owner):
    person = MemberFactory(organization=organization, actor=owner, roles=(roles.ORG_GROUP_CREATOR,))
    project_member_add(project=project, user=person, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_member_add(team=team, user=person, actor=owner)
    client.force_login(owner)

    page = client.get(remove_page(organization, person)).content.decode()
    assert "Organization roles: Organization Project Creator" in page
    assert "Project Production: Project Cluster Manager" in page
    assert "Team Platform" in page
    assert OrganizationMembership.objects.filter(user=person).exists()

    response = client.post(remove_page(organization, person))
    assert response.status_code == 302
    assert not OrganizationMembership.objects.filter(user=person).exists()
    assert not ProjectMembership.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(event_type="REMOVED_FROM_ORG", target_id=person.public_id).exists()


def test_removing_the_last_owner_or_a_projects_only_owner_is_refused_in_place(
    client, organization, project, owner
):
    person = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=person, roles=[roles.GROUP_OWNER], actor=owner)
    ProjectMembership.objects.filter(project=project).exclude(user=person).delete()  # the creator's
    client.force_login(owner)

    page = client.post(remove_page(organization, owner)).content.decode()
    assert 'role="alert">owner@example.com is the last Organization Owner of Acme' in page
    assert "Leave organization" in page  # the same confirmation page (of their own leaving)

    page = client.post(remove_page(organization, person)).content.decode()
    assert "is the last Project Owner of Production" in page
    assert OrganizationMembership.objects.filter(user=person).exists()
    assert OrganizationMembership.objects.filter(user=owner).exists()


def test_a_member_may_leave_but_not_remove_others(client, organization, owner):
    person = MemberFactory(organization=organization, actor=owner)
    other = MemberFactory(organization=organization, actor=owner)
    client.force_login(person)

    assert "Leave Acme" in client.get(member_page(organization, person)).content.decode()
    assert "Remove from Acme" not in client.get(member_page(organization, other)).content.decode()
    assert client.get(remove_page(organization, other)).status_code == 403
    assert "Leave Acme?" in client.get(remove_page(organization, person)).content.decode()

    response = client.post(remove_page(organization, person))
    assert response["Location"] == "/"
    assert not OrganizationMembership.objects.filter(user=person).exists()
    assert OrganizationMembership.objects.filter(user=other).exists()


# ---- the home page ----------------------------------------------------------------------------------------------


def test_home_lists_invitations_to_the_persons_address_and_accepts_one(client, organization, project, owner):
    person = verified(UserFactory(email="newcomer@example.com"))
    organization_invitations_create(
        organization=organization, emails=["newcomer@example.com"], roles=[roles.ORG_READ_ONLY], actor=owner
    )
    project_invitations_create(project=project, emails=["someone-else@example.com"], actor=owner)
    client.force_login(person)

    page = client.get("/").content.decode()
    assert "Invitations for you" in page and "Acme" in page and "Organization Read Only" in page
    assert "someone-else" not in page

    invitation = Invitation.objects.get(email="newcomer@example.com")
    response = client.post(f"/my-invitations/{invitation.public_id}/accept/")
    assert response.status_code == 302 and response["Location"] == users_tab(organization)
    assert roles_of(organization, person) == [roles.ORG_READ_ONLY]
    assert "Invitations for you" not in client.get("/").content.decode()


def test_an_invitation_to_someone_else_or_an_unverified_address_is_not_accepted(client, organization, owner):
    stranger = verified(UserFactory(email="stranger@example.com"))
    unverified = UserFactory(email="unverified@example.com")
    other, mine = organization_invitations_create(
        organization=organization, emails=["other@example.com", "unverified@example.com"], actor=owner
    )
    client.force_login(stranger)
    assert client.post(f"/my-invitations/{other.public_id}/accept/").status_code == 404
    client.force_login(owner)  # sees the invitation, but it is not theirs to accept
    client.post(f"/my-invitations/{other.public_id}/accept/")
    client.force_login(unverified)
    client.post(f"/my-invitations/{mine.public_id}/accept/")
    assert not OrganizationMembership.objects.filter(user__in=[stranger, unverified]).exists()
    assert OrganizationMembership.objects.filter(organization=organization).count() == 1
    assert Invitation.objects.filter(status="PENDING").count() == 2


# ---- cost ---------------------------------------------------------------------------------------------------------


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_users_tab_and_member_page_cost_the_same_queries_at_5_and_60_people(client, organization, owner):
    project = project_create(organization=organization, name="Production", actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner)
    give_totp(owner)
    start = 0

    def grow(n):
        nonlocal start
        for _ in range(n):
            person = MemberFactory(organization=organization, actor=owner)
            project_member_add(project=project, user=person, actor=owner)
            team_member_add(team=team, user=person, actor=owner)
            join_request_create(project=project, user=UserFactory())
            give_totp(person)
        emails = [f"o{i}@example.com" for i in range(start, start + n)]
        organization_invitations_create(organization=organization, emails=emails, teams=[team], actor=owner)
        project_invitations_create(
            project=project, emails=[f"p{i}@example.com" for i in range(start, start + n)], actor=owner
        )
        start += n

    client.force_login(owner)
    grow(5)
    few = _queries(client, users_tab(organization)), _queries(client, member_page(organization, owner))
    grow(55)
    assert (
        _queries(client, users_tab(organization)),
        _queries(client, member_page(organization, owner)),
    ) == few


def test_home_costs_the_same_queries_with_few_and_many_invitations(client, owner):
    person = verified(UserFactory(email="wanted@example.com"))
    client.force_login(person)
    organizations = [organization_create(name=f"Org {i}", actor=owner) for i in range(6)]
    organization_invitations_create(organization=organizations[0], emails=[person.email], actor=owner)
    few = _queries(client, "/")
    for organization in organizations[1:]:
        organization_invitations_create(organization=organization, emails=[person.email], actor=owner)
        project = project_create(organization=organization, name="P", actor=owner)
        project_invitations_create(project=project, emails=[person.email], actor=owner)
    assert _queries(client, "/") == few
