"""The Django admin: every change goes through the services, a refusal rolls the whole request back and is shown,
and lists cost the same number of queries whatever their length."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles, services
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    AuditEvent,
    Cluster,
    Invitation,
    JoinRequest,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    User,
)
from accounts.services import api_keys as api_key_services
from accounts.services import invitations as invitation_services
from accounts.services import join_requests as join_request_services
from tests.factories import ClusterFactory, MemberFactory, UserFactory

Event = AuditEvent.Type


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---- helpers ----------------------------------------------------------------------------------------------------


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_values(form, data):
    for name, field in form.fields.items():
        if field.disabled:
            continue  # a browser does not send it, and Django ignores it
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif value is not None:
            data[key] = str(value)


def form_data(response) -> dict:
    """What a browser would post back from this admin change page, unchanged."""
    data = {}
    _form_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        _form_values(inline.formset.management_form, data)
        for form in inline.formset.forms:
            _form_values(form, data)
    return data


def inline_formset(response, prefix):
    return next(i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)


def row_of(response, prefix, email):
    """The prefix of the existing inline row of the user with this email."""
    return next(
        f.prefix for f in inline_formset(response, prefix).initial_forms if f.instance.user.email == email
    )


def new_row(data, prefix):
    """The prefix of the first empty row (the admin renders one)."""
    return f"{prefix}-{data[f'{prefix}-INITIAL_FORMS']}"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def add_members(organization, actor, count, start=0, roles_=(roles.ORG_MEMBER,)):
    emails = [f"member{i:03}@example.com" for i in range(start, start + count)]
    User.objects.bulk_create(User(email=email) for email in emails)
    users = list(User.objects.filter(email__in=emails))
    for user in users:
        services.organization_member_add(organization=organization, user=user, roles=roles_, actor=actor)
    return users


def queries_of(client, url) -> int:
    client.get(url)  # warm the caches (content types, session) that every later request finds warm too
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def org_roles(organization, user) -> list[str]:
    return OrganizationMembership.objects.get(organization=organization, user=user).role_names


@pytest.fixture
def member(organization, owner):
    return MemberFactory(organization=organization, actor=owner, email="bob@example.com")


@pytest.fixture
def team(organization, owner, member):
    return services.team_create(organization=organization, name="Platform", members=[member], actor=owner)


# ---- every page -------------------------------------------------------------------------------------------------


@pytest.fixture
def api_key(organization, owner):
    api_key, _private_key = api_key_services.api_key_create(
        organization=organization, description="CI", roles=[roles.ORG_MEMBER], actor=owner
    )
    return api_key


@pytest.fixture
def invitation(organization, owner):
    return invitation_services.organization_invitations_create(
        organization=organization, emails=["invitee@example.com"], actor=owner
    )[0]


@pytest.fixture
def everything(organization, owner, project, member, team, api_key, invitation):
    """One of every accounts object, so that every change page has something to show."""
    services.team_project_assign(team=team, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    services.project_member_add(project=project, user=member, actor=owner)
    services.cluster_create(project=project, name="main", actor=owner)
    api_key_services.api_key_project_assign(
        api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
    )
    api_key_services.api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)
    outsider = UserFactory(email="outsider@example.com")
    return {
        ApiKey: api_key,
        Invitation: invitation,
        JoinRequest: join_request_services.join_request_create(project=project, user=outsider),
        User: owner,
        Organization: organization,
        Project: project,
        Cluster: Cluster.objects.get(name="main"),
        Team: team,
        OrganizationMembership: OrganizationMembership.objects.get(user=member),
        ProjectMembership: ProjectMembership.objects.get(user=member),
        AuditEvent: AuditEvent.objects.first(),
        Group: Group.objects.create(name="support staff"),
    }


@pytest.mark.parametrize(
    "model",
    [
        User,
        Organization,
        Project,
        Cluster,
        Team,
        OrganizationMembership,
        ProjectMembership,
        Invitation,
        JoinRequest,
        ApiKey,
        AuditEvent,
        Group,
    ],
    ids=lambda model: model.__name__,
)
def test_every_admin_page_renders(admin_client, everything, model):
    obj = everything[model]
    assert admin_client.get(admin_url(model)).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    read_only = {AuditEvent, Invitation, JoinRequest, ApiKey}  # made elsewhere; read and acted on here
    assert admin_client.get(admin_url(model, "add")).status_code == (403 if model in read_only else 200)


def test_organizations_and_projects_are_picked_by_search_not_from_a_list(admin_client, everything):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accounts", "model_name": "cluster", "field_name": "project", "term": "Prod"},
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Production"]


def test_the_list_of_members_is_searchable_by_email_and_filterable_by_organization(
    admin_client, organization, owner, member
):
    other = services.organization_create(name="Globex", owner=member, actor=member)

    found = admin_client.get(admin_url(OrganizationMembership), {"q": "bob@"}).context["cl"].result_list
    assert sorted(m.organization.name for m in found) == ["Acme", "Globex"]
    filtered = admin_client.get(admin_url(OrganizationMembership), {"organization__id__exact": other.pk})
    assert [m.user for m in filtered.context["cl"].result_list] == [member]


# ---- organizations and their members inline ---------------------------------------------------------------------


def test_adding_a_member_through_the_organization_inline_creates_membership_roles_and_audit_event(
    admin_client, admin_user, organization
):
    carol = UserFactory(email="carol@example.com")
    change = admin_url(Organization, "change", organization.pk)
    data = form_data(admin_client.get(change))
    row = new_row(data, "memberships")
    data[f"{row}-email"] = "Carol@Example.com"
    data[f"{row}-roles"] = [roles.ORG_GROUP_CREATOR, roles.ORG_MEMBER]

    response = admin_client.post(change, data)

    assert response.status_code == 302
    assert org_roles(organization, carol) == [roles.ORG_GROUP_CREATOR, roles.ORG_MEMBER]
    event = AuditEvent.objects.get(event_type=Event.JOINED_ORG, target_name=carol.email)
    assert event.actor == admin_user
    assert carol.has_perm("accounts.create_project", organization)  # derived permissions synced


def test_demoting_the_last_org_owner_in_the_inline_is_refused_and_nothing_of_the_save_stays(
    admin_client, organization, owner
):
    newcomer = UserFactory(email="newcomer@example.com")
    change = admin_url(Organization, "change", organization.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data["name"] = "Renamed"
    data[f"{row_of(page, 'memberships', owner.email)}-roles"] = [roles.ORG_MEMBER]
    row = new_row(data, "memberships")
    data[f"{row}-email"] = newcomer.email  # added before the demotion is tried: must be undone too
    events = AuditEvent.objects.count()

    response = admin_client.post(change, data)

    assert response.status_code == 200  # the form again, never a 500
    assert any("is the last Organization Owner" in m for m in messages_of(response))
    owner_form = inline_formset(response, "memberships").forms[0]
    assert "is the last Organization Owner" in str(owner_form.non_field_errors())
    assert response.context["adminform"].form["name"].value() == "Renamed"  # the input is kept
    organization.refresh_from_db()
    assert organization.name == "Acme"
    assert org_roles(organization, owner) == [roles.ORG_OWNER]
    assert not OrganizationMembership.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.count() == events


def test_staff_without_the_power_to_manage_members_are_refused_by_the_service(client, organization):
    """The admin's model permissions open the page; the service still decides (here: no
    manage_organization_members), and the rename in the same save is undone."""
    staff = UserFactory(email="staff@example.com", is_staff=True, totp=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=[
                "view_organization",
                "change_organization",
                "view_organizationmembership",
                "add_organizationmembership",
                "change_organizationmembership",
            ],
        )
    )
    carol = UserFactory(email="carol@example.com")
    client.force_login(staff)
    change = admin_url(Organization, "change", organization.pk)
    data = form_data(client.get(change))
    data["name"] = "Renamed"
    data[f"{new_row(data, 'memberships')}-email"] = carol.email

    response = client.post(change, data)

    assert response.status_code == 200
    assert any("You do not have the permission" in m for m in messages_of(response))
    organization.refresh_from_db()
    assert organization.name == "Acme"
    assert not OrganizationMembership.objects.filter(user=carol).exists()


def test_ownership_can_be_handed_over_in_one_save(admin_client, organization, owner):
    """The owner's row comes first; the promotion of the row after it is applied before the demotion."""
    zed = UserFactory(email="zed@example.com")
    services.organization_member_add(organization=organization, user=zed, actor=owner)
    change = admin_url(Organization, "change", organization.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data[f"{row_of(page, 'memberships', owner.email)}-roles"] = [roles.ORG_MEMBER]
    data[f"{row_of(page, 'memberships', zed.email)}-roles"] = [roles.ORG_OWNER]

    assert admin_client.post(change, data).status_code == 302
    assert org_roles(organization, owner) == [roles.ORG_MEMBER]
    assert org_roles(organization, zed) == [roles.ORG_OWNER]


def test_an_unknown_email_in_the_inline_is_a_form_error(admin_client, organization):
    change = admin_url(Organization, "change", organization.pk)
    data = form_data(admin_client.get(change))
    row = new_row(data, "memberships")
    data[f"{row}-email"] = "nobody@example.com"

    response = admin_client.post(change, data)

    assert response.status_code == 200
    form = inline_formset(response, "memberships").forms[-1]
    assert "No user has the email address nobody@example.com" in str(form.errors["email"])
    assert organization.memberships.count() == 1


def test_removing_a_member_through_the_inline_uses_the_service(admin_client, organization, member, team):
    change = admin_url(Organization, "change", organization.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data[f"{row_of(page, 'memberships', member.email)}-DELETE"] = "on"

    assert admin_client.post(change, data).status_code == 302
    assert not OrganizationMembership.objects.filter(user=member).exists()
    assert not TeamMembership.objects.filter(user=member).exists()  # the service removes their teams too
    assert AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_ORG, target_name=member.email).exists()


def test_removing_the_last_owner_through_the_inline_is_refused(admin_client, organization, owner):
    change = admin_url(Organization, "change", organization.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data[f"{row_of(page, 'memberships', owner.email)}-DELETE"] = "on"

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert "is the last Organization Owner" in str(response.context["adminform"].form.non_field_errors())
    assert org_roles(organization, owner) == [roles.ORG_OWNER]


def test_creating_an_organization_makes_the_owner_its_org_owner(admin_client, admin_user, owner):
    response = admin_client.post(admin_url(Organization, "add"), {"name": "Initech", "owner": owner.email})

    assert response.status_code == 302
    organization = Organization.objects.get(name="Initech")
    assert org_roles(organization, owner) == [roles.ORG_OWNER]
    assert AuditEvent.objects.filter(
        organization=organization, event_type=Event.ORG_CREATED, actor=admin_user
    ).exists()


def test_an_unknown_owner_email_is_a_form_error(admin_client):
    response = admin_client.post(
        admin_url(Organization, "add"), {"name": "Initech", "owner": "nobody@example.com"}
    )

    assert response.status_code == 200
    assert "No user has the email address" in str(response.context["adminform"].form.errors["owner"])
    assert not Organization.objects.filter(name="Initech").exists()


def test_renaming_an_organization_is_audited_with_the_old_name(admin_client, organization):
    change = admin_url(Organization, "change", organization.pk)
    data = form_data(admin_client.get(change))
    data["name"] = "Acme Worldwide"

    assert admin_client.post(change, data).status_code == 302
    event = AuditEvent.objects.get(event_type=Event.ORG_RENAMED)
    assert event.details == {"from": "Acme", "to": "Acme Worldwide"}


def test_deleting_an_organization_uses_the_service(admin_client, organization):
    response = admin_client.post(admin_url(Organization, "delete", organization.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Organization.objects.exists()
    assert AuditEvent.objects.filter(event_type=Event.ORG_DELETED).exists()


# ---- teams --------------------------------------------------------------------------------------------------------


def test_creating_a_team_through_the_admin_is_audited(admin_client, organization):
    response = admin_client.post(admin_url(Team, "add"), {"organization": organization.pk, "name": "Ops"})

    assert response.status_code == 302
    team = Team.objects.get(name="Ops")
    assert AuditEvent.objects.filter(event_type=Event.TEAM_CREATED, target_id=team.public_id).exists()


def test_the_251st_team_is_refused(admin_client, organization):
    groups = Group.objects.bulk_create(Group(name=f"bulk-{i}") for i in range(Team.MAX_PER_ORGANIZATION))
    Team.objects.bulk_create(
        Team(organization=organization, name=f"team-{i}", name_key=f"team-{i}", group=group)
        for i, group in enumerate(groups)
    )

    response = admin_client.post(
        admin_url(Team, "add"), {"organization": organization.pk, "name": "One too many"}
    )

    assert response.status_code == 200
    assert any("already has 250 teams" in m for m in messages_of(response))
    assert "already has 250 teams" in str(response.context["adminform"].form.non_field_errors())
    assert organization.teams.count() == Team.MAX_PER_ORGANIZATION
    assert not AuditEvent.objects.filter(event_type=Event.TEAM_CREATED).exists()


def test_renaming_a_team_is_audited_with_the_old_name(admin_client, team):
    change = admin_url(Team, "change", team.pk)
    data = form_data(admin_client.get(change))
    data["name"] = "Infrastructure"

    assert admin_client.post(change, data).status_code == 302
    event = AuditEvent.objects.get(event_type=Event.TEAM_NAME_CHANGED)
    assert event.details == {"from": "Platform", "to": "Infrastructure"}


def test_a_team_name_taken_in_the_organization_is_refused(admin_client, team):
    response = admin_client.post(
        admin_url(Team, "add"), {"organization": team.organization_id, "name": "platform"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert Team.objects.count() == 1
    assert AuditEvent.objects.filter(event_type=Event.TEAM_CREATED).count() == 1


def test_adding_and_removing_team_members_through_the_inline(admin_client, organization, owner, member, team):
    carol = UserFactory(email="carol@example.com")
    services.organization_member_add(organization=organization, user=carol, actor=owner)
    change = admin_url(Team, "change", team.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data[f"{new_row(data, 'memberships')}-email"] = carol.email
    data[f"{row_of(page, 'memberships', member.email)}-DELETE"] = "on"

    assert admin_client.post(change, data).status_code == 302
    assert list(team.memberships.values_list("user__email", flat=True)) == [carol.email]
    assert list(team.group.user_set.all()) == [carol]  # the group the permissions hang on follows
    assert AuditEvent.objects.filter(event_type=Event.JOINED_TEAM, target_name=carol.email).exists()
    assert AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_TEAM, target_name=member.email).exists()


def test_only_organization_members_can_join_a_team_through_the_inline(admin_client, team):
    outsider = UserFactory(email="outsider@example.com")
    change = admin_url(Team, "change", team.pk)
    data = form_data(admin_client.get(change))
    row = new_row(data, "memberships")
    data[f"{row}-email"] = outsider.email

    response = admin_client.post(change, data)

    assert response.status_code == 200
    row_form = next(f for f in inline_formset(response, "memberships").forms if f.prefix == row)
    assert "outsider@example.com is not a member" in str(row_form.non_field_errors())
    assert not TeamMembership.objects.filter(user=outsider).exists()


def test_deleting_a_team_uses_the_service(admin_client, team):
    group_id = team.group_id

    assert admin_client.post(admin_url(Team, "delete", team.pk), {"post": "yes"}).status_code == 302
    assert not Team.objects.exists()
    assert not Group.objects.filter(pk=group_id).exists()
    assert AuditEvent.objects.filter(event_type=Event.TEAM_DELETED).exists()


# ---- projects, their members and teams ----------------------------------------------------------------------------


def test_creating_a_project_makes_the_owner_its_group_owner(admin_client, organization, member):
    response = admin_client.post(
        admin_url(Project, "add"),
        {"organization": organization.pk, "name": "Analytics", "owner": member.email},
    )

    assert response.status_code == 302
    project = Project.objects.get(name="Analytics")
    assert ProjectMembership.objects.get(project=project, user=member).role_names == [roles.GROUP_OWNER]
    assert AuditEvent.objects.filter(project=project, event_type=Event.GROUP_CREATED).exists()


def test_adding_an_outsider_to_a_project_through_the_inline_adds_them_to_the_organization(
    admin_client, organization, project
):
    outsider = UserFactory(email="outsider@example.com")
    change = admin_url(Project, "change", project.pk)
    data = form_data(admin_client.get(change))
    row = new_row(data, "memberships")
    data[f"{row}-email"] = outsider.email
    data[f"{row}-roles"] = [roles.GROUP_DATA_ACCESS_READ_ONLY]

    assert admin_client.post(change, data).status_code == 302
    assert ProjectMembership.objects.get(user=outsider).role_names == [roles.GROUP_DATA_ACCESS_READ_ONLY]
    assert org_roles(organization, outsider) == [roles.ORG_MEMBER]
    assert outsider.has_perm("accounts.read_data", project)


def test_demoting_the_last_group_owner_in_the_inline_is_refused(admin_client, project, owner):
    change = admin_url(Project, "change", project.pk)
    page = admin_client.get(change)
    data = form_data(page)
    data[f"{row_of(page, 'memberships', owner.email)}-roles"] = [roles.GROUP_READ_ONLY]

    response = admin_client.post(change, data)

    assert response.status_code == 200
    assert any("is the last Project Owner" in m for m in messages_of(response))
    assert ProjectMembership.objects.get(project=project, user=owner).role_names == [roles.GROUP_OWNER]


def test_assigning_a_team_through_the_project_inline_gives_its_members_access(
    admin_client, project, member, team
):
    assert not member.has_perm("accounts.view_project", project)
    change = admin_url(Project, "change", project.pk)
    data = form_data(admin_client.get(change))
    row = new_row(data, "team_assignments")
    data[f"{row}-team"] = str(team.pk)
    data[f"{row}-roles"] = [roles.GROUP_CLUSTER_MANAGER]

    assert admin_client.post(change, data).status_code == 302
    assert TeamProjectAssignment.objects.get(team=team, project=project).role_names == [
        roles.GROUP_CLUSTER_MANAGER
    ]
    assert member.has_perm("accounts.manage_clusters", project)
    assert AuditEvent.objects.filter(event_type=Event.TEAM_ADDED_TO_GROUP).exists()


def test_changing_and_removing_a_team_assignment_through_the_project_inline(
    admin_client, owner, project, member, team
):
    services.team_project_assign(team=team, project=project, actor=owner)
    change = admin_url(Project, "change", project.pk)
    data = form_data(admin_client.get(change))
    data["team_assignments-0-roles"] = [roles.GROUP_DATA_ACCESS_READ_WRITE]

    assert admin_client.post(change, data).status_code == 302
    assert member.has_perm("accounts.read_write_data", project)
    assert AuditEvent.objects.filter(event_type=Event.TEAM_ROLES_MODIFIED).exists()

    data = form_data(admin_client.get(change))
    data["team_assignments-0-DELETE"] = "on"
    assert admin_client.post(change, data).status_code == 302
    assert not member.has_perm("accounts.view_project", project)


# ---- clusters -----------------------------------------------------------------------------------------------------


# What the add form shows (the model's defaults), as a browser posts it back.
DESCRIPTION_AS_SHOWN = {"provider_name": "AWS", "region_name": "US_EAST_1", "mongodb_version": "8.0"}


def test_cluster_create_update_delete_go_through_the_services(admin_client, project):
    add = admin_client.post(
        admin_url(Cluster, "add"),
        {
            "project": project.pk,
            "name": "analytics",
            "tier": Cluster.Tier.SHARED,
            "sync_enabled": "on",
            **DESCRIPTION_AS_SHOWN,
        },
    )
    assert add.status_code == 302
    cluster = Cluster.objects.get(name="analytics")
    assert cluster.sync_enabled
    assert AuditEvent.objects.filter(event_type=Event.CLUSTER_CREATED, target_id=cluster.public_id).exists()

    change = admin_url(Cluster, "change", cluster.pk)
    data = form_data(admin_client.get(change))
    data["tier"] = Cluster.Tier.DEDICATED
    assert admin_client.post(change, data).status_code == 302
    event = AuditEvent.objects.get(event_type=Event.CLUSTER_UPDATED)
    assert event.details == {"tier": {"from": "SHARED", "to": "DEDICATED"}}

    assert admin_client.post(admin_url(Cluster, "delete", cluster.pk), {"post": "yes"}).status_code == 302
    assert not Cluster.objects.filter(pk=cluster.pk).exists()
    assert AuditEvent.objects.filter(event_type=Event.CLUSTER_DELETED).exists()


def test_a_cluster_name_taken_in_the_project_is_refused(admin_client, project):
    ClusterFactory(project=project, name="main")

    response = admin_client.post(
        admin_url(Cluster, "add"),
        {"project": project.pk, "name": "main", "tier": Cluster.Tier.DEDICATED, **DESCRIPTION_AS_SHOWN},
    )

    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.non_field_errors())
    assert Cluster.objects.count() == 1


# ---- the lists of members -----------------------------------------------------------------------------------------


def test_membership_admin_adds_changes_and_removes_through_the_services(admin_client, organization, owner):
    carol = UserFactory(email="carol@example.com")
    response = admin_client.post(
        admin_url(OrganizationMembership, "add"),
        {"organization": organization.pk, "email": carol.email, "roles": [roles.ORG_READ_ONLY]},
    )
    assert response.status_code == 302
    membership = OrganizationMembership.objects.get(user=carol)
    assert membership.role_names == [roles.ORG_READ_ONLY]

    change = admin_url(OrganizationMembership, "change", membership.pk)
    assert admin_client.post(change, {"roles": [roles.ORG_BILLING_ADMIN]}).status_code == 302
    assert org_roles(organization, carol) == [roles.ORG_BILLING_ADMIN]
    assert AuditEvent.objects.filter(event_type=Event.USER_ROLES_CHANGED, target_name=carol.email).exists()

    delete = admin_url(OrganizationMembership, "delete", membership.pk)
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_ORG, target_name=carol.email).exists()


def test_deleting_the_last_owner_membership_is_refused_with_a_message(admin_client, organization, owner):
    membership = OrganizationMembership.objects.get(user=owner)

    response = admin_client.post(admin_url(OrganizationMembership, "delete", membership.pk), {"post": "yes"})

    assert response.status_code == 302
    assert response.url == admin_url(OrganizationMembership, "change", membership.pk)
    assert any("is the last Organization Owner" in m for m in messages_of(response))
    assert OrganizationMembership.objects.filter(pk=membership.pk).exists()


def test_a_refused_delete_action_undoes_the_deletions_before_it(admin_client, organization, owner, member):
    """bob's removal comes first and succeeds; the owner's is refused; bob must still be a member."""
    selected = list(OrganizationMembership.objects.order_by("user__email").values_list("pk", flat=True))

    response = admin_client.post(
        admin_url(OrganizationMembership),
        {"action": "delete_selected", "_selected_action": [str(pk) for pk in selected], "post": "yes"},
    )

    assert response.status_code == 302
    assert any("is the last Organization Owner" in m for m in messages_of(response))
    assert OrganizationMembership.objects.filter(organization=organization).count() == 2
    assert not AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_ORG).exists()


def test_project_membership_admin_changes_roles_through_the_service(admin_client, owner, project, member):
    services.project_member_add(project=project, user=member, actor=owner)
    membership = ProjectMembership.objects.get(user=member)

    change = admin_url(ProjectMembership, "change", membership.pk)
    assert admin_client.post(change, {"roles": [roles.GROUP_OWNER]}).status_code == 302
    assert member.has_perm("accounts.manage_project_members", project)

    owner_membership = ProjectMembership.objects.get(user=owner)
    assert admin_client.post(admin_url(ProjectMembership, "delete", owner_membership.pk), {"post": "yes"})
    assert not ProjectMembership.objects.filter(user=owner).exists()  # bob owns it now, so the owner may go
    assert AuditEvent.objects.filter(event_type=Event.REMOVED_FROM_GROUP, target_name=owner.email).exists()


# ---- query counts -----------------------------------------------------------------------------------------------


def test_organization_membership_changelist_costs_the_same_queries_for_5_and_50_members(
    admin_client, organization, owner, django_assert_num_queries
):
    add_members(organization, owner, 4)  # and the owner: 5
    changelist = admin_url(OrganizationMembership)
    five = queries_of(admin_client, changelist)

    add_members(organization, owner, 45, start=4)
    with django_assert_num_queries(five):
        response = admin_client.get(changelist)
    assert response.context["cl"].result_count == 50


def test_project_membership_changelist_costs_the_same_queries_for_5_and_50_members(
    admin_client, organization, owner, project, django_assert_num_queries
):
    for user in add_members(organization, owner, 4):
        services.project_member_add(project=project, user=user, actor=owner)
    changelist = admin_url(ProjectMembership)
    five = queries_of(admin_client, changelist)

    for user in add_members(organization, owner, 45, start=4):
        services.project_member_add(project=project, user=user, actor=owner)
    with django_assert_num_queries(five):
        response = admin_client.get(changelist)
    assert response.context["cl"].result_count == 50


def test_organization_change_page_costs_the_same_queries_for_5_and_50_members(
    admin_client, organization, owner, django_assert_num_queries
):
    add_members(organization, owner, 4)
    change = admin_url(Organization, "change", organization.pk)
    five = queries_of(admin_client, change)

    add_members(organization, owner, 45, start=4)
    with django_assert_num_queries(five):
        response = admin_client.get(change)
    assert len(inline_formset(response, "memberships").initial_forms) == 50


def test_project_change_page_costs_the_same_queries_for_5_and_50_members(
    admin_client, organization, owner, project, django_assert_num_queries
):
    def grow(count, start):
        for user in add_members(organization, owner, count, start=start):
            services.project_member_add(project=project, user=user, actor=owner)
        for i in range(start, start + count):
            team = services.team_create(organization=organization, name=f"team-{i}", actor=owner)
            services.team_project_assign(team=team, project=project, actor=owner)

    grow(4, 0)
    change = admin_url(Project, "change", project.pk)
    five = queries_of(admin_client, change)

    grow(45, 4)
    with django_assert_num_queries(five):
        response = admin_client.get(change)
    assert len(inline_formset(response, "team_assignments").initial_forms) == 49


def test_team_change_page_costs_the_same_queries_for_5_and_50_members(
    admin_client, organization, owner, team, django_assert_num_queries
):
    services.team_members_add(team=team, users=add_members(organization, owner, 4), actor=owner)
    change = admin_url(Team, "change", team.pk)
    five = queries_of(admin_client, change)

    services.team_members_add(team=team, users=add_members(organization, owner, 45, start=4), actor=owner)
    with django_assert_num_queries(five):
        response = admin_client.get(change)
    assert len(inline_formset(response, "memberships").initial_forms) == 50


# ---- invitations, requests to join, API keys ------------------------------------------------------------------


def test_resending_an_invitation_goes_through_the_service(admin_client, invitation):
    invitation.expires_at -= timedelta(days=29)
    invitation.save(update_fields=["expires_at"])

    response = admin_client.post(
        admin_url(Invitation),
        {"action": "resend", "_selected_action": [str(invitation.pk)], "confirmed": "yes"},
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=29)
    assert AuditEvent.objects.filter(event_type=Event.ORG_INVITATION_RESENT).exists()


def test_revoking_invitations_is_all_or_nothing(admin_client, organization, owner, invitation):
    other = invitation_services.organization_invitations_create(
        organization=organization, emails=["second@example.com"], actor=owner
    )[0]
    invitation_services.invitation_revoke(invitation=other, actor=owner)

    response = admin_client.post(
        admin_url(Invitation),
        {"action": "revoke", "_selected_action": [str(invitation.pk), str(other.pk)], "confirmed": "yes"},
    )

    assert response.status_code == 302
    assert any("no longer pending" in m for m in messages_of(response))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING  # the revocation before the refusal is undone


def test_invitations_are_never_edited_or_deleted_in_the_admin(admin_client, invitation):
    change = admin_url(Invitation, "change", invitation.pk)

    assert admin_client.post(change, {"email": "someone@example.com"}).status_code == 403
    assert (
        admin_client.post(admin_url(Invitation, "delete", invitation.pk), {"post": "yes"}).status_code == 403
    )


def test_approving_a_request_to_join_adds_the_user_as_read_only(admin_client, project):
    asker = UserFactory(email="asker@example.com")
    join_request = join_request_services.join_request_create(project=project, user=asker)

    response = admin_client.post(
        admin_url(JoinRequest), {"action": "approve", "_selected_action": [str(join_request.pk)]}
    )

    assert response.status_code == 302
    assert ProjectMembership.objects.get(project=project, user=asker).role_names == [roles.GROUP_READ_ONLY]
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED


def test_denying_a_request_to_join_gives_nothing(admin_client, project):
    asker = UserFactory(email="asker@example.com")
    join_request = join_request_services.join_request_create(project=project, user=asker)

    admin_client.post(admin_url(JoinRequest), {"action": "deny", "_selected_action": [str(join_request.pk)]})

    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.DENIED
    assert not ProjectMembership.objects.filter(user=asker).exists()


def test_deleting_an_api_key_goes_through_the_service(admin_client, api_key):
    service_account = api_key.user

    response = admin_client.post(admin_url(ApiKey, "delete", api_key.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not ApiKey.objects.exists()
    assert not User.objects.filter(pk=service_account.pk).exists()
    assert AuditEvent.objects.filter(event_type=Event.API_KEY_DELETED).exists()


def test_api_keys_are_not_people_in_the_member_lists(admin_client, organization, api_key):
    service_account = api_key.user
    change = admin_url(Organization, "change", organization.pk)
    page = admin_client.get(change)

    emails = [f.instance.user.email for f in inline_formset(page, "memberships").initial_forms]
    assert service_account.email not in emails
    listed = admin_client.get(admin_url(OrganizationMembership)).context["cl"].result_list
    assert service_account not in [m.user for m in listed]

    data = form_data(page)
    data[f"{new_row(data, 'memberships')}-email"] = service_account.email
    response = admin_client.post(change, data)
    assert response.status_code == 200  # "no user has the email address": keys change through their services


def test_an_api_keys_service_account_is_read_only(admin_client, api_key):
    change = admin_url(User, "change", api_key.user.pk)

    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"email": "x@example.com", "is_staff": "on"}).status_code == 403
    api_key.user.refresh_from_db()
    assert not api_key.user.is_staff


def test_api_key_changelist_costs_the_same_queries_for_2_and_20_keys(
    admin_client, organization, owner, django_assert_num_queries
):
    def create_keys(count):
        for i in range(count):
            api_key_services.api_key_create(
                organization=organization, description=f"key {i}", roles=[roles.ORG_MEMBER], actor=owner
            )

    create_keys(2)
    two = queries_of(admin_client, admin_url(ApiKey))

    create_keys(18)
    with django_assert_num_queries(two):
        response = admin_client.get(admin_url(ApiKey))
    assert response.context["cl"].result_count == 20


# ---- the audit trail, users, groups ------------------------------------------------------------------------------


def test_audit_events_can_be_read_but_never_added_changed_or_deleted(admin_client, organization):
    event = AuditEvent.objects.get(event_type=Event.ORG_CREATED)
    change = admin_url(AuditEvent, "change", event.pk)

    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"event_type": Event.ORG_DELETED}).status_code == 403
    assert admin_client.get(admin_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert admin_client.post(admin_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert admin_client.get(admin_url(AuditEvent, "add")).status_code == 403
    assert b"delete_selected" not in admin_client.get(admin_url(AuditEvent)).content
    event.refresh_from_db()
    assert event.event_type == Event.ORG_CREATED


def test_audit_events_are_listed_newest_first_and_searchable(admin_client, organization, member):
    response = admin_client.get(admin_url(AuditEvent), {"q": member.email})

    events = list(response.context["cl"].result_list)
    assert [e.target_name for e in events] == [member.email]
    newest_first = list(admin_client.get(admin_url(AuditEvent)).context["cl"].result_list)
    assert newest_first[0].created_at >= newest_first[-1].created_at


def test_users_cannot_be_deleted_in_the_admin(admin_client, owner):
    assert admin_client.get(admin_url(User, "delete", owner.pk)).status_code == 403
    assert admin_client.post(admin_url(User, "delete", owner.pk), {"post": "yes"}).status_code == 403
    choices = dict(admin_client.get(admin_url(User)).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in choices
    assert "deactivate" in choices
    assert User.objects.filter(pk=owner.pk).exists()


def test_deactivating_users_keeps_them_and_their_memberships(admin_client, organization, member):
    response = admin_client.post(
        admin_url(User), {"action": "deactivate", "_selected_action": [str(member.pk)], "confirmed": "yes"}
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert OrganizationMembership.objects.filter(user=member).exists()


def test_adding_a_user_takes_an_email_and_a_password(admin_client, client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "New.Person@Example.com",
            "first_name": "New",
            "last_name": "Person",
            "usable_password": "true",
            "password1": "a-long-demo-passphrase",
            "password2": "a-long-demo-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password("a-long-demo-passphrase")


def test_users_are_found_by_email(admin_client, owner, member):
    response = admin_client.get(admin_url(User), {"q": "bob@"})

    assert [u.email for u in response.context["cl"].result_list] == [member.email]


def test_team_groups_are_not_editable_as_groups(admin_client, team):
    staff = Group.objects.create(name="support staff")

    listed = list(admin_client.get(admin_url(Group)).context["cl"].result_list)

    assert staff in listed
    assert team.group not in listed
    assert all(not hasattr(group, "team") for group in listed)
    assert admin_client.get(admin_url(Group, "change", team.group_id)).status_code == 302  # "does not exist"


def test_organization_role_groups_are_neither_listed_nor_lost_with_the_staff_groups(
    admin_client, admin_user, organization, owner
):
    """An organization role's group follows the role: it is not a staff group to list or edit, and setting a
    person's staff groups keeps the role groups they are in."""
    from accounts.models import OrganizationRoleGroup
    from accounts.services.staff import user_staff_access_update

    owners = OrganizationRoleGroup.objects.get(organization=organization, role=roles.ORG_OWNER).group
    staff = Group.objects.create(name="support staff")

    listed = list(admin_client.get(admin_url(Group)).context["cl"].result_list)
    assert staff in listed and owners not in listed
    assert admin_client.get(admin_url(Group, "change", owners.pk)).status_code == 302  # "does not exist"
    form = admin_client.get(admin_url(User, "change", owner.pk)).context["adminform"].form
    assert owners not in form.fields["groups"].queryset

    user_staff_access_update(user=owner, actor=admin_user, staff_groups=[staff])
    assert set(owner.groups.all()) == {owners, staff}
    user_staff_access_update(user=owner, actor=admin_user, staff_groups=[])
    assert list(owner.groups.all()) == [owners]
    with pytest.raises(ServiceError):
        user_staff_access_update(user=owner, actor=admin_user, staff_groups=[owners])
