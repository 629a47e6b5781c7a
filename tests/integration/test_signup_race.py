"""Two anonymous sign-ups from one invitation link at once (PostgreSQL row locks): one account is made and
accepts; the other gets the "already accepted" page, never a 500 (IntegrityError on the email)."""

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client

from accounts.errors import ServiceError
from accounts.models import Invitation, OrganizationMembership
from accounts.services import organization_create
from accounts.services.invitations import invitation_signup_accept, organization_invitations_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run each call in its own thread (own connection, own transaction), released together; returns what
    each returned, or the code of its ServiceError, or the exception itself."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except ServiceError as error:
            outcomes[index] = error.code
        except Exception as error:  # what the bug was: an IntegrityError
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def link():
    alice = UserFactory()
    organization = organization_create(name="Invited", actor=alice)
    organization_invitations_create(organization=organization, emails=["newcomer@example.com"], actor=alice)
    path = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)
    return organization, path, path.rstrip("/").rsplit("/", 1)[1]


def test_two_signups_at_once_make_one_account_and_refuse_the_other(link):
    organization, _, token = link

    def signup():
        user = invitation_signup_accept(
            token=token, email="newcomer@example.com", password="a-long-pass-phrase", first_name="N", last_name="C"
        )
        return "ok" if user.pk else None

    outcomes = race(signup, signup)

    assert sorted(map(str, outcomes)) == ["INVITATION_ALREADY_USED", "ok"]
    assert get_user_model().objects.filter(email__iexact="newcomer@example.com").count() == 1
    assert OrganizationMembership.objects.filter(organization=organization).count() == 2


def test_two_signup_pages_posted_at_once_answer_302_and_the_already_accepted_page(link):
    organization, path, _ = link
    form = {"first_name": "New", "last_name": "Comer", "password": "a-long-pass-phrase"}

    outcomes = race(lambda: Client().post(path, form), lambda: Client().post(path, form))

    statuses = sorted(getattr(response, "status_code", response) for response in outcomes)
    assert statuses == [302, 409], outcomes
    refused = next(r for r in outcomes if r.status_code == 409)
    assert "already been accepted" in refused.content.decode()
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED
