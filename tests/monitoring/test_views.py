"""The monitoring pages: the organization's Monitoring tab (attach, detach), a project's and a cluster's groups
(removal by hand explained), and the offboarding confirmation with its warnings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import Cluster, OrganizationMembership
from accounts.services import cluster_create, organization_create, organization_member_add, project_member_add
from monitoring.models import MonitoringGroup, MonitoringGroupMembership, MonitoringUserAttachment
from monitoring.services import monitoring_group_create, monitoring_user_attach
from tests.factories import UserFactory

from .conftest import dedicated, sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def tab(organization):
    return f"/orgs/{organization.public_id}/monitoring/"


def text(response):
    """The page with its white space collapsed."""
    return " ".join(response.content.decode().split())


def test_pages_need_sign_in(client, organization):
    response = client.get(tab(organization))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_home_links_to_the_monitoring_pages(signed_in, organization, project):
    page = text(signed_in.get("/"))
    assert tab(organization) in page
    assert f"/projects/{project.public_id}/monitoring/" in page


def test_the_tab_lists_attached_users_and_explains_detach_and_hand_removal(
    signed_in, organization, owner, project
):
    dedicated(project, "prod")
    sandbox(project, "free")
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)

    page = text(signed_in.get(tab(organization)))

    assert "ann@example.com" in page
    assert "including clusters created later" in page
    assert "removes the user from <strong>every</strong> monitoring group" in page
    assert "does not change this list" in page
    assert "Not available for Sandbox databases and Shared single-node servers" in page
    assert "Attach a monitoring user" in page


def test_attaching_on_the_tab(signed_in, organization, project):
    cluster = dedicated(project)
    response = signed_in.post(tab(organization), {"username": "ann@example.com", "group_role": "ADMIN"})
    assert response.status_code == 302
    attachment = MonitoringUserAttachment.objects.get()
    assert attachment.group_role == "ADMIN"
    assert cluster.monitoring_group.memberships.get().monitoring_user == attachment.monitoring_user
    assert "added to 1 monitoring group" in text(signed_in.get(response["Location"]))


def test_a_refused_attach_shows_the_reason_on_the_form(signed_in, organization, owner):
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    response = signed_in.post(tab(organization), {"username": "ANN@example.com", "group_role": "MEMBER"})
    assert response.status_code == 400
    assert "already attached" in text(response)
    response = signed_in.post(tab(organization), {"username": "bob", "group_role": "MEMBER"})
    assert "give its email address" in text(response)
    assert MonitoringUserAttachment.objects.count() == 1


def test_a_member_sees_the_list_without_forms_and_cannot_attach(client, organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    client.force_login(member)
    page = text(client.get(tab(organization)))
    assert "ann@example.com" in page
    assert "Attach a monitoring user" not in page
    assert "Offboard" not in page
    response = client.post(tab(organization), {"username": "bob@example.com", "group_role": "MEMBER"})
    assert response.status_code == 400
    assert MonitoringUserAttachment.objects.count() == 1


def test_another_organizations_tab_is_a_404(signed_in):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    assert signed_in.get(tab(foreign)).status_code == 404


def test_detach_on_the_tab_removes_from_every_group(signed_in, organization, owner, project):
    dedicated(project, "a")
    dedicated(project, "b")
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    response = signed_in.post(
        f"{tab(organization)}users/{attachment.monitoring_user.public_id}/detach/", follow=True
    )
    assert "removed from every group its attachment put it in (2)" in text(response)
    assert not MonitoringGroupMembership.objects.exists()


def test_the_tab_costs_the_same_queries_for_few_and_many(signed_in, organization, owner, project):
    def count():
        signed_in.get(tab(organization))
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(tab(organization)).status_code == 200
        return len(queries)

    for i in range(2):
        dedicated(project, f"c{i}")
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    few = count()
    for i in range(2, 30):
        dedicated(project, f"c{i}")
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    assert count() == few


# ---- groups ----------------------------------------------------------------------------------------------------


def test_an_ineligible_clusters_page_gives_mlabs_message(signed_in, project):
    cluster = cluster_create(project=project, name="free", tier=Cluster.Tier.SANDBOX, actor=None)
    page = text(signed_in.get(f"/projects/{project.public_id}/clusters/{cluster.name}/monitoring/"))
    assert "Not available for Sandbox databases and Shared single-node servers" in page


def test_a_clusters_group_page_explains_that_removing_by_hand_keeps_the_attachment(
    signed_in, organization, owner, project
):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    response = signed_in.get(
        f"/projects/{project.public_id}/clusters/{cluster.name}/monitoring/", follow=True
    )
    page = text(response)
    assert cluster.monitoring_group.name in page
    assert "ann@example.com" in page
    assert "does not change the list of monitoring users attached" in page
    assert "Nobody joins a <code>mongolab_</code> group by hand" in page
    assert "Add a member by hand" not in page

    group = cluster.monitoring_group
    removed = signed_in.post(
        f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/members/"
        f"{attachment.monitoring_user.public_id}/remove/",
        follow=True,
    )
    assert "is still attached" in text(removed)
    assert MonitoringUserAttachment.objects.filter(pk=attachment.pk).exists()
    assert not group.memberships.exists()


def test_joining_a_system_group_by_posting_anyway_is_refused(signed_in, project):
    group = dedicated(project).monitoring_group
    response = signed_in.post(
        f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/",
        {"username": "x@example.com", "role": "MEMBER"},
    )
    assert response.status_code == 400
    assert "Nobody joins" in text(response)
    assert not MonitoringGroupMembership.objects.exists()


def test_a_reserved_name_is_refused_on_the_project_page(signed_in, project):
    url = f"/projects/{project.public_id}/monitoring/"
    response = signed_in.post(url, {"name": "MongoLab_x"})
    assert response.status_code == 400
    assert "reserved" in text(response)
    assert not MonitoringGroup.objects.exists()
    response = signed_in.post(url, {"name": "ops"})
    group = MonitoringGroup.objects.get()
    assert response["Location"] == f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/"


def test_a_custom_groups_members_are_managed_on_its_page(signed_in, project, owner):
    group = monitoring_group_create(project=project, name="ops", actor=owner)
    url = f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/"
    assert "Add a member by hand" in text(signed_in.get(url))
    response = signed_in.post(url, {"username": "bob", "email": "bob@example.com", "role": "ADMIN"})
    assert response.status_code == 302
    assert group.memberships.get().role == "ADMIN"
    signed_in.post(f"{url}delete/")
    assert not MonitoringGroup.objects.exists()


def test_a_read_only_member_sees_groups_without_forms(client, organization, owner, project):
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    group = monitoring_group_create(project=project, name="ops", actor=owner)
    client.force_login(reader)
    assert "Create a group" not in text(client.get(f"/projects/{project.public_id}/monitoring/"))
    page = text(client.get(f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/"))
    assert "Add a member by hand" not in page
    response = client.post(f"/projects/{project.public_id}/monitoring/groups/{group.public_id}/delete/")
    assert MonitoringGroup.objects.exists()
    assert response.status_code == 302


# ---- offboarding ------------------------------------------------------------------------------------------------


def test_the_offboarding_page_warns_when_the_person_has_no_monitoring_user(signed_in, organization, owner):
    dana = UserFactory(email="dana@example.com")
    organization_member_add(organization=organization, user=dana, actor=owner)
    url = f"/orgs/{organization.public_id}/offboard/users/{dana.public_id}/"
    assert url in text(signed_in.get(tab(organization)))

    page = text(signed_in.get(url))

    assert "Warning:" in page
    assert "has no monitoring user attached" in page


def test_the_offboarding_page_shows_both_and_reports_each_thing_removed(
    signed_in, organization, owner, project
):
    dana = UserFactory(email="dana@example.com")
    organization_member_add(organization=organization, user=dana, actor=owner)
    cluster = dedicated(project)
    monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)
    url = f"/orgs/{organization.public_id}/offboard/users/{dana.public_id}/"
    page = text(signed_in.get(url))
    assert "Warning:" not in page
    assert "the monitoring user <strong>dana@example.com</strong>" in page

    report = text(signed_in.post(url))

    assert "Portal user dana@example.com removed" in report
    assert f"detached from 1 group(s): {cluster.monitoring_group.name}" in report
    assert not OrganizationMembership.objects.filter(user=dana).exists()
    assert not MonitoringUserAttachment.objects.exists()


def test_the_offboarding_page_warns_when_the_monitoring_user_has_no_portal_account(
    signed_in, organization, owner
):
    attachment = monitoring_user_attach(organization=organization, username="ext@example.com", actor=owner)
    url = f"/orgs/{organization.public_id}/offboard/monitoring-users/{attachment.monitoring_user.public_id}/"
    assert "no portal user is a member" in text(signed_in.get(url))
    assert "No portal user was removed." in text(signed_in.post(url))


def test_offboarding_needs_an_organization_owner(client, organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client.force_login(member)
    url = f"/orgs/{organization.public_id}/offboard/users/{owner.public_id}/"
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert (
        client.get(f"/orgs/{organization.public_id}/offboard/users/{UserFactory().public_id}/").status_code
        == 403
    )
