"""The audit event types this app records, registered with accounts' registry from its AppConfig.ready()."""

from django.db import models

from accounts.audit import register


class Event(models.TextChoices):
    MONITORING_USER_ATTACHED = "MONITORING_USER_ATTACHED", "Monitoring user attached"
    MONITORING_USER_DETACHED = "MONITORING_USER_DETACHED", "Monitoring user detached"
    MONITORING_GROUP_CREATED = "MONITORING_GROUP_CREATED", "Monitoring group created"
    MONITORING_GROUP_DELETED = "MONITORING_GROUP_DELETED", "Monitoring group deleted"
    MONITORING_GROUP_MEMBER_ADDED = "MONITORING_GROUP_MEMBER_ADDED", "Added to a monitoring group"
    MONITORING_GROUP_MEMBER_REMOVED = "MONITORING_GROUP_MEMBER_REMOVED", "Removed from a monitoring group"
    USER_OFFBOARDED = "USER_OFFBOARDED", "Person offboarded"


def register_event_types() -> None:
    register(group="Monitoring", order=90, types=Event)
