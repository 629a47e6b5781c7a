"""The project's Clusters tab: pages of 50 with a search, a grant page per cluster (never a form per row), revoke
confirmed first, the time left ready to tick (data-expires) and the expiry in the viewer's zone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.services import cluster_create, organization_create, project_create
from support.audit import Event as SupportEvent
from support.models import SupportAccessGrant
from support.services import support_grant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def clusters_page(project):
    return f"/projects/{project.public_id}/clusters/"


def grant_page(project, cluster):
    return f"/projects/{project.public_id}/clusters/{cluster.name}/support-access/grant/"


def revoke_page(project, cluster):
    return f"/projects/{project.public_id}/clusters/{cluster.name}/support-access/revoke/"


def test_the_time_left_carries_its_expiry_for_the_countdown_and_the_absolute_time_in_the_viewers_zone(
    client, blocked, owner, project, cluster
):
    owner.time_zone = "Asia/Tokyo"
    owner.save(update_fields=["time_zone"])
    with time_machine.travel(NOW, tick=False):
        support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(owner)

    with time_machine.travel(NOW + timedelta(minutes=48), tick=False):
        page = client.get(clusters_page(project)).content.decode()

    assert 'data-expires="2026-03-03T09:00:00+00:00"' in page
    assert 'data-now="2026-03-02T09:48:00+00:00"' in page
    assert "expires in 23 h 12 min" in page  # the text without JavaScript
    assert "2026-03-03 18:00 JST" in page
    assert "Asia/Tokyo" in page
    assert "accessportal/countdown.js" in page


def test_the_grant_message_names_the_viewers_zone(client, blocked, owner, project, cluster):
    owner.time_zone = "Europe/Paris"
    owner.save(update_fields=["time_zone"])
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            grant_page(project, cluster),
            {"grant_type": GrantType.CLUSTER_DATABASE_LOGS, "hours": "4"},
            follow=True,
        )
    assert "until 2026-03-02 14:00 CET (4 h left)" in response.content.decode()


def test_the_grant_page_offers_the_types_and_grants(client, blocked, group_owner, project, cluster):
    client.force_login(group_owner)

    page = client.get(grant_page(project, cluster)).content.decode()
    assert "Grant support access to Cluster0" in page
    assert 'value="CLUSTER_DATABASE_LOGS"' in page

    response = client.post(grant_page(project, cluster), {"grant_type": GrantType.CLUSTER_DATABASE_LOGS})
    assert response.status_code == 302
    assert SupportAccessGrant.objects.get().grant_type == GrantType.CLUSTER_DATABASE_LOGS
    assert AuditEvent.objects.filter(
        event_type=SupportEvent.EMPLOYEE_ACCESS_GRANTED, project=project
    ).exists()


def test_a_bad_grant_form_is_shown_again_with_its_error(client, blocked, owner, project, cluster):
    client.force_login(owner)
    response = client.post(grant_page(project, cluster), {"grant_type": "READ_THE_DATA", "hours": "99"})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not SupportAccessGrant.objects.exists()


def test_a_reader_may_not_open_the_grant_page(client, blocked, reader, project, cluster):
    client.force_login(reader)
    assert client.get(grant_page(project, cluster)).status_code == 403
    response = client.post(grant_page(project, cluster), {"grant_type": GrantType.CLUSTER_DATABASE_LOGS})
    assert response.status_code == 403
    assert not SupportAccessGrant.objects.exists()


def test_revoke_asks_first_then_revokes(client, blocked, owner, project, cluster):
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(owner)

    listed = client.get(clusters_page(project)).content.decode()
    assert f'href="{revoke_page(project, cluster)}"' in listed  # a link to the confirmation, not a post
    confirmation = client.get(revoke_page(project, cluster))
    assert confirmation.status_code == 200
    text = confirmation.content.decode()
    assert "Revoke support access to Cluster0?" in text
    assert "Cluster infrastructure and all cluster logs" in text
    assert SupportAccessGrant.objects.get().status == SupportAccessGrant.Status.ACTIVE

    client.post(revoke_page(project, cluster))
    assert SupportAccessGrant.objects.get().status == SupportAccessGrant.Status.REVOKED


def test_revoking_nothing_says_so(client, blocked, owner, project, cluster):
    client.force_login(owner)
    response = client.get(revoke_page(project, cluster), follow=True)
    assert "no temporary access to Cluster0 to revoke" in response.content.decode()


def test_a_reader_may_not_revoke(client, blocked, owner, reader, project, cluster):
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    client.force_login(reader)
    client.post(revoke_page(project, cluster))
    assert SupportAccessGrant.objects.get().status == SupportAccessGrant.Status.ACTIVE


@pytest.mark.parametrize("which", ["page", "grant", "revoke"])
def test_another_tenants_clusters_are_a_404(client, blocked, owner, which):
    stranger = UserFactory()
    other = organization_create(name="Other", actor=stranger)
    theirs = project_create(organization=other, name="Theirs", actor=stranger)
    their_cluster = cluster_create(project=theirs, name="TheirCluster", actor=None)
    client.force_login(owner)
    url = {
        "page": clusters_page(theirs),
        "grant": grant_page(theirs, their_cluster),
        "revoke": revoke_page(theirs, their_cluster),
    }[which]
    assert client.get(url).status_code == 404
    assert client.post(url, {"grant_type": GrantType.CLUSTER_DATABASE_LOGS}).status_code == 404
    assert not SupportAccessGrant.objects.exists()


def test_search_and_pages_of_50(client, blocked, owner, project):
    for i in range(60):
        cluster_create(project=project, name=f"c{i:03}", actor=None)
    cluster_create(project=project, name="analytics", actor=None)
    client.force_login(owner)

    first = client.get(clusters_page(project))
    assert len(first.context["rows"]) == 50
    assert "1–50 of 61" in first.content.decode()
    assert len(client.get(clusters_page(project), {"page": 2}).context["rows"]) == 11
    found = client.get(clusters_page(project), {"q": "analy"})
    assert [row["cluster"].name for row in found.context["rows"]] == ["analytics"]


def test_the_page_has_no_form_per_cluster_so_it_stays_small(client, blocked, owner, project):
    for i in range(60):
        cluster_create(project=project, name=f"c{i:03}", actor=None)
    client.force_login(owner)
    page = client.get(clusters_page(project)).content.decode()
    assert page.count("<form") <= 3  # the search, the sign-out; no grant or revoke form in the rows
    assert len(page) < 60_000


def test_the_page_costs_the_same_queries_for_5_and_60_clusters_with_grants(client, blocked, owner, project):
    def add(start, stop):
        for i in range(start, stop):
            cluster = cluster_create(project=project, name=f"c{i:03}", actor=None)
            support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)

    def count(query=None):
        client.get(clusters_page(project), query)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(clusters_page(project), query).status_code == 200
        return len(queries)

    client.force_login(owner)
    add(0, 5)
    few, few_searched = count(), count({"q": "c0"})
    add(5, 60)
    assert (count(), count({"q": "c0"})) == (few, few_searched)
