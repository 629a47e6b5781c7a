"""Least-privilege staff roles: groups made by a migration, each with exactly its permissions; the admin shows
each only what it may use (walked list by list as each group); staff need two-factor authentication."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Invitation
from accounts.services.invitations import organization_invitations_create
from staff.roles import AUDITORS, EXPORT, PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS, wanted_permissions
from support.models import SupportAccessDecision, SupportReach
from tests.accounts.test_admin import admin_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PORTAL_APPS = {"accounts", "monitoring", "support"}


def staff_in(group_name, **fields):
    user = UserFactory(is_staff=True, totp=True, **fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def labels(group_name) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def test_the_migration_makes_each_group_with_exactly_its_permissions():
    wanted = wanted_permissions(Permission)
    for name in (PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS, AUDITORS):
        assert set(Group.objects.get(name=name).permissions.values_list("pk", flat=True)) == wanted[name], (
            name
        )

    assert labels(SUPPORT_ENGINEERS) == {"support.view_supportreach", "support.view_supportaccessdecision"}
    auditor = labels(AUDITORS)
    assert EXPORT in auditor
    assert all(label.split(".")[1].startswith("view_") for label in auditor - {EXPORT}), "auditors only read"
    administrator = labels(PORTAL_ADMINISTRATORS)
    assert {
        "accounts.manage_organization_members",
        "accounts.change_user",
        "support.change_supportaccessgrant",
    } <= administrator
    assert not any(label.startswith("auth.change") or label.startswith("auth.add") for label in administrator)


def _registered():
    """(model, changelist url) of every model in the admin."""
    return [(model, admin_url(model)) for model in admin.site._registry]


def _index_models(client) -> set[str]:
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return {
        f"{app['app_label']}.{m['object_name'].lower()}"
        for app in response.context["app_list"]
        for m in app["models"]
    }


def test_an_auditor_reads_every_portal_list_and_changes_nothing(client, organization, owner):
    auditor = staff_in(AUDITORS)
    client.force_login(auditor)
    invitation = organization_invitations_create(
        organization=organization, emails=["new@example.com"], actor=owner
    )[0]

    shown = _index_models(client)

    for model, url in _registered():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if model._meta.app_label in PORTAL_APPS and model is not SupportReach:
            assert label in shown, label
            response = client.get(url)
            assert response.status_code == 200, url
            assert not response.context["cl"].model_admin.get_actions(response.wsgi_request), label
    refused = client.post(admin_url(Invitation), {"action": "revoke", "_selected_action": [invitation.pk]})
    assert refused.status_code in (200, 302, 403)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    page = client.get(admin_url(Invitation, "change", invitation.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_a_support_engineer_sees_their_reach_and_their_own_decisions_only(client, organization, owner):
    engineer = staff_in(SUPPORT_ENGINEERS)
    other = staff_in(SUPPORT_ENGINEERS)
    client.force_login(engineer)
    cluster_project = services.project_create(organization=organization, name="P", actor=owner)
    from tests.factories import ClusterFactory

    cluster = ClusterFactory(project=cluster_project)
    from support.services import support_access_decide

    support_access_decide(engineer=engineer, cluster=cluster, scope="INFRASTRUCTURE")
    support_access_decide(engineer=other, cluster=cluster, scope="INFRASTRUCTURE")

    assert _index_models(client) == {"support.supportreach", "support.supportaccessdecision"}
    for model, url in _registered():
        expected = 200 if model in (SupportReach, SupportAccessDecision) else 403
        assert client.get(url).status_code == expected, url
    decisions = client.get(admin_url(SupportAccessDecision)).context["cl"].result_list
    assert [d.engineer_id for d in decisions] == [engineer.pk]


def test_a_portal_administrator_acts_through_the_services(client, organization, owner):
    administrator = staff_in(PORTAL_ADMINISTRATORS)
    client.force_login(administrator)
    invitation = organization_invitations_create(
        organization=organization, emails=["new@example.com"], actor=owner
    )[0]

    for model, url in _registered():
        if model._meta.app_label in PORTAL_APPS and model is not SupportReach:
            assert client.get(url).status_code == 200, url
    client.post(admin_url(Invitation), {"action": "revoke", "_selected_action": [invitation.pk], "confirmed": "yes"})

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert AuditEvent.objects.filter(actor=administrator, event_type="ORG_INVITATION_DELETED").exists()


def test_a_portal_administrator_cannot_make_a_superuser(client):
    administrator = staff_in(PORTAL_ADMINISTRATORS)
    client.force_login(administrator)
    target = UserFactory()
    from accounts.errors import ServiceError
    from accounts.services.staff import user_staff_access_update

    with pytest.raises(ServiceError):
        user_staff_access_update(user=target, actor=administrator, is_superuser=True)


@pytest.mark.parametrize("group_name", [PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS, AUDITORS])
def test_staff_of_every_role_need_two_factor_for_the_admin(client, group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    client.force_login(user)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
