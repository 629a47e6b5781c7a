"""The organization's owners are emailed when a grant is made, revoked or expires: every owner who is a person
(never an API key, never a deactivated user), after commit, nothing when the change is refused."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import OutboundEmail
from accounts.services import organization_member_add
from accounts.services.api_keys import api_key_create
from support.models import SupportAccessGrant
from support.services import support_grant_create, support_grant_revoke, support_grants_expire_due
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType


@pytest.fixture
def owners(organization, owner):
    """Two owners who are people, one deactivated owner, and an API key with the owner role."""
    second = UserFactory(email="second.owner@example.com")
    organization_member_add(organization=organization, user=second, roles=[roles.ORG_OWNER], actor=owner)
    gone = UserFactory(email="gone.owner@example.com")
    organization_member_add(organization=organization, user=gone, roles=[roles.ORG_OWNER], actor=owner)
    gone.is_active = False
    gone.save()
    api_key_create(organization=organization, description="ci", roles=[roles.ORG_OWNER], actor=owner)
    return sorted([owner.email, second.email])


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def test_every_owner_is_told_when_a_grant_is_made(blocked, owners, group_owner, cluster, committed):
    mail.outbox.clear()
    made = committed(
        support_grant_create, cluster=cluster, grant_type=GrantType.CLUSTER_DATABASE_LOGS, actor=group_owner
    )

    assert recipients() == owners  # not the project owner who granted it: not an organization owner
    message = mail.outbox[0]
    assert message.subject == "Support access to cluster Cluster0 in Production was granted"
    assert group_owner.email in message.body
    assert "Only database logs" in message.body
    assert made.expires_at.strftime("%Y-%m-%d %H:%M UTC") in message.body
    assert f"https://portal.example.com/projects/{cluster.project.public_id}/clusters/" in message.body
    assert "Cluster0" in message.alternatives[0][0]


def test_every_owner_is_told_when_a_grant_is_replaced(blocked, owners, owner, cluster, committed):
    committed(support_grant_create, cluster=cluster, grant_type=GrantType.CLUSTER_DATABASE_LOGS, actor=owner)
    mail.outbox.clear()
    committed(support_grant_create, cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)

    assert recipients() == owners
    assert "replaces the grant that was in force (Only database logs" in mail.outbox[0].body


def test_every_owner_is_told_when_a_grant_is_revoked(blocked, owners, owner, cluster, committed):
    committed(support_grant_create, cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    mail.outbox.clear()

    committed(support_grant_revoke, cluster=cluster, actor=owner)

    assert recipients() == owners
    assert all(
        m.subject == "Support access to cluster Cluster0 in Production was revoked" for m in mail.outbox
    )
    assert f"{owner.email} revoked" in mail.outbox[0].body


def test_every_owner_is_told_when_a_grant_expires(blocked, owners, owner, cluster, committed):
    made = committed(
        support_grant_create, cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner
    )
    mail.outbox.clear()
    with time_machine.travel(made.expires_at + timedelta(seconds=30), tick=False):
        committed(support_grants_expire_due)

    assert recipients() == owners
    assert all(m.subject == "Support access to cluster Cluster0 in Production expired" for m in mail.outbox)


def test_a_refused_grant_sends_nothing(
    organization, owners, owner, cluster, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with pytest.raises(ServiceError), django_capture_on_commit_callbacks(execute=True):
        support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_emails_wait_for_the_commit(blocked, owners, owner, cluster, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        support_grant_create(
            cluster=cluster,
            grant_type=GrantType.CLUSTER_INFRASTRUCTURE,
            expires_at=timezone.now() + timedelta(hours=2),
            actor=owner,
        )
    assert len(callbacks) == 1  # one task publishes the owners' messages, as a batch
    assert OutboundEmail.objects.filter(to__in=owners).count() == len(owners)
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == owners
