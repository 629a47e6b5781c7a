"""The Monitoring tabs as pages: detaching, removing from a group and deleting a group ask first (a page that
works without JavaScript), lists come 50 a page with a search, refusals, cross-tenant 404, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import organization_create, organization_member_add, project_create, project_member_add
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import MonitoringGroup, MonitoringGroupMembership, MonitoringUserAttachment
from monitoring.services import monitoring_group_create, monitoring_group_member_add, monitoring_user_attach
from tests.factories import UserFactory

from .conftest import dedicated

pytestmark = pytest.mark.django_db


def tab(organization):
    return f"/orgs/{organization.public_id}/monitoring/"


def detach_page(organization, attachment):
    return f"{tab(organization)}users/{attachment.monitoring_user.public_id}/detach/"


def group_page(project, group):
    return f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/"


@pytest.fixture
def attached(organization, owner, project):
    dedicated(project, "alpha")
    dedicated(project, "beta")
    return monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)


def test_attaching_from_the_page_is_audited(client, organization, owner, project):
    dedicated(project, "alpha")
    client.force_login(owner)
    response = client.post(
        tab(organization), {"username": "ops@example.com", "group_role": "MEMBER"}, follow=True
    )
    assert "ops@example.com is attached" in response.content.decode()
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_USER_ATTACHED).exists()


def test_the_tab_links_to_the_detach_confirmation_instead_of_posting(client, organization, owner, attached):
    client.force_login(owner)
    page = client.get(tab(organization)).content.decode()
    assert f'href="{detach_page(organization, attached)}"' in page
    assert f'action="{detach_page(organization, attached)}"' not in page


def test_detach_asks_first_naming_the_groups_then_detaches(client, organization, owner, attached):
    client.force_login(owner)

    confirmation = client.get(detach_page(organization, attached))

    assert confirmation.status_code == 200
    text = confirmation.content.decode()
    assert "Detach ann@example.com from Acme?" in text
    assert "2 monitoring group(s): mongolab_" in text
    assert MonitoringUserAttachment.objects.exists()

    client.post(detach_page(organization, attached))
    assert not MonitoringUserAttachment.objects.exists()
    assert not MonitoringGroupMembership.objects.exists()
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_USER_DETACHED).exists()


@pytest.mark.parametrize("role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY])
def test_others_may_neither_see_the_detach_confirmation_nor_detach(
    client, organization, owner, attached, role
):
    person = UserFactory()
    organization_member_add(organization=organization, user=person, roles=[role], actor=owner)
    client.force_login(person)

    assert detach_page(organization, attached) not in client.get(tab(organization)).content.decode()
    assert client.get(detach_page(organization, attached)).status_code == 403
    client.post(detach_page(organization, attached))
    assert MonitoringUserAttachment.objects.exists()


def test_another_tenants_monitoring_pages_are_a_404(client, owner, organization):
    stranger = UserFactory()
    other = organization_create(name="Other", actor=stranger)
    theirs = project_create(organization=other, name="Theirs", actor=stranger)
    dedicated(theirs, "their-cluster")
    their_attachment = monitoring_user_attach(organization=other, username="x@other.example", actor=stranger)
    their_group = monitoring_group_create(project=theirs, name="their-group", actor=stranger)
    client.force_login(owner)

    for url in (
        tab(other),
        detach_page(other, their_attachment),
        detach_page(organization, their_attachment),
        f"/projects/{theirs.public_id}/monitoring/",
        group_page(theirs, their_group),
        f"{group_page(theirs, their_group)}delete/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert MonitoringUserAttachment.objects.filter(organization=other).exists()
    assert MonitoringGroup.objects.filter(pk=their_group.pk).exists()


def test_removing_from_a_group_asks_first_and_says_the_attachment_stays(
    client, organization, owner, project, attached
):
    group = MonitoringGroup.objects.filter(project=project).order_by("name").first()
    remove = f"{group_page(project, group)}members/{attached.monitoring_user.public_id}/remove/"
    client.force_login(owner)

    page = client.get(group_page(project, group)).content.decode()
    assert f'href="{remove}"' in page
    confirmation = client.get(remove).content.decode()
    assert f"Remove ann@example.com from {group.name}?" in confirmation
    assert "stays attached to Acme" in confirmation
    assert MonitoringGroupMembership.objects.filter(group=group).exists()

    client.post(remove)
    assert not MonitoringGroupMembership.objects.filter(group=group).exists()
    assert MonitoringUserAttachment.objects.exists()


def test_deleting_a_group_asks_first(client, owner, project):
    group = monitoring_group_create(project=project, name="on-call", actor=owner)
    monitoring_group_member_add(group=group, username="bob@example.com", actor=owner)
    client.force_login(owner)

    confirmation = client.get(f"{group_page(project, group)}delete/").content.decode()
    assert "Delete the monitoring group on-call?" in confirmation
    assert "1 member(s) lose this group" in confirmation
    assert MonitoringGroup.objects.filter(pk=group.pk).exists()

    client.post(f"{group_page(project, group)}delete/")
    assert not MonitoringGroup.objects.filter(pk=group.pk).exists()


def test_a_reader_may_not_open_the_group_confirmations(client, organization, owner, project):
    group = monitoring_group_create(project=project, name="on-call", actor=owner)
    member = monitoring_group_member_add(group=group, username="bob@example.com", actor=owner)
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client.force_login(reader)

    assert client.get(f"{group_page(project, group)}delete/").status_code == 403
    remove = f"{group_page(project, group)}members/{member.monitoring_user.public_id}/remove/"
    assert client.get(remove).status_code == 403
    client.post(remove)
    client.post(f"{group_page(project, group)}delete/")
    assert MonitoringGroupMembership.objects.filter(group=group).exists()


def test_offboarding_asks_first(client, organization, owner, attached):
    person = UserFactory(email="leaver@example.com")
    organization_member_add(organization=organization, user=person, actor=owner)
    client.force_login(owner)
    url = f"/orgs/{organization.public_id}/offboard/users/{person.public_id}/"
    assert f'href="{url}"' in client.get(tab(organization)).content.decode()
    assert client.get(url).status_code == 200
    assert organization.memberships.filter(user=person).exists()


def test_attached_users_come_50_a_page_with_a_search(client, organization, owner):
    for i in range(60):
        monitoring_user_attach(organization=organization, username=f"u{i:03}@example.com", actor=owner)
    monitoring_user_attach(organization=organization, username="zed@ops.example", actor=owner)
    client.force_login(owner)

    first = client.get(tab(organization))
    assert len(first.context["rows"]) == 50
    assert "1–50 of 61" in first.content.decode()
    assert len(client.get(tab(organization), {"page": 2}).context["rows"]) == 11
    found = client.get(tab(organization), {"q": "ops.example"})
    assert [a.monitoring_user.username for a, _ in found.context["rows"]] == ["zed@ops.example"]


def test_the_tab_costs_the_same_queries_for_5_and_60_users_clusters_and_members(
    client, organization, owner, project
):
    def count():
        client.get(tab(organization))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(tab(organization)).status_code == 200
        return len(queries)

    def add(start, stop):
        for i in range(start, stop):
            dedicated(project, f"c{i:03}")
            monitoring_user_attach(organization=organization, username=f"u{i:03}@example.com", actor=owner)
            organization_member_add(organization=organization, user=UserFactory(), actor=owner)

    client.force_login(owner)
    add(0, 5)
    few = count()
    add(5, 60)
    assert count() == few


def test_a_groups_page_costs_the_same_queries_for_5_and_60_members_50_a_page(client, owner, project):
    group = monitoring_group_create(project=project, name="on-call", actor=owner)

    def count():
        client.get(group_page(project, group))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(group_page(project, group))
        assert response.status_code == 200
        return len(queries), len(response.context["page"])

    def add(start, stop):
        for i in range(start, stop):
            monitoring_group_member_add(group=group, username=f"m{i:03}@example.com", actor=owner)

    client.force_login(owner)
    add(0, 5)
    few, shown = count()
    assert shown == 5
    add(5, 60)
    assert count() == (few, 50)


def test_the_projects_groups_come_50_a_page(client, owner, project):
    for i in range(55):
        monitoring_group_create(project=project, name=f"g{i:03}", actor=owner)
    client.force_login(owner)
    response = client.get(f"/projects/{project.public_id}/monitoring/")
    assert len(response.context["groups"]) == 50
    assert "1–50 of 55" in response.content.decode()
