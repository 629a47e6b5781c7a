"""factory_boy factories. Organizations, projects and teams are made through the services (so that roles,
permissions and audit events are real); users and clusters are plain rows."""

import time

import factory
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from accounts.models import Cluster, User


def give_totp(user) -> str:
    """Set up an authenticator app (TOTP) for ``user`` as allauth does; returns its secret (see totp_code)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return secret


def totp_code(secret, at=None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at the Unix time ``at``)."""
    return format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):
        """``UserFactory(totp=True)``: the user has two-factor authentication (an authenticator app), as staff
        need for the Django admin; its secret is ``user.totp_secret``."""
        if create and extracted:
            give_totp(user)


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    name = factory.Sequence(lambda n: f"Cluster{n}")
    tier = Cluster.Tier.DEDICATED
