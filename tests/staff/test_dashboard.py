"""The admin's index is the staff's dashboard: each count of what needs attention links to the list that shows
exactly those rows, the last 20 audit events are listed, and the page costs the same queries at any size."""

import secrets
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles, services
from accounts.admin.dashboard import dashboard
from accounts.models import AuditEvent, Invitation, OutboundEmail
from support.models import SupportAccessGrant
from tests.factories import ClusterFactory, UserFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def make_attention(organization, project, n):
    """``n`` of each thing the dashboard counts (and as many that it must not count)."""
    now = timezone.now()
    inviter = organization.memberships.first().user

    def invitation(i, **fields):
        return Invitation(
            organization=organization,
            email=f"invitee{i}-{secrets.token_hex(3)}@example.com",
            roles=[roles.ORG_MEMBER],
            token_hash=secrets.token_hex(32),
            inviter=inviter,
            inviter_email=inviter.email,
            **fields,
        )

    Invitation.objects.bulk_create(
        [invitation(i, expires_at=now + timedelta(hours=2)) for i in range(n)]  # expiring
        + [invitation(n + i, expires_at=now + timedelta(days=9), bounced_at=now) for i in range(n)]  # bounced
        + [invitation(2 * n + i, expires_at=now - timedelta(hours=1)) for i in range(n)]  # dead: not pending
    )
    OutboundEmail.objects.bulk_create(
        [OutboundEmail(to=f"f{i}@example.com", subject="s", template="t", status="FAILED") for i in range(n)]
        + [
            OutboundEmail(
                to=f"q{i}@example.com", subject="s", template="t", created_at=now - timedelta(hours=1)
            )
            for i in range(n)
        ]
        + [OutboundEmail(to=f"n{i}@example.com", subject="s", template="t") for i in range(n)]  # just queued
    )
    AccessAttempt.objects.bulk_create(
        [
            AccessAttempt(
                username=f"locked{i}-{secrets.token_hex(3)}@example.com",
                ip_address="192.0.2.1",
                user_agent="test",
                failures_since_start=5,
                get_data="",
                post_data="",
                http_accept="",
                path_info="/accounts/login/",
            )
            for i in range(n)
        ]
    )
    clusters = ClusterFactory.create_batch(n, project=project)
    SupportAccessGrant.objects.bulk_create(
        [
            SupportAccessGrant(
                cluster=cluster,
                grant_type=SupportAccessGrant.GrantType.CLUSTER_INFRASTRUCTURE,
                expires_at=now + timedelta(minutes=30),
            )
            for cluster in clusters
        ]
    )


def counts(response) -> dict[str, int]:
    return {
        tally.item.label: tally.value
        for _, tallies in response.context["attention_sections"]
        for tally in tallies
    }


def test_dashboard_counts_what_needs_attention_and_links_to_the_same_rows(
    admin_client, organization, project
):
    make_attention(organization, project, 3)

    response = admin_client.get(INDEX)

    assert response.status_code == 200
    assert b"accessportal staff" in response.content
    found = counts(response)
    assert found == {
        "pending": 6,
        "expiring within a day": 3,
        "pending, email bounced": 3,
        "failed": 3,
        "queued longer than ten minutes": 3,
        "locked out of sign-in": 3,
        "organizations without two owners": 1,
        "grants active": 3,
        "grants expiring within the hour": 3,
    }
    for _, tallies in response.context["attention_sections"]:
        for tally in tallies:
            listed = admin_client.get(tally.url)
            assert listed.status_code == 200, tally.url
            assert listed.context["cl"].result_count == tally.value, tally.url


def test_dashboard_lists_the_last_20_audit_events(admin_client, organization, owner):
    for i in range(25):
        services.team_create(organization=organization, name=f"Team {i}", actor=owner)

    response = admin_client.get(INDEX)

    events = response.context["recent_events"]
    assert len(events) == 20
    assert events == list(AuditEvent.objects.order_by("-created_at", "-id")[:20])
    assert b"Team 24" in response.content


def test_organization_with_a_second_owner_needs_no_attention(admin_client, organization, owner):
    services.organization_member_add(
        organization=organization, user=UserFactory(), roles=[roles.ORG_OWNER], actor=owner
    )

    assert counts(admin_client.get(INDEX))["organizations without two owners"] == 0


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(INDEX).status_code == 200
    return len(captured)


def test_dashboard_costs_the_same_queries_at_5_and_500_rows(admin_client, organization, project):
    make_attention(organization, project, 5)
    small = _queries(admin_client)

    make_attention(organization, project, 500)
    large = _queries(admin_client)

    assert small == large
    assert small < 30


def test_staff_without_view_permissions_see_no_counts(client, organization):
    staff = UserFactory(is_staff=True, totp=True)
    client.force_login(staff)

    context = dashboard(type("Request", (), {"user": staff})())

    assert context["attention_sections"] == []
    assert context["recent_events"] is None
