"""The monitoring admin: attach and detach (page and action), groups and members by hand, all through the
services; a refusal changes nothing and is shown."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AuditEvent
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import (
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
)
from monitoring.services import monitoring_user_attach

from .conftest import dedicated

pytestmark = pytest.mark.django_db


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:monitoring_{model._meta.model_name}_{view}", args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "model", [MonitoringUser, MonitoringUserAttachment, MonitoringGroup, MonitoringGroupMembership]
)
def test_every_list_and_change_page_renders(admin_client, organization, owner, project, model):
    dedicated(project)
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    assert admin_client.get(admin_url(model)).status_code == 200
    assert admin_client.get(admin_url(model), {"q": "ann"}).status_code == 200
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_attaching_in_the_admin_goes_through_the_service(admin_client, admin_user, organization, project):
    cluster = dedicated(project)
    response = admin_client.post(
        admin_url(MonitoringUserAttachment, "add"),
        {"organization": organization.pk, "username": "ann@example.com", "email": "", "group_role": "ADMIN"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    attachment = MonitoringUserAttachment.objects.get()
    assert attachment.attached_by == admin_user
    assert cluster.monitoring_group.memberships.get().attachment == attachment
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_USER_ATTACHED).exists()


def test_a_refused_attach_is_shown_on_the_form(admin_client, organization, owner):
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    response = admin_client.post(
        admin_url(MonitoringUserAttachment, "add"),
        {"organization": organization.pk, "username": "ANN@example.com", "group_role": "MEMBER"},
    )
    assert response.status_code == 200
    assert "already attached" in response.content.decode()
    assert MonitoringUserAttachment.objects.count() == 1


def test_the_detach_action_removes_each_from_every_group(admin_client, organization, owner, project):
    dedicated(project, "a")
    dedicated(project, "b")
    ann = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    bob = monitoring_user_attach(organization=organization, username="bob@example.com", actor=owner)

    response = admin_client.post(
        admin_url(MonitoringUserAttachment),
        {"action": "detach", "_selected_action": [str(ann.pk), str(bob.pk)], "confirmed": "yes"},
    )

    assert response.status_code == 302
    assert "Detached 2 monitoring user(s); 4 group membership(s) removed." in message_texts(response)
    assert not MonitoringUserAttachment.objects.exists()
    assert not MonitoringGroupMembership.objects.exists()
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_USER_DETACHED).count() == 2


def test_deleting_an_attachment_is_a_detach(admin_client, organization, owner, project):
    dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    admin_client.post(admin_url(MonitoringUserAttachment, "delete", attachment.pk), {"post": "yes"})
    assert not MonitoringGroupMembership.objects.exists()
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_USER_DETACHED).exists()


def test_a_reserved_group_name_is_refused_in_the_admin(admin_client, project):
    response = admin_client.post(
        admin_url(MonitoringGroup, "add"), {"project": project.pk, "name": "mongolab_x"}
    )
    assert response.status_code == 200
    assert "reserved" in response.content.decode()
    assert not MonitoringGroup.objects.exists()
    response = admin_client.post(admin_url(MonitoringGroup, "add"), {"project": project.pk, "name": "ops"})
    assert response.status_code == 302
    assert MonitoringGroup.objects.get().name == "ops"


def test_a_system_group_cannot_be_deleted_in_the_admin(admin_client, project):
    group = dedicated(project).monitoring_group
    response = admin_client.post(admin_url(MonitoringGroup, "delete", group.pk), {"post": "yes"})
    assert response.status_code == 302
    assert MonitoringGroup.objects.filter(pk=group.pk).exists()
    assert any("managed by the system" in text for text in message_texts(response))


def test_a_superuser_may_add_a_member_to_a_system_group_by_hand(admin_client, project):
    group = dedicated(project).monitoring_group
    response = admin_client.post(
        admin_url(MonitoringGroupMembership, "add"),
        {"group": group.pk, "username": "support@example.com", "email": "", "role": "MEMBER"},
    )
    assert response.status_code == 302
    assert group.memberships.get().source == MonitoringGroupMembership.Source.MANUAL


def test_removing_members_by_hand_in_the_admin_keeps_attachments(admin_client, organization, owner, project):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    membership = cluster.monitoring_group.memberships.get()

    response = admin_client.post(
        admin_url(MonitoringGroupMembership),
        {"action": "remove_by_hand", "_selected_action": [str(membership.pk)], "confirmed": "yes"},
    )

    assert response.status_code == 302
    assert any("1 of them are still attached" in text for text in message_texts(response))
    assert MonitoringUserAttachment.objects.filter(pk=attachment.pk).exists()
    assert not cluster.monitoring_group.memberships.exists()
