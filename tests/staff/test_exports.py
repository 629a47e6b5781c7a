"""Exports: the filtered admin list as CSV, streamed, for staff with the export permission (Auditors, superusers),
audited; nothing secret in it; refused to staff without the permission."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles, services
from accounts.models import ApiKey, AuditEvent, OrganizationMembership, ProjectMembership
from accounts.services.api_keys import api_key_create
from staff.roles import AUDITORS, SUPPORT_ENGINEERS
from support.models import SupportAccessDecision
from tests.accounts.test_admin import admin_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def export_url(model, query=""):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export") + query


def rows_of(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def staff_in(group_name):
    user = UserFactory(is_staff=True, totp=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_an_auditor_exports_the_filtered_audit_events_and_the_export_is_audited(client, organization, owner):
    for i in range(3):
        services.team_create(organization=organization, name=f"Team {i}", actor=owner)
    auditor = staff_in(AUDITORS)
    client.force_login(auditor)

    listed = client.get(admin_url(AuditEvent) + "?event_type__exact=TEAM_CREATED")
    assert b"Export CSV" in listed.content
    response = client.get(export_url(AuditEvent, "?event_type__exact=TEAM_CREATED"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert [row["target_name"] for row in rows] == ["Team 2", "Team 1", "Team 0"]
    assert {row["event_type"] for row in rows} == {"TEAM_CREATED"}
    export = AuditEvent.objects.get(event_type=AuditEvent.Type.RECORDS_EXPORTED)
    assert export.actor == auditor
    assert export.details == {"list": "accounts.auditevent", "filters": "event_type__exact=TEAM_CREATED"}


def test_memberships_and_api_keys_export_without_secrets(admin_client, organization, owner, project):
    member = UserFactory(email="member@example.com")
    services.organization_member_add(
        organization=organization, user=member, roles=[roles.ORG_READ_ONLY], actor=owner
    )
    services.project_member_add(project=project, user=member, roles=[roles.GROUP_READ_ONLY], actor=owner)
    key, private_key = api_key_create(
        organization=organization, description="=cmd|ci", roles=[roles.ORG_MEMBER], actor=owner
    )

    members = rows_of(
        admin_client.get(export_url(OrganizationMembership, f"?organization__id__exact={organization.pk}"))
    )
    in_project = rows_of(admin_client.get(export_url(ProjectMembership, f"?project__id__exact={project.pk}")))
    keys_response = admin_client.get(export_url(ApiKey))
    keys_text = b"".join(keys_response.streaming_content).decode()

    assert {(r["user"], r["roles"]) for r in members} == {
        (owner.email, "ORG_OWNER"),
        (member.email, "ORG_READ_ONLY"),
    }
    assert {(r["user"], r["roles"]) for r in in_project} == {
        (owner.email, "GROUP_OWNER"),
        (member.email, "GROUP_READ_ONLY"),
    }
    (row,) = csv.DictReader(io.StringIO(keys_text))
    assert row["public_key"] == key.public_key and row["organization_roles"] == "ORG_MEMBER"
    assert row["description"] == "'=cmd|ci"  # a spreadsheet would run it as a formula
    assert private_key not in keys_text
    assert key.ha1_md5_encrypted not in keys_text and key.ha1_sha256_encrypted not in keys_text


def test_staff_without_the_export_permission_are_refused_and_see_no_button(client):
    engineer = staff_in(SUPPORT_ENGINEERS)
    client.force_login(engineer)

    listed = client.get(admin_url(SupportAccessDecision))
    assert listed.status_code == 200 and b"Export CSV" not in listed.content
    assert client.get(export_url(SupportAccessDecision)).status_code == 403
    assert client.get(export_url(AuditEvent)).status_code == 403
    assert not AuditEvent.objects.filter(event_type=AuditEvent.Type.RECORDS_EXPORTED).exists()


def test_an_export_streams_in_chunks_at_a_fixed_number_of_queries(
    admin_client, organization, owner, monkeypatch
):
    from accounts.admin import exports

    monkeypatch.setattr(exports, "CHUNK", 10)
    users = [UserFactory(email=f"m{i}@example.com") for i in range(35)]
    for user in users:
        services.organization_member_add(organization=organization, user=user, actor=owner)

    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(export_url(OrganizationMembership))
        rows = rows_of(response)

    assert len(rows) == 36
    # rows are read 10 at a time, each chunk with its roles in one query: never all at once
    role_reads = [
        q["sql"] for q in captured.captured_queries if 'FROM "accounts_organizationrole"' in q["sql"]
    ]
    assert len(role_reads) == 4


def test_a_bad_filter_goes_back_to_the_list(admin_client):
    response = admin_client.get(export_url(AuditEvent, "?no_such_field=1"))

    assert response.status_code == 302
