"""The organization's Projects tab (the person's access on each project, creating one, asking to join) and a
project's Access tab (effective roles and their sources; adding people, teams; changing and removing them;
invitations and requests to join): each action, its refusals, another tenant's objects answered as missing ones,
and a constant number of queries whatever the sizes."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    Invitation,
    JoinRequest,
    Project,
    ProjectMembership,
    TeamProjectAssignment,
)
from accounts.selectors import reach
from accounts.services import (
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
    project_users_add,
    team_create,
    team_project_assign,
)
from accounts.services.api_keys import api_key_create, api_key_project_assign
from accounts.services.invitations import project_invitations_create
from accounts.services.join_requests import join_request_create
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def projects_url(organization):
    return f"/orgs/{organization.public_id}/projects/"


def access_url(project):
    return f"/projects/{project.public_id}/"


def text(response):
    return response.content.decode()


def without_tokens(page):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def queries_of(client, url):
    client.get(url)  # caches warmed
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# ---- the Projects tab ---------------------------------------------------------------------------------------------


def test_the_projects_tab_shows_the_persons_access_on_each_project_and_where_it_comes_from(
    client, organization, owner, project
):
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    project_member_add(project=project, user=pat, actor=owner)
    staging = project_create(organization=organization, name="Staging", actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    team_project_assign(team=team, project=staging, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    closed = project_create(organization=organization, name="Vault", actor=owner)
    client.force_login(pat)

    page = text(client.get(projects_url(organization)))

    assert 'aria-current="page">Projects</a>' in page
    production_row = page[page.index("Production") : page.index("Staging")]
    assert "Project Read Only" in production_row and "direct" in production_row
    staging_row = page[page.index("Staging") : page.index("Vault")]
    assert "Project Cluster Manager" in staging_row and "via team Platform" in staging_row
    vault_row = page[page.index("Vault") :]
    assert "No access" in vault_row
    assert f"/orgs/{organization.public_id}/projects/{closed.public_id}/join/" in vault_row
    assert "Create project" not in page  # an Organization Member may not create projects


def test_an_organization_owner_reaches_every_project_from_the_role(client, organization, owner, project):
    client.force_login(owner)
    page = text(client.get(projects_url(organization)))
    assert "from Organization Owner" in page
    assert "Create project" in page
    assert "Request to join" not in page


def test_the_projects_tab_searches_by_name_and_pages_by_50(client, organization, owner):
    for number in range(60):
        project_create(organization=organization, name=f"Project {number:02d}", actor=owner)
    project_create(organization=organization, name="Reporting", actor=owner)
    client.force_login(owner)

    first = text(client.get(projects_url(organization)))
    assert "1–50 of 61" in first and "Project 49" in first and "Reporting" not in first
    found = text(client.get(projects_url(organization), {"q": "report"}))
    assert "Reporting" in found and "Project 01" not in found
    assert "No project" in text(client.get(projects_url(organization), {"q": "nothing like it"}))


def test_the_projects_tab_costs_the_same_queries_for_5_and_60_projects(client, organization, owner):
    pat = MemberFactory(organization=organization, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    client.force_login(pat)

    def grow(start, stop):
        for number in range(start, stop):
            project = project_create(organization=organization, name=f"P{number:03d}", actor=owner)
            if number % 3 == 0:
                project_member_add(project=project, user=pat, actor=owner)
            elif number % 3 == 1:
                team_project_assign(team=team, project=project, actor=owner)
            else:
                join_request_create(project=project, user=pat, message="please")

    grow(0, 5)
    few = queries_of(client, projects_url(organization))
    grow(5, 60)
    many = queries_of(client, projects_url(organization))
    assert few == many


def test_projects_reached_asks_about_any_number_of_projects_in_three_queries(
    organization, owner, django_assert_num_queries
):
    pat = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY])
    projects = [project_create(organization=organization, name=f"P{n}", actor=owner) for n in range(6)]
    project_member_add(project=projects[0], user=pat, roles=[roles.GROUP_OWNER], actor=owner)
    with django_assert_num_queries(3):
        reached = reach.projects_reached(pat, organization, projects)
    assert set(reached) == {p.pk for p in projects}  # Organization Read Only reaches them all
    assert reached[projects[0].pk].roles == [roles.GROUP_OWNER, roles.GROUP_READ_ONLY]
    assert [g.reason for g in reached[projects[1].pk].grants] == ["from Organization Read Only"]


def test_an_owner_or_project_creator_creates_a_project_and_lands_in_it(client, organization, owner):
    creator = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_GROUP_CREATOR])
    client.force_login(creator)
    assert "Create project" in text(client.get(projects_url(organization)))

    response = client.post(f"{projects_url(organization)}new/", {"name": "Analytics"})

    project = Project.objects.get(organization=organization, name="Analytics")
    assert response.status_code == 302 and response["Location"] == access_url(project)
    assert ProjectMembership.objects.get(project=project, user=creator).role_names == [roles.GROUP_OWNER]
    assert AuditEvent.objects.filter(project=project, event_type=AuditEvent.Type.GROUP_CREATED).exists()


def test_creating_a_project_refuses_a_taken_name_on_the_form_and_a_plain_member(
    client, organization, owner, project
):
    client.force_login(owner)
    response = client.post(f"{projects_url(organization)}new/", {"name": "Production"})
    assert response.status_code == 200
    assert "already exists" in text(response)
    assert Project.objects.filter(organization=organization).count() == 1

    plain = MemberFactory(organization=organization, actor=owner)
    client.force_login(plain)
    assert client.get(f"{projects_url(organization)}new/").status_code == 403
    assert client.post(f"{projects_url(organization)}new/", {"name": "Mine"}).status_code == 403
    assert not Project.objects.filter(name="Mine").exists()


def test_a_member_asks_to_join_with_a_message_and_the_owners_are_emailed(
    client, organization, owner, project, django_capture_on_commit_callbacks
):
    asker = MemberFactory(organization=organization, actor=owner, email="asker@example.com")
    client.force_login(asker)
    url = f"{projects_url(organization)}{project.public_id}/join/"
    assert "Request to join Production" in text(client.get(url))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "I run the nightly reports."}, follow=True)

    join_request = JoinRequest.objects.get(project=project, user=asker)
    assert join_request.message == "I run the nightly reports."
    assert "was sent to its owners" in text(response)
    assert "request sent" in text(response)  # the Projects tab marks it
    assert any(owner.email in message.to and "nightly reports" in message.body for message in mail.outbox)


def test_someone_who_already_reaches_the_project_is_refused_with_the_reason(
    client, organization, owner, project
):
    teammate = MemberFactory(organization=organization, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[teammate], actor=owner)
    team_project_assign(team=team, project=project, actor=owner)
    client.force_login(teammate)

    response = client.post(f"{projects_url(organization)}{project.public_id}/join/", {"message": "hi"})

    assert response.status_code == 200
    assert "You already reach project Production through your organization role or a team." in text(response)
    assert not JoinRequest.objects.exists()


def test_another_organizations_project_is_not_found_on_the_projects_pages(client, organization, owner):
    stranger_owner = UserFactory()
    elsewhere = organization_create(name="Elsewhere", actor=stranger_owner)
    foreign = project_create(organization=elsewhere, name="Secret", actor=stranger_owner)
    asker = MemberFactory(organization=organization, actor=owner)
    client.force_login(asker)

    assert client.get(f"{projects_url(organization)}{foreign.public_id}/join/").status_code == 404
    assert (
        client.post(f"{projects_url(organization)}{foreign.public_id}/join/", {"message": "x"}).status_code
        == 404
    )
    assert client.get(projects_url(elsewhere)).status_code == 404
    assert client.get(f"{projects_url(elsewhere)}new/").status_code == 404
    assert not JoinRequest.objects.exists()


# ---- the Access tab: users --------------------------------------------------------------------------------------


def test_the_access_tab_shows_effective_roles_and_where_each_comes_from(client, organization, owner, project):
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    project_member_add(project=project, user=pat, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    org_owner = MemberFactory(
        organization=organization, actor=owner, roles=[roles.ORG_OWNER], email="boss@example.com"
    )
    client.force_login(owner)

    page = text(client.get(access_url(project)))

    row = page[page.index('id="user-' + pat.public_id) :]
    row = row[: row.index("</tr>")]
    assert (
        "Project Owner, Project Read Only" in row
    )  # not "Project Read Only" alone: the team makes them owner
    assert "via team Platform" in row and "direct" in row
    boss = page[page.index('id="user-' + org_owner.public_id) :]
    assert "from Organization Owner" in boss[: boss.index("</tr>")]
    assert "Remove" not in boss[: boss.index("</tr>")]  # nothing direct to remove


def test_adding_people_adds_members_of_the_organization_and_invites_the_others(
    client, organization, owner, project
):
    pat = MemberFactory(organization=organization, actor=owner, email="Pat@Example.com")
    client.force_login(owner)

    response = client.post(
        access_url(project),
        {"emails": "pat@example.com, new@elsewhere.example", "roles": [roles.GROUP_CLUSTER_MANAGER]},
        follow=True,
    )

    assert ProjectMembership.objects.get(project=project, user=pat).role_names == [
        roles.GROUP_CLUSTER_MANAGER
    ]
    invitation = Invitation.objects.get(project=project)
    assert invitation.email == "new@elsewhere.example" and invitation.roles == [roles.GROUP_CLUSTER_MANAGER]
    assert not Invitation.objects.filter(
        email__iexact="pat@example.com"
    ).exists()  # no invitation for a member
    page = text(response)
    assert (
        "Added to Production: Pat@Example.com." in page
        and "Invitation sent to new@elsewhere.example." in page
    )
    assert AuditEvent.objects.filter(
        event_type=AuditEvent.Type.JOINED_GROUP, project=project, target_id=pat.public_id
    ).exists()
    assert reach.project_reach(project, [pat])[0].roles == [roles.GROUP_CLUSTER_MANAGER]
    assert pat.has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)  # permissions synced


def test_adding_people_without_a_role_gives_the_default_only(client, organization, owner, project):
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    client.force_login(owner)
    client.post(access_url(project), {"emails": "pat@example.com"})
    assert ProjectMembership.objects.get(project=project, user=pat).role_names == [roles.GROUP_READ_ONLY]


def test_adding_someone_already_in_the_project_is_refused_on_the_form_and_changes_nothing(
    client, organization, owner, project
):
    client.force_login(owner)
    response = client.post(access_url(project), {"emails": f"{owner.email} someone@new.example"})
    assert response.status_code == 200
    assert "is already in project Production" in text(response)
    assert not Invitation.objects.exists()


def test_a_user_admin_cannot_add_a_project_owner(organization, owner, project):
    admin = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    with pytest.raises(ServiceError) as refused:
        project_users_add(project=project, emails=["pat@example.com"], roles=[roles.GROUP_OWNER], actor=admin)
    assert refused.value.code == "ROLE_ESCALATION"
    assert not ProjectMembership.objects.filter(user=pat).exists()


def test_an_api_keys_account_cannot_be_added_by_email(organization, owner, project):
    key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner
    )
    with pytest.raises(ServiceError):
        project_users_add(project=project, emails=[key.user.email], actor=owner)
    assert not Invitation.objects.exists()


def test_a_direct_members_roles_change_and_the_only_owner_keeps_project_owner(
    client, organization, owner, project
):
    pat = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=pat, actor=owner)
    client.force_login(owner)

    client.post(
        f"{access_url(project)}users/{pat.public_id}/roles/", {"roles": [roles.GROUP_DATA_ACCESS_ADMIN]}
    )
    assert ProjectMembership.objects.get(project=project, user=pat).role_names == [
        roles.GROUP_DATA_ACCESS_ADMIN
    ]

    response = client.post(
        f"{access_url(project)}users/{owner.public_id}/roles/",
        {"roles": [roles.GROUP_READ_ONLY]},
        follow=True,
    )
    assert "last Project Owner" in text(response)
    assert ProjectMembership.objects.get(project=project, user=owner).role_names == [roles.GROUP_OWNER]

    response = client.post(f"{access_url(project)}users/{pat.public_id}/roles/", {}, follow=True)
    assert "Pick at least one project role" in text(response)


def test_removing_a_direct_member_confirms_first_and_keeps_team_access(client, organization, owner, project):
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    project_member_add(project=project, user=pat, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    team_project_assign(team=team, project=project, actor=owner)
    client.force_login(owner)
    url = f"{access_url(project)}users/{pat.public_id}/remove/"

    confirm = text(client.get(url))
    assert "Remove pat@example.com from Production?" in confirm
    assert "Project Cluster Manager" in confirm and "via team Platform" in confirm
    assert ProjectMembership.objects.filter(project=project, user=pat).exists()  # nothing happened yet

    client.post(url)
    assert not ProjectMembership.objects.filter(project=project, user=pat).exists()
    assert reach.project_reach(project, [pat])[0].roles == [roles.GROUP_READ_ONLY]  # the team's stays


def test_the_only_project_owner_cannot_be_removed_and_is_told_so_first(client, organization, owner, project):
    client.force_login(owner)
    url = f"{access_url(project)}users/{owner.public_id}/remove/"

    assert "is the only Project Owner of Production" in text(client.get(url))
    response = client.post(url, follow=True)
    assert "last Project Owner" in text(response)
    assert ProjectMembership.objects.filter(project=project, user=owner).exists()


def test_a_project_read_only_member_sees_access_but_cannot_manage_it(client, organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=reader, actor=owner)
    pat = MemberFactory(organization=organization, actor=owner, email="pat@example.com")
    project_member_add(project=project, user=pat, actor=owner)
    team = team_create(organization=organization, name="Platform", actor=owner)
    team_project_assign(team=team, project=project, actor=owner)
    other = team_create(organization=organization, name="Other", actor=owner)
    invitation = project_invitations_create(project=project, emails=["new@example.com"], actor=owner)[0]
    join_request = join_request_create(
        project=project, user=MemberFactory(organization=organization, actor=owner)
    )
    client.force_login(reader)

    page = text(client.get(access_url(project)))
    assert "pat@example.com" in page and "Add people" not in page and "Change roles" not in page
    assert "Add a team" not in page and "Approve" not in page

    refused = [
        client.post(access_url(project), {"emails": "x@example.com"}),
        client.post(f"{access_url(project)}users/{pat.public_id}/roles/", {"roles": [roles.GROUP_OWNER]}),
        client.get(f"{access_url(project)}users/{pat.public_id}/remove/"),
        client.post(f"{access_url(project)}users/{pat.public_id}/remove/"),
        client.post(f"{access_url(project)}teams/add/", {"team": other.public_id}),
        client.post(f"{access_url(project)}teams/{team.public_id}/roles/", {"roles": [roles.GROUP_OWNER]}),
        client.get(f"{access_url(project)}teams/{team.public_id}/remove/"),
        client.post(f"{access_url(project)}teams/{team.public_id}/remove/"),
        client.post(f"/pending-invitations/{invitation.public_id}/revoke/"),
        client.post(f"/join-requests/{join_request.public_id}/approve/"),
        client.get(f"/join-requests/{join_request.public_id}/deny/"),
        client.post(f"/join-requests/{join_request.public_id}/deny/"),
    ]
    # Refused as a page (403) or as a message on the Access tab: nothing changed either way.
    for response in refused:
        assert response.status_code in (302, 403), response
    assert not Invitation.objects.filter(email="x@example.com").exists()
    assert ProjectMembership.objects.filter(project=project, user=pat).exists()
    assert TeamProjectAssignment.objects.filter(project=project).count() == 1
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.PENDING
    assert JoinRequest.objects.get(pk=join_request.pk).status == JoinRequest.Status.PENDING


# ---- the Access tab: teams, API keys ------------------------------------------------------------------------------


def test_a_team_is_added_its_roles_changed_and_it_is_removed_after_a_confirmation(
    client, organization, owner, project
):
    pat = MemberFactory(organization=organization, actor=owner)
    team = team_create(organization=organization, name="Platform", members=[pat], actor=owner)
    client.force_login(owner)

    assert "Add a team" in text(client.get(access_url(project)))
    client.post(
        f"{access_url(project)}teams/add/", {"team": team.public_id, "roles": [roles.GROUP_CLUSTER_MANAGER]}
    )
    assignment = TeamProjectAssignment.objects.get(team=team, project=project)
    assert assignment.role_names == [roles.GROUP_CLUSTER_MANAGER]
    assert "via team Platform" in text(client.get(access_url(project)))

    client.post(f"{access_url(project)}teams/{team.public_id}/roles/", {"roles": [roles.GROUP_READ_ONLY]})
    assert TeamProjectAssignment.objects.get(pk=assignment.pk).role_names == [roles.GROUP_READ_ONLY]

    url = f"{access_url(project)}teams/{team.public_id}/remove/"
    confirm = text(client.get(url))
    assert "Remove team Platform from Production?" in confirm and "Its 1 member lose" in confirm
    assert TeamProjectAssignment.objects.filter(pk=assignment.pk).exists()
    client.post(url)
    assert not TeamProjectAssignment.objects.filter(pk=assignment.pk).exists()
    assert not reach.project_reach(project, [pat])[0].grants


def test_another_organizations_team_is_refused_like_a_missing_one(client, organization, owner, project):
    stranger_owner = UserFactory()
    elsewhere = organization_create(name="Elsewhere", actor=stranger_owner)
    foreign = team_create(organization=elsewhere, name="Theirs", actor=stranger_owner)
    client.force_login(owner)

    foreign_answer = client.post(f"{access_url(project)}teams/add/", {"team": foreign.public_id}, follow=True)
    missing_answer = client.post(
        f"{access_url(project)}teams/add/", {"team": "ffffffffffffffffffff0001"}, follow=True
    )
    assert "Theirs" not in text(foreign_answer)
    assert without_tokens(text(foreign_answer)).replace(foreign.public_id, "ID") == without_tokens(
        text(missing_answer)
    ).replace("ffffffffffffffffffff0001", "ID")
    assert client.get(f"{access_url(project)}teams/{foreign.public_id}/remove/").status_code == 404
    assert not TeamProjectAssignment.objects.exists()


def test_the_api_keys_assigned_to_the_project_are_listed(client, organization, owner, project):
    key, _ = api_key_create(
        organization=organization, description="ci deploys", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(api_key=key, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    client.force_login(owner)
    page = text(client.get(access_url(project)))
    keys = page[page.index('id="api-keys"') :]
    assert key.public_key in keys and "ci deploys" in keys and "Project Cluster Manager" in keys
    users = page[page.index('id="users"') : page.index('id="invitations"')]
    assert key.user.email not in users  # an API key is not a user


# ---- the Access tab: invitations and requests ---------------------------------------------------------------------


def test_an_invitation_is_revoked_after_a_confirmation_and_back_on_the_access_tab(
    client, organization, owner, project
):
    invitation = project_invitations_create(project=project, emails=["new@example.com"], actor=owner)[0]
    client.force_login(owner)
    page = text(client.get(access_url(project)))
    link = f"/pending-invitations/{invitation.public_id}/revoke/?next=/projects/{project.public_id}/%23invitations"
    assert link in page

    assert "Revoke the invitation to new@example.com?" in text(client.get(link.replace("%23", "#")))
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.PENDING
    response = client.post(link.replace("%23invitations", ""), {"next": access_url(project)})
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.REVOKED
    assert response["Location"].startswith(access_url(project))


def test_requests_show_their_message_approve_at_once_and_deny_after_a_confirmation(
    client, organization, owner, project
):
    yes = MemberFactory(organization=organization, actor=owner, email="yes@example.com")
    no = MemberFactory(organization=organization, actor=owner, email="no@example.com")
    approved = join_request_create(project=project, user=yes, message="I run the nightly reports.")
    denied = join_request_create(project=project, user=no, message="Curious.")
    client.force_login(owner)

    page = text(client.get(access_url(project)))
    assert "I run the nightly reports." in page and "Curious." in page

    client.post(f"/join-requests/{approved.public_id}/approve/")
    assert JoinRequest.objects.get(pk=approved.pk).status == JoinRequest.Status.APPROVED
    assert ProjectMembership.objects.get(project=project, user=yes).role_names == [roles.GROUP_READ_ONLY]

    confirm = text(client.get(f"/join-requests/{denied.public_id}/deny/"))
    assert "Deny no@example.com&#x27;s request to join Production?" in confirm and "Curious." in confirm
    assert JoinRequest.objects.get(pk=denied.pk).status == JoinRequest.Status.PENDING
    client.post(f"/join-requests/{denied.public_id}/deny/")
    assert JoinRequest.objects.get(pk=denied.pk).status == JoinRequest.Status.DENIED


def test_approving_gives_the_role_picked_beside_approve_and_no_more_than_the_approver_may(
    client, organization, owner, project
):
    picked = MemberFactory(organization=organization, actor=owner, email="picked@example.com")
    greedy = MemberFactory(organization=organization, actor=owner, email="greedy@example.com")
    admin = MemberFactory(organization=organization, actor=owner, email="admin@example.com")
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    first = join_request_create(project=project, user=picked)
    second = join_request_create(project=project, user=greedy)
    client.force_login(owner)
    page = text(client.get(access_url(project)))
    assert f'<select id="approve-role-{first.public_id}" name="roles">' in page

    client.post(f"/join-requests/{first.public_id}/approve/", {"roles": roles.GROUP_CLUSTER_MANAGER})
    assert ProjectMembership.objects.get(project=project, user=picked).role_names == [
        roles.GROUP_CLUSTER_MANAGER
    ]

    client.force_login(admin)  # a User Admin may not make a Project Owner: refused, nothing changes
    client.post(f"/join-requests/{second.public_id}/approve/", {"roles": roles.GROUP_OWNER})
    assert JoinRequest.objects.get(pk=second.pk).status == JoinRequest.Status.PENDING
    assert not ProjectMembership.objects.filter(project=project, user=greedy).exists()
    client.post(f"/join-requests/{second.public_id}/approve/", {"roles": "NOT_A_ROLE"})
    assert JoinRequest.objects.get(pk=second.pk).status == JoinRequest.Status.PENDING


def test_another_tenants_project_and_its_objects_are_not_found(client, organization, owner, project):
    stranger_owner = UserFactory()
    elsewhere = organization_create(name="Elsewhere", actor=stranger_owner)
    foreign = project_create(organization=elsewhere, name="Secret", actor=stranger_owner)
    theirs = UserFactory()
    organization_member_add(organization=elsewhere, user=theirs, actor=stranger_owner)
    project_member_add(project=foreign, user=theirs, actor=stranger_owner)
    join_request = join_request_create(project=foreign, user=UserFactory())
    client.force_login(owner)

    for url in (
        access_url(foreign),
        f"{access_url(foreign)}users/{theirs.public_id}/remove/",
        f"{access_url(project)}users/{theirs.public_id}/remove/",
        f"/join-requests/{join_request.public_id}/deny/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert (
        client.post(
            f"{access_url(project)}users/{theirs.public_id}/roles/", {"roles": ["GROUP_OWNER"]}
        ).status_code
        == 404
    )
    assert client.post(f"/join-requests/{join_request.public_id}/approve/").status_code == 404
    assert ProjectMembership.objects.filter(project=foreign, user=theirs).exists()
    assert JoinRequest.objects.get(pk=join_request.pk).status == JoinRequest.Status.PENDING


def test_the_access_tab_costs_the_same_queries_for_5_and_60_rows(client, organization, owner, project):
    client.force_login(owner)

    def grow(start, stop):
        for number in range(start, stop):
            user = MemberFactory(organization=organization, actor=owner)
            project_member_add(project=project, user=user, actor=owner)
            team = team_create(organization=organization, name=f"Team {number}", members=[user], actor=owner)
            team_project_assign(team=team, project=project, actor=owner)
            join_request_create(project=project, user=UserFactory(), message=f"please {number}")
            key, _ = api_key_create(
                organization=organization, description=f"key {number}", roles=[roles.ORG_MEMBER], actor=owner
            )
            api_key_project_assign(api_key=key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
        project_invitations_create(
            project=project, emails=[f"p{n}@example.com" for n in range(start, stop)], actor=owner
        )
        team_create(organization=organization, name=f"Spare {start}", actor=owner)  # offered in "Add a team"

    grow(0, 5)
    few = queries_of(client, access_url(project))
    grow(5, 60)
    many = queries_of(client, access_url(project))
    assert few == many


def test_a_member_leaves_a_project_after_a_confirmation(client, organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=reader, actor=owner)
    client.force_login(reader)
    url = f"{access_url(project)}users/{reader.public_id}/remove/"
    assert "Leave project" in text(client.get(access_url(project)))

    assert "Leave Production?" in text(client.get(url))
    response = client.post(url)

    assert response["Location"] == projects_url(organization)  # the project is no longer theirs to open
    assert not ProjectMembership.objects.filter(project=project, user=reader).exists()
