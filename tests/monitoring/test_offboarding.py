"""Offboarding a person removes, in one step, their organization membership (with teams and project roles) and
the monitoring user linked to them, and reports each thing removed; it warns when only one of the two exists."""

import pytest

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent, OrganizationMembership, ProjectMembership, TeamMembership
from accounts.services import organization_member_add, project_member_add, team_create
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import MonitoringGroupMembership, MonitoringUserAttachment
from monitoring.selectors import linked_people, offboarding_plan
from monitoring.services import monitoring_user_attach, person_offboard
from tests.factories import UserFactory

from .conftest import dedicated

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(organization, owner, project):
    """A member with a project role and a team."""
    user = UserFactory(email="dana@example.com")
    organization_member_add(organization=organization, user=user, roles=[roles.ORG_MEMBER], actor=owner)
    project_member_add(project=project, user=user, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team_create(organization=organization, name="SRE", members=[user], actor=owner)
    return user


def test_offboarding_removes_the_portal_user_and_the_monitoring_user_linked_by_email(
    organization, owner, project, dana
):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)

    report = person_offboard(organization=organization, user=dana, actor=owner)

    assert report == {
        "user": {"id": dana.public_id, "username": "dana@example.com"},
        "organizationRoles": [roles.ORG_MEMBER],
        "projects": ["Production"],
        "teams": ["SRE"],
        "invitationsRevoked": [],
        "monitoringUserDetached": {
            "id": attachment.monitoring_user.public_id,
            "username": "dana@example.com",
            "emailAddress": "dana@example.com",
            "groups": [cluster.monitoring_group.name],
        },
        "warnings": [],
    }
    assert not OrganizationMembership.objects.filter(user=dana).exists()
    assert not ProjectMembership.objects.filter(user=dana).exists()
    assert not TeamMembership.objects.filter(user=dana).exists()
    assert not dana.has_perm("accounts.view_project", project)
    assert not MonitoringUserAttachment.objects.exists()
    assert not MonitoringGroupMembership.objects.exists()
    event = AuditEvent.objects.get(event_type=MonitoringEvent.USER_OFFBOARDED)
    assert event.target_id == dana.public_id
    assert event.details["monitoringUserDetached"]["username"] == "dana@example.com"


def test_an_explicit_link_wins_over_the_email_address(organization, owner, project, dana):
    dedicated(project)
    linked = monitoring_user_attach(
        organization=organization,
        username="d-mms",
        email="d.personal@example.org",
        linked_user=dana,
        actor=owner,
    )
    report = person_offboard(organization=organization, user=dana, actor=owner)
    assert report["monitoringUserDetached"]["id"] == linked.monitoring_user.public_id
    assert report["warnings"] == []


def test_starting_from_the_monitoring_user_removes_its_portal_user_too(organization, owner, project, dana):
    attachment = monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)
    report = person_offboard(
        organization=organization, monitoring_user=attachment.monitoring_user, actor=owner
    )
    assert report["user"] == {"id": dana.public_id, "username": "dana@example.com"}
    assert report["monitoringUserDetached"]["username"] == "dana@example.com"


def test_a_person_without_a_monitoring_user_is_offboarded_with_a_warning(organization, owner, dana):
    plan = offboarding_plan(organization=organization, user=dana)
    assert len(plan.warnings) == 1
    assert "no monitoring user" in plan.warnings[0]

    report = person_offboard(organization=organization, user=dana, actor=owner)

    assert report["monitoringUserDetached"] is None
    assert report["warnings"] == plan.warnings
    assert not OrganizationMembership.objects.filter(user=dana).exists()


def test_a_monitoring_user_without_a_portal_account_is_offboarded_with_a_warning(
    organization, owner, project
):
    dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ext@example.com", actor=owner)
    plan = offboarding_plan(organization=organization, monitoring_user=attachment.monitoring_user)
    assert "no portal user is a member" in plan.warnings[0]

    report = person_offboard(
        organization=organization, monitoring_user=attachment.monitoring_user, actor=owner
    )

    assert report["user"] is None
    assert report["organizationRoles"] == []
    assert report["monitoringUserDetached"]["username"] == "ext@example.com"
    assert report["warnings"] == plan.warnings


def test_someone_with_neither_is_nothing_to_offboard(organization, owner):
    with pytest.raises(ServiceError) as error:
        person_offboard(organization=organization, user=UserFactory(), actor=owner)
    assert error.value.code == "NOTHING_TO_OFFBOARD"


def test_only_an_organization_owner_offboards(organization, owner, dana):
    monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)
    other = UserFactory()
    organization_member_add(
        organization=organization, user=other, roles=[roles.ORG_GROUP_CREATOR], actor=owner
    )
    with pytest.raises(ServiceError) as error:
        person_offboard(organization=organization, user=dana, actor=other)
    assert error.value.code == "USER_UNAUTHORIZED"
    assert OrganizationMembership.objects.filter(user=dana).exists()
    assert MonitoringUserAttachment.objects.exists()


def test_all_or_nothing_the_last_owner_keeps_both(organization, owner, project):
    dedicated(project)
    monitoring_user_attach(organization=organization, username="owner@example.com", actor=owner)
    with pytest.raises(ServiceError) as error:
        person_offboard(organization=organization, user=owner, actor=owner)
    assert error.value.code == "CANNOT_REMOVE_LAST_ORG_OWNER"
    assert MonitoringUserAttachment.objects.exists()
    assert MonitoringGroupMembership.objects.exists()


def test_a_member_linked_to_another_monitoring_user_is_not_taken_by_email(organization, owner, dana):
    monitoring_user_attach(
        organization=organization, username="d-mms", email="d2@example.org", linked_user=dana, actor=owner
    )
    same_email = monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)
    assert linked_people(organization, [same_email]) == {same_email.pk: None}


def test_offboarding_costs_the_same_queries_from_2_to_12_projects_and_loads_no_membership_rows(
    organization, owner, django_assert_num_queries
):
    """Set-based: the memberships, their roles and permission rows go in DELETEs that load no rows, so the
    number of queries does not grow with the projects (or clusters) the person is in."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.services import project_create

    people = [UserFactory(email=f"leaver{i}@example.com") for i in range(2)]
    projects = [project_create(organization=organization, name=f"P{i}", actor=owner) for i in range(12)]
    for person, count in zip(people, (2, 12), strict=True):
        organization_member_add(organization=organization, user=person, roles=[roles.ORG_MEMBER], actor=owner)
        for project in projects[:count]:
            project_member_add(project=project, user=person, roles=[roles.GROUP_READ_ONLY], actor=owner)
            dedicated(project, name=f"{person.pk}-{project.pk}")
        monitoring_user_attach(organization=organization, username=person.email, actor=owner)

    with CaptureQueriesContext(connection) as few, transaction.atomic():
        report = person_offboard(organization=organization, user=people[0], actor=owner)
    assert len(report["projects"]) == 2
    membership_reads = [
        q["sql"]
        for q in few.captured_queries
        if q["sql"].startswith("SELECT") and '"accounts_projectmembership"."id"' in q["sql"].split("FROM")[0]
    ]
    assert membership_reads == []
    with django_assert_num_queries(len(few.captured_queries)), transaction.atomic():
        report = person_offboard(organization=organization, user=people[1], actor=owner)
    assert len(report["projects"]) == 12
    assert not ProjectMembership.objects.filter(user=people[1]).exists()
    assert not MonitoringGroupMembership.objects.filter(monitoring_user__username=people[1].email).exists()
