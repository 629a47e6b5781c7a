"""The last ORG_OWNER / GROUP_OWNER survives two removals that race (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import OrganizationRole, ProjectRole
from accounts.services import (
    organization_create,
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_create,
    project_member_add,
    project_member_remove,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run each call in its own thread (own connection, own transaction), released together."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            call()
            outcomes[index] = "ok"
        except ServiceError as error:
            outcomes[index] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_owners_removing_each_other_leaves_one_owner():
    alice, bob = UserFactory(), UserFactory()
    organization = organization_create(name="Raced", actor=alice)
    organization_member_add(organization=organization, user=bob, roles=[roles.ORG_OWNER], actor=alice)

    outcomes = race(
        lambda: organization_member_remove(organization=organization, user=alice, actor=alice),
        lambda: organization_member_remove(organization=organization, user=bob, actor=bob),
    )

    assert sorted(outcomes) == ["CANNOT_REMOVE_LAST_ORG_OWNER", "ok"]
    assert (
        OrganizationRole.objects.filter(membership__organization=organization, name=roles.ORG_OWNER).count()
        == 1
    )


def test_removal_racing_a_demotion_leaves_one_owner():
    alice, bob = UserFactory(), UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    organization = organization_create(name="Raced", actor=alice)
    organization_member_add(organization=organization, user=bob, roles=[roles.ORG_OWNER], actor=alice)

    outcomes = race(
        lambda: organization_member_roles_set(
            organization=organization, user=alice, roles=[roles.ORG_MEMBER], actor=staff
        ),
        lambda: organization_member_remove(organization=organization, user=bob, actor=staff),
    )

    assert sorted(outcomes) == ["CANNOT_REMOVE_LAST_ORG_OWNER", "ok"]
    assert (
        OrganizationRole.objects.filter(membership__organization=organization, name=roles.ORG_OWNER).count()
        == 1
    )


def test_two_project_owners_removed_at_once_leaves_one():
    alice, bob = UserFactory(), UserFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    organization = organization_create(name="Raced", actor=alice)
    project = project_create(organization=organization, name="P", actor=alice)
    project_member_add(project=project, user=bob, roles=[roles.GROUP_OWNER], actor=alice)

    outcomes = race(
        lambda: project_member_remove(project=project, user=alice, actor=staff),
        lambda: project_member_remove(project=project, user=bob, actor=staff),
    )

    assert sorted(outcomes) == ["CANNOT_REMOVE_LAST_GROUP_OWNER", "ok"]
    assert ProjectRole.objects.filter(membership__project=project, name=roles.GROUP_OWNER).count() == 1


def test_two_simultaneous_accepts_of_one_invitation_cannot_both_succeed():
    import re

    from django.core import mail

    from accounts.models import OrganizationMembership
    from accounts.services.invitations import invitation_accept, organization_invitations_create

    alice = UserFactory()
    organization = organization_create(name="Invited", actor=alice)
    organization_invitations_create(organization=organization, emails=["bob@example.com"], actor=alice)
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    bob = UserFactory(email="bob@example.com")

    outcomes = race(
        lambda: invitation_accept(token=token, user=bob),
        lambda: invitation_accept(token=token, user=bob),
    )

    assert sorted(outcomes) == ["INVITATION_ALREADY_USED", "ok"]
    assert OrganizationMembership.objects.filter(organization=organization, user=bob).count() == 1


def test_two_role_additions_at_once_both_stick():
    from accounts.services import organization_member_role_add

    alice, bob = UserFactory(), UserFactory()
    organization = organization_create(name="Roles", actor=alice)
    organization_member_add(organization=organization, user=bob, actor=alice)

    outcomes = race(
        lambda: organization_member_role_add(
            organization=organization, user=bob, role=roles.ORG_READ_ONLY, actor=alice
        ),
        lambda: organization_member_role_add(
            organization=organization, user=bob, role=roles.ORG_GROUP_CREATOR, actor=alice
        ),
    )

    assert outcomes == ["ok", "ok"]
    names = set(OrganizationRole.objects.filter(membership__user=bob).values_list("name", flat=True))
    assert names == {roles.ORG_MEMBER, roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR}
