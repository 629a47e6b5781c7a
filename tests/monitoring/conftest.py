"""Fixtures of the monitoring tests: email through anymail's test backend, and helpers to make clusters."""

import pytest

from accounts.models import Cluster
from accounts.services import cluster_create


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example.com"


def dedicated(project, name="Cluster0"):
    return cluster_create(project=project, name=name, tier=Cluster.Tier.DEDICATED, actor=None)


def sandbox(project, name="Free"):
    return cluster_create(project=project, name=name, tier=Cluster.Tier.SANDBOX, actor=None)


def shared(project, name="Shared"):
    return cluster_create(project=project, name=name, tier=Cluster.Tier.SHARED, actor=None)
