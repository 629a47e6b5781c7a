"""/metrics (django-prometheus): refused to addresses not allowed (unless they bring the bearer token); request,
database and cache metrics; our own counters moving with what happens (emails by outcome, invitations sent,
accepted and expired, API authentication failures, lockouts) and the gauge of support grants in force."""

import re
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accessportal.operations.metrics import worker_metrics_serve
from accounts.metrics import lockout_record
from accounts.models import Cluster, Invitation, OutboundEmail
from accounts.services import cluster_create, organization_create, project_create
from accounts.services.emails import email_send
from accounts.services.invitations import (
    invitation_accept,
    invitations_expire_due,
    organization_invitations_create,
)
from support.metrics import ActiveSupportGrants
from support.models import SupportAccessGrant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def scrape(client, **extra):
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    return response.content.decode()


def value(text, name, **labels) -> float:
    """The sample ``name{labels}`` of a scrape (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_metrics_are_refused_to_an_address_not_allowed(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert b"accessportal_" not in client.get("/metrics", REMOTE_ADDR="203.0.113.9").content
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_a_bearer_token_opens_metrics_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "scrape-token-0123456789abcdef"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    ok = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdef"
    )
    assert ok.status_code == 200
    wrong = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789abcdeX"
    )
    assert wrong.status_code == 403


def test_without_a_token_setting_no_bearer_token_is_accepted(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_invitation_counters_move_when_an_invitation_is_sent_and_accepted(
    client, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(organization=organization, emails=["new@example.com"], actor=owner)
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    middle = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept(token=token, user=UserFactory(email="new@example.com"))
    after = scrape(client)

    def moved(name, start, end, **labels):
        return value(end, name, **labels) - value(start, name, **labels)

    assert moved("accessportal_invitations_total", before, middle, event="sent") == 1
    assert moved("accessportal_invitations_total", before, middle, event="accepted") == 0
    assert moved("accessportal_invitations_total", middle, after, event="accepted") == 1
    # The invitation, then the notice to the inviter.
    assert moved("accessportal_emails_total", before, after, outcome="sent") == 2


def test_a_rolled_back_invitation_is_not_counted(client, django_capture_on_commit_callbacks):
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    before = value(scrape(client), "accessportal_invitations_total", event="sent")
    with django_capture_on_commit_callbacks(execute=False):  # the commit never comes
        organization_invitations_create(organization=organization, emails=["new@example.com"], actor=owner)
    assert value(scrape(client), "accessportal_invitations_total", event="sent") == before


def test_expired_invitations_are_counted(client, django_capture_on_commit_callbacks):
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(
            organization=organization, emails=["a@example.com", "b@example.com"], actor=owner
        )
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    before = value(scrape(client), "accessportal_invitations_total", event="expired")
    with django_capture_on_commit_callbacks(execute=True):
        assert len(invitations_expire_due()) == 2
    assert value(scrape(client), "accessportal_invitations_total", event="expired") - before == 2


def test_email_outcomes_are_counted_and_logged(client, monkeypatch, log_lines):
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    from django.core.mail import EmailMultiAlternatives

    from accessportal.celery import app
    from accounts.tasks import send_email

    def outcome_counts():
        text = scrape(client)
        return {o: value(text, "accessportal_emails_total", outcome=o) for o in ("retried", "failed")}

    before = outcome_counts()
    refused = OutboundEmail.objects.create(
        to="bad@example.com", subject="s", template="accounts/email/invitation_expired"
    )
    monkeypatch.setattr(
        EmailMultiAlternatives,
        "send",
        lambda self, fail_silently=False: (_ for _ in ()).throw(AnymailRecipientsRefused("refused")),
    )
    email_send(email_id=refused.pk)
    unavailable = OutboundEmail.objects.create(
        to="a@example.com", subject="s", template="accounts/email/invitation_expired"
    )
    monkeypatch.setattr(
        EmailMultiAlternatives,
        "send",
        lambda self, fail_silently=False: (_ for _ in ()).throw(
            AnymailAPIError("ESP unavailable", status_code=503)
        ),
    )
    monkeypatch.setattr(send_email, "max_retries", 1)
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    send_email.apply(args=[unavailable.pk, {}])  # one retry, then given up
    after = outcome_counts()
    assert after["retried"] - before["retried"] == 1
    assert after["failed"] - before["failed"] == 2  # refused, and given up
    events = [
        (line["event"], line.get("email_id"), line.get("reason"))
        for line in log_lines
        if line["event"].startswith("email_")
    ]
    assert events == [
        ("email_failed", refused.pk, "refused"),
        ("email_retried", unavailable.pk, None),
        ("email_failed", unavailable.pk, "gave up"),
    ]
    levels = {line["event"]: line["level"] for line in log_lines if line["event"].startswith("email_")}
    assert levels == {"email_failed": "error", "email_retried": "warning"}


def test_the_support_grants_gauge_counts_grants_in_force_with_one_query(client, django_assert_num_queries):
    owner = UserFactory(email="owner@example.com")
    project = project_create(
        organization=organization_create(name="Acme", actor=owner), name="P", actor=owner
    )
    clusters = [
        cluster_create(project=project, name=f"C{i}", tier=Cluster.Tier.DEDICATED, actor=None)
        for i in range(3)
    ]
    now = timezone.now()
    Type = SupportAccessGrant.GrantType
    SupportAccessGrant.objects.create(
        cluster=clusters[0], grant_type=Type.CLUSTER_DATABASE_LOGS, expires_at=now + timedelta(hours=2)
    )
    SupportAccessGrant.objects.create(
        cluster=clusters[1], grant_type=Type.CLUSTER_DATABASE_LOGS, expires_at=now + timedelta(hours=3)
    )
    # Not in force: revoked, and past its expiry though no task marked it yet.
    SupportAccessGrant.objects.create(
        cluster=clusters[2],
        grant_type=Type.CLUSTER_INFRASTRUCTURE,
        expires_at=now + timedelta(hours=1),
        status=SupportAccessGrant.Status.REVOKED,
    )
    SupportAccessGrant.objects.create(
        cluster=clusters[2],
        grant_type=Type.CLUSTER_INFRASTRUCTURE,
        granted_at=now - timedelta(hours=3),
        expires_at=now - timedelta(hours=1),
    )
    with django_assert_num_queries(1):
        families = list(ActiveSupportGrants().collect())
    samples = {s.labels["grant_type"]: s.value for s in families[0].samples}
    assert samples == {
        "CLUSTER_DATABASE_LOGS": 2,
        "CLUSTER_INFRASTRUCTURE": 0,
        "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA": 0,
    }
    text = scrape(client)
    assert value(text, "accessportal_support_grants_active", grant_type="CLUSTER_DATABASE_LOGS") == 2


def test_digest_failures_are_counted_by_reason(client):
    before = scrape(client)
    response = client.get("/api/atlas/v2/orgs", HTTP_AUTHORIZATION="Digest nonsense")
    assert response.status_code == 401
    after = scrape(client)
    assert (
        value(after, "accessportal_api_authentication_failures_total", scheme="digest", reason="malformed")
        - value(before, "accessportal_api_authentication_failures_total", scheme="digest", reason="malformed")
        == 1
    )


def test_a_lockout_is_counted_and_logged_at_warning(client, log_lines):
    before = value(scrape(client), "accessportal_lockouts_total", kind="sign_in")
    lockout_record(kind="sign_in", address="198.51.100.4", username="someone@example.com")
    assert value(scrape(client), "accessportal_lockouts_total", kind="sign_in") - before == 1
    lockouts = [line for line in log_lines if line["event"] == "lockout"]
    assert [(x["level"], x["kind"], x["ip"]) for x in lockouts] == [("warning", "sign_in", "198.51.100.4")]


def test_requests_by_view_and_database_timings_are_exported(client):
    client.get("/health/ready/")
    text = scrape(client)
    assert (
        value(
            text,
            "django_http_requests_total_by_view_transport_method_total",
            view="health_ready",
            method="GET",
        )
        >= 1
    )
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    # django-prometheus's database wrapper is in place, and the vendor is the real one.
    assert value(text, "django_db_execute_total", alias="default", vendor=connection.vendor) >= 1
    assert "django_db_query_duration_seconds_bucket" in text
    assert connection.vendor in ("sqlite", "postgresql")


def test_redis_caches_are_instrumented_and_other_caches_left_as_they_are(settings):
    from django.core.cache import caches

    if settings.REDIS_URL:
        assert type(caches["default"]).__name__ == "NativeRedisCache"
        assert type(caches["shared"]).__name__ == "NativeRedisCache"
    else:
        # Without Redis both are the database table that every process shares (sign-in limits live there).
        assert type(caches["default"]).__module__ == "django.core.cache.backends.db"
        assert type(caches["shared"]).__module__ == "django.core.cache.backends.db"


def test_a_celery_workers_exporter_serves_the_same_metrics_under_the_same_rule(settings):
    settings.METRICS_TOKEN = "worker-scrape-token-0123456789"
    lockout_record(kind="api")
    server = worker_metrics_serve(address="127.0.0.1", port=0)
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    try:
        settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        assert value(text, "accessportal_lockouts_total", kind="api") >= 1
        settings.METRICS_ALLOWED_IPS = []
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
        request = urllib.request.Request(
            url, headers={"Authorization": "Bearer worker-scrape-token-0123456789"}
        )
        assert urllib.request.urlopen(request, timeout=10).status == 200
    finally:
        server.shutdown()
        server.server_close()
