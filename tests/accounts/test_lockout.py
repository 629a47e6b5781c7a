"""Lockout (django-axes): failed sign-ins per account and per address, the page that says when to retry, one
audit event per lock, the pages that take secret tokens (reset and invitation links), unlocking by command."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services.invitations import organization_invitations_create
from tests.factories import UserFactory
from tests.signin import link_in, sign_in, verified

pytestmark = pytest.mark.django_db
Event = AuditEvent.Type


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.PORTAL_BASE_URL = "https://portal.example.com"


def from_address(address) -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.fixture
def person():
    return verified(UserFactory(email="target@example.com"))


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_attempt_after_five_wrong_passwords_is_refused_even_with_the_right_one(person):
    attacker = from_address("198.51.100.7")
    answers = [sign_in(attacker, person.email, f"wrong {i}").status_code for i in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # the fifth failure starts the lock

    for client in (attacker, from_address("203.0.113.9")):  # the account is locked, from anywhere
        response = sign_in(client, person.email)
        assert response.status_code == 429
        assert not signed_in(client)

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        owner = from_address("203.0.113.9")
        assert sign_in(owner, person.email).status_code == 302
        assert signed_in(owner)


def test_the_lockout_page_says_when_to_retry(person):
    client = from_address("198.51.100.7")
    for i in range(5):
        response = sign_in(client, person.email, f"wrong {i}")

    text = response.content.decode()
    assert "Too many failed attempts" in text
    assert "in about 15 minutes" in text
    assert 14 * 60 <= int(response["Retry-After"]) <= 15 * 60 + 1
    until = (timezone.now() + timedelta(minutes=15)).strftime("%Y-%m-%d %H:")
    assert until in text and "UTC" in text


def test_a_lock_is_audited_once_however_many_attempts_follow(person):
    from prometheus_client import REGISTRY

    def locks():
        return REGISTRY.get_sample_value("accessportal_lockouts_total", {"kind": "sign_in"}) or 0

    before = locks()
    client = from_address("198.51.100.7")
    for i in range(9):
        sign_in(client, person.email, f"wrong {i}")

    assert locks() == before + 1  # counted once in the metrics too

    [event] = AuditEvent.objects.filter(event_type=Event.SIGN_IN_LOCKED_OUT)
    assert event.details["email"] == person.email
    assert event.details["remoteAddress"] == "198.51.100.7"
    assert event.details["failures"] == 5
    assert event.client_ip == "198.51.100.7"


def test_one_address_guessing_many_accounts_is_locked(person):
    guesser = from_address("198.51.100.7")
    for i in range(5):
        sign_in(guesser, f"nobody{i}@example.com", "guess")

    assert sign_in(guesser, person.email).status_code == 429
    assert not signed_in(guesser)
    elsewhere = from_address("203.0.113.9")
    assert sign_in(elsewhere, person.email).status_code == 302  # the account itself is not locked


def test_a_successful_sign_in_clears_the_earlier_failures(person):
    client = from_address("198.51.100.7")
    for i in range(4):
        sign_in(client, person.email, f"wrong {i}")
    assert sign_in(client, person.email).status_code == 302
    client.post("/accounts/logout/")

    for i in range(4):
        assert sign_in(client, person.email, f"wrong {i}").status_code == 200


def test_the_admin_signs_in_through_the_same_locked_page(person):
    client = from_address("198.51.100.7")
    for i in range(5):
        sign_in(client, person.email, f"wrong {i}")

    assert client.get("/admin/login/")["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/login/?next=/admin/", {"login": person.email, "password": "x"}).status_code == 429


def test_an_unlock_command_ends_the_lock(person):
    client = from_address("198.51.100.7")
    for i in range(5):
        sign_in(client, person.email, f"wrong {i}")

    call_command("axes_reset_username", person.email)
    call_command("axes_reset_ip", "198.51.100.7")

    assert sign_in(client, person.email).status_code == 302


def test_guessed_invitation_links_lock_the_address(organization, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(organization=organization, emails=["new@example.com"], actor=owner)
    real = link_in(mail.outbox[-1])
    guesser = from_address("198.51.100.7")

    answers = [guesser.get(f"/invitations/guess{i}/").status_code for i in range(5)]

    assert answers == [404, 404, 404, 404, 429]
    assert guesser.get(real).status_code == 429  # even the right link, until the cool-off
    assert from_address("203.0.113.9").get(real).status_code == 200


def test_guessed_password_reset_links_lock_the_address(person):
    guesser = from_address("198.51.100.7")

    answers = [guesser.get(f"/accounts/password/reset/key/1-guess{i}/").status_code for i in range(5)]

    assert answers == [200, 200, 200, 200, 429]  # allauth says "bad token" with a 200, then the lock
    assert guesser.post("/accounts/password/reset/", {"email": person.email}).status_code == 429
    assert from_address("203.0.113.9").post("/accounts/password/reset/", {"email": person.email}).status_code == 302
