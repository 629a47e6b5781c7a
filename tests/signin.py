"""Helpers of the sign-in tests: sign in through allauth's pages as a browser would, read the links of the
emails the outbox sent."""

import re

from accounts.services.signin import user_email_verified_set

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def verified(user):
    """The user's address recorded as verified, as the demo data, invitations and createsuperuser do."""
    user_email_verified_set(user=user)
    return user


def sign_in(client, email, password=PASSWORD, **extra):
    """POST the sign-in form; returns the response (a redirect when the password was right)."""
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def reauthenticate(client, password=PASSWORD):
    """Confirm the password again, as allauth asks before two-factor is turned on or off."""
    return client.post("/accounts/reauthenticate/", {"password": password})


def link_in(message, base="https://portal.example.com") -> str:
    """The path of the first portal link in an email (``base`` is PORTAL_BASE_URL in these tests)."""
    match = re.search(re.escape(base) + r"(/\S+)", message.body)
    assert match, message.body
    return match.group(1)
