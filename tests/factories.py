"""factory_boy factories. Organizations, projects and teams are made through the services (so that roles,
permissions and audit events are real); users and clusters are plain rows."""

import factory

from accounts.models import Cluster, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    name = factory.Sequence(lambda n: f"Cluster{n}")
    tier = Cluster.Tier.DEDICATED
