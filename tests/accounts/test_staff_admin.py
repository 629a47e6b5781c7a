"""The staff admin: deactivating an organization's only active owner is refused like every other last-owner
path; active, staff and superuser status, model-wide permissions and staff groups change through a service that
audits them and refuses escalation; the Support group can be given to a staff user."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts import roles, services
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Invitation, User
from accounts.services import staff as staff_services
from accounts.services.invitations import organization_invitations_create
from support.selectors import is_support_engineer
from tests.accounts.test_admin import admin_url, form_data, messages_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def events(event_type, user=None):
    found = AuditEvent.objects.filter(event_type=event_type)
    return list(found.filter(target_id=user.public_id) if user is not None else found)


def deactivate(admin_client, *users):
    return admin_client.post(
        admin_url(User),
        {"action": "deactivate", "_selected_action": [str(u.pk) for u in users], "confirmed": "yes"},
        follow=True,
    )


def post_change(admin_client, user, **changes):
    page = admin_client.get(admin_url(User, "change", user.pk))
    data = form_data(page)
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return admin_client.post(admin_url(User, "change", user.pk), data, follow=True)


# ---- deactivation -----------------------------------------------------------------------------------------------


def test_deactivating_an_organizations_only_owner_is_refused(admin_client, organization, owner):
    response = deactivate(admin_client, owner)

    owner.refresh_from_db()
    assert owner.is_active
    assert any("last active Organization Owner" in m for m in messages_of(response))
    assert events("USER_DEACTIVATED") == []


def test_deactivating_one_of_two_owners_works_and_is_audited(admin_client, organization, owner):
    other = UserFactory()
    services.organization_member_add(organization=organization, user=other, roles=[roles.ORG_OWNER], actor=owner)

    deactivate(admin_client, owner)

    owner.refresh_from_db()
    assert not owner.is_active
    assert len(events("USER_DEACTIVATED", owner)) == 1


def test_deactivating_both_owners_at_once_changes_nothing(admin_client, organization, owner):
    other = UserFactory()
    services.organization_member_add(organization=organization, user=other, roles=[roles.ORG_OWNER], actor=owner)

    response = deactivate(admin_client, owner, other)

    assert User.objects.filter(pk__in=[owner.pk, other.pk], is_active=True).count() == 2
    assert any("Nothing was changed" in m for m in messages_of(response))


def test_a_projects_only_owner_cannot_be_deactivated_either(admin_client, organization, project, owner):
    lead = UserFactory()
    services.project_member_add(project=project, user=lead, roles=[roles.GROUP_OWNER], actor=owner)
    services.project_member_remove(project=project, user=owner, actor=owner)

    deactivate(admin_client, lead)

    lead.refresh_from_db()
    assert lead.is_active


def test_unticking_active_on_the_change_page_is_refused_for_the_only_owner(admin_client, organization, owner):
    response = post_change(admin_client, owner, is_active=False)

    owner.refresh_from_db()
    assert owner.is_active
    assert any("Nothing was saved" in m for m in messages_of(response))


def test_a_deactivated_owner_no_longer_counts_as_the_other_owner(organization, owner):
    """Removal and demotion ask for another *active* owner too: else deactivating one owner, then removing the
    other, would leave the organization with no active owner."""
    other = UserFactory()
    services.organization_member_add(organization=organization, user=other, roles=[roles.ORG_OWNER], actor=owner)
    staff = UserFactory(is_staff=True, is_superuser=True)
    staff_services.user_deactivate(user=other, actor=staff)

    with pytest.raises(ServiceError) as refused:
        services.organization_member_remove(organization=organization, user=owner, actor=staff)
    assert refused.value.code == "CANNOT_REMOVE_LAST_ORG_OWNER"


def test_deactivation_revokes_the_pending_invitations_they_sent(organization, owner):
    other = UserFactory()
    services.organization_member_add(organization=organization, user=other, roles=[roles.ORG_OWNER], actor=owner)
    invitation = organization_invitations_create(organization=organization, emails=["x@example.com"], actor=owner)[0]

    staff_services.user_deactivate(user=owner, actor=UserFactory(is_staff=True, is_superuser=True))

    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.REVOKED


# ---- staff status, permissions and groups -----------------------------------------------------------------------


def test_staff_and_superuser_status_changes_are_audited(admin_client, owner):
    post_change(admin_client, owner, is_staff=True, is_superuser=True)

    owner.refresh_from_db()
    assert owner.is_staff and owner.is_superuser
    changes = {(e.details["field"], e.details["to"]) for e in events("USER_STAFF_STATUS_CHANGED", owner)}
    assert changes == {("is_staff", True), ("is_superuser", True)}
    assert all(e.actor_email == "admin@example.com" for e in events("USER_STAFF_STATUS_CHANGED"))


def test_model_wide_permission_changes_are_audited(admin_client, owner):
    permission = Permission.objects.get(codename="view_auditevent")

    post_change(admin_client, owner, user_permissions=[str(permission.pk)])

    assert owner.user_permissions.filter(pk=permission.pk).exists()
    (event,) = events("USER_PERMISSIONS_CHANGED", owner)
    assert event.details == {"added": ["accounts.view_auditevent"], "removed": []}


def test_the_support_group_can_be_given_to_a_staff_user_and_it_is_audited(admin_client):
    engineer = UserFactory(email="eng@example.com", is_staff=True)
    support = Group.objects.get(name="Support")
    assert not is_support_engineer(engineer)

    response = post_change(admin_client, engineer, groups=[str(support.pk)])

    assert response.status_code == 200
    assert is_support_engineer(User.objects.get(pk=engineer.pk))
    (event,) = events("USER_STAFF_GROUPS_CHANGED", engineer)
    assert event.details == {"added": ["Support"], "removed": []}


def test_the_user_page_offers_staff_groups_not_teams_groups(admin_client, organization, owner):
    team = services.team_create(organization=organization, name="Platform", members=[owner], actor=owner)

    form = admin_client.get(admin_url(User, "change", owner.pk)).context["adminform"].form
    offered = set(form.fields["groups"].queryset)

    assert Group.objects.get(name="Support") in offered
    assert team.group not in offered
    post_change(admin_client, owner, groups=[str(Group.objects.get(name="Support").pk)])
    assert owner.groups.filter(pk=team.group_id).exists()  # the team's group is left as the team has it


def test_staff_cannot_grant_what_they_do_not_hold(client):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    target = UserFactory()

    with pytest.raises(ServiceError) as refused:
        staff_services.user_staff_access_update(
            user=target, actor=clerk, permissions=[Permission.objects.get(codename="delete_organization")]
        )
    assert refused.value.code == "ROLE_ESCALATION"
    with pytest.raises(ServiceError):
        staff_services.user_staff_access_update(user=target, actor=User.objects.get(pk=clerk.pk), is_superuser=True)
    with pytest.raises(ServiceError):
        staff_services.user_staff_access_update(
            user=clerk, actor=User.objects.get(pk=clerk.pk), permissions=list(Permission.objects.all())
        )
    assert not target.user_permissions.exists() and not User.objects.get(pk=target.pk).is_superuser


def test_staff_group_permission_changes_are_audited(admin_client):
    permission = Permission.objects.get(codename="view_auditevent")

    admin_client.post(admin_url(Group, "add"), {"name": "Trail readers", "permissions": [str(permission.pk)]})
    group = Group.objects.get(name="Trail readers")
    admin_client.post(admin_url(Group, "change", group.pk), {"name": "Trail readers", "permissions": []})
    admin_client.post(admin_url(Group, "delete", group.pk), {"post": "yes"})

    assert events("STAFF_GROUP_CREATED")[0].details == {"permissions": ["accounts.view_auditevent"]}
    assert events("STAFF_GROUP_CHANGED")[0].details == {"added": [], "removed": ["accounts.view_auditevent"]}
    assert len(events("STAFF_GROUP_DELETED")) == 1
    assert not Group.objects.filter(name="Trail readers").exists()
