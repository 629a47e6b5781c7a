"""The audit event types this app records, registered with accounts' registry from its AppConfig.ready()."""

from django.db import models

from accounts.audit import register


class Event(models.TextChoices):
    ORG_EMPLOYEE_ACCESS_RESTRICTED = "ORG_EMPLOYEE_ACCESS_RESTRICTED", "Support access blocked"
    ORG_EMPLOYEE_ACCESS_UNRESTRICTED = "ORG_EMPLOYEE_ACCESS_UNRESTRICTED", "Support access unblocked"
    EMPLOYEE_ACCESS_GRANTED = "EMPLOYEE_ACCESS_GRANTED", "Support access granted"
    EMPLOYEE_ACCESS_REVOKED = "EMPLOYEE_ACCESS_REVOKED", "Support access revoked"
    EMPLOYEE_ACCESS_EXPIRED = "EMPLOYEE_ACCESS_EXPIRED", "Support access expired"
    EMPLOYEE_ACCESS_REPLACED = "EMPLOYEE_ACCESS_REPLACED", "Support access replaced by a new grant"


def register_event_types() -> None:
    register(group="Support access", order=80, types=Event)
