"""The Activity tabs: the organization's and a project's audit trail, newest first, filtered by event type,
person and dates, 50 a page, in the viewer's time zone, at a constant number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.audit import EventTypeRegistry, event_types
from accounts.models import AuditEvent
from accounts.services import organization_create, organization_member_add, project_create, project_member_add
from monitoring.audit import Event as MonitoringEvent
from serviceaccounts.audit import Event as ServiceAccountEvent
from support.audit import Event as SupportEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Type = AuditEvent.Type


def labels(response) -> list[str]:
    return [row["label"] for row in response.context["rows"]]


def org_page(organization):
    return f"/orgs/{organization.public_id}/activity/"


def project_page(project):
    return f"/projects/{project.public_id}/activity/"


def event(organization, event_type=Type.TEAM_CREATED, *, project=None, actor=None, at=None, target_name=""):
    return AuditEvent.objects.create(
        organization=organization,
        project=project,
        event_type=event_type,
        actor=actor,
        actor_email=getattr(actor, "email", ""),
        target_type="user" if target_name else "",
        target_name=target_name,
        created_at=at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )


def test_every_event_type_has_one_human_label():
    values = [value for _, choices in event_types.groups() for value, _ in choices]
    owned = [*Type.values, *MonitoringEvent.values, *SupportEvent.values, *ServiceAccountEvent.values]
    assert sorted(values) == sorted(owned) == sorted(event_types.names)
    assert len(values) == len(set(values))
    assert all(label and "_" not in label for label in map(event_types.label, values))


def test_each_app_registers_its_own_types_under_its_own_heading_in_the_filters_order():
    assert [group for group, _ in event_types.groups()] == [
        "Organization",
        "Projects",
        "Teams",
        "Invitations and requests to join",
        "API keys",
        "Service accounts",
        "Clusters",
        "Support access",
        "Monitoring",
        "Sign-in and security",
        "Staff",
    ]
    groups = dict(event_types.groups())
    assert [name for name, _ in groups["Monitoring"]] == MonitoringEvent.values
    assert [name for name, _ in groups["Support access"]] == SupportEvent.values


def test_a_type_registered_again_with_another_meaning_is_refused():
    registry = EventTypeRegistry()
    registry.register(group="Monitoring", order=1, types=MonitoringEvent)
    registry.register(group="Monitoring", order=1, types=MonitoringEvent)  # as it was: nothing changes

    assert registry.names == MonitoringEvent.values
    with pytest.raises(ImproperlyConfigured):
        registry.register(group="Support access", order=2, types=[MonitoringEvent.USER_OFFBOARDED])


def test_the_organization_page_lists_events_newest_first_with_human_names(client, organization, owner):
    alice = UserFactory(email="alice@example.com", first_name="Alice", last_name="Archer")
    now = timezone.now()  # later than the organization's own creation events
    event(organization, SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED, actor=alice, at=now + timedelta(days=1))
    event(organization, MonitoringEvent.MONITORING_USER_ATTACHED, actor=alice, at=now + timedelta(days=2))
    client.force_login(owner)

    response = client.get(org_page(organization))

    assert labels(response)[:2] == ["Monitoring user attached", "Support access blocked"]
    page = response.content.decode()
    assert "<td>Monitoring user attached</td>" in page
    assert 'Alice Archer <span class="cell-note">alice@example.com</span>' in page


def test_times_are_shown_in_the_viewers_time_zone_which_is_named(client, organization, owner):
    owner.time_zone = "Asia/Tokyo"
    owner.save(update_fields=["time_zone"])
    event(organization, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    client.force_login(owner)

    page = client.get(org_page(organization)).content.decode()

    assert "2026-03-03 08:30:00 JST" in page
    assert "Asia/Tokyo" in page


def test_the_project_page_shows_only_that_projects_events(client, organization, owner, project):
    staging = project_create(organization=organization, name="Staging", actor=owner)
    event(organization, SupportEvent.EMPLOYEE_ACCESS_GRANTED, project=project)
    event(organization, SupportEvent.EMPLOYEE_ACCESS_REVOKED, project=staging)
    event(organization, Type.TEAM_CREATED)
    client.force_login(owner)

    shown = labels(client.get(project_page(project)))

    assert "Support access granted" in shown
    assert "Support access revoked" not in shown
    assert "Team created" not in shown


def test_the_organization_page_leaves_out_projects_the_viewer_may_not_open(
    client, organization, owner, project
):
    secret = project_create(organization=organization, name="Secret", actor=owner)
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    project_member_add(project=project, user=member, roles=[roles.GROUP_READ_ONLY], actor=owner)
    event(organization, SupportEvent.EMPLOYEE_ACCESS_GRANTED, project=project)
    event(organization, SupportEvent.EMPLOYEE_ACCESS_REVOKED, project=secret)
    client.force_login(member)

    shown = labels(client.get(org_page(organization)))

    assert "Support access granted" in shown
    assert "Support access revoked" not in shown
    assert client.get(project_page(secret)).status_code == 404


@pytest.mark.parametrize("which", ["organization", "project"])
def test_another_tenants_activity_is_a_404(client, organization, owner, project, which):
    stranger = UserFactory()
    other = organization_create(name="Other", actor=stranger)
    other_project = project_create(organization=other, name="Theirs", actor=stranger)
    client.force_login(owner)
    url = org_page(other) if which == "organization" else project_page(other_project)
    response = client.get(url)
    assert response.status_code == 404
    assert "Theirs" not in response.content.decode()


def test_filter_by_event_type(client, organization, owner):
    event(organization, MonitoringEvent.MONITORING_USER_ATTACHED)
    event(organization, MonitoringEvent.MONITORING_USER_DETACHED)
    client.force_login(owner)

    response = client.get(org_page(organization), {"event_type": MonitoringEvent.MONITORING_USER_DETACHED})

    assert labels(response) == ["Monitoring user detached"]
    assert '<option value="MONITORING_USER_DETACHED" selected>' in response.content.decode()


def test_filter_by_person_acting_or_acted_upon(client, organization, owner):
    alice = UserFactory(email="alice@example.com", first_name="Alice")
    event(organization, Type.TEAM_CREATED, actor=alice)
    event(organization, Type.JOINED_ORG, target_name="alice@example.com")
    event(organization, Type.TEAM_DELETED, actor=owner)
    AuditEvent.objects.create(
        organization=organization,
        event_type=Type.INVITED_TO_ORG,
        actor=owner,
        actor_email=owner.email,
        target_type="invitation",
        target_name="alice@example.com",
    )
    client.force_login(owner)

    shown = set(labels(client.get(org_page(organization), {"person": "alice"})))

    assert shown == {"Team created", "Joined the organization", "Invited to the organization"}


def test_filter_by_dates_in_the_viewers_zone(client, organization, owner):
    owner.time_zone = "America/New_York"
    owner.save(update_fields=["time_zone"])
    # 2026-03-02 03:00 UTC is still 1 March in New York.
    event(organization, Type.TEAM_CREATED, at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    event(organization, Type.TEAM_DELETED, at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    event(organization, Type.TEAM_NAME_CHANGED, at=datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    client.force_login(owner)

    response = client.get(org_page(organization), {"date_from": "2026-03-02", "date_to": "2026-03-02"})

    assert [row["label"] for row in response.context["rows"]] == ["Team deleted"]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "yesterday"},
        {"date_to": "2026-02-31"},
        {"date_from": "2026-03-05", "date_to": "2026-03-01"},
        {"event_type": "NOT_A_TYPE"},
    ],
)
def test_a_bad_filter_is_a_form_error_not_a_server_error(client, organization, owner, query):
    event(organization, Type.TEAM_CREATED, at=timezone.now())
    client.force_login(owner)

    response = client.get(org_page(organization), query)

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert "Team created" in labels(response)  # the rest of the filter still applies


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_do_not_break_the_page(client, organization, owner, day):
    owner.time_zone = "Pacific/Kiritimati"
    owner.save(update_fields=["time_zone"])
    client.force_login(owner)
    assert client.get(org_page(organization), {"date_from": day, "date_to": day}).status_code == 200


def test_fifty_a_page(client, organization, owner):
    start = datetime(2026, 3, 1, tzinfo=UTC)
    before = AuditEvent.objects.filter(organization=organization).count()
    for minute in range(60 - before):
        event(organization, at=start + timedelta(minutes=minute))
    client.force_login(owner)

    first = client.get(org_page(organization))
    second = client.get(org_page(organization), {"page": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 10
    assert "1–50 of 60" in first.content.decode()


@pytest.mark.parametrize("which", ["organization", "project"])
def test_the_page_costs_the_same_queries_for_5_and_200_events(client, organization, owner, project, which):
    url = org_page(organization) if which == "organization" else project_page(project)
    client.force_login(owner)
    people = [UserFactory() for _ in range(3)]

    def add(count):
        for i in range(count):
            event(organization, SupportEvent.EMPLOYEE_ACCESS_GRANTED, project=project, actor=people[i % 3])

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"person": ""})
        assert response.status_code == 200
        return len(queries)

    add(5)
    few = count()
    add(195)
    assert count() == few


def test_the_tabs_lead_to_activity(client, organization, owner, project):
    client.force_login(owner)
    page = client.get(f"/orgs/{organization.public_id}/activity/").content.decode()
    assert f'href="/orgs/{organization.public_id}/activity/" aria-current="page"' in page
    page = client.get(project_page(project)).content.decode()
    assert f'href="/projects/{project.public_id}/activity/" aria-current="page"' in page
