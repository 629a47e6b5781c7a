"""The users list's counts: cached under the organization's PeopleVersion, which database triggers bump on every
change that could alter what the list counts, and only then."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Invitation, OrganizationMembership, PeopleVersion
from accounts.services import organization_member_remove, project_create
from accounts.services.invitations import (
    invitation_accept_addressed,
    invitation_revoke,
    organization_invitations_create,
    project_invitations_create,
)
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def version(organization) -> int:
    return (
        PeopleVersion.objects.filter(organization_id=organization.pk)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def invite(organization, owner, email):
    (invitation,) = organization_invitations_create(organization=organization, emails=[email], actor=owner)
    return invitation


def listed(api, organization, query=""):
    """(totalCount, the COUNT queries the request ran)."""
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"{V2}/orgs/{organization.public_id}/users{query}")
    assert response.status_code == 200, response.content
    counts = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT COUNT(*) AS "__count"')
    ]
    return response.json()["totalCount"], len(counts)


def test_a_second_read_counts_nothing_and_a_change_is_counted_at_once(api, organization, owner):
    MemberFactory(organization=organization, actor=owner, email="member@example.com")
    invite(organization, owner, "invited@example.com")
    assert listed(api, organization) == (
        3,
        3,
    )  # owner, member, invitation: members, invitations, project invitees
    # Another page of the list (the first is kept whole: tests/api/test_users_page_cache.py) counts nothing.
    assert listed(api, organization, "?itemsPerPage=2") == (3, 0)

    invite(organization, owner, "second@example.com")
    assert listed(api, organization) == (4, 3)
    assert listed(api, organization, "?itemsPerPage=2") == (4, 0)


def test_every_change_of_the_listed_people_bumps_the_version(organization, owner):
    project = project_create(organization=organization, name="Bumps", actor=owner)
    steps = []

    def step(name, change):
        before = version(organization)
        change()
        steps.append((name, version(organization) > before))

    invitation = None

    def invited():
        nonlocal invitation
        invitation = invite(organization, owner, "ann@example.com")

    step("invitation made", invited)
    step(
        "project invitation made",
        lambda: project_invitations_create(project=project, emails=["pat@example.com"], actor=owner),
    )
    ann = UserFactory(email="ann@example.com")
    EmailAddress.objects.create(user=ann, email=ann.email, verified=True, primary=True)
    step("invitation accepted", lambda: invitation_accept_addressed(invitation=invitation, user=ann))
    step(
        "member removed", lambda: organization_member_remove(organization=organization, user=ann, actor=owner)
    )
    second = invite(organization, owner, "bob@example.com")
    step("invitation revoked", lambda: invitation_revoke(invitation=second, actor=owner))
    member = MemberFactory(organization=organization, actor=owner, email="carl@example.com")
    step(
        "member's address changed",
        lambda: type(member).objects.filter(pk=member.pk).update(email="carla@example.com"),
    )
    step("invitation deleted", lambda: Invitation.objects.filter(email="pat@example.com").delete())
    assert [name for name, bumped in steps if not bumped] == []


def test_what_changes_nothing_listed_bumps_nothing(organization, owner):
    invitation = invite(organization, owner, "dee@example.com")
    outsider = UserFactory(email="outsider@example.com")
    before = version(organization)
    # The expiry job: PENDING -> EXPIRED, both listed.
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.EXPIRED, expires_at=timezone.now() - timedelta(days=1)
    )
    # Someone who is no member changes their address, a member changes their name.
    type(outsider).objects.filter(pk=outsider.pk).update(email="elsewhere@example.com")
    type(owner).objects.filter(pk=owner.pk).update(first_name="Renamed")
    OrganizationMembership.objects.filter(organization=organization).update(created_at=timezone.now())
    assert version(organization) == before


def test_a_member_taking_an_invited_address_hides_the_invitation_from_the_cached_count(
    api, organization, owner
):
    member = MemberFactory(organization=organization, actor=owner, email="old@example.com")
    invite(organization, owner, "new@example.com")
    assert listed(api, organization)[0] == 3
    type(member).objects.filter(pk=member.pk).update(
        email="new@example.com"
    )  # no service: the trigger sees it
    assert listed(api, organization) == (2, 3)


def test_another_organizations_changes_leave_the_cached_count(api, organization, owner):
    from accounts.services import organization_create

    other = organization_create(name="Other", actor=owner)
    assert listed(api, organization) == (1, 3)
    invite(other, owner, "elsewhere@example.com")
    assert listed(api, organization) == (1, 0)


def test_filtered_lists_are_counted_afresh(api, organization, owner):
    invite(organization, owner, "fresh@example.com")
    late = invite(organization, owner, "late@example.com")
    Invitation.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    listed(api, organization)
    # Members are left out by these filters without a query: the two lists of invited people are counted.
    assert listed(api, organization, "?orgMembershipStatus=PENDING") == (1, 2)
    assert listed(api, organization, "?orgMembershipStatus=INVITATION_EXPIRED") == (1, 2)
    assert listed(api, organization, "?username=fresh@example.com") == (1, 3)
