"""The API key admin's "Disable" and "Enable" actions: each asks first on a page of its own that takes the reason
(no JavaScript needed), changes nothing until confirmed with a valid reason, goes through the staff services
(audited) and says what it did; the change page and the list show the key's state; staff who may not change
API keys have no such action."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import ApiKey, AuditEvent
from accounts.services import staff as staff_services
from accounts.services.api_keys import api_key_create
from staff.roles import AUDITORS, PORTAL_ADMINISTRATORS
from tests.accounts.test_admin import admin_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Event = AuditEvent.Type


@pytest.fixture
def keys(organization, owner):
    return [
        api_key_create(organization=organization, description=name, roles=[roles.ORG_MEMBER], actor=owner)[0]
        for name in ("Deploy bot", "Backups")
    ]


def _chosen(action, keys, **extra):
    return {"action": action, "_selected_action": [str(k.pk) for k in keys], **extra}


def _disabled(keys) -> list[bool]:
    return [ApiKey.objects.get(pk=k.pk).is_disabled for k in keys]


def test_disabling_asks_for_a_reason_first_and_changes_nothing_until_yes(admin_client, keys):
    asked = admin_client.post(admin_url(ApiKey), _chosen("disable", keys))

    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/staff/confirm_action.html"
    page = asked.content.decode()
    assert "Disable selected API keys?" in page
    assert "Deploy bot" in page and "Backups" in page and "2 selected" in page
    assert 'name="confirmed" value="yes"' in page and 'name="reason"' in page
    assert "refused (401)" in page  # says what it will do
    assert _disabled(keys) == [False, False]
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_DISABLED).exists()


def test_confirming_without_a_reason_shows_the_page_again_with_the_error(admin_client, keys):
    again = admin_client.post(admin_url(ApiKey), _chosen("disable", keys, confirmed="yes", reason=""))

    assert again.status_code == 200
    assert again.templates[0].name == "admin/staff/confirm_action.html"
    assert "This field is required." in again.content.decode()
    assert _disabled(keys) == [False, False]


def test_a_reason_the_service_refuses_changes_nothing_and_says_why(admin_client, keys):
    response = admin_client.post(
        admin_url(ApiKey), _chosen("disable", keys, confirmed="yes", reason="bad\u202etext"), follow=True
    )

    assert "Nothing was changed." in response.content.decode()
    assert _disabled(keys) == [False, False]


def test_confirming_disables_each_key_through_the_service_and_says_so(admin_client, admin_user, keys):
    staff_services.api_key_disable(api_key=keys[1], actor=admin_user, reason="earlier")

    response = admin_client.post(
        admin_url(ApiKey), _chosen("disable", keys, confirmed="yes", reason="abuse report #42"), follow=True
    )

    assert _disabled(keys) == [True, True]
    page = response.content.decode()
    assert "Disabled 1 API key(s); 1 disabled already were left as they are." in page
    events = AuditEvent.objects.filter(event_type=Event.API_KEY_DISABLED).order_by("id")
    assert [(e.target_id, e.details["reason"], e.actor) for e in events] == [
        (keys[1].public_id, "earlier", admin_user),
        (keys[0].public_id, "abuse report #42", admin_user),
    ]
    assert ApiKey.objects.get(pk=keys[1].pk).disabled_reason == "earlier"


def test_enabling_asks_first_then_enables_through_the_service(admin_client, admin_user, keys):
    staff_services.api_key_disable(api_key=keys[0], actor=admin_user, reason="abuse")

    asked = admin_client.post(admin_url(ApiKey), _chosen("enable", keys[:1]))
    assert asked.templates[0].name == "admin/staff/confirm_action.html"
    assert "Enable selected API keys again?" in asked.content.decode()
    assert _disabled(keys[:1]) == [True]

    response = admin_client.post(admin_url(ApiKey), _chosen("enable", keys, confirmed="yes"), follow=True)

    assert _disabled(keys) == [False, False]
    assert "Enabled 1 API key(s); 1 not disabled were left as they are." in response.content.decode()
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ENABLED)
    assert event.target_id == keys[0].public_id and "reason" not in event.details


def test_the_change_page_and_the_list_show_the_state(admin_client, admin_user, keys):
    staff_services.api_key_disable(api_key=keys[0], actor=admin_user, reason="abuse report #42")

    page = admin_client.get(admin_url(ApiKey, "change", keys[0].pk)).content.decode()
    assert '<div class="readonly">disabled by staff</div>' in page
    assert "abuse report #42" in page and admin_user.email in page
    other = admin_client.get(admin_url(ApiKey, "change", keys[1].pk)).content.decode()
    assert '<div class="readonly">active</div>' in other
    listed = admin_client.get(admin_url(ApiKey), {"disabled_at__isnull": "False"}).content.decode()
    assert "Deploy bot" in listed and "Backups" not in listed


def test_staff_who_may_not_change_api_keys_have_no_such_action(client, keys):
    auditor = UserFactory(is_staff=True, totp=True)
    auditor.groups.add(Group.objects.get(name=AUDITORS))
    client.force_login(auditor)

    listed = client.get(admin_url(ApiKey))
    assert listed.status_code == 200
    assert b'value="disable"' not in listed.content
    client.post(admin_url(ApiKey), _chosen("disable", keys, confirmed="yes", reason="abuse"))
    assert _disabled(keys) == [False, False]


def test_a_portal_administrator_has_the_actions(client, keys):
    administrator = UserFactory(is_staff=True, totp=True)
    administrator.groups.add(Group.objects.get(name=PORTAL_ADMINISTRATORS))
    client.force_login(administrator)

    assert b'value="disable"' in client.get(admin_url(ApiKey)).content
    client.post(admin_url(ApiKey), _chosen("disable", keys[:1], confirmed="yes", reason="abuse"))
    assert _disabled(keys) == [True, False]


def test_who_reaches_a_cluster_marks_a_disabled_key(admin_client, admin_user, keys, project, owner):
    from accounts.models import Cluster
    from accounts.services.api_keys import api_key_project_assign
    from tests.factories import ClusterFactory

    cluster = ClusterFactory(project=project)
    for api_key in keys:
        api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    staff_services.api_key_disable(api_key=keys[0], actor=admin_user, reason="abuse")

    page = admin_client.get(admin_url(Cluster, "change", cluster.pk)).content.decode()

    assert f"{keys[0].public_key} (Deploy bot) (disabled)" in page
    assert (
        f"{keys[1].public_key} (Backups)" in page and f"{keys[1].public_key} (Backups) (disabled)" not in page
    )
