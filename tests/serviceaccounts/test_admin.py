"""Service accounts in the Django admin: listed, shown with secrets masked, deleted through the service."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from serviceaccounts.models import ServiceAccount

pytestmark = pytest.mark.django_db


def test_listed_and_shown_without_secrets(admin_client, service_account):
    account, secret = service_account
    listing = admin_client.get(
        reverse("admin:serviceaccounts_serviceaccount_changelist"), {"q": account.client_id}
    )
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [account]
    page = admin_client.get(reverse("admin:serviceaccounts_serviceaccount_change", args=[account.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert account.secrets.get().masked_value in html and secret not in html
    add = admin_client.get(reverse("admin:serviceaccounts_serviceaccount_add"))
    assert add.status_code == 403


def test_deleting_goes_through_the_service(admin_client, service_account):
    account, _ = service_account
    url = reverse("admin:serviceaccounts_serviceaccount_delete", args=[account.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not ServiceAccount.objects.exists()
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_DELETED").exists()
