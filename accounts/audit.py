"""Recording AuditEvents, and the request context (client IP) they take the "from where" from."""

import contextvars
from contextlib import contextmanager

from .models import AuditEvent

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_client_ip", default=None)


@contextmanager
def request_origin(client_ip: str | None):
    """Within this block, audit events say they came from ``client_ip``."""
    token = _client_ip.set(client_ip or None)
    try:
        yield
    finally:
        _client_ip.reset(token)


def audit_event_record(
    *, event_type, actor, organization=None, project=None, target=None, target_type="", details=None
) -> AuditEvent:
    """Append one AuditEvent. Call it inside the transaction of the change it records."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = getattr(target, "public_id", "") or str(target.pk)
        target_name = (getattr(target, "email", None) or getattr(target, "name", None) or str(target))[:254]
    else:
        target_id = target_name = ""
    return AuditEvent.objects.create(
        event_type=event_type,
        organization=organization if organization is not None else getattr(project, "organization", None),
        project=project,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target_type,
        target_id=target_id,
        target_name=target_name,
        details=details or {},
        client_ip=_client_ip.get(),
    )


def audit_client_ip() -> str | None:
    """Where the request being handled comes from, for audit rows written in SQL (``INSERT ... SELECT``)."""
    return _client_ip.get()


def audit_events_record_bulk(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append many AuditEvents in one INSERT (bulk work: expiry, offboarding)."""
    client_ip = _client_ip.get()
    for event in events:
        if event.client_ip is None:
            event.client_ip = client_ip
    return AuditEvent.objects.bulk_create(events)


class ClientIPMiddleware:
    """Makes the request's client address available to audit events recorded while it is handled.

    REMOTE_ADDR only: behind a proxy, configure the proxy (or gunicorn's --forwarded-allow-ips) to set it, so
    that a client cannot forge its address with a header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_origin(request.META.get("REMOTE_ADDR")):
            return self.get_response(request)
