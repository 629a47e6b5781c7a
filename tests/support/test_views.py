"""Customers' pages: the project's clusters with their grants and the time left (grant, replace, revoke), the
organization's settings page with the block, and the decision log for the organization's owners."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Cluster
from accounts.services import cluster_create, organization_member_add
from support.models import SupportAccessDecision, SupportAccessGrant
from support.selectors import support_access_restricted
from support.services import support_access_decide, support_grant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType
Status = SupportAccessGrant.Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def clusters_page(project):
    return f"/projects/{project.public_id}/clusters/"


def action(project, cluster, verb):
    return f"/projects/{project.public_id}/clusters/{cluster.name}/support-access/{verb}/"


def settings_page(organization):
    return f"/orgs/{organization.public_id}/settings/"


def log_page(organization):
    return f"/orgs/{organization.public_id}/support-access/log/"


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---- the clusters page ---------------------------------------------------------------------------------------------


def test_the_clusters_page_shows_each_grant_and_the_time_left(client, blocked, owner, project, cluster):
    with time_machine.travel(NOW, tick=False):
        support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(owner)

    with time_machine.travel(NOW + timedelta(minutes=48), tick=False):
        page = client.get(clusters_page(project)).content.decode()

    assert "Cluster infrastructure and all cluster logs" in page
    assert "expires in 23 h 12 min" in page
    assert "2026-03-03 09:00 UTC" in page
    assert "Revoke access" in page


def test_an_expired_grant_is_gone_from_the_page_before_any_task_runs(
    client, blocked, owner, project, cluster
):
    made = support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(owner)
    with time_machine.travel(made.expires_at, tick=False):
        page = client.get(clusters_page(project)).content.decode()
    assert "expires in" not in page
    assert "No temporary access granted." in page


def test_the_grant_form_offers_what_the_block_and_the_cluster_allow(
    client, organization, owner, project, cluster
):
    synced = cluster_create(project=project, name="Synced", sync_enabled=True, actor=None)
    client.force_login(owner)

    def offered(name):
        form = client.get(action(project, Cluster(name=name), "grant")).context["form"]
        return [value for value, _ in form.fields["grant_type"].choices]

    # The block off: nothing to grant on a cluster without sync.
    rows = client.get(clusters_page(project)).context["rows"]
    assert {row["cluster"].name: row["may_grant"] for row in rows} == {"Cluster0": False, "Synced": True}
    assert offered("Cluster0") == []
    assert offered("Synced") == [GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA]

    from support.services import support_access_restrict_set

    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    assert offered("Cluster0") == [GrantType.CLUSTER_INFRASTRUCTURE, GrantType.CLUSTER_DATABASE_LOGS]
    assert len(offered(synced.name)) == 3


def test_a_project_owner_grants_for_24_hours_by_default(client, blocked, group_owner, project, cluster):
    client.force_login(group_owner)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            action(project, cluster, "grant"), {"grant_type": GrantType.CLUSTER_DATABASE_LOGS}
        )

    assert response.status_code == 302
    made = SupportAccessGrant.objects.get()
    assert (made.grant_type, made.granted_by, made.expires_at) == (
        GrantType.CLUSTER_DATABASE_LOGS,
        group_owner,
        NOW + timedelta(hours=24),
    )
    assert "24 h left" in said(response)[0]


def test_a_shorter_grant_can_be_chosen(client, blocked, owner, project, cluster):
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        client.post(
            action(project, cluster, "grant"),
            {"grant_type": GrantType.CLUSTER_INFRASTRUCTURE, "hours": "4"},
        )
    assert SupportAccessGrant.objects.get().expires_at == NOW + timedelta(hours=4)


def test_a_refused_grant_says_why_and_grants_nothing(client, organization, owner, project, cluster):
    client.force_login(owner)
    response = client.post(action(project, cluster, "grant"), {"grant_type": "CLUSTER_INFRASTRUCTURE"})

    assert response.status_code == 400
    assert "does not block support access" in response.content.decode()
    assert not SupportAccessGrant.objects.exists()


def test_a_reader_sees_the_grants_but_may_not_grant_or_revoke(
    client, blocked, owner, reader, project, cluster
):
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(reader)

    response = client.get(clusters_page(project))
    assert "expires in" in response.content.decode()
    assert "Revoke access" not in response.content.decode()
    assert not any(row["may_grant"] for row in response.context["rows"])

    client.post(action(project, cluster, "grant"), {"grant_type": "CLUSTER_DATABASE_LOGS"})
    refused = client.post(action(project, cluster, "revoke"))
    assert "Nothing was revoked" in said(refused)[-1]
    assert SupportAccessGrant.objects.get().status == Status.ACTIVE


def test_the_revoke_button_revokes(client, blocked, owner, project, cluster):
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(owner)

    response = client.post(action(project, cluster, "revoke"))

    assert response.status_code == 302
    assert SupportAccessGrant.objects.get().status == Status.REVOKED
    assert "was revoked" in said(response)[0]


def test_a_stranger_gets_a_404_for_the_page_and_the_actions(client, blocked, project, cluster):
    client.force_login(UserFactory())
    assert client.get(clusters_page(project)).status_code == 404
    assert client.post(action(project, cluster, "grant"), {}).status_code == 404
    assert client.post(action(project, cluster, "revoke")).status_code == 404


def test_the_clusters_page_costs_the_same_queries_for_5_and_100_clusters_with_grants_50_a_page(
    client, blocked, owner, project
):
    def count():
        client.get(clusters_page(project))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(clusters_page(project))
        assert response.status_code == 200
        return len(queries), response.content.decode().count("expires in")

    def add(start, stop):
        for i in range(start, stop):
            cluster = cluster_create(project=project, name=f"c{i:03}", actor=None)
            support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)

    client.force_login(owner)
    add(0, 5)
    five, shown = count()
    assert shown == 5
    add(5, 100)
    hundred, shown = count()
    assert shown == 50
    assert hundred == five


# ---- the organization's settings page ---------------------------------------------------------------------------


def test_the_owner_turns_the_block_on_and_off(client, organization, owner):
    client.force_login(owner)
    assert (
        "Block support access to infrastructure" in client.get(settings_page(organization)).content.decode()
    )

    client.post(settings_page(organization), {"restrict_employee_access": "on"})
    assert support_access_restricted(organization) is True
    page = client.get(settings_page(organization)).content.decode()
    assert "<strong>On.</strong>" in page
    assert f"Changed by {owner.email}" in page

    client.post(settings_page(organization), {})
    assert support_access_restricted(organization) is False


def test_the_settings_page_changes_the_api_access_list_rule_too(client, organization, owner):
    client.force_login(owner)
    client.post(settings_page(organization), {"api_access_list_required": "on"})
    organization.refresh_from_db()
    assert organization.api_access_list_required is True
    assert support_access_restricted(organization) is False
    assert "An IP access list is required" in client.get(settings_page(organization)).content.decode()


def test_a_member_sees_the_setting_but_cannot_change_it(client, organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client.force_login(member)

    page = client.get(settings_page(organization)).content.decode()
    assert "Only an Organization Owner can change these settings." in page
    response = client.post(settings_page(organization), {"restrict_employee_access": "on"})
    assert "Nothing was changed" in said(response)[0]
    assert support_access_restricted(organization) is False


# ---- the decision log -------------------------------------------------------------------------------------------


def test_the_owner_reads_every_decision_allowed_or_refused(client, blocked, owner, cluster, engineer):
    support_access_decide(engineer=engineer, cluster=cluster, scope="INFRASTRUCTURE")
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_DATABASE_LOGS, actor=owner)
    support_access_decide(engineer=engineer, cluster=cluster, scope="DATABASE_LOGS")
    client.force_login(owner)

    page = client.get(log_page(organization=blocked)).content.decode()

    assert page.count(engineer.email) == 2
    assert "Refused: the organization blocks support access and no grant is active" in page
    assert "Allowed by the cluster&#x27;s active grant" in page


def test_the_log_is_for_owners_only(client, blocked, owner, group_owner, cluster, engineer):
    support_access_decide(engineer=engineer, cluster=cluster, scope="INFRASTRUCTURE")
    client.force_login(group_owner)
    assert client.get(log_page(blocked)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(log_page(blocked)).status_code == 404


def test_the_log_costs_the_same_queries_for_5_and_100_decisions(client, blocked, owner, cluster, engineer):
    def count():
        client.get(log_page(blocked))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(log_page(blocked)).status_code == 200
        return len(queries)

    client.force_login(owner)
    for _ in range(5):
        support_access_decide(engineer=engineer, cluster=cluster, scope="AUDIT_LOGS")
    five = count()
    SupportAccessDecision.objects.bulk_create(
        SupportAccessDecision(
            **{**SupportAccessDecision.objects.values().first(), "id": None, "public_id": f"{i:024x}"}
        )
        for i in range(95)
    )
    assert count() == five


def test_the_home_page_links_the_pages(client, organization, owner, project):
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert settings_page(organization) in page
    assert clusters_page(project) in page
