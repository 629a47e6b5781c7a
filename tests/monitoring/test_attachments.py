"""Attaching a monitoring user to an organization and detaching it: the attached list is the source of truth."""

import pytest

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent
from accounts.services import organization_member_add, project_create
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import (
    GroupRole,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
)
from monitoring.services import (
    monitoring_group_member_remove,
    monitoring_user_attach,
    monitoring_user_detach,
)
from tests.factories import UserFactory

from .conftest import dedicated, sandbox, shared

pytestmark = pytest.mark.django_db
Source = MonitoringGroupMembership.Source


def group_names(monitoring_user):
    return sorted(monitoring_user.group_memberships.values_list("group__name", flat=True))


def test_attach_creates_an_unknown_monitoring_user_and_adds_it_to_every_eligible_group(
    organization, owner, project
):
    other_project = project_create(organization=organization, name="Staging", actor=owner)
    a, b = dedicated(project, "A"), dedicated(other_project, "B")
    sandbox(project)
    shared(other_project)

    attachment = monitoring_user_attach(
        organization=organization, username="mms-ann@example.com", group_role=GroupRole.ADMIN, actor=owner
    )

    user = MonitoringUser.objects.get(username="mms-ann@example.com")
    assert user.email == "mms-ann@example.com"
    assert attachment.monitoring_user == user
    assert attachment.attached_by == owner
    assert group_names(user) == sorted([a.monitoring_group.name, b.monitoring_group.name])
    memberships = MonitoringGroupMembership.objects.filter(monitoring_user=user)
    assert {(m.role, m.source, m.attachment_id) for m in memberships} == {
        (GroupRole.ADMIN, Source.ATTACHMENT, attachment.pk)
    }
    event = AuditEvent.objects.get(event_type=MonitoringEvent.MONITORING_USER_ATTACHED)
    assert event.organization_id == organization.pk
    assert event.details["groupCount"] == 2


def test_attach_reuses_a_known_monitoring_user_by_case_insensitive_name(organization, owner, project):
    known = MonitoringUser.objects.create(organization=organization, username="Ann", email="ann@example.com")
    attachment = monitoring_user_attach(organization=organization, username="ann", actor=owner)
    assert attachment.monitoring_user == known
    assert MonitoringUser.objects.count() == 1


def test_a_new_monitoring_user_needs_an_email_address(organization, owner):
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(organization=organization, username="ann", actor=owner)
    assert error.value.code == "VALIDATION_ERROR"
    assert error.value.parameters["field"] == "emailAddress"
    assert not MonitoringUser.objects.exists()


def test_a_known_monitoring_users_email_cannot_be_changed_by_attaching(organization, owner):
    MonitoringUser.objects.create(organization=organization, username="ann", email="ann@example.com")
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(organization=organization, username="ann", email="x@example.com", actor=owner)
    assert error.value.code == "VALIDATION_ERROR"


def test_an_email_address_belongs_to_one_monitoring_user(organization, owner):
    MonitoringUser.objects.create(organization=organization, username="ann", email="ann@example.com")
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(
            organization=organization, username="ann2", email="ANN@example.com", actor=owner
        )
    assert error.value.code == "MONITORING_USER_EMAIL_TAKEN"


def test_attaching_twice_is_refused(organization, owner):
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(organization=organization, username="ANN@example.com", actor=owner)
    assert error.value.code == "MONITORING_USER_ALREADY_ATTACHED"
    assert error.value.status == 409


@pytest.mark.parametrize("role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR])
def test_only_an_organization_owner_attaches(organization, owner, project, role):
    dedicated(project)
    member = UserFactory()
    organization_member_add(organization=organization, user=member, roles=[role], actor=owner)
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=member)
    assert error.value.code == "USER_UNAUTHORIZED"
    assert not MonitoringUserAttachment.objects.exists()
    assert not MonitoringUser.objects.exists()


def test_a_stranger_learns_nothing(organization):
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=UserFactory())
    assert error.value.code == "RESOURCE_NOT_FOUND"


def test_clusters_created_later_get_every_attached_user(organization, owner, project):
    ann = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    bob = monitoring_user_attach(
        organization=organization, username="bob@example.com", group_role=GroupRole.ADMIN, actor=owner
    )

    later = dedicated(project, "Later")

    members = {
        (m.monitoring_user.username, m.role, m.attachment_id)
        for m in later.monitoring_group.memberships.select_related("monitoring_user")
    }
    assert members == {
        ("ann@example.com", GroupRole.MEMBER, ann.pk),
        ("bob@example.com", GroupRole.ADMIN, bob.pk),
    }


def test_attachments_of_another_organization_do_not_join(organization, owner, project):
    from accounts.services import organization_create

    other_owner = UserFactory()
    other = organization_create(name="Other", actor=other_owner)
    monitoring_user_attach(organization=other, username="eve@example.com", actor=other_owner)
    cluster = dedicated(project)
    assert not cluster.monitoring_group.memberships.exists()


def test_detach_removes_every_membership_the_attachment_made(organization, owner, project):
    a, b = dedicated(project, "A"), dedicated(project, "B")
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    user = attachment.monitoring_user

    result = monitoring_user_detach(attachment=attachment, actor=owner)

    assert result["groups"] == sorted([a.monitoring_group.name, b.monitoring_group.name])
    assert not user.group_memberships.exists()
    assert not MonitoringUserAttachment.objects.exists()
    assert MonitoringUser.objects.filter(pk=user.pk).exists()  # the account in the monitoring system stays
    assert not dedicated(project, "C").monitoring_group.memberships.exists()  # nor joins later clusters
    event = AuditEvent.objects.get(event_type=MonitoringEvent.MONITORING_USER_DETACHED)
    assert event.details["groups"] == result["groups"]


def test_detach_leaves_memberships_made_by_hand_and_other_organizations(
    organization, owner, project, settings
):
    from accounts.services import organization_create
    from monitoring.services import monitoring_group_create, monitoring_group_member_add

    dedicated(project, "A")
    custom = monitoring_group_create(project=project, name="Ops", actor=owner)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    monitoring_group_member_add(group=custom, username="ann@example.com", actor=owner)
    other_owner = UserFactory()
    other = organization_create(name="Other", actor=other_owner)
    other_project = project_create(organization=other, name="P", actor=other_owner)
    theirs = dedicated(other_project, "Theirs")
    theirs_attachment = monitoring_user_attach(
        organization=other, username="ann@example.com", actor=other_owner
    )

    monitoring_user_detach(attachment=attachment, actor=owner)

    assert group_names(attachment.monitoring_user) == ["Ops"]
    assert group_names(theirs_attachment.monitoring_user) == [theirs.monitoring_group.name]


def test_another_organizations_monitoring_user_is_never_found_by_its_name(organization, owner, project):
    """Naming another organization's monitoring user attaches nothing of theirs and reveals nothing: the answer
    is the one for a name nobody uses, and with an email address it makes this organization's own record."""
    from accounts.services import organization_create

    dedicated(project)
    other_owner = UserFactory()
    other = organization_create(name="Other", actor=other_owner)
    theirs = monitoring_user_attach(
        organization=other, username="judy", email="judy@other.example", actor=other_owner
    ).monitoring_user

    answers = []
    for username in ("judy", "nobody-uses-this"):
        with pytest.raises(ServiceError) as error:
            monitoring_user_attach(organization=organization, username=username, actor=owner)
        answers.append(
            (error.value.code, error.value.message.replace(username, "NAME"), error.value.parameters)
        )
    assert answers[0] == answers[1]
    assert "judy@other.example" not in str(answers)

    ours = monitoring_user_attach(
        organization=organization, username="judy", email="judy@acme.example", actor=owner
    ).monitoring_user
    assert ours.pk != theirs.pk
    assert ours.email == "judy@acme.example"
    assert not theirs.group_memberships.filter(group__project=project).exists()


def test_only_an_organization_owner_detaches(organization, owner, project):
    dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    member = UserFactory()
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_MEMBER], actor=owner)
    with pytest.raises(ServiceError) as error:
        monitoring_user_detach(attachment=attachment, actor=member)
    assert error.value.code == "USER_UNAUTHORIZED"
    assert attachment.memberships.count() == 1


def test_removing_by_hand_from_one_group_leaves_the_attachment_and_future_clusters(
    organization, owner, project
):
    a, b = dedicated(project, "A"), dedicated(project, "B")
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    user = attachment.monitoring_user

    removal = monitoring_group_member_remove(group=a.monitoring_group, monitoring_user=user, actor=owner)

    assert removal.still_attached is True
    assert "still attached" in removal.note
    assert MonitoringUserAttachment.objects.filter(pk=attachment.pk).exists()
    assert group_names(user) == [b.monitoring_group.name]
    later = dedicated(project, "Later")
    assert group_names(user) == sorted([b.monitoring_group.name, later.monitoring_group.name])
    # and detaching still removes it from every group the attachment put it in
    assert monitoring_user_detach(attachment=attachment, actor=owner)["groups"] == sorted(
        [b.monitoring_group.name, later.monitoring_group.name]
    )


def test_linked_user_must_be_a_member_and_have_no_other_monitoring_user(organization, owner):
    outsider = UserFactory()
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(
            organization=organization, username="ann@example.com", linked_user=outsider, actor=owner
        )
    assert error.value.code == "USER_NOT_IN_ORG"

    member = UserFactory(email="carl@example.com")
    organization_member_add(organization=organization, user=member, actor=owner)
    monitoring_user_attach(organization=organization, username="carl@example.com", actor=owner)  # by email
    with pytest.raises(ServiceError) as error:
        monitoring_user_attach(
            organization=organization,
            username="carl2",
            email="c2@example.com",
            linked_user=member,
            actor=owner,
        )
    assert error.value.code == "MONITORING_USER_ALREADY_LINKED"


def test_no_group_is_left_half_filled_when_attach_is_refused(organization, owner, project):
    dedicated(project)
    MonitoringUser.objects.create(organization=organization, username="ann", email="ann@example.com")
    with pytest.raises(ServiceError):
        monitoring_user_attach(organization=organization, username="ann", group_role="OWNER", actor=owner)
    assert not MonitoringGroupMembership.objects.exists()
    assert MonitoringGroup.objects.count() == 1
