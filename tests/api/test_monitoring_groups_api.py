"""The monitoring API's groups: /groups/{groupId}/clusters/{clusterName}/monitoringGroup and
/groups/{groupId}/monitoringGroups (the system's groups, the project's own, members by hand)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import Cluster
from accounts.services import cluster_create, organization_create, project_create, project_member_add
from monitoring.models import MonitoringGroupMembership
from monitoring.services import monitoring_group_create, monitoring_user_attach
from tests.factories import UserFactory

from .test_monitoring_api import NOT_ELIGIBLE, V2, dedicated, group_url, users_url

pytestmark = pytest.mark.django_db


# ---- a cluster's monitoring group ---------------------------------------------------------------------------


def test_a_clusters_monitoring_group_with_its_members(api, organization, project, owner):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)

    body = api.get(group_url(cluster)).json()

    group = cluster.monitoring_group
    assert body["id"] == group.public_id
    assert body["name"] == group.name
    assert body["name"].startswith("mongolab_")
    assert body["clusterName"] == "Cluster0"
    assert body["systemManaged"] is True
    assert body["members"] == [
        {
            "monitoringUserId": attachment.monitoring_user.public_id,
            "username": "ann@example.com",
            "emailAddress": "ann@example.com",
            "groupRole": "MEMBER",
            "source": "ATTACHMENT",
            "addedAt": body["members"][0]["addedAt"],
        }
    ]
    assert "does not change that attached list" in body["note"]


def test_a_groups_members_cost_the_same_queries_for_2_and_20(api, organization, project, owner):
    cluster = dedicated(project)

    def count():
        api.get(group_url(cluster))
        with CaptureQueriesContext(connection) as queries:
            body = api.get(group_url(cluster)).json()
        return len(queries), len(body["members"])

    for i in range(2):
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    two = count()
    assert two[1] == 2
    for i in range(2, 20):
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    assert count() == (two[0], 20)


@pytest.mark.parametrize("tier", [Cluster.Tier.SANDBOX, Cluster.Tier.SHARED])
def test_an_ineligible_cluster_answers_400_not_eligible_with_mlabs_message(api, project, tier):
    cluster = cluster_create(project=project, name="Small", tier=tier, actor=None)
    response = api.get(group_url(cluster))
    assert response.status_code == 400
    assert response.json()["errorCode"] == "NOT_ELIGIBLE"
    assert response.json()["detail"] == NOT_ELIGIBLE


def test_a_missing_cluster_or_foreign_project_answers_404(api, project):
    assert api.get(f"{V2}/groups/{project.public_id}/clusters/nope/monitoringGroup").status_code == 404
    stranger = UserFactory()
    foreign = project_create(
        organization=organization_create(name="F", actor=stranger), name="P", actor=stranger
    )
    theirs = dedicated(foreign)
    assert api.get(group_url(theirs)).status_code == 404


# ---- a project's monitoring groups ---------------------------------------------------------------------------


def groups_url(project, suffix=""):
    return f"{V2}/groups/{project.public_id}/monitoringGroups{suffix}"


def test_customers_create_groups_of_any_name_but_the_reserved_prefix(api, project):
    response = api.post(groups_url(project), {"name": "mongolab_mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "RESERVED_GROUP_NAME"
    assert "mongolab_" in response.json()["detail"]

    response = api.post(groups_url(project), {"name": "ops"}, format="json")
    assert response.status_code == 201
    assert response.json()["systemManaged"] is False
    assert response.json()["members"] == []


def test_the_list_shows_system_groups_first_then_the_projects_own(api, project, owner):
    cluster = dedicated(project, "zeta")
    monitoring_group_create(project=project, name="alpha", actor=owner)
    body = api.get(groups_url(project)).json()
    assert [g["name"] for g in body["results"]] == [cluster.monitoring_group.name, "alpha"]
    assert [g["clusterName"] for g in body["results"]] == ["zeta", None]


def test_the_group_list_costs_the_same_queries_for_2_and_20(api, project, owner):
    def count():
        api.get(groups_url(project))
        with CaptureQueriesContext(connection) as queries:
            assert api.get(groups_url(project)).status_code == 200
        return len(queries)

    for i in range(2):
        dedicated(project, f"c{i}")
    two = count()
    for i in range(2, 20):
        dedicated(project, f"c{i}")
    assert count() == two


def test_customers_cannot_join_a_system_group_by_hand(api, project):
    cluster = dedicated(project)
    url = groups_url(project, f"/{cluster.monitoring_group.public_id}/members")
    response = api.post(url, {"username": "ann@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "RESERVED_GROUP_NAME"
    assert not MonitoringGroupMembership.objects.exists()


def test_staff_may_add_to_a_system_group_by_hand(api, project):
    cluster = dedicated(project)
    api.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = groups_url(project, f"/{cluster.monitoring_group.public_id}/members")
    response = api.post(url, {"username": "support@example.com", "groupRole": "ADMIN"}, format="json")
    assert response.status_code == 201
    assert response.json()["source"] == "MANUAL"


def test_removing_from_one_group_by_hand_says_the_attachment_is_unchanged(api, organization, project, owner):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    user = attachment.monitoring_user

    response = api.delete(
        groups_url(project, f"/{cluster.monitoring_group.public_id}/members/{user.public_id}")
    )

    assert response.status_code == 200
    body = response.json()
    assert body["stillAttachedToOrg"] is True
    assert body["source"] == "ATTACHMENT"
    assert "still attached" in body["detail"]
    assert "clusters created later will add it" in body["detail"]
    assert api.get(users_url(organization, f"/{user.public_id}")).status_code == 200  # still on the list
    later = dedicated(project, "Later")
    assert [m["username"] for m in api.get(group_url(later)).json()["members"]] == ["ann@example.com"]


def test_members_of_a_custom_group_by_hand(api, project):
    group = api.post(groups_url(project), {"name": "ops"}, format="json").json()
    members = groups_url(project, f"/{group['id']}/members")
    added = api.post(members, {"username": "bob", "emailAddress": "bob@example.com"}, format="json")
    assert added.status_code == 201
    assert api.post(members, {"username": "BOB"}, format="json").status_code == 409
    removed = api.delete(f"{members}/{added.json()['monitoringUserId']}")
    assert removed.status_code == 200
    assert removed.json()["stillAttachedToOrg"] is False
    assert api.delete(f"{members}/{added.json()['monitoringUserId']}").status_code == 404
    assert api.delete(groups_url(project, f"/{group['id']}")).status_code == 204


def test_a_system_group_cannot_be_deleted_by_hand(api, project):
    cluster = dedicated(project)
    response = api.delete(groups_url(project, f"/{cluster.monitoring_group.public_id}"))
    assert response.status_code == 403
    assert response.json()["errorCode"] == "RESERVED_GROUP_NAME"


def test_a_read_only_project_member_reads_groups_but_cannot_manage_them(api, organization, project, owner):
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    group = monitoring_group_create(project=project, name="ops", actor=owner)
    api.force_login(reader)
    assert api.get(groups_url(project)).status_code == 200
    assert api.post(groups_url(project), {"name": "mine"}, format="json").status_code == 403
    response = api.post(
        groups_url(project, f"/{group.public_id}/members"), {"username": "a@example.com"}, format="json"
    )
    assert response.status_code == 403
