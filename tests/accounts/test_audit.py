"""The audit trail: append-only, says who, what, when and from where."""

import pytest
from django.db import IntegrityError, InternalError, OperationalError, ProgrammingError, transaction
from django.urls import path

from accounts.audit import audit_event_record, audit_events_record_bulk, event_types, request_origin
from accounts.models import AuditEvent
from accounts.services import organization_create, organization_rename
from monitoring.audit import Event as MonitoringEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATABASE_REFUSALS = (IntegrityError, InternalError, OperationalError, ProgrammingError)


def test_audit_events_cannot_be_updated(organization):
    event = AuditEvent.objects.filter(organization=organization).first()

    with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(event_type="TAMPERED")

    event.refresh_from_db()
    assert event.event_type != "TAMPERED"


@pytest.mark.postgres
def test_audit_events_cannot_be_deleted_on_postgres(organization):
    event = AuditEvent.objects.filter(organization=organization).first()
    with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_events_record_actor_target_and_client_address(owner):
    with request_origin("203.0.113.9"):
        organization = organization_create(name="Initech", actor=owner)

    event = AuditEvent.objects.get(event_type="JOINED_ORG", organization=organization)
    assert event.actor_id == owner.pk
    assert event.actor_email == owner.email
    assert event.target_type == "user"
    assert event.target_id == owner.public_id
    assert event.client_ip == "203.0.113.9"
    assert event.created_at.tzinfo is not None


def test_events_outlive_the_user_who_acted():
    actor = UserFactory()
    organization = organization_create(name="Short-lived", actor=actor)
    organization_rename(organization=organization, name="Renamed", actor=actor)
    email = actor.email
    actor.delete()

    event = AuditEvent.objects.get(event_type="ORG_RENAMED")
    assert event.actor_email == email
    assert event.details == {"from": "Short-lived", "to": "Renamed"}


def record_view(request):
    from django.http import HttpResponse

    organization_create(name="From a request", actor=request.user)
    return HttpResponse("ok")


urlpatterns = [path("record/", record_view)]


@pytest.mark.urls("tests.accounts.test_audit")
def test_middleware_gives_events_the_request_address(client):
    user = UserFactory()
    client.force_login(user)
    client.get("/record/", REMOTE_ADDR="198.51.100.7")
    assert AuditEvent.objects.get(event_type="ORG_CREATED").client_ip == "198.51.100.7"


def test_only_registered_event_types_are_recorded(owner):
    with pytest.raises(ValueError, match="NOT_REGISTERED"):
        audit_event_record(event_type="NOT_REGISTERED", actor=owner)
    with pytest.raises(ValueError, match="NOT_REGISTERED"):
        audit_events_record_bulk([AuditEvent(event_type="NOT_REGISTERED")])

    assert not AuditEvent.objects.filter(event_type="NOT_REGISTERED").exists()


def test_an_app_records_its_own_event_types_without_accounts_listing_them(owner):
    assert "USER_OFFBOARDED" not in AuditEvent.Type.values
    event = audit_event_record(event_type=MonitoringEvent.USER_OFFBOARDED, actor=owner, target=owner)

    assert event_types.label(event.event_type) == "Person offboarded"
