"""``manage.py load_demo``: demo data made through the services, safe to run again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from accounts.management.commands.load_demo import ADMIN_EMAIL, DEMO_PASSWORD
from accounts.models import (
    AuditEvent,
    Cluster,
    Organization,
    OrganizationMembership,
    Project,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    User,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development_settings(settings):
    settings.DEBUG = True  # the demo's published password belongs on a development database only
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load_demo(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    models = [User, Organization, Project, Cluster, Team, TeamMembership, TeamProjectAssignment, AuditEvent]
    return {model.__name__: model.objects.count() for model in models}


def test_load_demo_creates_two_organizations_with_teams_projects_and_clusters_of_every_tier():
    output = load_demo()

    assert set(Organization.objects.values_list("name", flat=True)) == {"Acme Corp", "Globex"}
    assert set(Cluster.objects.values_list("tier", flat=True)) == set(Cluster.Tier.values)
    assert Cluster.objects.filter(sync_enabled=True).exists()
    assert Team.objects.count() == 3
    for team in Team.objects.all():
        assert team.memberships.exists(), team
        assert team.project_assignments.exists(), team
    for organization, owner in [("Acme Corp", "alice@acme.example"), ("Globex", "hank@globex.example")]:
        membership = OrganizationMembership.objects.get(organization__name=organization, user__email=owner)
        assert membership.role_names == [roles.ORG_OWNER]
        assert owner in output
    assert f"demo password: {DEMO_PASSWORD}" in output


def test_load_demo_goes_through_the_services():
    load_demo()

    created = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {
        AuditEvent.Type.ORG_CREATED,
        AuditEvent.Type.JOINED_ORG,
        AuditEvent.Type.TEAM_CREATED,
        AuditEvent.Type.JOINED_TEAM,
        AuditEvent.Type.GROUP_CREATED,
        AuditEvent.Type.TEAM_ADDED_TO_GROUP,
        AuditEvent.Type.CLUSTER_CREATED,
    } <= created
    assert not AuditEvent.objects.exclude(actor_email="").exists()  # the system acted


def test_demo_users_sign_in_with_the_demo_password_and_the_admin_is_staff():
    load_demo()

    assert User.objects.get(email="alice@acme.example").check_password(DEMO_PASSWORD)
    admin = User.objects.get(email=ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)


def test_demo_permissions_follow_the_roles():
    load_demo()
    carol = User.objects.get(email="carol@acme.example")  # ORG_MEMBER, in team Analytics only
    alice = User.objects.get(email="alice@acme.example")  # ORG_OWNER
    erin = User.objects.get(email="erin@acme.example")  # ORG_READ_ONLY
    data_lake = Project.objects.get(name="Data Lake")  # assigned to Analytics (read-only data access)
    staging = Project.objects.get(name="Staging")  # not assigned to Analytics
    store = Project.objects.get(name="Web Store")  # another organization

    assert carol.has_perm("accounts.view_project", data_lake)  # through her team
    assert carol.has_perm("accounts.read_data", data_lake)
    assert not carol.has_perm("accounts.manage_clusters", data_lake)
    assert not carol.has_perm("accounts.view_project", staging)
    assert alice.has_perm("accounts.manage_clusters", staging)  # inherited from ORG_OWNER
    assert erin.has_perm("accounts.view_project", staging)
    assert not erin.has_perm("accounts.manage_clusters", staging)
    assert not alice.has_perm("accounts.view_project", store)


def test_a_second_run_with_if_empty_changes_nothing():
    load_demo()
    before = snapshot()

    output = load_demo("--if-empty")

    assert snapshot() == before
    assert "not loaded" in output


def test_a_second_run_without_if_empty_says_the_demo_is_loaded_and_changes_nothing():
    load_demo()
    before = snapshot()

    output = load_demo()

    assert snapshot() == before
    assert "already loaded" in output


def test_if_empty_loads_into_an_empty_database():
    output = load_demo("--if-empty")

    assert Organization.objects.count() == 2
    assert f"demo password: {DEMO_PASSWORD}" in output


def test_load_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="published password"):
        load_demo()
    assert not User.objects.exists()
