"""The admin: grants with a revoke action (through the service), the decision log and the settings read-only,
and for a support engineer the clusters they may reach now and until when, and the one way to ask."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Organization
from accounts.services import cluster_create, organization_create
from support.models import SupportAccessDecision, SupportAccessGrant, SupportAccessSetting, SupportReach
from support.services import support_access_decide, support_grant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType
Status = SupportAccessGrant.Status


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_grant(cluster, owner, **kwargs):
    return support_grant_create(
        cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner, **kwargs
    )


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def action_names(response) -> set[str]:
    form = response.context["action_form"]  # None when no action is open to the user
    return set(dict(form.fields["action"].choices)) if form is not None else set()


# ---- grants ------------------------------------------------------------------------------------------------------


def test_grants_are_listed_with_their_state_and_time_left(admin_client, blocked, owner, cluster):
    made = make_grant(cluster, owner)
    response = admin_client.get(admin_url(SupportAccessGrant))
    page = response.content.decode()
    assert "Cluster0" in page
    assert "23 h 59 min" in page or "24 h" in page
    with time_machine.travel(made.expires_at, tick=False):
        page = admin_client.get(admin_url(SupportAccessGrant)).content.decode()
    assert "EXPIRED" in page  # in force at read time, whatever the tasks have done


def test_staff_revoke_grants_in_force_through_the_service(
    admin_client, blocked, owner, project, cluster, django_capture_on_commit_callbacks
):
    live = make_grant(cluster, owner)
    other = cluster_create(project=project, name="Other", actor=None)
    dead = make_grant(other, owner, expires_at=timezone.now() + timedelta(minutes=5))

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = admin_client.post(
            admin_url(SupportAccessGrant),
            {"action": "revoke", "_selected_action": [live.pk, dead.pk], "confirmed": "yes"},
        )

    assert response.status_code == 302
    live.refresh_from_db()
    dead.refresh_from_db()
    assert live.status == Status.REVOKED
    assert live.revoked_by.email == "admin@example.com"
    assert dead.status == Status.ACTIVE  # dead already: left to the expiry task
    assert AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_REVOKED").count() == 1
    assert "Revoked 1 grant(s); 1 no longer in force were left as they are." in said(response)


def test_the_revoke_action_needs_the_power_to_revoke(client, blocked, owner, cluster):
    make_grant(cluster, owner)
    staff = UserFactory(is_staff=True, totp=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_supportaccessgrant", "change_supportaccessgrant"])
    )
    client.force_login(staff)
    response = client.get(admin_url(SupportAccessGrant))
    assert response.status_code == 200
    assert "revoke" not in action_names(response)

    staff.user_permissions.add(Permission.objects.get(codename="grant_support_access"))
    response = client.get(admin_url(SupportAccessGrant))
    assert "revoke" in action_names(response)


def test_grants_cannot_be_added_edited_or_deleted_here(admin_client, blocked, owner, cluster):
    made = make_grant(cluster, owner)
    assert admin_client.get(admin_url(SupportAccessGrant, "add")).status_code == 403
    assert admin_client.get(admin_url(SupportAccessGrant, "delete", made.pk)).status_code == 403
    response = admin_client.get(admin_url(SupportAccessGrant, "change", made.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]


def test_the_grants_list_costs_the_same_queries_for_2_and_20(admin_client, blocked, owner, project):
    def count():
        admin_client.get(admin_url(SupportAccessGrant))
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(admin_url(SupportAccessGrant)).status_code == 200
        return len(queries)

    def add(start, stop):
        for i in range(start, stop):
            make_grant(cluster_create(project=project, name=f"c{i:03}", actor=None), owner)

    add(0, 2)
    two = count()
    add(2, 20)
    assert count() == two


# ---- the decision log and the settings, read-only ----------------------------------------------------------------


def test_the_decision_log_is_read_only(admin_client, cluster, engineer):
    record = support_access_decide(engineer=engineer, cluster=cluster, scope="INFRASTRUCTURE").record

    assert engineer.email in admin_client.get(admin_url(SupportAccessDecision)).content.decode()
    assert admin_client.get(admin_url(SupportAccessDecision, "add")).status_code == 403
    assert admin_client.get(admin_url(SupportAccessDecision, "delete", record.pk)).status_code == 403
    response = admin_client.post(admin_url(SupportAccessDecision, "change", record.pk), {"allowed": ""})
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.allowed is True


def test_the_settings_are_read_only_here(admin_client, blocked):
    setting = SupportAccessSetting.objects.get(organization=blocked)
    assert "Acme" in admin_client.get(admin_url(SupportAccessSetting)).content.decode()
    response = admin_client.post(admin_url(SupportAccessSetting, "change", setting.pk), {})
    assert response.status_code == 403


# ---- the support engineer's view ----------------------------------------------------------------------------------


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer)
    return client


def test_an_engineer_sees_which_clusters_they_may_reach_and_until_when(
    engineer_client, blocked, owner, project, cluster
):
    from support.services import support_access_restrict_set

    made = make_grant(cluster, owner)
    other_owner = UserFactory()
    open_org = organization_create(name="Open Org", actor=other_owner)

    response = engineer_client.get(admin_url(SupportReach))

    assert response.status_code == 200
    [item] = [item for item, _ in response.context["granted"]]
    assert item.grant == made
    page = response.content.decode()
    assert f"{made.expires_at:%Y-%m-%d %H:%M} UTC" in page
    assert "Database audit logs" in page
    assert [o.name for o in response.context["unblocked_organizations"]] == ["Open Org"]

    support_access_restrict_set(organization=open_org, restrict=True, actor=other_owner)
    with time_machine.travel(made.expires_at, tick=False):
        response = engineer_client.get(admin_url(SupportReach))
    assert response.context["granted"] == []
    assert response.context["unblocked_organizations"] == []
    assert Organization.objects.count() == 2


def test_the_engineer_view_is_for_support_engineers_only(client, admin_client):
    assert (
        admin_client.get(admin_url(SupportReach)).status_code == 403
    )  # a superuser outside the Support group
    client.force_login(UserFactory(is_staff=True, totp=True))
    assert client.get(admin_url(SupportReach)).status_code == 403


def test_an_engineer_asks_for_access_and_the_decision_is_recorded(engineer_client, blocked, owner, cluster):
    url = admin_url(SupportReach)
    refused = engineer_client.post(
        url, {"cluster": cluster.public_id, "scope": "INFRASTRUCTURE"}, REMOTE_ADDR="198.51.100.20"
    )
    assert refused.status_code == 302
    assert said(refused)[0].startswith("Refused: Infrastructure (hosts, Atlas Search) of Cluster0")

    make_grant(cluster, owner)
    allowed = engineer_client.post(url, {"cluster": cluster.public_id, "scope": "INFRASTRUCTURE"})
    assert said(allowed)[-1].startswith("Allowed: Infrastructure (hosts, Atlas Search) of Cluster0")
    assert " left). Allowed by the cluster's active grant." in said(allowed)[-1]

    records = SupportAccessDecision.objects.order_by("decided_at", "id")
    assert [(r.allowed, r.reason) for r in records] == [(False, "BLOCKED"), (True, "GRANTED")]
    assert records[0].client_ip == "198.51.100.20"


def test_an_unknown_cluster_id_is_a_form_error(engineer_client):
    response = engineer_client.post(admin_url(SupportReach), {"cluster": "nope", "scope": "INFRASTRUCTURE"})
    assert response.status_code == 200
    assert "No cluster has this ID." in response.content.decode()
    assert not SupportAccessDecision.objects.exists()


def test_the_engineer_view_costs_the_same_queries_for_5_and_50_grants(
    engineer_client, blocked, owner, project
):
    def count():
        engineer_client.get(admin_url(SupportReach))
        with CaptureQueriesContext(connection) as queries:
            response = engineer_client.get(admin_url(SupportReach))
        return len(queries), len(response.context["granted"])

    def add(start, stop):
        for i in range(start, stop):
            make_grant(cluster_create(project=project, name=f"c{i:03}", actor=None), owner)

    add(0, 5)
    five, shown = count()
    assert shown == 5
    add(5, 50)
    fifty, shown = count()
    assert shown == 50
    assert fifty == five


def test_the_engineer_finds_the_view_on_the_admin_index(engineer_client):
    page = engineer_client.get(reverse("admin:index")).content.decode()
    assert "Clusters I may reach" in page
    assert admin_url(SupportReach) in page
